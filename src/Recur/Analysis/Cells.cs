using System.Text;
using Recur.Plotting;
using Recur.Models;
using Recur.Nn;
using Recur.Nn.Cells;

namespace Recur.Analysis;

/// <summary>One recorded unit: a layer, a kind of quantity (h, c or a gate) and an index in <c>[0, H)</c>.</summary>
/// <param name="Layer">Layer, 0 = bottom.</param>
/// <param name="Kind">"h", "c" (LSTM cell state), or a gate: "i", "f", "g", "o" (LSTM), "r", "z", "n" (GRU).</param>
/// <param name="Index">Unit within the layer.</param>
public readonly record struct CellId(int Layer, string Kind, int Index)
{
    /// <inheritdoc/>
    public override string ToString() => $"layer {Layer} {Kind}[{Index}]";
}

/// <summary>
/// Where each recorded quantity sits in a row of <c>K</c> values per character: per layer, <c>h</c> (H),
/// then <c>c</c> (H, LSTM), then the gates (<c>G*H</c>, LSTM i, f, g, o; GRU r, z, n; none for a plain RNN).
/// </summary>
public sealed class CellLayout
{
    /// <summary>The layout of a stack of <paramref name="layers"/> layers of <paramref name="cell"/> with <paramref name="hidden"/> units.</summary>
    public CellLayout(RecurrentCell cell, int layers, int hidden)
    {
        ArgumentNullException.ThrowIfNull(cell);
        Guard.Positive(layers, nameof(layers));
        Guard.Positive(hidden, nameof(hidden));
        Cell = cell; Layers = layers; Hidden = hidden;
        GateNames = cell.RecordsGateActivations ? cell.GateNames : [];
        var kinds = new List<string> { "h" };
        if (cell.HasCellState) kinds.Add("c");
        kinds.AddRange(GateNames);
        Kinds = kinds;
        PerLayer = kinds.Count * hidden;
    }

    /// <summary>The recorded cell.</summary>
    public RecurrentCell Cell { get; }

    public int Layers { get; }
    public int Hidden { get; }

    /// <summary>Recorded kinds per layer, in row order: "h", then "c" for LSTM, then the gates.</summary>
    public IReadOnlyList<string> Kinds { get; }

    /// <summary>Gate names in PyTorch order (empty for a plain RNN).</summary>
    public IReadOnlyList<string> GateNames { get; }

    /// <summary>Values per layer.</summary>
    public int PerLayer { get; }

    /// <summary>Values per character, <c>K</c>.</summary>
    public int Count => Layers * PerLayer;

    /// <summary>Row offset of (layer, kind, index).</summary>
    public int Offset(int layer, string kind, int index)
    {
        int k = -1;
        for (int i = 0; i < Kinds.Count; i++) if (Kinds[i] == kind) { k = i; break; }
        if (k < 0) throw new ArgumentException($"kind '{kind}' is not recorded for {Cell.Name}; recorded: {string.Join(", ", Kinds)}.", nameof(kind));
        if ((uint)layer >= (uint)Layers) throw new ArgumentOutOfRangeException(nameof(layer), layer, $"layer must be in [0, {Layers}).");
        if ((uint)index >= (uint)Hidden) throw new ArgumentOutOfRangeException(nameof(index), index, $"index must be in [0, {Hidden}).");
        return layer * PerLayer + k * Hidden + index;
    }

    /// <summary>The cell at row offset <paramref name="offset"/>.</summary>
    public CellId At(int offset)
    {
        int layer = offset / PerLayer, r = offset % PerLayer;
        return new CellId(layer, Kinds[r / Hidden], r % Hidden);
    }

    /// <summary>True for gates squashed by a sigmoid (LSTM i, f, o; GRU r, z), whose saturation is measured.</summary>
    public static bool IsSigmoidGate(string kind) => kind is "i" or "f" or "o" or "r" or "z";
}

/// <summary>Settings of <see cref="Cells.Analyze"/>.</summary>
public sealed record CellsOptions
{
    /// <summary>Independent streams the text is cut into and run as a batch (each starts from a zero state).</summary>
    public int Streams { get; init; } = 16;

    /// <summary>Characters (from the start of the text) whose activations are kept for the page.</summary>
    public int RenderChars { get; init; } = 20_000;

    /// <summary>Upper bound on recorded values kept for the page (characters x cells); fewer characters are kept for big models.</summary>
    public long RenderBudget { get; init; } = 24_000_000;

