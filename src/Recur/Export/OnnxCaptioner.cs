using Recur.Models.Captioning;
using Recur.Nn;
using Recur.Nn.Cells;

namespace Recur.Export;

/// <summary>
/// A captioner (<c>recur caption</c>) over image features as two ONNX graphs a host's decoding loop drives:
/// <list type="bullet">
/// <item>the start: <c>features</c> <c>[B, L, D]</c> (the scene encoder's grid) to the initial <c>h0</c> (and <c>c0</c>)
/// <c>[B, H]</c>: the attention captioner's <c>init_h</c>, <c>init_c</c> of the mean feature (zeros with
/// <c>--initial-state zero</c>), the LSTM captioner's of the flattened grid, zeros for the RNN captioner;</item>
/// <item>the step: <c>features</c>, <c>previous</c> int64 <c>[B]</c> (the start word 1 first) and <c>h</c> (and <c>c</c>) to
/// <c>logits</c> <c>[B, V]</c>, for the attention captioner <c>attention</c> <c>[B, L]</c> (the weights; hard attention
/// with argmax decoding reads the most weighted location's features and reports it one-hot), and <c>hn</c> (<c>cn</c>).
/// The attention captioner's step is Show, Attend and Tell's: additive attention from <c>h</c>, the gate
/// <c>β = σ(gate(h))</c> on the context, an LSTM cell on <c>[embed(y) ; z]</c>, <c>head([h' ; z])</c>, with the class
/// words' offsets when the model has visual words.</item>
/// </list>
/// </summary>
public static class OnnxCaptioner
{
    /// <summary>The start graph.</summary>
    public static byte[] Start(ICaptioner model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var cfg = model.Config;
        var s = model.Store;
        var g = new OnnxGraph("recur-caption-start");
        var o = new OnnxOps(g);
        string a = g.Input("features", OnnxGraph.FloatType, "B", cfg.Locations, cfg.FeatureDim);
        string h0, c0;
        string flat = g.Op("Reshape", [a, o.Longs(0, -1)]); // [B, L*D]
        if (cfg.Kind == "attention" && cfg.InitialState != "zero")
        {
            string mean = g.Op("ReduceMean", [a], ("axes", new long[] { 1 }), ("keepdims", 0));
            (h0, c0) = (o.Linear(mean, s["init_h.weight"], s["init_h.bias"]), o.Linear(mean, s["init_c.weight"], s["init_c.bias"]));
        }
        else if (cfg.Kind == "lstm") (h0, c0) = (o.Linear(flat, s["init_h.weight"], s["init_h.bias"]), o.Linear(flat, s["init_c.weight"], s["init_c.bias"]));
        else
        {
            string zeros = g.Op("ConstantOfShape", [o.Concat(0, o.Slice(g.Op("Shape", [a]), 0, 0, 1), o.Longs(cfg.Hidden))]);
            (h0, c0) = (zeros, g.Op("Identity", [zeros]));
        }
        g.Output(o.Name(h0, "h0"), OnnxGraph.FloatType, "B", cfg.Hidden);
        if (cfg.Kind != "rnn") g.Output(o.Name(c0, "c0"), OnnxGraph.FloatType, "B", cfg.Hidden);
        return g.ToBytes(opset: OnnxOps.Opset);
    }

