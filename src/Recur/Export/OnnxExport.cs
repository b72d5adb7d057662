using Recur.Models;
using Recur.Nn;

namespace Recur.Export;

/// <summary>
/// ONNX forms of Recur's models (<c>recur export RUN --onnx FILE</c>), checked in the tests against ONNX Runtime:
/// <list type="bullet">
/// <item>the character model with LSTM, GRU (reset after or before) or RNN (tanh, ReLU) layers: inputs <c>tokens</c>
/// int64 <c>[T, B]</c> and the initial states <c>h0</c> (and <c>c0</c>) <c>[L, B, H]</c>, outputs <c>logits</c>
/// <c>[T, B, V]</c> and the final states <c>hn</c> (<c>cn</c>); with <c>T = 1</c> it is the sampler's step, state in,
/// state out;</item>
/// <item>the classifiers: the sequence classifier (<c>x</c> <c>[T, B, I]</c> to <c>logits</c> <c>[B, K]</c>) and the CNN
/// (<c>x</c> <c>[B, 1, H, W]</c> to <c>logits</c>).</item>
/// </list>
/// ONNX's recurrent operators order their gates differently from PyTorch (LSTM: i, o, f, c; GRU: z, r, h), so the
/// weights are reordered, not assumed; a GRU that resets after the recurrent product is <c>linear_before_reset = 1</c>.
/// The other cells and the blocks are step graphs (<see cref="OnnxCharStep"/>), the Transformer a sequence graph
/// (<see cref="OnnxTransformer"/>), the decoders pairs of graphs (<see cref="OnnxCaptioner"/>, <see cref="OnnxSeq2Seq"/>).
/// </summary>
public static class OnnxExport
{
    /// <summary>The cells with an ONNX operator.</summary>
    public static IReadOnlyList<string> Cells { get; } = ["lstm", "gru", "gru-cho", "rnn", "rnn-relu"];

    /// <summary>The ONNX model of a character model.</summary>
    public static byte[] Char(CharModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var c = model.Config;
        if (c.IsBlockModel || !Cells.Contains(model.Rnn.Cell.Name) || c.Highway)
            throw new NotSupportedException(
                $"a {(c.Highway ? "highway " : "")}{c.Cell} model has no ONNX form with ONNX's recurrent operators, which exist for "
                + $"{string.Join(", ", Cells)} (without --highway); OnnxCharStep writes its one-step graph.");
        var g = new OnnxGraph("recur-char-model");
        int L = c.Layers, H = c.Hidden, V = c.VocabSize;
        bool lstm = model.Rnn.Cell.HasCellState;
        string tokens = g.Input("tokens", OnnxGraph.Int64Type, "T", "B");
        string h0 = g.Input("h0", OnnxGraph.FloatType, L, "B", H);
        string? c0 = lstm ? g.Input("c0", OnnxGraph.FloatType, L, "B", H) : null;
        string x = model.EmbeddingLayer is { } e
            ? g.Op("Gather", [g.Constant("embedding.weight", e.Weight.Value, V, c.Embed), tokens], ("axis", 0))
            : g.Op("OneHot", [tokens, g.Constant("depth", [(long)V], 1), g.Constant("one_hot_values", [0f, 1f], 2)], ("axis", -1));
        var (top, hn, cn) = Layers(g, model.Rnn, x, h0, c0);
        string logits = Head(g, model.Head, top, matMul: true);
        g.Output(Rename(g, logits, "logits"), OnnxGraph.FloatType, "T", "B", V);
        g.Output(Rename(g, hn, "hn"), OnnxGraph.FloatType, L, "B", H);
        if (cn is not null) g.Output(Rename(g, cn, "cn"), OnnxGraph.FloatType, L, "B", H);
        return g.ToBytes();
    }

    /// <summary>The ONNX model of a classifier (sequence or convolutional).</summary>
    public static byte[] Classifier(IImageClassifier model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var g = new OnnxGraph("recur-classifier");
        string logits;
        switch (model)
        {
            case SequenceClassifier s:
            {
                if (!Cells.Contains(s.Rnn.Cell.Name))
                    throw new NotSupportedException($"a {s.Rnn.Cell.Name} classifier has no ONNX form; the cells ONNX has are {string.Join(", ", Cells)}.");
                string x = g.Input("x", OnnxGraph.FloatType, "T", "B", s.Config.InputSize);
                var (_, hn, _) = Layers(g, s.Rnn, x, null, null);
                string last = g.Op("Gather", [hn, g.Constant("last_layer", [(long)s.Config.Layers - 1])], ("axis", 0)); // a scalar index: [B, H]
                logits = Head(g, s.Head, last, matMul: false);
                break;
            }
            case ConvNet n:
            {
                var cfg = n.Config;
                string h = g.Input("x", OnnxGraph.FloatType, "B", cfg.InChannels, cfg.Rows, cfg.Cols);
                for (int k = 0; k < cfg.Channels.Length; k++)
                {
                    var w = n.Store[$"conv{k}.weight"];
                    string wc = g.Constant($"conv{k}.weight", w.Value, [.. w.Shape.Select(d => (long)d)]);
                    string bc = g.Constant($"conv{k}.bias", n.Store[$"conv{k}.bias"].Value, cfg.Channels[k]);
                    string conv = g.Op("Conv", [h, wc, bc], ("kernel_shape", new long[] { cfg.Kernel, cfg.Kernel }),
                        ("pads", Enumerable.Repeat((long)(cfg.Kernel / 2), 4).ToArray()));
                    h = g.Op("MaxPool", [g.Op("Relu", [conv])], ("kernel_shape", new long[] { cfg.Pool, cfg.Pool }),
                        ("strides", new long[] { cfg.Pool, cfg.Pool }));
                }
                h = g.Op("Flatten", [h], ("axis", 1));
                if (cfg.Fc > 0) h = g.Op("Relu", [Gemm(g, n.Store["fc.weight"], n.Store["fc.bias"], h)]);
                logits = Gemm(g, n.Store["head.weight"], n.Store["head.bias"], h);
                break;
            }
            default: throw new NotSupportedException($"{model.GetType().Name} has no ONNX form.");
        }
        g.Output(Rename(g, logits, "logits"), OnnxGraph.FloatType, "B", model.Classes);
        return g.ToBytes();
    }

