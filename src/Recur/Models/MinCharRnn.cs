using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Recur.Kernels;

namespace Recur.Models;

/// <summary>Hyperparameters of <see cref="MinCharRnn"/>; the defaults are min-char-rnn's.</summary>
public sealed record MinCharOptions
{
    /// <summary>Hidden size H (min-char-rnn: 100).</summary>
    public int Hidden { get; init; } = 100;

    /// <summary>Steps to unroll the RNN for, T (min-char-rnn: 25).</summary>
    public int SeqLength { get; init; } = 25;

    /// <summary>Adagrad learning rate (min-char-rnn: 1e-1).</summary>
    public float LearningRate { get; init; } = 0.1f;

    /// <summary>Sample and report every this many iterations (min-char-rnn: 100).</summary>
    public int SampleEvery { get; init; } = 100;

    /// <summary>Characters per sample (min-char-rnn: 200).</summary>
    public int SampleLength { get; init; } = 200;

    /// <summary>Checks every field; the message names the field and the value.</summary>
    public void Validate()
    {
        if (Hidden < 1) throw new ArgumentException($"hidden must be positive, got {Hidden}.");
        if (SeqLength < 1) throw new ArgumentException($"seq-length must be positive, got {SeqLength}.");
        if (!(LearningRate > 0f) || float.IsInfinity(LearningRate))
            throw new ArgumentException($"learning rate must be a positive number, got {LearningRate}.");
        if (SampleEvery < 1) throw new ArgumentException($"sample-every must be positive, got {SampleEvery}.");
        if (SampleLength < 0) throw new ArgumentException($"sample length must be non-negative, got {SampleLength}.");
    }
}

/// <summary>One iteration of <see cref="MinCharRnn.Iterate"/>.</summary>
/// <param name="Iteration">n, counted from 0.</param>
/// <param name="Loss">This sequence's loss, summed over its T steps (nats).</param>
/// <param name="SmoothLoss"><c>smooth_loss = 0.999 smooth_loss + 0.001 loss</c>, after this iteration.</param>
/// <param name="Sample">A sample drawn before the update, when <c>n % SampleEvery == 0</c> (the moment min-char-rnn prints); else null.</param>
public sealed record MinCharStep(int Iteration, double Loss, double SmoothLoss, int[]? Sample);

/// <summary>
/// Karpathy's min-char-rnn, kept line for line: a vanilla RNN over one-hot characters,
/// <c>h_t = tanh(W_xh x_t + W_hh h_{t-1} + b_h)</c>, <c>y_t = W_hy h_t + b_y</c>, <c>p_t = softmax(y_t)</c>,
/// loss <c>sum_t -log p_t[target_t]</c> over a sequence of T characters; backpropagation through the T
/// steps; every gradient clipped to [-5, 5]; Adagrad <c>m += g^2</c>, <c>w -= lr g / sqrt(m + 1e-8)</c>.
/// The data pointer advances T characters per iteration and wraps to 0, resetting h, when
/// <c>p + T + 1 &gt;= len(data)</c>. Weights start at N(0, 1) * 0.01, biases at 0;
/// <c>smooth_loss</c> starts at <c>-log(1/V) * T</c>. Shapes as the original: <c>W_xh (H, V)</c>,
/// <c>W_hh (H, H)</c>, <c>W_hy (V, H)</c>, <c>b_h (H)</c>, <c>b_y (V)</c>, all row-major float32.
/// <para>
/// The arithmetic is the original's; only the grouping differs: <c>W_xh x_t</c> with one-hot
/// <c>x_t</c> is column <c>x_t</c> of <c>W_xh</c>; the output layer runs after the recurrence, and the
/// weight gradients <c>dW_hy</c> and <c>dW_hh</c> are each one pass of <see cref="OuterProducts"/> over all T
/// steps (the sum of T outer products without packing, cheaper than a packed GEMM at these sizes).
/// </para>
/// </summary>
public sealed class MinCharRnn
{
    private readonly int[] _data;
    private readonly Rng _rng;
    private readonly float[] _hs;     // (T+1, H): row 0 = h_{-1} (hprev), row t+1 = h_t
    private readonly float[] _ps;     // (T, V): probabilities, then dy
    private readonly float[] _dh;     // (T, H): dL/dh_t from the output, then dhraw
    private readonly float[] _dhnext, _tmp, _hprev, _sampleH, _sampleY;
    private readonly (float[] W, float[] D, float[] M)[] _all;
    private int _p, _n;

