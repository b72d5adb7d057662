using Recur.Models;
using Recur.Nn;
using Recur.Nn.Cells;
using Recur.Training;

namespace Recur.Analysis;

/// <summary>
/// One measured gradient-flow curve: <c>log10 ||dL_T/dh_t||</c> against the distance <c>d = T-1-t</c>
/// (geometric mean over the batch), with the least-squares line through it.
/// </summary>
/// <param name="Name">Label (e.g. "rnn-tanh", "lstm h", "rnn sigma=0.5").</param>
/// <param name="Log10Norm">Mean over batch rows of <c>log10 ||dL/dh_t||</c>, indexed by distance.</param>
/// <param name="Slope">Fitted slope of <see cref="Log10Norm"/> per step of distance.</param>
/// <param name="SigmaMax">Largest singular value of <c>W_hh</c> (vanilla RNN curves), else NaN.</param>
/// <param name="MaxTanhDerivative">Largest <c>tanh'(a) = 1 - h^2</c> seen in the forward (tanh RNN), else NaN.</param>
/// <param name="MeanTanhDerivative">Mean <c>tanh'</c> over the forward (tanh RNN), else NaN.</param>
public sealed record GradFlowCurve(string Name, double[] Log10Norm, double Slope, double SigmaMax = double.NaN,
    double MaxTanhDerivative = double.NaN, double MeanTanhDerivative = double.NaN)
{
    /// <summary>Measured per-step factor of the gradient norm: <c>10^slope</c> (&lt; 1 vanishing, &gt; 1 exploding).</summary>
    public double Rate => Math.Pow(10, Slope);

    /// <summary>
    /// The lecture's bound on the per-step factor for a tanh RNN:
    /// <c>||dh_t/dh_{t-1}|| = ||diag(tanh'(a_t)) W_hh|| &lt;= sigma_max(W_hh) * max tanh'</c>, with the
    /// empirical max tanh' of the run (at most 1).
    /// </summary>
    public double Bound => SigmaMax * MaxTanhDerivative;

    /// <summary><c>||dL/dh_{T-1-d}|| / ||dL/dh_{T-1}||</c> at distance <paramref name="d"/> (geometric mean over the batch).</summary>
    public double Ratio(int d) => Math.Pow(10, Log10Norm[d] - Log10Norm[0]);
}

/// <summary>Settings of <see cref="GradFlow.ClipDemo"/>.</summary>
public sealed record ClipDemoOptions
{
    /// <summary>Hidden width of the one-layer tanh RNN language model.</summary>
    public int Hidden { get; init; } = 128;
    /// <summary>BPTT length T (a long sequence makes explosion likely).</summary>
    public int SeqLength { get; init; } = 100;
    /// <summary>Parallel streams B.</summary>
    public int Batch { get; init; } = 16;
    /// <summary>Training iterations per run.</summary>
    public int Iterations { get; init; } = 300;
    /// <summary>Plain SGD learning rate.</summary>
    public double LearningRate { get; init; } = 0.5;
    /// <summary>Largest singular value W_hh is rescaled to at initialisation.</summary>
    public double Sigma { get; init; } = 3.0;
    /// <summary>Global-norm clipping threshold of the clipped run.</summary>
    public float MaxNorm { get; init; } = 1f;
    /// <summary>Seed of initialisation (both runs start from the same weights).</summary>
    public ulong Seed { get; init; } = 1;
}

/// <summary>Loss and gradient-norm curves of <see cref="GradFlow.ClipDemo"/>, one entry per iteration.</summary>
public sealed record ClipDemoResult(double[] LossNoClip, double[] LossClip, double[] GradNormNoClip, double[] GradNormClip, double SigmaBefore)
{
    /// <summary>First iteration whose loss (or gradient) was not finite in the unclipped run, or -1.</summary>
    public int DivergedAtNoClip => FirstNonFinite(LossNoClip, GradNormNoClip);

    /// <summary>First non-finite iteration of the clipped run, or -1.</summary>
    public int DivergedAtClip => FirstNonFinite(LossClip, GradNormClip);

    private static int FirstNonFinite(double[] a, double[] b)
    {
        for (int i = 0; i < a.Length; i++) if (!double.IsFinite(a[i]) || !double.IsFinite(b[i])) return i;
        return -1;
    }
}

