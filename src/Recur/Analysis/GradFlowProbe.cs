using System.Numerics.Tensors;
using Recur.Nn;

namespace Recur.Analysis;

/// <summary>
/// A recurrent stack (same equations, parameter layout and gate order as <see cref="Recurrent"/>)
/// re-run in double precision for gradient-flow analysis: the forward keeps every layer's
/// <c>h_t</c>, <c>c_t</c> and gates, and <see cref="Backward"/> returns <c>||dL/dh_t||</c> for every
/// layer and step when the loss sees only the top layer's last hidden state.
/// <para>
/// The backward pass is linear in the seed gradient, so each batch row's carried gradient is kept
/// as a unit vector times <c>10^s</c> and renormalised every step: norms as small as <c>10^-300</c> or as
/// large as <c>10^300</c> are measured exactly, where float (or even unscaled double) arithmetic
/// would underflow or overflow after a few hundred steps.
/// </para>
/// </summary>
public sealed class GradFlowProbe
{
    private readonly double[][] _wih, _whh, _bih, _bhh;

    /// <summary>A stack with zero weights; set them through <see cref="WeightIh"/> etc.</summary>
    public GradFlowProbe(CellKind kind, int inputSize, int hiddenSize, int layers)
    {
        Guard.Positive(inputSize, nameof(inputSize));
        Guard.Positive(hiddenSize, nameof(hiddenSize));
        Guard.Positive(layers, nameof(layers));
        Kind = kind;
        InputSize = inputSize;
        HiddenSize = hiddenSize;
        Layers = layers;
        Gates = kind switch { CellKind.Lstm => 4, CellKind.Gru or CellKind.GruResetBefore => 3, _ => 1 };
        _wih = new double[layers][]; _whh = new double[layers][]; _bih = new double[layers][]; _bhh = new double[layers][];
        for (int l = 0; l < layers; l++)
        {
            _wih[l] = new double[Gates * hiddenSize * (l == 0 ? inputSize : hiddenSize)];
            _whh[l] = new double[Gates * hiddenSize * hiddenSize];
            _bih[l] = new double[Gates * hiddenSize];
            _bhh[l] = new double[Gates * hiddenSize];
        }
    }

    /// <summary>Copies the weights of <paramref name="rnn"/> (a missing bias reads as zero).</summary>
    public static GradFlowProbe FromRecurrent(Recurrent rnn)
    {
        ArgumentNullException.ThrowIfNull(rnn);
        var p = new GradFlowProbe(rnn.Kind, rnn.InputSize, rnn.HiddenSize, rnn.NumLayers);
        for (int l = 0; l < rnn.NumLayers; l++)
        {
            var (wih, whh, bih, bhh) = rnn.LayerParameters(l);
            Copy(wih.Value, p._wih[l]);
            Copy(whh.Value, p._whh[l]);
            if (bih is not null) Copy(bih.Value, p._bih[l]);
            if (bhh is not null) Copy(bhh.Value, p._bhh[l]);
        }
        return p;
    }

    private static void Copy(ReadOnlySpan<float> src, double[] dst)
    {
        for (int i = 0; i < dst.Length; i++) dst[i] = src[i];
    }

    public CellKind Kind { get; }
    public int InputSize { get; }
    public int HiddenSize { get; }
    public int Layers { get; }

    /// <summary>Gate blocks per layer: 1 (RNN), 4 (LSTM: i, f, g, o), 3 (GRU: r, z, n).</summary>
    public int Gates { get; }

    /// <summary>Layer <paramref name="l"/>'s <c>W_ih</c>, <c>(G*H, in)</c> row-major (mutable).</summary>
    public double[] WeightIh(int l) => _wih[l];

    /// <summary>Layer <paramref name="l"/>'s <c>W_hh</c>, <c>(G*H, H)</c> row-major (mutable).</summary>
    public double[] WeightHh(int l) => _whh[l];

    /// <summary>Layer <paramref name="l"/>'s <c>b_ih</c>, <c>(G*H)</c> (mutable).</summary>
    public double[] BiasIh(int l) => _bih[l];

    /// <summary>Layer <paramref name="l"/>'s <c>b_hh</c>, <c>(G*H)</c> (mutable).</summary>
    public double[] BiasHh(int l) => _bhh[l];