    /// <summary>The cells (row offsets in the <see cref="CellLayout"/>) whose activations are kept for the page, or null for every cell.</summary>
    public IReadOnlyList<int>? RenderCells { get; init; }

    /// <summary>Top cells reported per feature.</summary>
    public int TopCells { get; init; } = 5;

    /// <summary>GEMM threads.</summary>
    public int Threads { get; init; } = 1;
}

/// <summary>A cell and its Pearson correlation with a feature.</summary>
public readonly record struct CellCorrelation(CellId Cell, int Offset, double R);

/// <summary>Gate saturation of one gate of one layer: per unit, fraction of characters below 0.1 and above 0.9.</summary>
public sealed record GateSaturation(int Layer, string Gate, double[] LeftFraction, double[] RightFraction);

/// <summary>Result of <see cref="Cells.Analyze"/>.</summary>
public sealed class CellsAnalysis
{
    internal CellsAnalysis(CellLayout layout, int characters, IReadOnlyList<CellFeature> features, double[][] correlation, bool[] constant,
        IReadOnlyList<GateSaturation> saturation, string[] renderText, float[] renderValues, int renderChars, int topCells, int[] renderRowOf)
    {
        _renderRowOf = renderRowOf;
        Layout = layout; Characters = characters; Correlation = correlation; FeatureConstant = constant;
        FeatureNames = [.. features.Select(f => f.Name)];
        FeatureDescriptions = [.. features.Select(f => f.Description)];
        Saturation = saturation; RenderText = renderText; RenderValues = renderValues; RenderChars = renderChars;
        Top = [.. correlation.Select(r => (IReadOnlyList<CellCorrelation>)[.. CorrelationSearch.Best(r, topCells)
            .Select(k => new CellCorrelation(layout.At(k), k, r[k]))])];
    }

    /// <summary>The recorded quantities.</summary>
    public CellLayout Layout { get; }

    /// <summary>Characters analysed (correlations and saturation are over all of them).</summary>
    public int Characters { get; }

    /// <summary>Feature names (by default <see cref="CellsFeatures.Names"/>).</summary>
    public IReadOnlyList<string> FeatureNames { get; }

    /// <summary>One line per feature saying what it measures.</summary>
    public IReadOnlyList<string> FeatureDescriptions { get; }

    /// <summary>Pearson correlation <c>[feature][cell offset]</c>; NaN where the cell or the feature is constant.</summary>
    public double[][] Correlation { get; }

    /// <summary>Per feature: true when it takes a single value over the text (no correlation can be measured).</summary>
    public bool[] FeatureConstant { get; }

    /// <summary>Per feature, the cells with the largest |r|, best first.</summary>
    public IReadOnlyList<IReadOnlyList<CellCorrelation>> Top { get; }

    /// <summary>Per layer and sigmoid gate, the saturation fractions of every unit (empty for a plain RNN).</summary>
    public IReadOnlyList<GateSaturation> Saturation { get; }

    /// <summary>The first <see cref="RenderChars"/> characters, one string per character.</summary>
    public string[] RenderText { get; }

    /// <summary>Number of characters whose activations are kept for the page.</summary>
    public int RenderChars { get; }

    /// <summary>
    /// Kept activations <c>(rows, RenderChars)</c>: one row per kept cell, in the order of <see cref="CellsOptions.RenderCells"/>
    /// (by default every cell, row = cell offset in <see cref="Layout"/>).
    /// </summary>
    public float[] RenderValues { get; }

    private readonly int[] _renderRowOf; // cell offset -> row of RenderValues, -1 when not kept

    /// <summary>The kept activations of the cell at <paramref name="offset"/>.</summary>
    public ReadOnlySpan<float> RenderRow(int offset)
    {
        int row = (uint)offset < (uint)_renderRowOf.Length ? _renderRowOf[offset] : -1;
        if (row < 0) throw new ArgumentOutOfRangeException(nameof(offset), offset, "the activations of this cell were not kept (CellsOptions.RenderCells).");
        return RenderValues.AsSpan(row * RenderChars, RenderChars);
    }
}

