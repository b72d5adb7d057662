using Recur.Kernels;

namespace Recur.Nn.Blocks;

/// <summary>
/// The Linear Recurrent Unit (Orvieto et al. 2023, "Resurrecting Recurrent Neural Networks for Long
/// Sequences"), the S4/S5 family's diagonal state-space layer in its plainest form, as a pre-norm residual block:
/// <code>
/// u_t   = LN(x_t)
/// h_t   = lambda ⊙ h_{t-1} + gamma ⊙ (B u_t)            h ∈ C^N, B = B_re + i B_im  (N, D)
/// out_t = Re(C h_t) + D ⊙ u_t                            C = C_re + i C_im  (D, N)
/// y_t   = x_t + W_o GELU(out_t) + b_o
/// lambda = exp(-exp(nu_log) + i exp(theta_log)),  gamma = exp(gamma_log)
/// </code>
/// Choices: <c>N = D</c> complex units (the paper runs <c>N</c> of the order of the model width; the block does
/// not read <see cref="BlockOptions.StateSize"/>, which is Mamba's per-channel size); GELU is the tanh form (JAX's
/// default, which the paper's code calls); the paper's MLP/GLU after the recurrence is kept to one
/// <c>D -> D</c> linear. Initialisation (<see cref="Reset"/>) is the paper's: <c>|lambda|</c> uniform on the ring
/// <c>[0.9, 0.999]</c> (<c>|lambda|^2</c> uniform), phase uniform in <c>[0, pi/10]</c> (its long-range setting),
/// <c>gamma = sqrt(1 - |lambda|^2)</c>, <c>B_re, B_im ~ N(0, 1/(2D))</c>, <c>C_re, C_im ~ N(0, 1/N)</c>,
/// <c>D ~ N(0, 1)</c>, LN at (1, 0), the output linear at PyTorch's default.
/// <para>
/// Training runs the recurrence as a loop over time with each step vectorised over the whole <c>(B, N)</c>
/// state (the products before and after it, <c>u B^T</c> and <c>h C^T</c>, are one GEMM each over the chunk);
/// no parallel scan. Backward: with <c>G_t = dL/dRe h_t + i dL/dIm h_t</c> (the convention in which a real
/// loss's gradient through <c>w = a z</c> is <c>conj(a) G_w</c>), the output gives
/// <c>E_t = dout_t C_re - i dout_t C_im</c>, and the reverse recurrence is
/// <code>
/// G_t = E_t + conj(lambda) ⊙ G_{t+1}     (G_T = 0: the gradient stops at the chunk's end state)
/// dlambda = sum_t G_t ⊙ conj(h_{t-1})    dgamma = sum_t Re(conj(B u_t) ⊙ G_t)    d(B u_t) = gamma ⊙ G_t
/// dnu_log = -exp(nu_log) Re(conj(lambda) dlambda)     dtheta_log = exp(theta_log) Im(conj(lambda) dlambda)
/// dB_re = Re(d(Bu))^T u,  dB_im = Im(d(Bu))^T u,  du += Re(d(Bu)) B_re + Im(d(Bu)) B_im
/// dC_re = dout^T Re h,  dC_im = -dout^T Im h,  dD = sum dout ⊙ u
/// </code>
/// The state is <c>h</c> as two buffers <c>h_re</c>, <c>h_im</c> <c>(B, N)</c>.
/// </para>
/// </summary>
public sealed class LruBlock : SequenceBlock
{
    /// <summary>The ring the eigenvalues' moduli start on, and the largest starting phase (the paper's values).</summary>
    public const float RMin = 0.9f, RMax = 0.999f, MaxPhase = MathF.PI / 10f;

    private readonly LayerNorm _norm;
    private readonly Parameter _nuLog, _thetaLog, _gammaLog, _bRe, _bIm, _cRe, _cIm, _d;
    private readonly Linear _outProj;
    private readonly Work _train = new(), _step = new();
    private readonly Dropout _drop;  // residual dropout on the block's output before it joins the residual stream
    private readonly float[] _lr, _li, _gamma;                        // (N) each
    private readonly double[] _dlr, _dli, _dgamma;                    // (N) each
    private float[]? _dg, _dh, _dv, _du, _dx;                         // backward: (n, D), (n, 2N), (n, 2N), (n, D), (n, D)
    private int _T, _B;