/// <summary>
/// The vanishing/exploding gradient experiment (Bengio et al. 1994; Pascanu et al. 2013), measured:
/// for a loss at the last step only, how the norm of <c>dL_T/dh_t</c> falls (or grows) with the
/// distance <c>T - t</c>. For a tanh RNN <c>dh_t/dh_{t-1} = diag(1 - h_t^2) W_hh</c>, so the norm
/// shrinks at least as fast as <c>(sigma_max(W_hh) max tanh')^d</c> when that is below 1; the LSTM's
/// additive cell path <c>dc_t/dc_{t-1} = diag(f_t)</c> lets it decay far more slowly.
/// </summary>
public static class GradFlow
{
    /// <summary>
    /// A one-layer (or <paramref name="layers"/>-layer) stack of <paramref name="kind"/> at PyTorch's default
    /// initialisation (every weight and bias <c>U(-1/sqrt(H), 1/sqrt(H))</c>), drawn exactly as
    /// <see cref="Recurrent.Reset"/> draws it; <paramref name="forgetBias"/> sets the LSTM forget-gate bias.
    /// </summary>
    public static GradFlowProbe FreshProbe(RecurrentCell kind, int inputSize, int hidden, Rng rng, int layers = 1, float? forgetBias = null)
    {
        var store = new ParameterStore();
        var rnn = new Recurrent(store, "rnn", kind, inputSize, hidden, layers);
        rnn.Reset(rng, forgetBias);
        return GradFlowProbe.FromRecurrent(rnn);
    }

    /// <summary>Standard-normal inputs <c>(T, B, I)</c>, time-major.</summary>
    public static double[] RandomInputs(int T, int B, int inputSize, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        var x = new double[T * B * inputSize];
        for (int i = 0; i < x.Length; i++) x[i] = rng.NextGaussian();
        return x;
    }

    /// <summary>
    /// Inputs <c>(T, B, E)</c> for B windows of T tokens each, starting at random offsets of
    /// <paramref name="tokens"/>: the rows of <paramref name="embedding"/> (<c>(V, E)</c>) or, when it is null,
    /// one-hot vectors of width <paramref name="vocab"/>. Also returns the token after each window (the target).
    /// </summary>
    public static (double[] X, int[] Windows, int[] NextTokens) TokenInputs(ReadOnlySpan<int> tokens, int T, int B, int vocab,
        ReadOnlySpan<float> embedding, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        if (tokens.Length < T + 1)
            throw new ArgumentException($"the text has {tokens.Length} characters; the analysis needs at least T + 1 = {T + 1}.", nameof(tokens));
        int E = embedding.IsEmpty ? vocab : embedding.Length / vocab;
        var x = new double[T * B * E];
        var starts = new int[B];
        var next = new int[B];
        for (int b = 0; b < B; b++)
        {
            int s = rng.NextInt(tokens.Length - T);
            starts[b] = s;
            next[b] = tokens[s + T];
            for (int t = 0; t < T; t++)
            {
                int id = tokens[s + t];
                var dst = x.AsSpan((t * B + b) * E, E);
                if (embedding.IsEmpty) dst[id] = 1;
                else for (int e = 0; e < E; e++) dst[e] = embedding[id * E + e];
            }
        }
        return (x, starts, next);
    }

    /// <summary>B random unit vectors of width H (a random linear read-out of h_T as the loss).</summary>
    public static double[] RandomUnitGradient(int B, int H, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        var g = new double[B * H];
        for (int b = 0; b < B; b++)
        {
            var row = g.AsSpan(b * H, H);
            double s = 0;
            for (int j = 0; j < H; j++) { row[j] = rng.NextGaussian(); s += row[j] * row[j]; }
            s = Math.Sqrt(s);
            for (int j = 0; j < H; j++) row[j] /= s;
        }
        return g;
    }

    /// <summary>Forward and backward through <paramref name="probe"/>; the curve of layer <paramref name="layer"/> (default: top).</summary>
    public static GradFlowCurve Measure(string name, GradFlowProbe probe, double[] x, int T, int B, double[] dhTop,
        int layer = -1, bool cell = false, double sigmaMax = double.NaN)
    {
        ArgumentNullException.ThrowIfNull(probe);
        var trace = probe.Forward(x, T, B);
        var norms = probe.Backward(trace, dhTop);
        var (maxD, meanD) = trace.TanhDerivative();
        var curve = norms.MeanLog10ByDistance(layer < 0 ? probe.Layers - 1 : layer, cell);
        return new GradFlowCurve(name, curve, FitSlope(curve), sigmaMax, maxD, meanD);
    }

    /// <summary>Least-squares slope of <c>y[d]</c> against <c>d</c> over the finite entries (NaN with fewer than two).</summary>
    public static double FitSlope(ReadOnlySpan<double> y)
    {
        double n = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
        for (int d = 0; d < y.Length; d++)
        {
            if (!double.IsFinite(y[d])) continue;
            n++; sx += d; sy += y[d]; sxx += (double)d * d; sxy += d * y[d];
        }
        if (n < 2) return double.NaN;
        return (n * sxy - sx * sy) / (n * sxx - sx * sx);
    }