/// <summary>
/// Runs a trained <see cref="CharModel"/> over a text and records, per character, every layer's hidden
/// state <c>h_t</c>, the LSTM cell state <c>c_t</c> and the gate activations; correlates each of them with
/// the <see cref="CellsFeatures"/> (Pearson r over all characters) and measures gate saturation
/// (Karpathy, Johnson and Fei-Fei 2015, Figure 3: fraction of characters with a gate below 0.1 and above 0.9).
/// <para>
/// The text is cut into <see cref="CellsOptions.Streams"/> contiguous pieces run as one batch, so each
/// step is a <c>(S, in) x (in, G*H)</c> GEMM; every piece starts from a zero state, as a model sampling from
/// scratch does. Each step runs the model's own <see cref="Recurrent"/> stack, so the arithmetic is the cells' own.
/// </para>
/// </summary>
public static class Cells
{
    /// <summary>
    /// Analyses <paramref name="model"/> on the character ids <paramref name="tokens"/> (whose characters are <paramref name="text"/>),
    /// correlating the cells with <paramref name="features"/> (by default the built-in <see cref="CellsFeatures"/>).
    /// </summary>
    public static CellsAnalysis Analyze(CharModel model, ReadOnlySpan<int> tokens, IReadOnlyList<Rune> text, CellsOptions? options = null,
        IReadOnlyList<CellFeature>? features = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(text);
        options ??= new CellsOptions();
        int N = tokens.Length;
        if (N == 0) throw new ArgumentException("the text is empty.", nameof(tokens));
        Guard.Length(text.Count, N, nameof(text));
        var cfg = model.Config;
        var rnn = model.Rnn;
        var cell = rnn.Cell;
        int L = rnn.NumLayers, H = rnn.HiddenSize, G = rnn.Gates, GH = G * H, V = cfg.VocabSize;
        var layout = new CellLayout(cell, L, H);
        int K = layout.Count;
        int Ls = PieceLength(N, options.Streams);
        int S = (N + Ls - 1) / Ls;
        int[] kept = options.RenderCells is { } cells ? [.. cells.Distinct()] : [.. Enumerable.Range(0, K)];
        foreach (int k in kept)
            if ((uint)k >= (uint)K) throw new ArgumentOutOfRangeException(nameof(options), k, $"a cell to keep is outside [0, {K}).");
        var rowOf = new int[K];
        Array.Fill(rowOf, -1);
        for (int i = 0; i < kept.Length; i++) rowOf[kept[i]] = i;
        int R = (int)Math.Min(Math.Min(options.RenderChars, N), Math.Max(1, options.RenderBudget / Math.Max(1, kept.Length)));
        features ??= CellFeature.BuiltIn(text);
        int F = features.Count;
        if (F == 0) throw new ArgumentException("no features to correlate with.", nameof(features));
        foreach (var feature in features) Guard.Length(feature.Values.Length, N, $"feature '{feature.Name}'");

        var emb = model.EmbeddingLayer;
        int E = emb?.EmbeddingDim ?? V;
        var x0 = new Tensor(1, S, E);
        var h0 = new Tensor(L, S, H);
        var c0 = cell.HasCellState ? new Tensor(L, S, H) : null;
        var row = new float[S * K];
        var frow = new float[S * F];
        var search = new CorrelationSearch(F, K);
        var sigOffsets = new List<int>();
        for (int l = 0; l < L; l++)
            foreach (var g in layout.GateNames)
                if (CellLayout.IsSigmoidGate(g)) sigOffsets.Add(layout.Offset(l, g, 0));
        var left = new long[sigOffsets.Count * H]; var right = new long[sigOffsets.Count * H];
        var render = new float[(long)kept.Length * R]; // (kept cells, R)
        var embW = emb?.Weight.Value.ToArray();

        for (int t = 0; t < Ls; t++)
        {
            // Layer 0 input: one step of S streams, (1, S, E).
            var xs = x0.Span;
            xs.Clear();
            for (int s = 0; s < S; s++)
            {
                int p = s * Ls + t;
                if (p >= N) continue;
                int id = tokens[p];
                if ((uint)id >= (uint)V) throw new ArgumentOutOfRangeException(nameof(tokens), id, $"token {id} at {p} is outside the vocabulary [0, {V}).");
                if (emb is not null) emb.Weight.Value.Slice(id * E, E).CopyTo(xs.Slice(s * E, E));
                else xs[s * E + id] = 1;
            }
            // One step of the model's own recurrent stack (the cells' arithmetic), state carried.
            var o = rnn.Forward(x0, h0, c0);
            o.HN.Span.CopyTo(h0.Span);
            if (c0 is not null) o.CN!.Span.CopyTo(c0.Span);
            for (int l = 0; l < L; l++)
            {
                var run = rnn.Layer(l);
                // Record into the per-character rows: h, then c, then the gate activations.
                for (int s = 0; s < S; s++)
                {
                    var dst = row.AsSpan(s * K + l * layout.PerLayer, layout.PerLayer);
                    run.Y.AsSpan(s * H, H).CopyTo(dst);
                    int off = H;
                    if (cell.HasCellState) { run.C.AsSpan(s * H, H).CopyTo(dst.Slice(off, H)); off += H; }
                    if (layout.GateNames.Count > 0) run.A.AsSpan(s * GH, GH).CopyTo(dst.Slice(off, GH));
                }
            }

            // Accumulate statistics over the valid rows.
            int valid = 0;
            for (int s = 0; s < S; s++)
            {
                int p = s * Ls + t;
                var r = row.AsSpan(s * K, K);
                var fr = frow.AsSpan(s * F, F);
                if (p >= N) { r.Clear(); fr.Clear(); continue; }
                valid++;
                for (int f = 0; f < F; f++) fr[f] = features[f].Values[p];
                if (p < R) for (int i = 0; i < kept.Length; i++) render[(long)i * R + p] = r[kept[i]];
                for (int gi = 0; gi < sigOffsets.Count; gi++)
                {
                    var gv = r.Slice(sigOffsets[gi], H);
                    for (int j = 0; j < H; j++)
                    {
                        if (gv[j] < 0.1f) left[gi * H + j]++;
                        else if (gv[j] > 0.9f) right[gi * H + j]++;
                    }
                }
            }
            // The streams still reading are a prefix of the S rows (stream s reads position s * Ls + t).
            search.Add(frow, row, valid, options.Threads);
        }
        long count = search.Count;
        var corr = search.Correlations();
        var constant = search.FeatureConstant();
        var sat = new List<GateSaturation>();
        for (int gi = 0; gi < sigOffsets.Count; gi++)
        {
            var id = layout.At(sigOffsets[gi]);
            var lf = new double[H]; var rf = new double[H];
            for (int j = 0; j < H; j++) { lf[j] = (double)left[gi * H + j] / count; rf[j] = (double)right[gi * H + j] / count; }
            sat.Add(new GateSaturation(id.Layer, id.Kind, lf, rf));
        }
        var chars = new string[R];
        for (int p = 0; p < R; p++) chars[p] = text[p].ToString();
        return new CellsAnalysis(layout, N, features, corr, constant, sat, chars, render, R, options.TopCells, rowOf);
    }