    /// <summary>
    /// Runs the stack over <paramref name="x"/> <c>(T, B, input)</c> time-major from zero states and
    /// records everything <see cref="Backward"/> needs.
    /// </summary>
    public GradFlowTrace Forward(ReadOnlySpan<double> x, int T, int B)
    {
        Guard.Positive(T, nameof(T));
        Guard.Positive(B, nameof(B));
        Guard.Length(x.Length, T * B * InputSize, nameof(x));
        int H = HiddenSize, G = Gates, GH = G * H;
        var tr = new GradFlowTrace(this, T, B);
        double[] input = x.ToArray();
        for (int l = 0; l < Layers; l++)
        {
            int inl = l == 0 ? InputSize : H;
            var wih = _wih[l]; var whh = _whh[l]; var bih = _bih[l]; var bhh = _bhh[l];
            var hs = tr.H[l]; var cs = tr.C[l]; var acts = tr.Act[l]; var aux = tr.Aux[l];
            var pre = new double[GH];
            var hid = new double[GH];
            for (int t = 0; t < T; t++)
            for (int b = 0; b < B; b++)
            {
                ReadOnlySpan<double> xt = input.AsSpan((t * B + b) * inl, inl);
                ReadOnlySpan<double> hp = hs.AsSpan((t * B + b) * H, H);          // h_{t-1} (slot t)
                var ht = hs.AsSpan(((t + 1) * B + b) * H, H);                     // h_t (slot t+1)
                var a = acts.AsSpan((t * B + b) * GH, GH);
                MatVec(wih, xt, pre); TensorPrimitives.Add(pre, bih, pre);
                switch (Kind)
                {
                    case CellKind.RnnTanh or CellKind.RnnRelu or CellKind.Lstm:
                        MatVec(whh, hp, hid); TensorPrimitives.Add(hid, bhh, hid);
                        TensorPrimitives.Add(pre, hid, a);
                        break;
                    case CellKind.Gru:
                    {
                        MatVec(whh, hp, hid); TensorPrimitives.Add(hid, bhh, hid);
                        TensorPrimitives.Add(pre.AsSpan(0, 2 * H), hid.AsSpan(0, 2 * H), a[..(2 * H)]);
                        hid.AsSpan(2 * H, H).CopyTo(aux.AsSpan((t * B + b) * H, H)); // W_hn h + b_hn
                        break;
                    }
                    case CellKind.GruResetBefore:
                    {
                        // r, z from the full products; n needs W_hn (r * h) after r is known.
                        MatVec(whh.AsSpan(0, 2 * H * H), hp, hid.AsSpan(0, 2 * H));
                        for (int i = 0; i < 2 * H; i++) a[i] = pre[i] + hid[i] + bhh[i];
                        break;
                    }
                }
                switch (Kind)
                {
                    case CellKind.RnnTanh:
                        TensorPrimitives.Tanh(a, a); a.CopyTo(ht);
                        break;
                    case CellKind.RnnRelu:
                        for (int j = 0; j < H; j++) a[j] = Math.Max(0.0, a[j]);
                        a.CopyTo(ht);
                        break;
                    case CellKind.Lstm:
                    {
                        ReadOnlySpan<double> cp = cs.AsSpan((t * B + b) * H, H);
                        var ct = cs.AsSpan(((t + 1) * B + b) * H, H);
                        for (int j = 0; j < H; j++)
                        {
                            double i = Sigmoid(a[j]), f = Sigmoid(a[H + j]), g = Math.Tanh(a[2 * H + j]), o = Sigmoid(a[3 * H + j]);
                            a[j] = i; a[H + j] = f; a[2 * H + j] = g; a[3 * H + j] = o;
                            ct[j] = f * cp[j] + i * g;
                            ht[j] = o * Math.Tanh(ct[j]);
                        }
                        break;
                    }
                    case CellKind.Gru:
                    {
                        var hn = aux.AsSpan((t * B + b) * H, H);
                        for (int j = 0; j < H; j++)
                        {
                            double r = Sigmoid(a[j]), z = Sigmoid(a[H + j]);
                            double n = Math.Tanh(pre[2 * H + j] + r * hn[j]);
                            a[j] = r; a[H + j] = z; a[2 * H + j] = n;
                            ht[j] = (1 - z) * n + z * hp[j];
                        }
                        break;
                    }
                    case CellKind.GruResetBefore:
                    {
                        var rh = aux.AsSpan((t * B + b) * H, H);
                        for (int j = 0; j < 2 * H; j++) a[j] = Sigmoid(a[j]);
                        for (int j = 0; j < H; j++) rh[j] = a[j] * hp[j];
                        MatVec(whh.AsSpan(2 * H * H, H * H), rh, hid.AsSpan(2 * H, H));
                        for (int j = 0; j < H; j++)
                        {
                            double z = a[H + j];
                            double n = Math.Tanh(pre[2 * H + j] + hid[2 * H + j] + bhh[2 * H + j]);
                            a[2 * H + j] = n;
                            ht[j] = (1 - z) * n + z * hp[j];
                        }
                        break;
                    }
                }
            }
            // Next layer's input: this layer's h_1..h_T.
            input = hs.AsSpan(B * H, T * B * H).ToArray();
        }
        return tr;
    }