    /// <summary>Registers <c>{path}.norm.*</c>, <c>nu_log, theta_log, gamma_log (N)</c>, <c>B_re, B_im (N, D)</c>,
    /// <c>C_re, C_im (D, N)</c>, <c>D (D)</c> and <c>{path}.out_proj.*</c>, with <c>N = D</c>; <paramref name="dropout"/>
    /// acts on the block's output before the residual sum, in training only.</summary>
    public LruBlock(ParameterStore store, string path, int width, float dropout = 0f) : base(path, width)
    {
        ArgumentNullException.ThrowIfNull(store);
        _drop = new Dropout(dropout);
        int D = width, N = width;
        StateUnits = N;
        _norm = new LayerNorm(store, Naming.Join(path, "norm"), D);
        _nuLog = store.Add(Naming.Join(path, "nu_log"), N);
        _thetaLog = store.Add(Naming.Join(path, "theta_log"), N);
        _gammaLog = store.Add(Naming.Join(path, "gamma_log"), N);
        _bRe = store.Add(Naming.Join(path, "B_re"), N, D);
        _bIm = store.Add(Naming.Join(path, "B_im"), N, D); // right after B_re: together the (2N, D) matrix [B_re; B_im]
        _cRe = store.Add(Naming.Join(path, "C_re"), D, N);
        _cIm = store.Add(Naming.Join(path, "C_im"), D, N);
        _d = store.Add(Naming.Join(path, "D"), D);
        _outProj = new Linear(store, Naming.Join(path, "out_proj"), D, D);
        _lr = new float[N]; _li = new float[N]; _gamma = new float[N];
        _dlr = new double[N]; _dli = new double[N]; _dgamma = new double[N];
    }

    /// <summary>Complex state units <c>N</c> (= <c>D</c>).</summary>
    public int StateUnits { get; }

    /// <inheritdoc/>
    public override string Kind => "lru";

    /// <inheritdoc/>
    public override IReadOnlyList<Parameter> Parameters =>
        [_norm.Weight, _norm.Bias, _nuLog, _thetaLog, _gammaLog, _bRe, _bIm, _cRe, _cIm, _d, _outProj.Weight, _outProj.Bias!];

    /// <summary><c>[B_re; B_im]</c> as one <c>(2N, D)</c> matrix (the two parameters are adjacent in the arena).</summary>
    private Span<float> BCat => _bRe.Store.Values.AsSpan(_bRe.Offset, 2 * _bRe.Length);

    private Span<float> BCatGrad => _bRe.Store.Grads.AsSpan(_bRe.Offset, 2 * _bRe.Length);

    /// <inheritdoc/>
    public override void Reset(Rng rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        int N = StateUnits, D = Width;
        _norm.Reset();
        var nu = _nuLog.Value; var theta = _thetaLog.Value; var gl = _gammaLog.Value;
        for (int n = 0; n < N; n++)
        {
            double r2 = RMin * RMin + rng.NextDouble() * (RMax * RMax - RMin * RMin); // |lambda|^2 uniform on the ring
            double nuv = -0.5 * Math.Log(r2);                                          // |lambda| = exp(-nu)
            nu[n] = (float)Math.Log(nuv);
            theta[n] = (float)Math.Log(MaxPhase * Math.Max(rng.NextDouble(), 1e-7));
            gl[n] = (float)(0.5 * Math.Log(1.0 - r2));                                  // gamma = sqrt(1 - |lambda|^2)
        }
        Gaussian(rng, _bRe.Value, 1f / MathF.Sqrt(2f * D));
        Gaussian(rng, _bIm.Value, 1f / MathF.Sqrt(2f * D));
        Gaussian(rng, _cRe.Value, 1f / MathF.Sqrt(N));
        Gaussian(rng, _cIm.Value, 1f / MathF.Sqrt(N));
        Gaussian(rng, _d.Value, 1f);
        _outProj.Reset(rng);
    }