    private static string Gemm(OnnxGraph g, Parameter w, Parameter b, string x)
        => g.Op("Gemm", [x, g.Constant(w.Name, w.Value, w.Shape[0], w.Shape[1]), g.Constant(b.Name, b.Value, b.Shape[0])], ("transB", 1));

    /// <summary>
    /// The stack's layers: each an ONNX LSTM, GRU or RNN node on the previous layer's output; returns the top output
    /// <c>[T, B, H]</c> and the final states <c>[L, B, H]</c>.
    /// </summary>
    private static (string Top, string HN, string? CN) Layers(OnnxGraph g, Recurrent rnn, string x, string? h0, string? c0)
    {
        var cell = rnn.Cell;
        int H = rnn.HiddenSize, L = rnn.NumLayers;
        var hs = new List<string>();
        var cs = new List<string>();
        for (int l = 0; l < L; l++)
        {
            var p = rnn.LayerParameters(l);
            int inl = p.WeightIh.Shape[1];
            string op; int[] order; (string, object)[] attrs;
            switch (cell.Name)
            {
                case "lstm": op = "LSTM"; order = [0, 3, 1, 2]; attrs = [("hidden_size", H)]; break;
                case "gru": op = "GRU"; order = [1, 0, 2]; attrs = [("hidden_size", H), ("linear_before_reset", 1)]; break;
                case "gru-cho": op = "GRU"; order = [1, 0, 2]; attrs = [("hidden_size", H), ("linear_before_reset", 0)]; break;
                case "rnn": op = "RNN"; order = [0]; attrs = [("hidden_size", H), ("activations", new[] { "Tanh" })]; break;
                default: op = "RNN"; order = [0]; attrs = [("hidden_size", H), ("activations", new[] { "Relu" })]; break;
            }
            int G = order.Length;
            string w = g.Constant($"rnn.W_l{l}", Reorder(p.WeightIh.Value, order, H, inl), 1, G * H, inl);
            string r = g.Constant($"rnn.R_l{l}", Reorder(p.WeightHh!.Value, order, H, H), 1, G * H, H);
            var bias = new float[2 * G * H];
            if (p.BiasIh is not null) Reorder(p.BiasIh.Value, order, H, 1).CopyTo(bias, 0);
            if (p.BiasHh is not null) Reorder(p.BiasHh.Value, order, H, 1).CopyTo(bias, G * H);
            string b = g.Constant($"rnn.B_l{l}", bias, 1, 2 * G * H);
            string Layer(string? s) => s is null ? "" : g.Op("Slice",
                [s, g.Constant(Fresh(g, "start"), [(long)l], 1), g.Constant(Fresh(g, "end"), [(long)l + 1], 1), g.Constant(Fresh(g, "axes"), [0L], 1)]);
            string[] inputs = cell.HasCellState ? [x, w, r, b, "", Layer(h0), Layer(c0)] : [x, w, r, b, "", Layer(h0)];
            var outs = g.Node(op, inputs, cell.HasCellState ? 3 : 2, attrs);
            x = g.Op("Squeeze", [outs[0], g.Constant(Fresh(g, "axis1"), [1L], 1)]); // Y [T, 1, B, H] -> [T, B, H]
            hs.Add(outs[1]);
            if (cell.HasCellState) cs.Add(outs[2]);
        }
        string hn = L == 1 ? hs[0] : g.Op("Concat", [.. hs], ("axis", 0));
        string? cn = cs.Count == 0 ? null : L == 1 ? cs[0] : g.Op("Concat", [.. cs], ("axis", 0));
        return (x, hn, cn);
    }

    private static string Fresh(OnnxGraph g, string stem) => g.Fresh(stem);

    /// <summary>Gate blocks of a <c>(G*H, cols)</c> matrix (or a <c>(G*H)</c> vector) in the order <paramref name="order"/>.</summary>
    internal static float[] Reorder(ReadOnlySpan<float> m, int[] order, int H, int cols)
    {
        var o = new float[m.Length];
        for (int k = 0; k < order.Length; k++) m.Slice(order[k] * H * cols, H * cols).CopyTo(o.AsSpan(k * H * cols, H * cols));
        return o;
    }

    /// <summary><c>logits = x W^T + b</c>: a MatMul and Add over any leading dimensions, or a Gemm on <c>[B, H]</c>.</summary>
    private static string Head(OnnxGraph g, Linear head, string x, bool matMul)
    {
        if (!matMul) return Gemm(g, head.Weight, head.Bias!, x);
        int V = head.OutFeatures, H = head.InFeatures;
        var wt = new float[H * V];
        var w = head.Weight.Value;
        for (int v = 0; v < V; v++) for (int h = 0; h < H; h++) wt[h * V + v] = w[v * H + h];
        return g.Op("Add", [g.Op("MatMul", [x, g.Constant("head.weight_t", wt, H, V)]), g.Constant("head.bias", head.Bias!.Value, V)]);
    }

    /// <summary>Gives a value its public name through an Identity node.</summary>
    private static string Rename(OnnxGraph g, string value, string name) => g.Node("Identity", [value], [name])[0];
}
