using System.Numerics.Tensors;
using Recur.Nn;
using Recur.Nn.Cells;

namespace Recur.Analysis;

/// <summary>
/// A recurrent stack run for gradient-flow analysis: the forward is the stack's own (<see cref="Recurrent"/>,
/// so every cell's arithmetic is its own file's), kept whole for every layer and step, and
/// <see cref="Backward"/> walks the reverse loop with the cells' own backward steps, returning
/// <c>||dL/dh_t||</c> for every layer and step when the loss sees only the top layer's last hidden state.
/// <para>
/// The backward pass is linear in the seed gradient, so each batch row's carried gradient is kept as a
/// unit vector times <c>10^s</c> (<c>s</c> in double) and renormalised every step: norms as small as
/// <c>10^-300</c> or as large as <c>10^300</c> are measured, where plain float (or even unscaled double)
/// arithmetic would underflow or overflow after a few hundred steps. The vectors themselves are float,
/// as in training.
/// </para>
/// </summary>
public sealed class GradFlowProbe
{
    private readonly Recurrent _rnn;

    private GradFlowProbe(Recurrent rnn) => _rnn = rnn;

    /// <summary>
    /// A probe over a copy of <paramref name="rnn"/>'s weights (the original's buffers are not touched). Stacks with
    /// highway connections (<see cref="Recurrent.Highway"/>) are refused: the probe carries <c>dL/dh</c> between
    /// layers through <c>W_ih</c> alone, and a highway adds a second path around each cell.
    /// </summary>
    public static GradFlowProbe FromRecurrent(Recurrent rnn)
    {
        ArgumentNullException.ThrowIfNull(rnn);
        if (rnn.Highway)
            throw new NotSupportedException("gradient-flow analysis follows dL/dh through the cells alone and does not support highway connections between "
                + "layers; analyse a model trained without --highway.");
        var store = new ParameterStore();
        var copy = new Recurrent(store, "rnn", rnn.Cell, rnn.InputSize, rnn.HiddenSize, rnn.NumLayers, rnn.HasBias);
        for (int l = 0; l < rnn.NumLayers; l++)
        {
            foreach (var (a, b) in rnn.LayerParameters(l).All.Zip(copy.LayerParameters(l).All))
                a.Value.CopyTo(b.Value);
        }
        return new GradFlowProbe(copy);
    }

    /// <summary>The cell of every layer.</summary>
    public RecurrentCell Cell => _rnn.Cell;

    public int InputSize => _rnn.InputSize;
    public int HiddenSize => _rnn.HiddenSize;
    public int Layers => _rnn.NumLayers;

    /// <summary>Gate blocks per layer.</summary>
    public int Gates => _rnn.Gates;

    /// <summary>Gate blocks of <c>W_hh</c> per layer (0 for cells without one).</summary>
    public int RecurrentGates => _rnn.Cell.RecurrentGates;

    /// <summary>Layer <paramref name="l"/>'s <c>W_hh</c>, <c>(R*H, H)</c> row-major; empty for cells without one.</summary>
    public Span<float> WeightHh(int l) => _rnn.LayerParameters(l).WeightHh is { } w ? w.Value : default; // (R*H, H) row-major, mutable

    /// <summary>
    /// Runs the stack over <paramref name="x"/> <c>(T, B, input)</c> time-major from zero states and
    /// records everything <see cref="Backward"/> needs (valid until the next call).
    /// </summary>
    public GradFlowTrace Forward(ReadOnlySpan<double> x, int T, int B)
    {
        Guard.Positive(T, nameof(T));
        Guard.Positive(B, nameof(B));
        Guard.Length(x.Length, T * B * InputSize, nameof(x));
        var xt = new Tensor(T, B, InputSize);
        for (int i = 0; i < x.Length; i++) xt.Data[i] = (float)x[i];
        _rnn.Forward(xt);
        return new GradFlowTrace(this, T, B, ++_forwards);
    }

    private long _forwards;

