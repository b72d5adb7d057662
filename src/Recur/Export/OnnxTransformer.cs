using Recur.Models;

namespace Recur.Export;

/// <summary>
/// The character model of Transformer blocks as a whole-sequence ONNX graph: <c>tokens</c> int64 <c>[T, B]</c> to
/// <c>logits</c> <c>[T, B, V]</c>, the first <c>T ≤ Context</c> tokens from an empty cache (positions <c>0..T-1</c>,
/// causal mask). Each block: <c>u = LN_1(x) + wpe[t]</c>, multi-head attention <c>softmax(q k^T / √dh + mask) v</c>,
/// <c>x += c_proj(a)</c>, <c>x += MLP(LN_2(x))</c> with the exact GELU; then the final layer norm and the head. A host
/// samples by running the whole prefix each step (the cache of Recur's sampler has no fixed-size ONNX form).
/// </summary>
public static class OnnxTransformer
{
    /// <summary>The whole-sequence graph of a Transformer character model.</summary>
    public static byte[] Build(CharModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var c = model.Config;
        if (c.Cell != "transformer") throw new ArgumentException($"a {c.Cell} model is not a Transformer.", nameof(model));
        var s = model.Store;
        int D = c.Hidden, Hd = c.Heads, dh = D / Hd, V = c.VocabSize;
        var g = new OnnxGraph("recur-char-transformer");
        var o = new OnnxOps(g);
        string tokens = g.Input("tokens", OnnxGraph.Int64Type, "T", "B");
        string x = g.Op("Gather", [o.Param(model.EmbeddingLayer!.Weight), tokens], ("axis", 0)); // [T, B, D]
        string T = g.Op("Squeeze", [o.Slice(g.Op("Shape", [tokens]), 0, 0, 1), o.Longs(0)]);      // scalar
        string t = g.Op("Range", [g.Constant(g.Fresh("zero"), [0L]), T, g.Constant(g.Fresh("one"), [1L])]); // [T]
        string seen = g.Op("LessOrEqual", [g.Op("Unsqueeze", [t, o.Longs(0)]), g.Op("Unsqueeze", [t, o.Longs(1)])]); // [T, T]: key j <= query i
        string heads = o.Longs(0, 0, Hd, dh), merged = o.Longs(0, 0, D);
        for (int l = 0; l < c.Layers; l++)
        {
            string p = $"blocks.{l}";
            string pos = g.Op("Unsqueeze", [g.Op("Gather", [o.Param(s[$"{p}.wpe.weight"]), t], ("axis", 0)), o.Longs(1)]); // [T, 1, D]
            string u = o.Add(o.LayerNorm(x, s, $"{p}.ln_1"), pos);
            string qkv = o.Linear(u, s[$"{p}.attn.c_attn.weight"], s[$"{p}.attn.c_attn.bias"]); // [T, B, 3D]
            string Split(int k, long[] perm) => g.Op("Transpose", [g.Op("Reshape", [o.Slice(qkv, 2, k * D, D), heads])], ("perm", perm));
            string q = Split(0, [1, 2, 0, 3]), kt = Split(1, [1, 2, 3, 0]), v = Split(2, [1, 2, 0, 3]); // [B, Hd, T, dh], [B, Hd, dh, T]
            string scores = o.Mul(g.Op("MatMul", [q, kt]), o.Scalar(1f / MathF.Sqrt(dh)));                  // [B, Hd, T, T]
            string att = g.Op("Softmax", [g.Op("Where", [seen, scores, o.Scalar(float.NegativeInfinity)])], ("axis", -1));
            string a = g.Op("Reshape", [g.Op("Transpose", [g.Op("MatMul", [att, v])], ("perm", new long[] { 2, 0, 1, 3 })), merged]);
            x = o.Add(x, o.Linear(a, s[$"{p}.attn.c_proj.weight"], s[$"{p}.attn.c_proj.bias"]));
            string fc = o.GeluErf(o.Linear(o.LayerNorm(x, s, $"{p}.ln_2"), s[$"{p}.mlp.c_fc.weight"], s[$"{p}.mlp.c_fc.bias"]));
            x = o.Add(x, o.Linear(fc, s[$"{p}.mlp.c_proj.weight"], s[$"{p}.mlp.c_proj.bias"]));
        }
        string logits = o.Linear(o.LayerNorm(x, s, "norm"), model.Head.Weight, model.Head.Bias);
        g.Output(o.Name(logits, "logits"), OnnxGraph.FloatType, "T", "B", V);
        return g.ToBytes(opset: OnnxOps.Opset);
    }
}