    private static void Gaussian(Rng rng, Span<float> dst, float std)
    {
        for (int i = 0; i < dst.Length; i++) dst[i] = std * rng.NextGaussian();
    }

    /// <inheritdoc/>
    public override BlockState NewState(int batch) => new(batch, ("h_re", batch * StateUnits), ("h_im", batch * StateUnits));

    /// <inheritdoc/>
    public override float[] Forward(float[] x, int T, int B, BlockState? state, bool training, Rng? rng)
    {
        ArgumentNullException.ThrowIfNull(x);
        Guard.Positive(T, nameof(T));
        Guard.Positive(B, nameof(B));
        Run(x, T, B, state, _train, cache: true, training, rng);
        _T = T; _B = B;
        return _train.Y;
    }

    /// <inheritdoc/>
    public override void Step(ReadOnlySpan<float> x, Span<float> y, BlockState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        Run(x, 1, state.Batch, state, _step, cache: false, training: false, rng: null);
        _step.Y.AsSpan(0, state.Batch * Width).CopyTo(y);
    }

    /// <summary>
    /// The block over <c>x (T, B, D)</c> into <paramref name="w"/>; <paramref name="cache"/>: the layer norm keeps what
    /// backward needs; with <paramref name="training"/> the residual dropout draws its mask from <paramref name="rng"/>.
    /// </summary>
    private void Run(ReadOnlySpan<float> x, int T, int B, BlockState? state, Work w, bool cache, bool training, Rng? rng)
    {
        int D = Width, N = StateUnits, W = 2 * N, n = T * B;
        if (x.Length < n * D) throw new ArgumentException($"x holds {x.Length} values, (T, B, D) = ({T}, {B}, {D}) needs {n * D}.", nameof(x));
        if (state is not null && state.Batch != B) throw new ArgumentException($"state has {state.Batch} rows, the chunk {B}.", nameof(state));
        w.Ensure(n, B, D, N);
        _outProj.Threads = Threads;
        if (cache) _norm.Forward(x, n, w.U);
        else SsmMath.LayerNormRows(_norm, x, n, w.U);
        Gemm.Sgemm(false, true, n, W, D, 1f, w.U, D, BCat, D, 0f, w.V, W, Threads);   // v = u [B_re; B_im]^T  (n, 2N)
        LruKernels.Eigenvalues(_nuLog.Value, _thetaLog.Value, _gammaLog.Value, _lr, _li, _gamma);
        if (state is null) Array.Clear(w.H0);
        else
            for (int b = 0; b < B; b++)
            {
                state["h_re"].AsSpan(b * N, N).CopyTo(w.H0.AsSpan(b * W, N));
                state["h_im"].AsSpan(b * N, N).CopyTo(w.H0.AsSpan(b * W + N, N));
            }
        LruKernels.Scan(_lr, _li, _gamma, w.V, w.H0, w.H, T, B, N);
        // out = Re(h) C_re^T - Im(h) C_im^T + D ⊙ u
        Gemm.Sgemm(false, true, n, D, N, 1f, w.H, W, _cRe.Value, N, 0f, w.Out, D, Threads);
        Gemm.Sgemm(false, true, n, D, N, -1f, w.H.AsSpan(N), W, _cIm.Value, N, 1f, w.Out, D, Threads);
        var dskip = _d.Value;
        for (int r = 0; r < n; r++)
            for (int j = 0; j < D; j++)
            {
                int i = r * D + j;
                w.Out[i] += dskip[j] * w.U[i];
            }
        GeluTanh.Forward(w.Out.AsSpan(0, n * D), w.G);
        _outProj.Forward(w.G, n, w.Y);
        if (cache) _drop.Forward(w.Y.AsSpan(0, n * D), w.Y.AsSpan(0, n * D), training, rng);
        for (int i = 0; i < n * D; i++) w.Y[i] += x[i];
        if (state is null) return;
        var last = w.H.AsSpan((T - 1) * B * W, B * W);
        for (int b = 0; b < B; b++)
        {
            last.Slice(b * W, N).CopyTo(state["h_re"].AsSpan(b * N, N));
            last.Slice(b * W + N, N).CopyTo(state["h_im"].AsSpan(b * N, N));
        }
        state.Position += T;
    }