    /// <summary>
    /// The length of the pieces <see cref="Analyze"/> cuts a text of <paramref name="characters"/> characters into for
    /// <paramref name="streams"/> streams: piece <c>s</c> is characters <c>[s L, (s + 1) L)</c> (the last may be shorter), and
    /// each starts from a zero state.
    /// </summary>
    public static int PieceLength(int characters, int streams)
    {
        Guard.Positive(characters, nameof(characters));
        int s = Math.Clamp(streams, 1, characters);
        return (characters + s - 1) / s;
    }

    /// <summary>Gate-saturation scatter plots (paper's Figure 3), one per layer: x = fraction left-saturated, y = right-saturated.</summary>
    public static IReadOnlyList<(int Layer, byte[] Png)> SaturationPlots(CellsAnalysis analysis, int width = 480, int height = 420)
    {
        ArgumentNullException.ThrowIfNull(analysis);
        var plots = new List<(int, byte[])>();
        for (int l = 0; l < analysis.Layout.Layers; l++)
        {
            var gates = analysis.Saturation.Where(s => s.Layer == l).ToList();
            if (gates.Count == 0) continue;
            var p = new LinePlot(width, height)
            {
                Title = $"LAYER {l + 1} GATES",
                XLabel = "FRACTION LEFT-SATURATED (BELOW 0.1)",
                YLabel = "FRACTION RIGHT-SATURATED (ABOVE 0.9)",
                XMin = 0, XMax = 1, YMin = 0, YMax = 1,
            };
            foreach (var g in gates) p.AddScatter(GateLabel(g.Gate), g.LeftFraction, g.RightFraction);
            plots.Add((l, p.ToPng()));
        }
        return plots;
    }

    private static string GateLabel(string g) => g switch
    {
        "i" => "INPUT GATE", "f" => "FORGET GATE", "o" => "OUTPUT GATE", "r" => "RESET GATE", "z" => "UPDATE GATE", _ => g.ToUpperInvariant(),
    };
}