    /// <summary>
    /// Backpropagates a loss that depends only on the top layer's last hidden state, with
    /// <paramref name="dhTop"/> = <c>dL/dh_{T-1}</c> of the top layer <c>(B, H)</c>, and returns
    /// <c>log10 ||dL/dh_t||</c> (and for LSTM <c>log10 ||dL/dc_t||</c>) of every layer, step and batch row.
    /// </summary>
    public GradFlowNorms Backward(GradFlowTrace trace, ReadOnlySpan<double> dhTop)
    {
        ArgumentNullException.ThrowIfNull(trace);
        if (!ReferenceEquals(trace.Probe, this)) throw new ArgumentException("the trace was recorded by another probe.", nameof(trace));
        int T = trace.T, B = trace.B, H = HiddenSize, G = Gates, GH = G * H;
        Guard.Length(dhTop.Length, B * H, nameof(dhTop));
        var norms = new GradFlowNorms(Layers, T, B, Kind == CellKind.Lstm);
        norms.AllocateInitial(H);

        // Gradient arriving from above at each (t, b): unit vector dIn times 10^sIn.
        var dIn = new double[T * B * H];
        var sIn = new double[T * B];
        Array.Fill(sIn, double.NegativeInfinity);
        for (int b = 0; b < B; b++)
        {
            var src = dhTop.Slice(b * H, H);
            double n = Math.Sqrt(TensorPrimitives.Dot(src, src));
            if (n == 0) continue;
            TensorPrimitives.Divide(src, n, dIn.AsSpan(((T - 1) * B + b) * H, H));
            sIn[(T - 1) * B + b] = Math.Log10(n);
        }

        var dh = new double[H]; var dc = new double[H]; var da = new double[GH];
        var dhPrev = new double[H]; var tmp = new double[H];
        for (int l = Layers - 1; l >= 0; l--)
        {
            bool below = l > 0;
            var dOut = below ? new double[T * B * H] : null;
            var sOut = below ? new double[T * B] : null;
            if (sOut is not null) Array.Fill(sOut, double.NegativeInfinity);
            var wih = _wih[l]; var whh = _whh[l];
            var hs = trace.H[l]; var cs = trace.C[l]; var acts = trace.Act[l]; var aux = trace.Aux[l];
            for (int b = 0; b < B; b++)
            {
                Array.Clear(dh); Array.Clear(dc);
                double sc = double.NegativeInfinity; // carry scale (log10)
                for (int t = T - 1; t >= 0; t--)
                {
                    int tb = t * B + b;
                    double s = Math.Max(sc, sIn[tb]);
                    if (double.IsNegativeInfinity(s))
                    {
                        norms.SetH(l, t, b, double.NegativeInfinity);
                        if (norms.HasC) norms.SetC(l, t, b, double.NegativeInfinity);
                        continue;
                    }
                    double kc = Math.Pow(10, sc - s), ki = Math.Pow(10, sIn[tb] - s);
                    var din = dIn.AsSpan(tb * H, H);
                    for (int j = 0; j < H; j++) dh[j] = dh[j] * kc + din[j] * ki;
                    if (kc != 1) TensorPrimitives.Multiply(dc, kc, dc);
                    sc = s;
                    norms.SetH(l, t, b, sc + Math.Log10(Math.Sqrt(TensorPrimitives.Dot<double>(dh, dh))));

                    ReadOnlySpan<double> a = acts.AsSpan(tb * GH, GH);
                    ReadOnlySpan<double> ht = hs.AsSpan((tb + B) * H, H);
                    ReadOnlySpan<double> hp = hs.AsSpan(tb * H, H);
                    switch (Kind)
                    {
                        case CellKind.RnnTanh:
                            for (int j = 0; j < H; j++) da[j] = dh[j] * (1 - ht[j] * ht[j]);
                            MatTVec(whh, da, dhPrev);
                            break;
                        case CellKind.RnnRelu:
                            for (int j = 0; j < H; j++) da[j] = ht[j] > 0 ? dh[j] : 0;
                            MatTVec(whh, da, dhPrev);
                            break;
                        case CellKind.Lstm:
                        {
                            ReadOnlySpan<double> ct = cs.AsSpan((tb + B) * H, H), cp = cs.AsSpan(tb * H, H);
                            for (int j = 0; j < H; j++)
                            {
                                double i = a[j], f = a[H + j], g = a[2 * H + j], o = a[3 * H + j];
                                double tc = Math.Tanh(ct[j]);
                                double dcj = dc[j] + dh[j] * o * (1 - tc * tc); // total dL/dc_t
                                da[3 * H + j] = dh[j] * tc * o * (1 - o);
                                da[j] = dcj * g * i * (1 - i);
                                da[2 * H + j] = dcj * i * (1 - g * g);
                                da[H + j] = dcj * cp[j] * f * (1 - f);
                                tmp[j] = dcj;
                                dc[j] = dcj * f;
                            }
                            norms.SetC(l, t, b, sc + Math.Log10(Math.Sqrt(TensorPrimitives.Dot<double>(tmp, tmp))));
                            MatTVec(whh, da, dhPrev);
                            break;
                        }
                        case CellKind.Gru:
                        {
                            ReadOnlySpan<double> hn = aux.AsSpan(tb * H, H);
                            for (int j = 0; j < H; j++)
                            {
                                double r = a[j], z = a[H + j], n = a[2 * H + j];
                                double dan = dh[j] * (1 - z) * (1 - n * n);
                                da[H + j] = dh[j] * (hp[j] - n) * z * (1 - z);
                                da[j] = dan * hn[j] * r * (1 - r);
                                da[2 * H + j] = dan;
                                tmp[j] = dan * r; // hidden-side gradient of the n block
                            }
                            // dh_{t-1} = dh z + W_hr^T dar + W_hz^T daz + W_hn^T (dan r)
                            MatTVec(whh.AsSpan(0, 2 * H * H), da.AsSpan(0, 2 * H), dhPrev);
                            for (int j = 0; j < H; j++) dhPrev[j] += dh[j] * a[H + j];
                            MatTVecAdd(whh.AsSpan(2 * H * H, H * H), tmp, dhPrev);
                            break;
                        }
                        case CellKind.GruResetBefore:
                        {
                            for (int j = 0; j < H; j++)
                            {
                                double z = a[H + j], n = a[2 * H + j];
                                da[2 * H + j] = dh[j] * (1 - z) * (1 - n * n);
                                da[H + j] = dh[j] * (hp[j] - n) * z * (1 - z);
                            }
                            MatTVec(whh.AsSpan(2 * H * H, H * H), da.AsSpan(2 * H, H), tmp); // d(r*h)
                            for (int j = 0; j < H; j++)
                            {
                                double r = a[j];
                                da[j] = tmp[j] * hp[j] * r * (1 - r);
                                dhPrev[j] = dh[j] * a[H + j] + tmp[j] * r;
                            }
                            MatTVecAdd(whh.AsSpan(0, 2 * H * H), da.AsSpan(0, 2 * H), dhPrev);
                            break;
                        }
                    }
                    if (below)
                    {
                        var dx = dOut.AsSpan(tb * H, H);
                        MatTVec(wih, da, dx);
                        double nx = Math.Sqrt(TensorPrimitives.Dot<double>(dx, dx));
                        if (nx > 0) { TensorPrimitives.Divide(dx, nx, dx); sOut![tb] = sc + Math.Log10(nx); }
                    }
                    dhPrev.CopyTo(dh, 0);
                    if (t == 0)
                    {
                        double k0 = Math.Pow(10, sc);
                        for (int j = 0; j < H; j++) norms.InitialH[l][b * H + j] = dh[j] * k0;
                        if (norms.HasC) for (int j = 0; j < H; j++) norms.InitialC[l][b * H + j] = dc[j] * k0;
                    }
                    double nn = TensorPrimitives.Dot<double>(dh, dh) + TensorPrimitives.Dot<double>(dc, dc);
                    if (nn > 0)
                    {
                        double k = 1 / Math.Sqrt(nn);
                        TensorPrimitives.Multiply(dh, k, dh);
                        TensorPrimitives.Multiply(dc, k, dc);
                        sc += 0.5 * Math.Log10(nn);
                    }
                    else sc = double.NegativeInfinity;
                }
            }
            if (below) { dIn = dOut!; sIn = sOut!; }
        }
        return norms;
    }