    /// <summary>
    /// The standard experiment: a tanh RNN, an LSTM and a GRU (one layer, <paramref name="hidden"/> units,
    /// PyTorch's initialisation from <paramref name="seed"/>) over the same inputs <paramref name="x"/>
    /// <c>(T, B, I)</c>, loss = random read-out of the last hidden state. The LSTM also reports its cell-state curve;
    /// without <paramref name="forgetBias"/> a second LSTM with forget-gate bias 1 (torch-rnn's start) is added.
    /// Curve names: "rnn-tanh", "lstm h", "lstm c", "gru", "lstm h, f-bias 1".
    /// </summary>
    public static IReadOnlyList<GradFlowCurve> CompareCells(double[] x, int T, int B, int inputSize, int hidden, ulong seed, float? forgetBias = null)
    {
        var curves = new List<GradFlowCurve>();
        var dh = RandomUnitGradient(B, hidden, new Rng(seed ^ 0x9E3779B97F4A7C15UL));
        var rnn = FreshProbe(CellRegistry.RnnTanh, inputSize, hidden, new Rng(seed));
        double sigma = PowerIteration.LargestSingularValue(rnn.WeightHh(0), hidden, hidden, new Rng(seed + 17));
        curves.Add(Measure("rnn-tanh", rnn, x, T, B, dh, sigmaMax: sigma));
        var lstm = FreshProbe(CellRegistry.Lstm, inputSize, hidden, new Rng(seed), forgetBias: forgetBias);
        curves.Add(Measure("lstm h", lstm, x, T, B, dh));
        curves.Add(Measure("lstm c", lstm, x, T, B, dh, cell: true));
        var gru = FreshProbe(CellRegistry.Gru, inputSize, hidden, new Rng(seed));
        curves.Add(Measure("gru", gru, x, T, B, dh));
        if (forgetBias is null)
        {
            // torch-rnn's (and `recur train`'s) LSTM initialisation: forget-gate bias 1.
            var lstm1 = FreshProbe(CellRegistry.Lstm, inputSize, hidden, new Rng(seed), forgetBias: 1f);
            curves.Add(Measure("lstm h, f-bias 1", lstm1, x, T, B, dh));
        }
        return curves;
    }

