using Recur.Models.Seq2Seq;
using Recur.Nn;
using Recur.Nn.Cells;

namespace Recur.Export;

/// <summary>
/// The attention LSTM sequence-to-sequence model (<c>recur g2p --model lstm</c>, <c>recur translate --model rnn</c>) as two
/// ONNX graphs a host's greedy or beam loop drives:
/// <list type="bullet">
/// <item>the encoder: <c>source</c> int64 <c>[Ts, B]</c> (0 on padding) and <c>lengths</c> int64 <c>[B]</c> to
/// <c>annotations</c> <c>[B, Ts, 2He]</c>, <c>keys</c> <c>[B, Ts, K]</c> (the attention's projection of the annotations;
/// absent without attention) and the decoder's initial <c>h0</c>, <c>c0</c> <c>[B, H]</c>: ONNX's bidirectional LSTM with
/// <c>sequence_lens</c> per layer, <c>h0 = tanh(bridge([h_fwd ; h_bwd]))</c>, <c>c0 = 0</c>;</item>
/// <item>the decoder step: <c>previous</c> int64 <c>[B]</c> (the start symbol 1 first), <c>h</c>, <c>c</c>, and the encoder's
/// <c>annotations</c>, <c>keys</c> with <c>lengths</c> to <c>logits</c> <c>[B, V]</c>, <c>attention</c> <c>[B, Ts]</c>
/// (masked beyond each length) and <c>hn</c>, <c>cn</c>.</item>
/// </list>
/// </summary>
public static class OnnxSeq2Seq
{
    /// <summary>The encoder graph.</summary>
    public static byte[] Encoder(Seq2SeqModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var cfg = model.Config;
        var s = model.Store;
        int He = cfg.Hidden, H = cfg.DecoderHidden;
        var g = new OnnxGraph("recur-seq2seq-encoder");
        var o = new OnnxOps(g);
        string source = g.Input("source", OnnxGraph.Int64Type, "Ts", "B");
        string lengths = g.Input("lengths", OnnxGraph.Int64Type, "B");
        string lens32 = g.Op("Cast", [lengths], ("to", 6)); // int32, as sequence_lens wants
        string x = g.Op("Gather", [o.Param(s["src_embed.weight"]), source], ("axis", 0)); // [Ts, B, E]
        string hTop = "";
        int[] order = [0, 3, 1, 2]; // PyTorch i, f, g, o to ONNX i, o, f, c
        for (int l = 0; l < cfg.Layers; l++)
        {
            int inl = s[$"encoder.weight_ih_l{l}"].Shape[1];
            float[] Both(string stem, int cols)
                => [.. OnnxExport.Reorder(s[$"encoder.{stem}_l{l}"].Value, order, He, cols),
                    .. OnnxExport.Reorder(s[$"encoder.{stem}_l{l}_reverse"].Value, order, He, cols)];
            string w = o.Const(Both("weight_ih", inl), 2, 4 * He, inl);
            string r = o.Const(Both("weight_hh", He), 2, 4 * He, He);
            float[] bih = Both("bias_ih", 1), bhh = Both("bias_hh", 1);
            var bias = new float[16 * He]; // per direction [Wb ; Rb]
            for (int d = 0; d < 2; d++)
            {
                bih.AsSpan(d * 4 * He, 4 * He).CopyTo(bias.AsSpan(d * 8 * He));
                bhh.AsSpan(d * 4 * He, 4 * He).CopyTo(bias.AsSpan(d * 8 * He + 4 * He));
            }
            var outs = g.Node("LSTM", [x, w, r, o.Const(bias, 2, 8 * He), lens32], 2, ("hidden_size", He), ("direction", "bidirectional"));
            x = g.Op("Reshape", [g.Op("Transpose", [outs[0]], ("perm", new long[] { 0, 2, 1, 3 })), o.Longs(0, 0, 2 * He)]); // [Ts, B, 2He]
            hTop = outs[1]; // [2, B, He]
        }
        string ann = g.Op("Transpose", [x], ("perm", new long[] { 1, 0, 2 }));
        string final = g.Op("Reshape", [g.Op("Transpose", [hTop], ("perm", new long[] { 1, 0, 2 })), o.Longs(0, -1)]); // [B, 2He]
        string h0 = o.Tanh(o.Linear(final, s["bridge.weight"], s["bridge.bias"]));
        string c0 = g.Op("ConstantOfShape", [g.Op("Shape", [h0])]);
        if (cfg.Attends)
        {
            g.Output(o.Name(ann, "annotations"), OnnxGraph.FloatType, "B", "Ts", 2 * He);
            string keys = cfg.Attention == "bahdanau" ? o.Linear(ann, s["att.feature.weight"], s["att.feature.bias"]) : o.Linear(ann, s["att.proj.weight"]);
            g.Output(o.Name(keys, "keys"), OnnxGraph.FloatType, "B", "Ts", cfg.Attention == "bahdanau" ? cfg.AttentionDim : H);
        }
        g.Output(o.Name(h0, "h0"), OnnxGraph.FloatType, "B", H);
        g.Output(o.Name(c0, "c0"), OnnxGraph.FloatType, "B", H);
        return g.ToBytes(opset: OnnxOps.Opset);
    }