    private static double Sigmoid(double v) => 1 / (1 + Math.Exp(-v));

    /// <summary>y = W v, W (y.Length, v.Length).</summary>
    private static void MatVec(ReadOnlySpan<double> w, ReadOnlySpan<double> v, Span<double> y)
    {
        int n = v.Length;
        for (int i = 0; i < y.Length; i++) y[i] = TensorPrimitives.Dot(w.Slice(i * n, n), v);
    }

    /// <summary>y = W^T v, W (v.Length, y.Length).</summary>
    private static void MatTVec(ReadOnlySpan<double> w, ReadOnlySpan<double> v, Span<double> y)
    {
        y.Clear();
        MatTVecAdd(w, v, y);
    }

    private static void MatTVecAdd(ReadOnlySpan<double> w, ReadOnlySpan<double> v, Span<double> y)
    {
        int n = y.Length;
        for (int i = 0; i < v.Length; i++)
            if (v[i] != 0) TensorPrimitives.MultiplyAdd(w.Slice(i * n, n), v[i], y, y);
    }
}

/// <summary>What <see cref="GradFlowProbe.Forward"/> recorded: every layer's states and gates, double precision.</summary>
public sealed class GradFlowTrace
{
    internal GradFlowTrace(GradFlowProbe probe, int t, int b)
    {
        Probe = probe; T = t; B = b;
        int L = probe.Layers, H = probe.HiddenSize, GH = probe.Gates * H;
        H_ = new double[L][]; C = new double[L][]; Act = new double[L][]; Aux = new double[L][];
        for (int l = 0; l < L; l++)
        {
            H_[l] = new double[(t + 1) * b * H];
            C[l] = probe.Kind == CellKind.Lstm ? new double[(t + 1) * b * H] : [];
            Act[l] = new double[t * b * GH];
            Aux[l] = probe.Kind is CellKind.Gru or CellKind.GruResetBefore ? new double[t * b * H] : [];
        }
    }