    /// <summary>
    /// Backpropagates a loss that depends only on the top layer's last hidden state, with
    /// <paramref name="dhTop"/> = <c>dL/dh_{T-1}</c> of the top layer <c>(B, H)</c>, and returns
    /// <c>log10 ||dL/dh_t||</c> (and for cells with a cell state <c>log10 ||dL/dc_t||</c>) of every layer, step and batch row.
    /// </summary>
    public GradFlowNorms Backward(GradFlowTrace trace, ReadOnlySpan<double> dhTop)
    {
        ArgumentNullException.ThrowIfNull(trace);
        if (!ReferenceEquals(trace.Probe, this) || trace.Forward != _forwards)
            throw new ArgumentException("the trace is not this probe's last forward.", nameof(trace));
        int T = trace.T, B = trace.B, H = HiddenSize, GH = Gates * H;
        Guard.Length(dhTop.Length, B * H, nameof(dhTop));
        bool hasC = Cell.HasCellState;
        var norms = new GradFlowNorms(Layers, T, B, hasC);
        norms.AllocateInitial(H);

        // Gradient arriving from above at each (t, b): unit vector dIn times 10^sIn.
        var dIn = new float[T * B * H];
        var sIn = new double[T * B];
        Array.Fill(sIn, double.NegativeInfinity);
        for (int b = 0; b < B; b++)
        {
            var src = dhTop.Slice(b * H, H);
            double n = Math.Sqrt(TensorPrimitives.Dot(src, src));
            if (n == 0) continue;
            for (int j = 0; j < H; j++) dIn[((T - 1) * B + b) * H + j] = (float)(src[j] / n);
            sIn[(T - 1) * B + b] = Math.Log10(n);
        }

        var sc = new double[B];
        var dcTotal = new float[H];
        for (int l = Layers - 1; l >= 0; l--)
        {
            var run = _rnn.Layer(l);
            bool below = l > 0;
            var dOut = below ? new float[T * B * H] : null;
            var sOut = below ? new double[T * B] : null;
            if (sOut is not null) Array.Fill(sOut, double.NegativeInfinity);
            Cell.PackBackward(run, run.Whh);
            run.Dy = null;
            run.DhCarry.AsSpan().Clear();
            if (hasC) run.DcCarry.AsSpan().Clear();
            Array.Fill(sc, double.NegativeInfinity);
            var wih = run.Parameters.WeightIh.Value;
            for (int t = T - 1; t >= 0; t--)
            {
                for (int b = 0; b < B; b++)
                {
                    int tb = t * B + b;
                    var dh = run.DhCarry.AsSpan(b * H, H);
                    double s = Math.Max(sc[b], sIn[tb]);
                    if (double.IsNegativeInfinity(s))
                    {
                        norms.SetH(l, t, b, double.NegativeInfinity);
                        if (hasC) norms.SetC(l, t, b, double.NegativeInfinity);
                        continue;
                    }
                    float kc = (float)Math.Pow(10, sc[b] - s), ki = (float)Math.Pow(10, sIn[tb] - s);
                    var din = dIn.AsSpan(tb * H, H);
                    for (int j = 0; j < H; j++) dh[j] = dh[j] * kc + din[j] * ki;
                    if (hasC && kc != 1) TensorPrimitives.Multiply(run.DcCarry.AsSpan(b * H, H), kc, run.DcCarry.AsSpan(b * H, H));
                    sc[b] = s;
                    norms.SetH(l, t, b, s + Math.Log10(Norm(dh)));
                    if (hasC)
                    {
                        Cell.CellStateGradient(run, t, b, dcTotal);
                        norms.SetC(l, t, b, s + Math.Log10(Norm(dcTotal)));
                    }
                }
                Cell.BackwardStep(run, t); // the cell's own step: DA_t, then dL/dh_{t-1} (and dL/dc_{t-1}) carried
                if (below)
                {
                    // dL/dx_t = dA_t W_ih, one unit vector and scale per row
                    var dx = dOut.AsSpan(t * B * H, B * H);
                    // (+ the gradient through the raw-input terms of cells that read their input)
                    bool raw = Cell.RequiresInputEqualsHidden;
                    if (raw) run.Step(run.DInput, t, H).CopyTo(dx);
                    Kernels.Gemm.Sgemm(false, false, B, H, GH, 1f, run.Step(run.DA, t, GH), GH, wih, H, raw ? 1f : 0f, dx, H, 1);
                    for (int b = 0; b < B; b++)
                    {
                        var row = dx.Slice(b * H, H);
                        double nx = Norm(row);
                        if (nx > 0 && !double.IsNegativeInfinity(sc[b]))
                        {
                            TensorPrimitives.Multiply(row, (float)(1 / nx), row);
                            sOut![t * B + b] = sc[b] + Math.Log10(nx);
                        }
                        else row.Clear();
                    }
                }
                for (int b = 0; b < B; b++)
                {
                    var dh = run.DhCarry.AsSpan(b * H, H);
                    var dc = hasC ? run.DcCarry.AsSpan(b * H, H) : default;
                    if (double.IsNegativeInfinity(sc[b])) { dh.Clear(); dc.Clear(); continue; }
                    if (t == 0)
                    {
                        double k0 = Math.Pow(10, sc[b]);
                        for (int j = 0; j < H; j++) norms.InitialH[l][b * H + j] = dh[j] * k0;
                        if (hasC) for (int j = 0; j < H; j++) norms.InitialC[l][b * H + j] = dc[j] * k0;
                    }
                    double nn = SumSquares(dh) + (hasC ? SumSquares(dc) : 0);
                    if (nn > 0 && double.IsFinite(nn))
                    {
                        float k = (float)(1 / Math.Sqrt(nn));
                        TensorPrimitives.Multiply(dh, k, dh);
                        if (hasC) TensorPrimitives.Multiply(dc, k, dc);
                        sc[b] += 0.5 * Math.Log10(nn);
                    }
                    else { dh.Clear(); dc.Clear(); sc[b] = double.NegativeInfinity; }
                }
            }
            if (below) { dIn = dOut!; sIn = sOut!; }
        }
        return norms;
    }