    /// <summary>
    /// A fresh model over <paramref name="data"/> (token ids in [0, <paramref name="vocabSize"/>)), weights
    /// drawn from <paramref name="rng"/>, which then also drives the samples.
    /// </summary>
    public MinCharRnn(int[] data, int vocabSize, MinCharOptions options, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(rng);
        options.Validate();
        Guard.Positive(vocabSize, nameof(vocabSize));
        if (data.Length < options.SeqLength + 1)
            throw new ArgumentException(
                $"the text has {data.Length} characters; min-char-rnn needs at least seq-length + 1 = {options.SeqLength + 1}.", nameof(data));
        for (int i = 0; i < data.Length; i++)
            if ((uint)data[i] >= (uint)vocabSize)
                throw new ArgumentOutOfRangeException(nameof(data), data[i], $"data[{i}] = {data[i]} is outside the vocabulary [0, {vocabSize}).");
        _data = data;
        _rng = rng;
        Options = options;
        int H = options.Hidden, V = vocabSize, T = options.SeqLength;
        VocabSize = V;
        Wxh = Randn(H * V); Whh = Randn(H * H); Why = Randn(V * H);
        Bh = new float[H]; By = new float[V];
        DWxh = new float[H * V]; DWhh = new float[H * H]; DWhy = new float[V * H]; DBh = new float[H]; DBy = new float[V];
        _all = [(Wxh, DWxh, new float[H * V]), (Whh, DWhh, new float[H * H]), (Why, DWhy, new float[V * H]), (Bh, DBh, new float[H]), (By, DBy, new float[V])];
        _hs = new float[(T + 1) * H];
        _ps = new float[T * V];
        _dh = new float[T * H];
        _dhnext = new float[H];
        _hprev = new float[H];
        _sampleH = new float[H];
        _sampleY = new float[V];
        _tmp = new float[Math.Max(H * H, V * H)];
        SmoothLoss = -Math.Log(1.0 / V) * T;

        float[] Randn(int n)
        {
            var w = new float[n];
            for (int i = 0; i < n; i++) w[i] = rng.NextGaussian() * 0.01f;
            return w;
        }
    }

    public MinCharOptions Options { get; }
    public int VocabSize { get; }
    public int Hidden => Options.Hidden;

    /// <summary>Input to hidden, <c>(H, V)</c>.</summary>
    public float[] Wxh { get; }
    /// <summary>Hidden to hidden, <c>(H, H)</c>.</summary>
    public float[] Whh { get; }
    /// <summary>Hidden to output, <c>(V, H)</c>.</summary>
    public float[] Why { get; }
    /// <summary>Hidden bias <c>(H)</c>.</summary>
    public float[] Bh { get; }
    /// <summary>Output bias <c>(V)</c>.</summary>
    public float[] By { get; }

    /// <summary>Gradients of the last <see cref="LossFun"/>, clipped, same shapes as the weights.</summary>
    public float[] DWxh { get; }
    public float[] DWhh { get; }
    public float[] DWhy { get; }
    public float[] DBh { get; }
    public float[] DBy { get; }

    /// <summary>Iterations done (n).</summary>
    public int Iteration => _n;

    /// <summary>The data pointer (p).</summary>
    public int Position => _p;

    /// <summary>The smoothed loss.</summary>
    public double SmoothLoss { get; private set; }