    private readonly double[][] H_;

    internal GradFlowProbe Probe { get; }

    /// <summary>Steps.</summary>
    public int T { get; }

    /// <summary>Batch rows (independent sequences).</summary>
    public int B { get; }

    /// <summary>Per layer, <c>h</c> at slots 0..T (slot 0 is h_0 = 0, slot t+1 is h_t), each <c>(B, H)</c>.</summary>
    internal double[][] H => H_;

    /// <summary>Per layer, LSTM <c>c</c> at slots 0..T; empty for other cells.</summary>
    internal double[][] C { get; }

    /// <summary>Per layer, activated gates <c>(T, B, G*H)</c>: LSTM i, f, g, o; GRU r, z, n; RNN h.</summary>
    internal double[][] Act { get; }

    /// <summary>GRU only: <c>W_hn h_{t-1} + b_hn</c> (reset after) or <c>r * h_{t-1}</c> (reset before).</summary>
    internal double[][] Aux { get; }

    /// <summary>Layer <paramref name="l"/>'s hidden state at step <paramref name="t"/> (0-based) for row <paramref name="b"/>.</summary>
    public ReadOnlySpan<double> Hidden(int l, int t, int b)
    {
        int H = Probe.HiddenSize;
        return H_[l].AsSpan(((t + 1) * B + b) * H, H);
    }

