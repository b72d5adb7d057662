using Recur.Kernels;

namespace Recur.Nn;

/// <summary>
/// An <c>nn.LSTMCell</c> (<c>{prefix}.weight_ih (4H, I)</c>, <c>weight_hh (4H, H)</c>, <c>bias_ih (4H)</c>, <c>bias_hh (4H)</c>;
/// gates i, f, g, o) stepped by a caller that builds each step's input from the previous steps' outputs, as DRAW's
/// encoder and decoder and the glimpse model's core are: <c>pre = x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh</c>, then <see cref="LstmStep"/>. It keeps
/// every step for backpropagation through time. Buffers, for <c>T</c> steps of <c>B</c> rows: the inputs
/// <c>x (T, B, I)</c>; <c>h</c>, <c>c (T+1, B, H)</c> with slot 0 the zero initial state; the gates after their
/// nonlinearities <c>(T, B, 4H)</c>; <c>tanh(c_t) (T, B, H)</c>; the gate gradients <c>(T, B, 4H)</c>, so that the weight
/// gradients are one product over all the steps at <see cref="EndBackward"/> instead of one thin product per step; the
/// weights packed for the forward's and the backward's products (<c>2 (4H)(I + H)</c>, repacked at step 0 and at
/// <see cref="BeginBackward"/>). Memory: <c>T B (I + 11H) + 2 B H + 8H (I + H)</c> floats plus <c>B (5H)</c> of scratch.
/// </summary>
internal sealed class UnrolledLstmCell
{
    private readonly Parameter _wih, _whh, _bih, _bhh;
    private int _steps, _batch, _lowest;   // _lowest: the earliest step backpropagated since BeginBackward
    private bool _unended;                 // steps backpropagated whose weight gradients EndBackward has not formed yet
    private float[] _x = [], _h = [], _c = [], _gates = [], _tanhC = [];
    private float[] _pre = [], _dgates = [], _dc = [];   // pre (B, 4H), dgates (T, B, 4H), dc (B, H)
    // W_ih^T (I, 4H) and W_hh^T (H, 4H) for the forward, W_ih (4H, I) and W_hh (4H, H) for the backward, packed.
    private readonly PackedMatrix _ihForward = new(), _hhForward = new(), _ihBackward = new(), _hhBackward = new();

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
        _dgates = Buffers.Ensure(_dgates, steps * B * 4 * H);
        _dc = Buffers.Ensure(_dc, B * H);
        _h.AsSpan(0, B * H).Clear();
        _c.AsSpan(0, B * H).Clear();
    }

    /// <summary>Step <paramref name="t"/>'s input <c>x_t (B, I)</c>, for the caller to fill before <see cref="Step"/>.</summary>
    public Span<float> InputAt(int t) => _x.AsSpan(t * _batch * Input, _batch * Input);

    /// <summary>The state <c>h_t (B, H)</c>: slot 0 is the zero initial state, slot <c>t + 1</c> the output of step <c>t</c>.</summary>
    public Span<float> State(int slot) => _h.AsSpan(slot * _batch * Hidden, _batch * Hidden);

    /// <summary>
    /// Step <paramref name="t"/> (0-based): from <c>x_t</c> and slot <c>t</c> to slot <c>t + 1</c>. Step 0 packs the
    /// weights for the steps that follow (the weights must not change between step 0 and the last step).
    /// </summary>
    public void Step(int t)
    {
        int B = _batch, H = Hidden, G = 4 * H, I = Input;
        if ((uint)t >= (uint)_steps) throw new ArgumentOutOfRangeException(nameof(t), t, $"step must be in [0, {_steps}).");
        if (t == 0)
        {
            Gemm.PackB(true, I, G, _wih.Value, I, _ihForward);
            Gemm.PackB(true, H, G, _whh.Value, H, _hhForward);
        }
        var pre = _pre.AsSpan(0, B * G);
        for (int b = 0; b < B; b++) System.Numerics.Tensors.TensorPrimitives.Add(_bih.Value, _bhh.Value, pre.Slice(b * G, G));
        Gemm.Sgemm(false, B, 1f, InputAt(t), I, _ihForward, 1f, pre, G, Threads);
        Gemm.Sgemm(false, B, 1f, State(t), H, _hhForward, 1f, pre, G, Threads);
        LstmStep.Forward(pre, _c.AsSpan(t * B * H, B * H), _gates.AsSpan(t * B * G, B * G), _c.AsSpan((t + 1) * B * H, B * H),
            _tanhC.AsSpan(t * B * H, B * H), State(t + 1), B, H);
    }

    /// <summary>
    /// Clears the carried cell-state gradient before the first <see cref="StepBackward"/> (of the last step) and packs the
    /// weights for the backward's products.
    /// </summary>
    public void BeginBackward()
    {
        int H = Hidden, G = 4 * H, I = Input;
        if (_unended)
            throw new InvalidOperationException("the previous backward's weight gradients were never formed: call EndBackward after its last StepBackward.");
        _dc.AsSpan(0, _batch * Hidden).Clear();
        _lowest = _steps;
        Gemm.PackB(false, G, I, _wih.Value, I, _ihBackward);
        Gemm.PackB(false, G, H, _whh.Value, H, _hhBackward);
    }

    /// <summary>
    /// Backward of step <paramref name="t"/>, called for <c>t = T-1 .. 0</c> in turn after <see cref="BeginBackward"/>: from
    /// the whole gradient on its output <paramref name="dh"/> <c>h_{t+1} (B, H)</c> (the cell-state gradient is carried
    /// inside) keeps the gate gradients for <see cref="EndBackward"/> and writes <paramref name="dx"/> <c>(B, I) = dgates W_ih</c>
    /// and <paramref name="dhPrev"/> <c>(B, H) = dgates W_hh</c>.
    /// </summary>
    public void StepBackward(int t, ReadOnlySpan<float> dh, Span<float> dx, Span<float> dhPrev)
    {
        int B = _batch, H = Hidden, G = 4 * H, I = Input;
        if (t != _lowest - 1) throw new InvalidOperationException($"backward of step {t} after step {_lowest}: steps go T-1 .. 0, after BeginBackward.");
        _lowest = t;
        _unended = true;
        var dgates = _dgates.AsSpan(t * B * G, B * G);
        LstmStep.Backward(dh, _dc.AsSpan(0, B * H), _gates.AsSpan(t * B * G, B * G), _c.AsSpan(t * B * H, B * H),
            _tanhC.AsSpan(t * B * H, B * H), dgates, B, H);
        Gemm.Sgemm(false, B, 1f, dgates, G, _ihBackward, 0f, dx, I, Threads);
        Gemm.Sgemm(false, B, 1f, dgates, G, _hhBackward, 0f, dhPrev, H, Threads);
    }

    /// <summary>
    /// The weight gradients of the steps backpropagated since <see cref="BeginBackward"/>, <c>s = lowest .. T-1</c>, as one
    /// product each: <c>dW_ih += Σ_s dgates_s^T x_s</c>, <c>dW_hh += Σ_s dgates_s^T h_s</c>, both biases
    /// <c>+= Σ_s Σ_rows dgates_s</c>.
    /// </summary>
    public void EndBackward()
    {
        int B = _batch, H = Hidden, G = 4 * H, I = Input, n = (_steps - _lowest) * B;
        if (n == 0) return;
        var dgates = _dgates.AsSpan(_lowest * B * G, n * G);
        Gemm.Sgemm(true, false, G, I, n, 1f, dgates, G, _x.AsSpan(_lowest * B * I, n * I), I, 1f, _wih.Grad, I, Threads);
        Gemm.Sgemm(true, false, G, H, n, 1f, dgates, G, _h.AsSpan(_lowest * B * H, n * H), H, 1f, _whh.Grad, H, Threads);
        Reduce.SumRows(dgates, n, G, _bih.Grad);
        Reduce.SumRows(dgates, n, G, _bhh.Grad);
        _lowest = _steps;
        _unended = false;
    }
}
