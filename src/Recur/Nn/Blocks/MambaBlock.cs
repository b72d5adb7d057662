using Recur.Kernels;

namespace Recur.Nn.Blocks;

/// <summary>
/// Mamba's simple block (Gu &amp; Dao 2023, "Mamba: Linear-Time Sequence Modeling with Selective State Spaces"):
/// a selective state-space model whose step size, input and output maps depend on the token, as a pre-norm
/// residual block. With <c>E</c> = <see cref="BlockOptions.Expand"/>, <c>Di = E D</c> channels, <c>N</c> =
/// <see cref="BlockOptions.StateSize"/> states per channel, <c>K</c> = <see cref="BlockOptions.ConvWidth"/> and
/// <c>R = ceil(D/16)</c> (the paper's dt_rank):
/// <code>
/// u = LN(x);  (x_in, z) = u W_in^T                                   W_in (2Di, D)
/// x_c = SiLU(causal depthwise conv_K(x_in) + b_conv)                  conv1d.weight (Di, 1, K)
/// (d, B_t, C_t) = x_c W_x^T                                           W_x (R + 2N, Di): d (R), B_t (N), C_t (N)
/// delta = softplus(d W_dt^T + b_dt)                                   W_dt (Di, R)
/// A = -exp(A_log)                                                     A_log (Di, N)
/// h_t = exp(delta_t A) ⊙ h_{t-1} + (delta_t ⊙ x_c,t) B_t              h (Di, N) per row
/// y_t = h_t C_t + D ⊙ x_c,t;   out = (y ⊙ SiLU(z)) W_out^T;   block output x + out     W_out (D, Di)
/// </code>
/// Training runs the scan as the plain recurrence over the chunk's steps, each step vectorised over channels
/// and states (the log-space scan does not apply: <c>delta B x</c> may be negative); it stores the state every
/// <see cref="SelectiveScan.Segment"/> steps and the backward recomputes the states in between. Backward, with
/// <c>g_t = dL/dh_t</c> and <c>a_t = exp(delta_t A)</c>:
/// <code>
/// g_t = dy_t C_t^T + a_{t+1} ⊙ g_{t+1}          (g_T = 0: truncated at the chunk's end)
/// dC_t = dy_t h_t,   dB_t = (delta_t ⊙ x_c,t) g_t,   dx_c,t += (delta_t ⊙ (g_t B_t^T))
/// ddelta_t = sum_n g_t ⊙ (A ⊙ a_t ⊙ h_{t-1} + x_c,t B_t),   dA = sum_t g_t ⊙ delta_t ⊙ a_t ⊙ h_{t-1},   dA_log = dA ⊙ A
/// </code>
/// then softplus' (the sigmoid), the projections, SiLU', the convolution (its carried inputs get no
/// gradient), the input projection and the layer norm. Initialisation (<see cref="Reset"/>) is the paper's:
/// <c>A_log = log(1..N)</c> per channel (S4D-real), <c>D = 1</c>, <c>b_dt = softplus^-1(delta)</c> with delta
/// log-uniform in <c>[0.001, 0.1]</c>, <c>W_dt ~ U(±R^-1/2)</c>, the rest PyTorch's defaults (no biases in the
/// projections). The state carried between chunks is <c>h (B, Di, N)</c> and the convolution's last
/// <c>K-1</c> inputs <c>conv (B, K-1, Di)</c>.
/// </summary>
public sealed class MambaBlock : SequenceBlock
{
    /// <summary>The range the initial step sizes are drawn from (log-uniform), the paper's values.</summary>
    public const float DtMin = 0.001f, DtMax = 0.1f;

    private readonly LayerNorm _norm;
    private readonly Linear _inProj, _xProj, _dtProj, _outProj;
    private readonly Parameter _convW, _convB, _aLog, _d;
    private readonly Work _train = new(), _step = new();
    private readonly Dropout _drop;  // residual dropout on the block's output before it joins the residual stream
    private readonly float[] _at, _wt, _tmp;                     // A^T (N, Di), conv weight^T (K, Di), scratch (Di)
    private readonly float[] _dAt, _dwt;                          // (N, Di), (K, Di)
    private float[] _dYg = [], _dYs = [], _dXZ = [], _dXc = [], _dDelta = [], _dDbl = [], _dXin = [], _dU = [], _dx = [];
    private float[] _hseg = [], _carry = [];                      // (Segment, B, N, Di), (B, N, Di)
    private int _T, _B;