    private static double SumSquares(ReadOnlySpan<float> v)
    {
        double s = 0;
        foreach (float x in v) s += (double)x * x;
        return s;
    }

    private static double Norm(ReadOnlySpan<float> v) => Math.Sqrt(SumSquares(v));

    internal LayerRun Layer(int l) => _rnn.Layer(l);
}

/// <summary>What <see cref="GradFlowProbe.Forward"/> recorded: every layer's states and gates, valid until the probe's next forward.</summary>
public sealed class GradFlowTrace
{
    internal GradFlowTrace(GradFlowProbe probe, int t, int b, long forward)
    {
        Probe = probe; T = t; B = b; Forward = forward;
    }

    internal GradFlowProbe Probe { get; }

    internal long Forward { get; }

    /// <summary>Steps.</summary>
    public int T { get; }

    /// <summary>Batch rows (independent sequences).</summary>
    public int B { get; }

    /// <summary>Layer <paramref name="l"/>'s hidden state at step <paramref name="t"/> (0-based) for row <paramref name="b"/>.</summary>
    public ReadOnlySpan<float> Hidden(int l, int t, int b)
    {
        int H = Probe.HiddenSize;
        return Probe.Layer(l).Y.AsSpan((t * B + b) * H, H);
    }

    /// <summary>
    /// Largest and mean <c>tanh'(a) = 1 - h^2</c> over all steps, rows and units of all layers, for the tanh
    /// RNN (whose output is its only gate); NaN for other cells.
    /// </summary>
    public (double Max, double Mean) TanhDerivative()
    {
        if (Probe.Cell is not RnnCell { Relu: false }) return (double.NaN, double.NaN);
        double max = 0, sum = 0; long n = 0;
        for (int l = 0; l < Probe.Layers; l++)
            foreach (float h in Probe.Layer(l).Y.AsSpan(0, T * B * Probe.HiddenSize))
            {
                double d = 1 - (double)h * h;
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