    /// <summary>Largest and mean tanh'(a) = 1 - h^2 over all steps, rows and units of all layers (tanh RNN only; NaN otherwise).</summary>
    public (double Max, double Mean) TanhDerivative()
    {
        if (Probe.Kind != CellKind.RnnTanh) return (double.NaN, double.NaN);
        double max = 0, sum = 0; long n = 0;
        int H = Probe.HiddenSize;
        foreach (var hs in H_)
            for (int i = B * H; i < hs.Length; i++)
            {
                double d = 1 - hs[i] * hs[i];
                max = Math.Max(max, d); sum += d; n++;
            }
        return (max, sum / n);
    }
}

/// <summary>
/// <c>log10 ||dL/dh_t||</c> (and LSTM <c>log10 ||dL/dc_t||</c>) per layer, step and batch row, from
/// <see cref="GradFlowProbe.Backward"/>; <c>-inf</c> where the gradient is exactly zero.
/// </summary>
public sealed class GradFlowNorms
{
    private readonly double[][] _h, _c;

    internal GradFlowNorms(int layers, int t, int b, bool hasC)
    {
        Layers = layers; T = t; B = b; HasC = hasC;
        _h = new double[layers][]; _c = new double[layers][];
        for (int l = 0; l < layers; l++) { _h[l] = new double[t * b]; _c[l] = hasC ? new double[t * b] : []; }
    }

    public int Layers { get; }
    public int T { get; }
    public int B { get; }

    /// <summary>True for LSTM: cell-state gradient norms are recorded too.</summary>
    public bool HasC { get; }

    /// <summary>
    /// Per layer, <c>dL/dh_{-1}</c>: the gradient on the initial hidden state <c>(B, H)</c>, as
    /// <see cref="RecurrentGrads.DH0"/> (values below about 1e-300 flush to zero).
    /// </summary>
    public double[][] InitialH { get; private set; } = [];

    /// <summary>Per layer, <c>dL/dc_{-1}</c> (LSTM), as <see cref="RecurrentGrads.DC0"/>.</summary>
    public double[][] InitialC { get; private set; } = [];

    internal void AllocateInitial(int h)
    {
        InitialH = new double[Layers][];
        InitialC = new double[Layers][];
        for (int l = 0; l < Layers; l++) { InitialH[l] = new double[B * h]; InitialC[l] = HasC ? new double[B * h] : []; }
    }

    internal void SetH(int l, int t, int b, double v) => _h[l][t * B + b] = v;
    internal void SetC(int l, int t, int b, double v) => _c[l][t * B + b] = v;

    /// <summary><c>log10 ||dL/dh_t||</c> of layer <paramref name="l"/>, row <paramref name="b"/>.</summary>
    public double LogH(int l, int t, int b) => _h[l][t * B + b];

    /// <summary><c>log10 ||dL/dc_t||</c> of layer <paramref name="l"/>, row <paramref name="b"/> (LSTM).</summary>
    public double LogC(int l, int t, int b) => HasC ? _c[l][t * B + b] : throw new InvalidOperationException("only LSTM has a cell state.");

    /// <summary>
    /// Mean over batch rows of <c>log10 ||dL/dh_t||</c> of layer <paramref name="l"/> indexed by distance
    /// <c>d = T-1-t</c> (the geometric-mean norm); with <paramref name="cell"/> the LSTM cell state's.
    /// </summary>
    public double[] MeanLog10ByDistance(int l, bool cell = false)
    {
        var src = cell ? (HasC ? _c[l] : throw new InvalidOperationException("only LSTM has a cell state.")) : _h[l];
        var r = new double[T];
        for (int d = 0; d < T; d++)
        {
            int t = T - 1 - d;
            double s = 0;
            for (int b = 0; b < B; b++) s += src[t * B + b];
            r[d] = s / B;
        }
        return r;
    }
}