    /// <summary>The decoder's step graph.</summary>
    public static byte[] DecoderStep(Seq2SeqModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var cfg = model.Config;
        var s = model.Store;
        int H = cfg.DecoderHidden, D = cfg.ContextDim;
        var g = new OnnxGraph("recur-seq2seq-step");
        var o = new OnnxOps(g);
        string previous = g.Input("previous", OnnxGraph.Int64Type, "B");
        string h = g.Input("h", OnnxGraph.FloatType, "B", H);
        string c = g.Input("c", OnnxGraph.FloatType, "B", H);
        string x = g.Op("Gather", [o.Param(s["tgt_embed.weight"]), previous], ("axis", 0)); // [B, E]
        string? z = null, alpha = null;
        if (cfg.Attends)
        {
            string ann = g.Input("annotations", OnnxGraph.FloatType, "B", "Ts", D);
            string keys = g.Input("keys", OnnxGraph.FloatType, "B", "Ts", cfg.Attention == "bahdanau" ? cfg.AttentionDim : H);
            string lengths = g.Input("lengths", OnnxGraph.Int64Type, "B");
            string scores = cfg.Attention == "bahdanau"
                ? OnnxAttention.AdditiveScores(o, s, "att", keys, h)
                : g.Op("ReduceSum", [o.Mul(keys, g.Op("Unsqueeze", [h, o.Longs(1)])), o.Longs(2)], ("keepdims", 0));
            alpha = OnnxAttention.MaskedSoftmax(o, scores, lengths);
            z = OnnxAttention.Context(o, alpha, ann);
            x = o.Concat(1, x, z);
        }
        var lp = new LayerParameters(s["decoder.weight_ih"], s["decoder.weight_hh"], s["decoder.bias_ih"], s["decoder.bias_hh"]);
        var next = OnnxCellSteps.Step(o, CellRegistry.Lstm, lp, H, x, [h, c]);
        string logits = o.Linear(z is null ? next[0] : o.Concat(1, next[0], z), s["head.weight"], s["head.bias"]);
        g.Output(o.Name(logits, "logits"), OnnxGraph.FloatType, "B", cfg.TargetVocab);
        if (alpha is not null) g.Output(o.Name(alpha, "attention"), OnnxGraph.FloatType, "B", "Ts");
        g.Output(o.Name(next[0], "hn"), OnnxGraph.FloatType, "B", H);
        g.Output(o.Name(next[1], "cn"), OnnxGraph.FloatType, "B", H);
        return g.ToBytes(opset: OnnxOps.Opset);
    }
}