    /// <summary>
    /// The role of <c>W_hh</c>: the tanh RNN of <see cref="CompareCells"/> with its recurrent matrix rescaled
    /// (power iteration) to each largest singular value in <paramref name="sigmas"/>.
    /// </summary>
    public static IReadOnlyList<GradFlowCurve> SigmaSweep(double[] x, int T, int B, int inputSize, int hidden, ulong seed, IEnumerable<double> sigmas)
    {
        ArgumentNullException.ThrowIfNull(sigmas);
        var curves = new List<GradFlowCurve>();
        var dh = RandomUnitGradient(B, hidden, new Rng(seed ^ 0x9E3779B97F4A7C15UL));
        foreach (double target in sigmas)
        {
            var rnn = FreshProbe(CellRegistry.RnnTanh, inputSize, hidden, new Rng(seed));
            var w = rnn.WeightHh(0);
            double s0 = PowerIteration.LargestSingularValue(w, hidden, hidden, new Rng(seed + 17));
            for (int i = 0; i < w.Length; i++) w[i] = (float)(w[i] * (target / s0));
            double s = PowerIteration.LargestSingularValue(w, hidden, hidden, new Rng(seed + 18));
            curves.Add(Measure(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"rnn sigma={target:0.##}"), rnn, x, T, B, dh, sigmaMax: s));
        }
        return curves;
    }

    /// <summary>
    /// Gradient flow in a trained character model: B windows of T characters from <paramref name="tokens"/>
    /// run through the model's embedding and recurrent stack; the loss is the cross-entropy of the
    /// prediction after the last character (the next character as target), so
    /// <c>dL/dh_T = W_head^T (softmax(logits) - onehot(target))</c>. Returns one curve per layer (and per LSTM cell state).
    /// </summary>
    public static IReadOnlyList<GradFlowCurve> TrainedModel(CharModel model, ReadOnlySpan<int> tokens, int T, int B, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(model);
        var cfg = model.Config;
        int V = cfg.VocabSize, H = cfg.Hidden;
        var emb = model.EmbeddingLayer is { } e ? e.Weight.Value : default;
        var (x, _, next) = TokenInputs(tokens, T, B, V, emb, rng);
        var probe = GradFlowProbe.FromRecurrent(model.Rnn);
        var trace = probe.Forward(x, T, B);
        // Seed: the head's gradient at the last step.
        var w = model.Head.Weight.Value; // (V, H)
        var bias = model.Head.Bias is { } bp ? bp.Value : default;
        var dh = new double[B * H];
        var logits = new double[V];
        for (int b = 0; b < B; b++)
        {
            var h = trace.Hidden(probe.Layers - 1, T - 1, b);
            double max = double.NegativeInfinity;
            for (int v = 0; v < V; v++)
            {
                double s = bias.IsEmpty ? 0 : bias[v];
                for (int j = 0; j < H; j++) s += w[v * H + j] * h[j];
                logits[v] = s; max = Math.Max(max, s);
            }
            double z = 0;
            for (int v = 0; v < V; v++) { logits[v] = Math.Exp(logits[v] - max); z += logits[v]; }
            for (int v = 0; v < V; v++)
            {
                double dl = logits[v] / z - (v == next[b] ? 1 : 0);
                for (int j = 0; j < H; j++) dh[b * H + j] += dl * w[v * H + j];
            }
        }
        var norms = probe.Backward(trace, dh);
        var curves = new List<GradFlowCurve>();
        var (maxD, meanD) = trace.TanhDerivative();
        for (int l = probe.Layers - 1; l >= 0; l--)
        {
            double sigma = probe.RecurrentGates == 0 ? double.NaN
                : PowerIteration.LargestSingularValue(probe.WeightHh(l), probe.RecurrentGates * H, H, new Rng(17));
            var c = norms.MeanLog10ByDistance(l);
            curves.Add(new GradFlowCurve($"{cfg.Cell} layer {l + 1} h", c, FitSlope(c), sigma, maxD, meanD));
            if (norms.HasC)
            {
                var cc = norms.MeanLog10ByDistance(l, cell: true);
                curves.Add(new GradFlowCurve($"{cfg.Cell} layer {l + 1} c", cc, FitSlope(cc)));
            }
        }
        return curves;
    }

    /// <summary>
    /// Exploding gradients and clipping: a one-layer tanh RNN character model whose <c>W_hh</c> starts at a large
    /// singular value, trained twice from the same weights with plain SGD on <paramref name="tokens"/> — once
    /// without clipping, once with global-norm clipping at <see cref="ClipDemoOptions.MaxNorm"/>. Records the
    /// training loss and the gradient norm (before clipping) of every iteration; an unclipped run whose loss
    /// becomes NaN keeps NaN from there on.
    /// </summary>
    public static ClipDemoResult ClipDemo(ReadOnlyMemory<int> tokens, int vocab, ClipDemoOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var cfg = new CharModelConfig { Cell = "rnn", Nonlinearity = "tanh", VocabSize = vocab, Embed = 0, Hidden = options.Hidden, Layers = 1 };
        double sigmaBefore = 0;
        (double[] Loss, double[] Norm) Run(bool clip)
        {
            var model = new CharModel(cfg);
            model.Reset(new Rng(options.Seed));
            var whh = model.Rnn.LayerParameters(0).WeightHh!;
            sigmaBefore = PowerIteration.ScaleToSingularValue(whh.Value, options.Hidden, options.Hidden, options.Sigma, new Rng(options.Seed + 1));
            var opt = new Sgd(model.Store, options.LearningRate);
            var batcher = new Data.StreamBatcher(tokens, options.Batch, options.SeqLength);
            var inputs = new int[options.SeqLength * options.Batch];
            var targets = new int[inputs.Length];
            var loss = new double[options.Iterations];
            var norm = new double[options.Iterations];
            var rng = new Rng(options.Seed + 2);
            bool dead = false;
            for (int it = 0; it < options.Iterations; it++)
            {
                if (dead) { loss[it] = double.NaN; norm[it] = double.NaN; continue; }
                batcher.Next(inputs, targets);
                loss[it] = model.TrainStep(inputs, targets, options.SeqLength, options.Batch, rng);
                norm[it] = clip ? GradClip.ClipByNorm(model.Store.Grads, options.MaxNorm) : GradClip.GlobalNorm(model.Store.Grads);
                if (!double.IsFinite(loss[it]) || !double.IsFinite(norm[it])) { dead = true; continue; }
                opt.Step();
            }
            return (loss, norm);
        }
        var a = Run(clip: false);
        var b = Run(clip: true);
        return new ClipDemoResult(a.Loss, b.Loss, a.Norm, b.Norm, sigmaBefore);
    }
}