    /// <summary>Registers <c>norm, in_proj, conv1d, x_proj, dt_proj, A_log, D, out_proj</c> under <paramref name="path"/>
    /// (mamba_simple's names and shapes).</summary>
    public MambaBlock(ParameterStore store, string path, int width, BlockOptions options) : base(path, width)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        _drop = new Dropout(options.Dropout);
        Guard.Positive(options.Expand, "options.Expand");
        Guard.Positive(options.StateSize, "options.StateSize");
        Guard.Positive(options.ConvWidth, "options.ConvWidth");
        int D = width;
        Inner = options.Expand * D;
        StateSize = options.StateSize;
        ConvWidth = options.ConvWidth;
        DtRank = (D + 15) / 16;
        int Di = Inner, N = StateSize, K = ConvWidth;
        _norm = new LayerNorm(store, Naming.Join(path, "norm"), D);
        _inProj = new Linear(store, Naming.Join(path, "in_proj"), D, 2 * Di, bias: false);
        _convW = store.Add(Naming.Join(path, "conv1d.weight"), Di, 1, K);
        _convB = store.Add(Naming.Join(path, "conv1d.bias"), Di);
        _xProj = new Linear(store, Naming.Join(path, "x_proj"), Di, DtRank + 2 * N, bias: false);
        _dtProj = new Linear(store, Naming.Join(path, "dt_proj"), DtRank, Di);
        _aLog = store.Add(Naming.Join(path, "A_log"), Di, N);
        _d = store.Add(Naming.Join(path, "D"), Di);
        _outProj = new Linear(store, Naming.Join(path, "out_proj"), Di, D, bias: false);
        _at = new float[N * Di]; _wt = new float[K * Di]; _tmp = new float[Di];
        _dAt = new float[N * Di]; _dwt = new float[K * Di];
    }

    /// <summary>Inner channels <c>Di = E D</c>.</summary>
    public int Inner { get; }

    /// <summary>States per channel <c>N</c>.</summary>
    public int StateSize { get; }

    /// <summary>Convolution width <c>K</c>.</summary>
    public int ConvWidth { get; }

    /// <summary>The step size's rank <c>R = ceil(D/16)</c>.</summary>
    public int DtRank { get; }

    /// <inheritdoc/>
    public override string Kind => "mamba";

    /// <inheritdoc/>
    public override IReadOnlyList<Parameter> Parameters =>
        [_norm.Weight, _norm.Bias, _inProj.Weight, _convW, _convB, _xProj.Weight, _dtProj.Weight, _dtProj.Bias!, _aLog, _d, _outProj.Weight];

    /// <inheritdoc/>
    public override void Reset(Rng rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        int Di = Inner, N = StateSize;
        _norm.Reset();
        _inProj.Reset(rng);
        float cb = 1f / MathF.Sqrt(ConvWidth); // PyTorch's conv1d default: fan_in = (in / groups) K = K
        rng.FillUniform(_convW.Value, -cb, cb);
        rng.FillUniform(_convB.Value, -cb, cb);
        _xProj.Reset(rng);
        float wb = 1f / MathF.Sqrt(DtRank);
        rng.FillUniform(_dtProj.Weight.Value, -wb, wb);
        var bias = _dtProj.Bias!.Value;
        for (int c = 0; c < Di; c++)
        {
            double dt = Math.Exp(Math.Log(DtMin) + rng.NextDouble() * (Math.Log(DtMax) - Math.Log(DtMin)));
            dt = Math.Max(dt, 1e-4);
            bias[c] = (float)(dt + Math.Log(-double.ExpM1(-dt)));                 // softplus^-1(dt)
        }
        var aLog = _aLog.Value;
        for (int c = 0; c < Di; c++)
            for (int n = 0; n < N; n++) aLog[c * N + n] = MathF.Log(n + 1);
        _d.Value.Fill(1f);
        _outProj.Reset(rng);
    }

    /// <inheritdoc/>
    public override BlockState NewState(int batch) =>
        new(batch, ("h", batch * Inner * StateSize), ("conv", batch * (ConvWidth - 1) * Inner));

    /// <inheritdoc/>
    public override float[] Forward(float[] x, int T, int B, BlockState? state, bool training, Rng? rng)
    {
        ArgumentNullException.ThrowIfNull(x);
        Guard.Positive(T, nameof(T));
        Guard.Positive(B, nameof(B));
        Run(x, T, B, state, _train, cache: true, training, rng);
        _T = T; _B = B;
        return _train.Out;
    }

    /// <inheritdoc/>
    public override void Step(ReadOnlySpan<float> x, Span<float> y, BlockState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        Run(x, 1, state.Batch, state, _step, cache: false, training: false, rng: null);
        _step.Out.AsSpan(0, state.Batch * Width).CopyTo(y);
    }

    /// <summary>
    /// The block over <c>x (T, B, D)</c> into <paramref name="w"/>; <paramref name="cache"/>: the layer norm keeps what
    /// backward needs; with <paramref name="training"/> the residual dropout draws its mask from <paramref name="rng"/>.
    /// </summary>
    private void Run(ReadOnlySpan<float> x, int T, int B, BlockState? state, Work w, bool cache, bool training, Rng? rng)
    {
        int D = Width, Di = Inner, N = StateSize, K = ConvWidth, R = DtRank, P = R + 2 * N, n = T * B;
        if (x.Length < n * D) throw new ArgumentException($"x holds {x.Length} values, (T, B, D) = ({T}, {B}, {D}) needs {n * D}.", nameof(x));
        if (state is not null && state.Batch != B) throw new ArgumentException($"state has {state.Batch} rows, the chunk {B}.", nameof(state));
        w.Ensure(T, B, D, Di, N, K, P);
        _inProj.Threads = _xProj.Threads = _outProj.Threads = Threads;
        Transposes();
        if (cache) _norm.Forward(x, n, w.U);
        else SsmMath.LayerNormRows(_norm, x, n, w.U);
        _inProj.Forward(w.U, n, w.XZ);                                                 // (x_in | z)  (n, 2Di)
        // xp (K-1+T, B, Di): the carried inputs, then x_in
        var convState = state?["conv"];
        for (int j = 0; j < K - 1; j++)
            for (int b = 0; b < B; b++)
            {
                var dst = w.XP.AsSpan((j * B + b) * Di, Di);
                if (state is null) dst.Clear();
                else convState.AsSpan((b * (K - 1) + j) * Di, Di).CopyTo(dst);
            }
        for (int r = 0; r < n; r++) w.XZ.AsSpan(r * 2 * Di, Di).CopyTo(w.XP.AsSpan(((K - 1) * B + r) * Di, Di));
        CausalConv.Forward(w.XP, _wt, _convB.Value, w.Pre, T, B, Di, K);
        for (int i = 0; i < n * Di; i++) w.Xc[i] = SsmMath.Silu(w.Pre[i]);
        _xProj.Forward(w.Xc, n, w.Dbl);                                                // (d | B | C)  (n, R + 2N)
        var bdt = _dtProj.Bias!.Value;
        for (int r = 0; r < n; r++) bdt.CopyTo(w.DtPre.AsSpan(r * Di, Di));
        Gemm.Sgemm(false, true, n, Di, R, 1f, w.Dbl, P, _dtProj.Weight.Value, R, 1f, w.DtPre, Di, Threads);
        for (int i = 0; i < n * Di; i++) w.Delta[i] = ScanMath.Softplus(w.DtPre[i]);
        // h (B, N, Di) from the state's (B, Di, N)
        if (state is null) Array.Clear(w.H);
        else Transpose(state["h"], w.H, B, Di, N);
        SelectiveScan.Forward(w.Delta, w.Xc, w.Dbl, R, N, _at, w.H, w.Ys, w.Ck, T, B, Di, _tmp);
        var dskip = _d.Value;
        for (int r = 0; r < n; r++)
            for (int c = 0; c < Di; c++)
            {
                int i = r * Di + c;
                w.Ys[i] += dskip[c] * w.Xc[i];
                w.Yg[i] = w.Ys[i] * SsmMath.Silu(w.XZ[r * 2 * Di + Di + c]);
            }
        _outProj.Forward(w.Yg, n, w.Out);
        if (cache) _drop.Forward(w.Out.AsSpan(0, n * D), w.Out.AsSpan(0, n * D), training, rng);
        for (int i = 0; i < n * D; i++) w.Out[i] += x[i];
        if (state is null) return;
        Transpose(w.H, state["h"], B, N, Di);
        for (int j = 0; j < K - 1; j++)
            for (int b = 0; b < B; b++)
                w.XP.AsSpan(((T + j) * B + b) * Di, Di).CopyTo(convState!.AsSpan((b * (K - 1) + j) * Di, Di));
        state.Position += T;
    }

    /// <summary>Transposes each of <paramref name="B"/> <c>(rows, cols)</c> matrices of <paramref name="src"/> into <paramref name="dst"/>.</summary>
    private static void Transpose(ReadOnlySpan<float> src, Span<float> dst, int B, int rows, int cols)
    {
        int S = rows * cols;
        for (int b = 0; b < B; b++)
            for (int i = 0; i < rows; i++)
                for (int j = 0; j < cols; j++) dst[b * S + j * rows + i] = src[b * S + i * cols + j];
    }

    /// <summary><c>A^T = -exp(A_log)^T (N, Di)</c> and the convolution weight transposed <c>(K, Di)</c>.</summary>
    private void Transposes()
    {
        int Di = Inner, N = StateSize, K = ConvWidth;
        var aLog = _aLog.Value; var cw = _convW.Value;
        for (int c = 0; c < Di; c++)
        {
            for (int s = 0; s < N; s++) _at[s * Di + c] = -MathF.Exp(aLog[c * N + s]);
            for (int k = 0; k < K; k++) _wt[k * Di + c] = cw[c * K + k];
        }
    }

    /// <inheritdoc/>
    public override float[] Backward(float[] dy)
    {
        ArgumentNullException.ThrowIfNull(dy);
        if (_T == 0) throw new InvalidOperationException("Backward called before Forward.");
        var w = _train;
        int T = _T, B = _B, D = Width, Di = Inner, N = StateSize, K = ConvWidth, R = DtRank, P = R + 2 * N, n = T * B;
        EnsureBackward(n, B, D, Di, N, P);
        _inProj.Threads = _xProj.Threads = _outProj.Threads = Threads;
        Transposes();
        _drop.Backward(dy.AsSpan(0, n * D), _dx.AsSpan(0, n * D));                  // through the dropout; _dx is free until the end
        _outProj.Backward(w.Yg, _dx, n, _dYg);
        // gate: yg = ys ⊙ silu(z); then ys = scan + D ⊙ x_c
        var dskip = _d.Value; var dD = _d.Grad;
        for (int r = 0; r < n; r++)
            for (int c = 0; c < Di; c++)
            {
                int i = r * Di + c, iz = r * 2 * Di + Di + c;
                float z = w.XZ[iz], g = _dYg[i];
                float dys = g * SsmMath.Silu(z);
                _dXZ[iz] = g * w.Ys[i] * SsmMath.SiluGrad(z);
                _dYs[i] = dys;
                dD[c] += dys * w.Xc[i];
                _dXc[i] = dys * dskip[c];
            }
        Array.Clear(_dAt);
        SelectiveScan.Backward(w.Delta, w.Xc, w.Dbl, R, N, _at, w.Ck, _dYs, _dDelta, _dDbl, _dXc, _dAt, _hseg, _carry, T, B, Di, _tmp);
        var dALog = _aLog.Grad;
        for (int c = 0; c < Di; c++)
            for (int s = 0; s < N; s++) dALog[c * N + s] += _dAt[s * Di + c] * _at[s * Di + c];
        for (int i = 0; i < n * Di; i++) _dDelta[i] *= SsmMath.Sigmoid(w.DtPre[i]);           // softplus' = sigmoid
        Gemm.Sgemm(true, false, Di, R, n, 1f, _dDelta, Di, w.Dbl, P, 1f, _dtProj.Weight.Grad, R, Threads);
        Reduce.SumRows(_dDelta, n, Di, _dtProj.Bias!.Grad);
        Gemm.Sgemm(false, false, n, R, Di, 1f, _dDelta, Di, _dtProj.Weight.Value, R, 0f, _dDbl, P, Threads);
        Gemm.Sgemm(true, false, P, Di, n, 1f, _dDbl, P, w.Xc, Di, 1f, _xProj.Weight.Grad, Di, Threads);
        Gemm.Sgemm(false, false, n, Di, P, 1f, _dDbl, P, _xProj.Weight.Value, Di, 1f, _dXc, Di, Threads);
        for (int i = 0; i < n * Di; i++) _dXc[i] *= SsmMath.SiluGrad(w.Pre[i]);                // now d(pre)
        Array.Clear(_dwt);
        CausalConv.Backward(w.XP, _wt, _dXc, _dwt, _convB.Grad, _dXin, T, B, Di, K);
        var dcw = _convW.Grad;
        for (int c = 0; c < Di; c++)
            for (int k = 0; k < K; k++) dcw[c * K + k] += _dwt[k * Di + c];
        for (int r = 0; r < n; r++) _dXin.AsSpan(r * Di, Di).CopyTo(_dXZ.AsSpan(r * 2 * Di, Di));
        _inProj.Backward(w.U, _dXZ, n, _dU);
        _norm.Backward(_dU, n, _dx);
        for (int i = 0; i < n * D; i++) _dx[i] += dy[i];
        return _dx;
    }

    private void EnsureBackward(int n, int B, int D, int Di, int N, int P)
    {
        _dYg = Buffers.Ensure(_dYg, n * Di);                // (n, Di)
        _dYs = Buffers.Ensure(_dYs, n * Di);                // (n, Di)
        _dXZ = Buffers.Ensure(_dXZ, n * 2 * Di);            // (n, 2Di)
        _dXc = Buffers.Ensure(_dXc, n * Di);                // (n, Di)
        _dDelta = Buffers.Ensure(_dDelta, n * Di);          // (n, Di)
        _dDbl = Buffers.Ensure(_dDbl, n * P);               // (n, R + 2N)
        _dXin = Buffers.Ensure(_dXin, n * Di);              // (n, Di)
        _dU = Buffers.Ensure(_dU, n * D);                   // (n, D)
        _dx = Buffers.Ensure(_dx, n * D);                   // (n, D)
        _hseg = Buffers.Ensure(_hseg, SelectiveScan.Segment * B * N * Di);
        _carry = Buffers.Ensure(_carry, B * N * Di);
    }

    /// <summary>One pass's buffers (training's, kept for backward, and the per-token step's); <c>n = T B</c>.</summary>
    private sealed class Work
    {
        public float[] U = [], XZ = [], XP = [], Pre = [], Xc = [], Dbl = [], DtPre = [], Delta = [], Ys = [], Yg = [], Out = [], H = [], Ck = [];

        public void Ensure(int T, int B, int D, int Di, int N, int K, int P)
        {
            int n = T * B;
            U = Buffers.Ensure(U, n * D);                                   // (n, D)
            XZ = Buffers.Ensure(XZ, n * 2 * Di);                            // (n, 2Di): x_in | z
            XP = Buffers.Ensure(XP, (K - 1 + T) * B * Di);                  // (K-1+T, B, Di)
            Pre = Buffers.Ensure(Pre, n * Di);                              // (n, Di) conv output
            Xc = Buffers.Ensure(Xc, n * Di);                                // (n, Di) silu(conv)
            Dbl = Buffers.Ensure(Dbl, n * P);                               // (n, R + 2N)
            DtPre = Buffers.Ensure(DtPre, n * Di);                          // (n, Di)
            Delta = Buffers.Ensure(Delta, n * Di);                          // (n, Di)
            Ys = Buffers.Ensure(Ys, n * Di);                                // (n, Di) y before the gate
            Yg = Buffers.Ensure(Yg, n * Di);                                // (n, Di) y ⊙ silu(z)
            Out = Buffers.Ensure(Out, n * D);                               // (n, D) block output
            H = Buffers.Ensure(H, B * N * Di);                              // (B, N, Di)
            Ck = Buffers.Ensure(Ck, SelectiveScan.Segments(T) * B * N * Di); // (ceil(T/S), B, N, Di)
        }
    }
}