    /// <summary>
    /// One iteration of min-char-rnn's main loop: wrap the data pointer if needed, take T inputs
    /// and their next characters as targets, sample (every <see cref="MinCharOptions.SampleEvery"/>),
    /// forward/backward, smooth the loss, Adagrad, advance.
    /// </summary>
    public MinCharStep Iterate()
    {
        int T = Options.SeqLength;
        if (_p + T + 1 >= _data.Length || _n == 0)
        {
            Array.Clear(_hprev); // reset RNN memory
            _p = 0;              // go from start of data
        }
        var inputs = _data.AsSpan(_p, T);
        var targets = _data.AsSpan(_p + 1, T);
        int[]? sample = null;
        if (_n % Options.SampleEvery == 0)
        {
            sample = new int[Options.SampleLength];
            Sample(_hprev, inputs[0], sample, _rng);
        }
        double loss = LossFun(inputs, targets, _hprev);
        SmoothLoss = SmoothLoss * 0.999 + loss * 0.001;
        var step = new MinCharStep(_n, loss, SmoothLoss, sample);
        Adagrad(Options.LearningRate);
        _p += T;
        _n++;
        return step;
    }

    /// <summary>
    /// Forward and backward over one sequence from hidden state <paramref name="hprev"/> <c>(H)</c>, which is
    /// replaced by the last hidden state. Leaves the gradients, clipped to [-5, 5], in <see cref="DWxh"/>..
    /// <see cref="DBy"/> and returns the loss <c>sum_t -log p_t[targets[t]]</c>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public double LossFun(ReadOnlySpan<int> inputs, ReadOnlySpan<int> targets, Span<float> hprev)
    {
        int T = inputs.Length, H = Hidden, V = VocabSize;
        if (T < 1 || T > Options.SeqLength) throw new ArgumentException($"inputs has {T} steps; expected 1 to {Options.SeqLength}.", nameof(inputs));
        Guard.Length(targets.Length, T, nameof(targets));
        Guard.Length(hprev.Length, H, nameof(hprev));
        for (int t = 0; t < T; t++)
            if ((uint)inputs[t] >= (uint)V || (uint)targets[t] >= (uint)V)
                throw new ArgumentOutOfRangeException(nameof(inputs), $"step {t}: input {inputs[t]} / target {targets[t]} outside the vocabulary [0, {V}).");
        var hs = _hs.AsSpan(0, (T + 1) * H);
        var ps = _ps.AsSpan(0, T * V);
        var dhs = _dh.AsSpan(0, T * H);
        hprev.CopyTo(hs[..H]);

        // forward pass: hs[t] = tanh(Wxh x_t + Whh hs[t-1] + bh)
        for (int t = 0; t < T; t++)
        {
            var h = hs.Slice((t + 1) * H, H);
            int x = inputs[t];
            for (int r = 0; r < H; r++) h[r] = Wxh[r * V + x] + Bh[r]; // Wxh x_t, x_t one-hot
            Gemv.MultiplyAdd(Whh, H, H, hs.Slice(t * H, H), h);
            FastMath.Tanh(h, h);
        }
        // ys[t] = Why hs[t] + by for all t: (T, V) = hs (T, H) · Why^T; ps[t] = softmax(ys[t])
        for (int t = 0; t < T; t++)
        {
            var y = ps.Slice(t * V, V);
            By.CopyTo(y);
            Gemv.MultiplyAdd(Why, V, H, hs.Slice((t + 1) * H, H), y);
        }
        // ps[t] = exp(ys[t] - max) / sum, one pass per row
        double loss = 0;
        for (int t = 0; t < T; t++)
        {
            var p = ps.Slice(t * V, V);
            SoftmaxInPlace(p);
            loss -= Math.Log(p[targets[t]]); // softmax (cross-entropy loss)
        }

        // backward pass. dy = p - onehot(target), in place
        for (int t = 0; t < T; t++) ps[t * V + targets[t]] -= 1f;
        // dWhy = sum_t dy_t hs[t]^T = dY^T (V, T) · hs (T, H);  dby = sum_t dy_t
        Array.Clear(DWhy);
        OuterProducts.AddTransposedProduct(T, V, H, ps, V, hs[H..], H, DWhy, H);
        Array.Clear(DBy);
        Reduce.SumRows(ps, T, V, DBy);
        // Why^T dy_t for all t: (T, H) = dY (T, V) · Why (V, H)
        dhs.Clear();
        for (int t = 0; t < T; t++) Gemv.MultiplyAddTransposed(Why, V, H, ps.Slice(t * V, V), dhs.Slice(t * H, H));
        Array.Clear(DWxh);
        var dhnext = _dhnext.AsSpan();
        dhnext.Clear();
        for (int t = T - 1; t >= 0; t--)
        {
            var dh = dhs.Slice(t * H, H);
            TanhBackward(hs.Slice((t + 1) * H, H), dhnext, dh); // dhraw = (1 - h*h) * (Why^T dy + dhnext)
            int x = inputs[t];
            for (int r = 0; r < H; r++) DWxh[r * V + x] += dh[r]; // dWxh += dhraw x_t^T
            if (t > 0)
            {
                dhnext.Clear();
                Gemv.MultiplyAddTransposed(Whh, H, H, dh, dhnext); // dhnext = Whh^T dhraw
            }
        }
        // dbh = sum_t dhraw_t;  dWhh = sum_t dhraw_t hs[t-1]^T = dHraw^T (H, T) · hs[0..T-1] (T, H)
        Array.Clear(DBh);
        Reduce.SumRows(dhs, T, H, DBh);
        Array.Clear(DWhh);
        OuterProducts.AddTransposedProduct(T, H, H, dhs, H, hs, H, DWhh, H);

        foreach (var (_, d, _) in _all) TensorPrimitives.Clamp(d, -5f, 5f, d); // mitigate exploding gradients
        hs.Slice(T * H, H).CopyTo(hprev);
        return loss;
    }

