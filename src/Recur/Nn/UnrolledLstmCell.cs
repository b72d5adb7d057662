using Recur.Kernels;

namespace Recur.Nn;

/// <summary>
/// An <c>nn.LSTMCell</c> (<c>{prefix}.weight_ih (4H, I)</c>, <c>weight_hh (4H, H)</c>, <c>bias_ih (4H)</c>, <c>bias_hh (4H)</c>;
/// gates i, f, g, o) stepped by a caller that builds each step's input from the previous steps' outputs, as DRAW's
/// encoder and decoder and the glimpse model's core are: <c>pre = x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh</c>, then <see cref="LstmStep"/>. It keeps
/// every step for backpropagation through time. Buffers, for <c>T</c> steps of <c>B</c> rows: the inputs
/// <c>x (T, B, I)</c>; <c>h</c>, <c>c (T+1, B, H)</c> with slot 0 the zero initial state; the gates after their
/// nonlinearities <c>(T, B, 4H)</c>; <c>tanh(c_t) (T, B, H)</c>. Memory: <c>T B (I + 7H) + 2 B H</c> floats plus
/// <c>B (8H)</c> of scratch.
/// </summary>
internal sealed class UnrolledLstmCell
{
    private readonly Parameter _wih, _whh, _bih, _bhh;
    private int _steps, _batch;
    private float[] _x = [], _h = [], _c = [], _gates = [], _tanhC = [];
    private float[] _pre = [], _dgates = [], _dc = [];

    public UnrolledLstmCell(ParameterStore store, string prefix, int input, int hidden)
    {
        Input = input;
        Hidden = hidden;
        _wih = store.Add(prefix + ".weight_ih", 4 * hidden, input);
        _whh = store.Add(prefix + ".weight_hh", 4 * hidden, hidden);
        _bih = store.Add(prefix + ".bias_ih", 4 * hidden);
        _bhh = store.Add(prefix + ".bias_hh", 4 * hidden);
    }

    /// <summary>Input width <c>I</c>.</summary>
    public int Input { get; }

    /// <summary>State width <c>H</c>.</summary>
    public int Hidden { get; }

    /// <summary>Threads for the GEMMs.</summary>
    public int Threads { get; set; } = 1;

    /// <summary>nn.LSTMCell's default initialisation: every tensor ~ U(-1/sqrt(H), 1/sqrt(H)).</summary>
    public void Reset(Rng rng)
    {
        float bound = 1f / MathF.Sqrt(Hidden);
        foreach (var p in new[] { _wih, _whh, _bih, _bhh }) rng.FillUniform(p.Value, -bound, bound);
    }

    /// <summary>Sizes the caches for <paramref name="steps"/> steps of <paramref name="batch"/> rows and zeroes the initial state.</summary>
    public void Begin(int steps, int batch)
    {
        int B = batch, H = Hidden;
        _steps = steps; _batch = batch;
        _x = Buffers.Ensure(_x, steps * B * Input);
        _h = Buffers.Ensure(_h, (steps + 1) * B * H);
        _c = Buffers.Ensure(_c, (steps + 1) * B * H);
        _gates = Buffers.Ensure(_gates, steps * B * 4 * H);
        _tanhC = Buffers.Ensure(_tanhC, steps * B * H);
        _pre = Buffers.Ensure(_pre, B * 4 * H);
        _dgates = Buffers.Ensure(_dgates, B * 4 * H);
        _dc = Buffers.Ensure(_dc, B * H);
        _h.AsSpan(0, B * H).Clear();
        _c.AsSpan(0, B * H).Clear();
    }

    /// <summary>Step <paramref name="t"/>'s input <c>x_t (B, I)</c>, for the caller to fill before <see cref="Step"/>.</summary>
    public Span<float> InputAt(int t) => _x.AsSpan(t * _batch * Input, _batch * Input);

    /// <summary>The state <c>h_t (B, H)</c>: slot 0 is the zero initial state, slot <c>t + 1</c> the output of step <c>t</c>.</summary>
    public Span<float> State(int slot) => _h.AsSpan(slot * _batch * Hidden, _batch * Hidden);

    /// <summary>Step <paramref name="t"/> (0-based): from <c>x_t</c> and slot <c>t</c> to slot <c>t + 1</c>.</summary>
    public void Step(int t)
    {
        int B = _batch, H = Hidden, G = 4 * H, I = Input;
        if ((uint)t >= (uint)_steps) throw new ArgumentOutOfRangeException(nameof(t), t, $"step must be in [0, {_steps}).");
        var pre = _pre.AsSpan(0, B * G);
        for (int b = 0; b < B; b++) System.Numerics.Tensors.TensorPrimitives.Add(_bih.Value, _bhh.Value, pre.Slice(b * G, G));
        Gemm.Sgemm(false, true, B, G, I, 1f, InputAt(t), I, _wih.Value, I, 1f, pre, G, Threads);
        Gemm.Sgemm(false, true, B, G, H, 1f, State(t), H, _whh.Value, H, 1f, pre, G, Threads);
        LstmStep.Forward(pre, _c.AsSpan(t * B * H, B * H), _gates.AsSpan(t * B * G, B * G), _c.AsSpan((t + 1) * B * H, B * H),
            _tanhC.AsSpan(t * B * H, B * H), State(t + 1), B, H);
    }

    /// <summary>Clears the carried cell-state gradient before the first <see cref="StepBackward"/> (of the last step).</summary>
    public void BeginBackward() => _dc.AsSpan(0, _batch * Hidden).Clear();

    /// <summary>
    /// Backward of step <paramref name="t"/>, called for <c>t = T-1 .. 0</c> in turn: from the whole gradient on its output
    /// <paramref name="dh"/> <c>h_{t+1} (B, H)</c> (the cell-state gradient is carried inside) accumulates
    /// <c>dW_ih += dgates^T x_t</c>, <c>dW_hh += dgates^T h_t</c>, both biases <c>+= Σ_rows dgates</c>, and writes
    /// <paramref name="dx"/> <c>(B, I) = dgates W_ih</c> and <paramref name="dhPrev"/> <c>(B, H) = dgates W_hh</c>.
    /// </summary>
    public void StepBackward(int t, ReadOnlySpan<float> dh, Span<float> dx, Span<float> dhPrev)
    {
        int B = _batch, H = Hidden, G = 4 * H, I = Input;
        var dgates = _dgates.AsSpan(0, B * G);
        LstmStep.Backward(dh, _dc.AsSpan(0, B * H), _gates.AsSpan(t * B * G, B * G), _c.AsSpan(t * B * H, B * H),
            _tanhC.AsSpan(t * B * H, B * H), dgates, B, H);
        Gemm.Sgemm(true, false, G, I, B, 1f, dgates, G, InputAt(t), I, 1f, _wih.Grad, I, Threads);
        Gemm.Sgemm(true, false, G, H, B, 1f, dgates, G, State(t), H, 1f, _whh.Grad, H, Threads);
        Reduce.SumRows(dgates, B, G, _bih.Grad);
        Reduce.SumRows(dgates, B, G, _bhh.Grad);
        Gemm.Sgemm(false, false, B, I, G, 1f, dgates, G, _wih.Value, I, 0f, dx, I, Threads);
        Gemm.Sgemm(false, false, B, H, G, 1f, dgates, G, _whh.Value, H, 0f, dhPrev, H, Threads);
    }
}