    /// <inheritdoc/>
    public override float[] Backward(float[] dy)
    {
        ArgumentNullException.ThrowIfNull(dy);
        var w = _train;
        if (_T == 0) throw new InvalidOperationException("Backward called before Forward.");
        int T = _T, B = _B, D = Width, N = StateUnits, W = 2 * N, n = T * B;
        _dg = Buffers.Ensure(_dg, n * D);
        _dh = Buffers.Ensure(_dh, n * W);
        _dv = Buffers.Ensure(_dv, n * W);
        _du = Buffers.Ensure(_du, n * D);
        _dx = Buffers.Ensure(_dx, n * D);
        _outProj.Threads = Threads;
        _drop.Backward(dy.AsSpan(0, n * D), _dx.AsSpan(0, n * D));                  // through the dropout; _dx is free until the end
        _outProj.Backward(w.G, _dx, n, _dg);
        // dout = dg ⊙ GELU'(out) (in place); dD = sum dout ⊙ u; du = dout ⊙ D
        var dskip = _d.Value; var dD = _d.Grad;
        GeluTanh.Backward(w.Out.AsSpan(0, n * D), _dg.AsSpan(0, n * D));
        for (int r = 0; r < n; r++)
            for (int j = 0; j < D; j++)
            {
                int i = r * D + j;
                float g = _dg[i];
                dD[j] += g * w.U[i];
                _du[i] = g * dskip[j];
            }
        Gemm.Sgemm(true, false, D, N, n, 1f, _dg, D, w.H, W, 1f, _cRe.Grad, N, Threads);
        Gemm.Sgemm(true, false, D, N, n, -1f, _dg, D, w.H.AsSpan(N), W, 1f, _cIm.Grad, N, Threads);
        Gemm.Sgemm(false, false, n, N, D, 1f, _dg, D, _cRe.Value, N, 0f, _dh, W, Threads);              // E_re = dout C_re
        Gemm.Sgemm(false, false, n, N, D, -1f, _dg, D, _cIm.Value, N, 0f, _dh.AsSpan(N), W, Threads);   // E_im = -dout C_im
        Array.Clear(_dlr); Array.Clear(_dli); Array.Clear(_dgamma);
        LruKernels.ScanBackward(_lr, _li, _gamma, w.V, w.H0, w.H, _dh, _dv, _dlr, _dli, _dgamma, T, B, N);
        LruKernels.ParameterGrads(_nuLog.Value, _thetaLog.Value, _lr, _li, _gamma, _dlr, _dli, _dgamma,
            _nuLog.Grad, _thetaLog.Grad, _gammaLog.Grad);
        Gemm.Sgemm(true, false, W, D, n, 1f, _dv, W, w.U, D, 1f, BCatGrad, D, Threads);    // d[B_re; B_im] += dv^T u
        Gemm.Sgemm(false, false, n, D, W, 1f, _dv, W, BCat, D, 1f, _du, D, Threads);       // du += dv [B_re; B_im]
        _norm.Backward(_du, n, _dx);
        for (int i = 0; i < n * D; i++) _dx[i] += dy[i];
        return _dx;
    }

    /// <summary>One pass's buffers (training's, kept for backward, and the per-token step's).</summary>
    private sealed class Work
    {
        public float[] U = [], V = [], H = [], H0 = [], Out = [], G = [], Y = [];

        /// <summary>u, out, GELU(out), y <c>(n, D)</c>; v = B u and h <c>(n, 2N)</c>; h0 <c>(B, 2N)</c>.</summary>
        public void Ensure(int n, int B, int D, int N)
        {
            U = Buffers.Ensure(U, n * D);
            V = Buffers.Ensure(V, n * 2 * N);
            H = Buffers.Ensure(H, n * 2 * N);
            H0 = Buffers.Ensure(H0, B * 2 * N);
            Out = Buffers.Ensure(Out, n * D);
            G = Buffers.Ensure(G, n * D);
            Y = Buffers.Ensure(Y, n * D);
        }
    }
}