    /// <summary><c>y = exp(y - max(y)) / sum(exp(y - max(y)))</c> with <see cref="FastMath.Exp(float)"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SoftmaxInPlace(Span<float> y)
    {
        int n = y.Length, i = 0;
        float max = float.NegativeInfinity;
        bool vec = FastMath.IsVectorized && n >= 8;
        if (vec)
        {
            var m = Vector256.Create(y[..8]);
            for (i = 8; i + 8 <= n; i += 8) m = Vector256.Max(m, Vector256.Create(y.Slice(i, 8)));
            for (int k = 0; k < 8; k++) max = MathF.Max(max, m[k]);
        }
        for (; i < n; i++) max = MathF.Max(max, y[i]);
        float sum = 0f;
        i = 0;
        if (vec)
        {
            var mv = Vector256.Create(max);
            var sv = Vector256<float>.Zero;
            for (; i + 8 <= n; i += 8)
            {
                var e = FastMath.Exp(Vector256.Create(y.Slice(i, 8)) - mv);
                e.CopyTo(y.Slice(i, 8));
                sv += e;
            }
            sum = Vector256.Sum(sv);
        }
        for (; i < n; i++) sum += y[i] = FastMath.Exp(y[i] - max);
        i = 0;
        if (vec)
        {
            var d = Vector256.Create(sum);
            for (; i + 8 <= n; i += 8) (Vector256.Create(y.Slice(i, 8)) / d).CopyTo(y.Slice(i, 8));
        }
        for (; i < n; i++) y[i] /= sum;
    }

