using System.Numerics.Tensors;
using Recur.Nn;

namespace Recur.Models.Dialog;

/// <summary>
/// The memory network over the history (MN, Das et al. 2017): each round's fact becomes a memory
/// <c>g_j = tanh(W_g fact_j + b_g)</c> (<c>memory</c>, <c>H + E</c> to <c>H</c>); round <c>r</c> reads the memories of
/// rounds <c>j &lt; r</c> of its dialog with its question's encoding: <c>s_j = q_r · g_j / sqrt(H)</c>,
/// <c>α = softmax(s)</c>, history <c>h_r = Σ_j α_j g_j</c>; round 0 reads nothing, <c>h_0 = 0</c>.
/// </summary>
internal sealed class MemoryHistory : IDialogHistory
{
    private readonly Linear _memory;
    private readonly int _hidden, _factDim;
    private float[] _g = [], _dg = [], _alpha = [], _dalpha = []; // (N, H) memories and their gradients; (N, R) weights per round, j < r
    private int _b, _r;

    public MemoryHistory(ParameterStore store, int factDim, int hidden)
    {
        _memory = new Linear(store, "memory", factDim, hidden);
        _hidden = hidden; _factDim = factDim;
    }

    public int Threads { get => _memory.Threads; set => _memory.Threads = value; }

    public void Reset(Rng rng) => _memory.Reset(rng);

    private float Scale => 1f / MathF.Sqrt(_hidden);

    public void Forward(float[] q, float[] facts, int batch, int rounds, float[] history)
    {
        _b = batch; _r = rounds;
        int B = batch, H = _hidden, n = rounds * batch;
        _g = Buffers.Ensure(_g, n * H);
        _alpha = Buffers.Ensure(_alpha, n * rounds);
        _memory.Forward(facts, n, _g);
        TensorPrimitives.Tanh(_g, _g);
        history.AsSpan(0, n * H).Clear();
        for (int r = 1; r < rounds; r++)
            for (int b = 0; b < B; b++)
            {
                int row = r * B + b;
                var qr = q.AsSpan(row * H, H);
                var alpha = _alpha.AsSpan(row * rounds, r);
                for (int j = 0; j < r; j++) alpha[j] = TensorPrimitives.Dot(qr, _g.AsSpan((j * B + b) * H, H)) * Scale;
                Kernels.Softmax.InPlace(alpha);
                var h = history.AsSpan(row * H, H);
                for (int j = 0; j < r; j++) TensorPrimitives.MultiplyAdd(_g.AsSpan((j * B + b) * H, H), alpha[j], h, h);
            }
    }

    public void Backward(float[] q, float[] facts, float[] dHistory, float[] dq, float[] dFacts)
    {
        int B = _b, H = _hidden, R = _r, n = R * B;
        _dg = Buffers.Ensure(_dg, n * H);
        Array.Clear(_dg);
        _dalpha = Buffers.Ensure(_dalpha, R);
        for (int r = 1; r < R; r++)
            for (int b = 0; b < B; b++)
            {
                int row = r * B + b;
                var dh = dHistory.AsSpan(row * H, H);
                var alpha = _alpha.AsSpan(row * R, r);
                var da = _dalpha.AsSpan(0, r);
                for (int j = 0; j < r; j++) da[j] = TensorPrimitives.Dot(dh, _g.AsSpan((j * B + b) * H, H));
                float dot = TensorPrimitives.Dot(alpha, da);
                var qr = q.AsSpan(row * H, H);
                var dqr = dq.AsSpan(row * H, H);
                for (int j = 0; j < r; j++)
                {
                    var dgj = _dg.AsSpan((j * B + b) * H, H);
                    TensorPrimitives.MultiplyAdd(dh, alpha[j], dgj, dgj);        // through h = Σ α_j g_j
                    float ds = alpha[j] * (da[j] - dot) * Scale;                 // through the softmax and the scale
                    TensorPrimitives.MultiplyAdd(qr, ds, dgj, dgj);
                    TensorPrimitives.MultiplyAdd(_g.AsSpan((j * B + b) * H, H), ds, dqr, dqr);
                }
            }
        for (int i = 0; i < n * H; i++) _dg[i] *= 1f - _g[i] * _g[i];
        _memory.Backward(facts, _dg, n, dFacts);
    }
}