    /// <summary>The decoding step graph.</summary>
    public static byte[] Step(ICaptioner model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var cfg = model.Config;
        var s = model.Store;
        int H = cfg.Hidden;
        var g = new OnnxGraph("recur-caption-step");
        var o = new OnnxOps(g);
        string a = g.Input("features", OnnxGraph.FloatType, "B", cfg.Locations, cfg.FeatureDim);
        string previous = g.Input("previous", OnnxGraph.Int64Type, "B");
        string h = g.Input("h", OnnxGraph.FloatType, "B", H);
        string? c = cfg.Kind == "rnn" ? null : g.Input("c", OnnxGraph.FloatType, "B", H);
        string e = g.Op("Gather", [o.Param(s["embed.weight"]), previous], ("axis", 0)); // [B, E]
        string[] next;
        string logits;
        if (cfg.Kind == "attention")
        {
            string keys = o.Linear(a, s["att.feature.weight"], s["att.feature.bias"]); // [B, L, K]
            string alpha = OnnxAttention.MaskedSoftmax(o, OnnxAttention.AdditiveScores(o, s, "att", keys, h), null);
            string map = alpha;
            if (cfg.Attention == "hard" && cfg.HardDecoding == "argmax")
            {
                string at = g.Op("ArgMax", [alpha], ("axis", 1), ("keepdims", 0));
                map = g.Op("OneHot", [at, g.Constant(g.Fresh("depth"), [(long)cfg.Locations], 1), g.Constant(g.Fresh("one_hot"), [0f, 1f], 2)], ("axis", -1));
            }
            string z = o.Mul(o.Sigmoid(o.Linear(h, s["gate.weight"], s["gate.bias"])), OnnxAttention.Context(o, map, a)); // [B, D]
            next = OnnxCellSteps.Step(o, CellRegistry.Lstm, Lstm(s, "lstm.", ""), H, o.Concat(1, e, z), [h, c!]);
            logits = Head(o, model, o.Concat(1, next[0], z), next[0]);
            g.Output(o.Name(map, "attention"), OnnxGraph.FloatType, "B", cfg.Locations);
        }
        else
        {
            var lp = Lstm(s, "rnn.", "_l0");
            if (cfg.Kind == "lstm") next = OnnxCellSteps.Step(o, CellRegistry.Lstm, lp, H, e, [h, c!]);
            else
            {
                string image = o.Linear(g.Op("Reshape", [a, o.Longs(0, -1)]), s["image.weight"], s["image.bias"]);
                next = OnnxCellSteps.Step(o, CellRegistry.RnnTanh, lp, H, o.Concat(1, e, image), [h]);
            }
            logits = o.Linear(next[0], s["head.weight"], s["head.bias"]);
        }
        g.Output(o.Name(logits, "logits"), OnnxGraph.FloatType, "B", cfg.Vocab);
        g.Output(o.Name(next[0], "hn"), OnnxGraph.FloatType, "B", H);
        if (c is not null) g.Output(o.Name(next[1], "cn"), OnnxGraph.FloatType, "B", H);
        return g.ToBytes(opset: OnnxOps.Opset);
    }

    private static LayerParameters Lstm(ParameterStore s, string prefix, string suffix)
        => new(s[$"{prefix}weight_ih{suffix}"], s[$"{prefix}weight_hh{suffix}"], s[$"{prefix}bias_ih{suffix}"], s[$"{prefix}bias_hh{suffix}"]);

    /// <summary>
    /// <c>head([h ; z])</c>; with visual words the class words' rows read <c>z</c> only (their <c>h</c> columns are held at
    /// zero) and get <c>noun_offset(h)</c>'s singular or plural offset.
    /// </summary>
    private static string Head(OnnxOps o, ICaptioner model, string hz, string h)
    {
        var cfg = model.Config;
        var s = model.Store;
        var head = s["head.weight"];
        int V = cfg.Vocab, width = head.Shape[1];
        if (cfg.SingularWords.Length == 0) return o.Linear(hz, head, s["head.bias"]);
        var w = head.Value.ToArray();
        var offsets = new float[2 * V]; // [2, V]: row 0 the singular words, row 1 the plural ones
        foreach (var (ids, k) in new[] { (cfg.SingularWords, 0), (cfg.PluralWords, 1) })
            foreach (int v in ids)
            {
                w.AsSpan(v * width, cfg.Hidden).Clear();
                offsets[k * V + v] = 1f;
            }
        string logits = o.Linear(hz, w, width, 0, V, s["head.bias"].Value);
        string off = o.Linear(h, s["noun_offset.weight"], s["noun_offset.bias"]); // [B, 2]
        return o.Add(logits, o.Graph.Op("MatMul", [off, o.Const(offsets, 2, V)]));
    }
}