    /// <summary><c>dh = (1 - h*h) * (dh + dhnext)</c>: backprop through tanh, in one pass.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TanhBackward(ReadOnlySpan<float> h, ReadOnlySpan<float> dhnext, Span<float> dh)
    {
        int n = dh.Length, i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var one = Vector256.Create(1f);
            for (; i + 8 <= n; i += 8)
            {
                var hv = Vector256.Create(h.Slice(i, 8));
                var d = Vector256.Create(dh.Slice(i, 8)) + Vector256.Create(dhnext.Slice(i, 8));
                ((one - hv * hv) * d).CopyTo(dh.Slice(i, 8));
            }
        }
        for (; i < n; i++) dh[i] = (1f - h[i] * h[i]) * (dh[i] + dhnext[i]);
    }

    /// <summary>Adagrad on every parameter: <c>m += g*g</c>, <c>w += -lr * g / sqrt(m + 1e-8)</c>.</summary>
    public void Adagrad(float learningRate)
    {
        foreach (var (w, d, m) in _all) AdagradUpdate(w, d, m, learningRate);
    }

    /// <summary>One pass over the three arrays (the square root and division set the pace, not memory).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AdagradUpdate(Span<float> w, ReadOnlySpan<float> g, Span<float> m, float lr)
    {
        int n = w.Length, i = 0;
        if (Avx.IsSupported && Fma.IsSupported)
        {
            // 1/sqrt(m + eps) from the hardware estimate (12 bits) and one Newton step (relative error
            // about 2e-7): the square root and the division cost several times as much.
            var eps = Vector256.Create(1e-8f);
            var nlr = Vector256.Create(-lr);
            var half = Vector256.Create(0.5f);
            var threeHalves = Vector256.Create(1.5f);
            ref float w0 = ref MemoryMarshal.GetReference(w);
            ref float g0 = ref MemoryMarshal.GetReference(g);
            ref float m0 = ref MemoryMarshal.GetReference(m);
            for (; i + 8 <= n; i += 8)
            {
                var gv = Vector256.LoadUnsafe(ref g0, (nuint)i);
                var mv = Vector256.FusedMultiplyAdd(gv, gv, Vector256.LoadUnsafe(ref m0, (nuint)i));
                mv.StoreUnsafe(ref m0, (nuint)i);
                var v = mv + eps;
                var r = Avx.ReciprocalSqrt(v);
                r *= Vector256.FusedMultiplyAdd(-half * v, r * r, threeHalves);
                Vector256.FusedMultiplyAdd(gv * r, nlr, Vector256.LoadUnsafe(ref w0, (nuint)i)).StoreUnsafe(ref w0, (nuint)i);
            }
        }
        for (; i < n; i++)
        {
            m[i] = MathF.FusedMultiplyAdd(g[i], g[i], m[i]);
            w[i] = MathF.FusedMultiplyAdd(g[i] / MathF.Sqrt(m[i] + 1e-8f), -lr, w[i]);
        }
    }

    /// <summary>
    /// Samples <c>output.Length</c> token ids from the model, starting from hidden state <paramref name="h"/>
    /// (not modified) with <paramref name="seedIx"/> as the first input: each step feeds the previous draw.
    /// </summary>
    public void Sample(ReadOnlySpan<float> h, int seedIx, Span<int> output, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        int H = Hidden, V = VocabSize;
        Guard.Length(h.Length, H, nameof(h));
        if ((uint)seedIx >= (uint)V) throw new ArgumentOutOfRangeException(nameof(seedIx), seedIx, $"seed index outside [0, {V}).");
        var hc = _sampleH.AsSpan();
        var y = _sampleY.AsSpan();
        var hn = _tmp.AsSpan(0, H);
        h.CopyTo(hc);
        int x = seedIx;
        for (int i = 0; i < output.Length; i++)
        {
            for (int r = 0; r < H; r++) hn[r] = Wxh[r * V + x] + Bh[r];
            Gemv.MultiplyAdd(Whh, H, H, hc, hn);
            FastMath.Tanh(hn, hc);
            By.CopyTo(y);
            Gemv.MultiplyAdd(Why, V, H, hc, y);
            TensorPrimitives.SoftMax(y, y);
            double u = rng.NextDouble(), acc = 0;
            x = V - 1;
            for (int k = 0; k < V; k++)
            {
                acc += y[k];
                if (u < acc) { x = k; break; }
            }
            output[i] = x;
        }
    }
}
