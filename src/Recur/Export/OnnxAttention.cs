using Recur.Nn;

namespace Recur.Export;

/// <summary>
/// The decoders' attention as ONNX operators (Bahdanau's additive scores, a softmax masked to each row's length, the
/// weighted context), shared by the sequence-to-sequence and captioning step graphs.
/// </summary>
public static class OnnxAttention
{
    /// <summary>
    /// Additive scores <c>score · tanh(keys + query(h))</c> <c>[B, L]</c> from <c>keys</c> <c>[B, L, K]</c> (the features'
    /// projection, its bias included) and <c>h</c> <c>[B, H]</c>, with the parameters <c>{prefix}.query.weight</c> and
    /// <c>{prefix}.score.weight</c>.
    /// </summary>
    public static string AdditiveScores(OnnxOps o, ParameterStore s, string prefix, string keys, string h)
    {
        var g = o.Graph;
        string q = g.Op("Unsqueeze", [o.Linear(h, s[$"{prefix}.query.weight"]), o.Longs(1)]); // [B, 1, K]
        string e = o.Linear(o.Tanh(o.Add(keys, q)), s[$"{prefix}.score.weight"]);             // [B, L, 1]
        return g.Op("Squeeze", [e, o.Longs(2)]);
    }

    /// <summary>
    /// Softmax over axis 1 of <c>scores</c> <c>[B, L]</c>; with <paramref name="lengths"/> (int64 <c>[B]</c>), locations at or
    /// beyond a row's length get no weight.
    /// </summary>
    public static string MaskedSoftmax(OnnxOps o, string scores, string? lengths)
    {
        var g = o.Graph;
        if (lengths is not null)
        {
            string L = g.Op("Squeeze", [o.Slice(g.Op("Shape", [scores]), 0, 1, 1), o.Longs(0)]);
            string j = g.Op("Unsqueeze", [g.Op("Range", [g.Constant(g.Fresh("zero"), [0L]), L, g.Constant(g.Fresh("one"), [1L])]), o.Longs(0)]); // [1, L]
            string beyond = g.Op("GreaterOrEqual", [j, g.Op("Unsqueeze", [lengths, o.Longs(1)])]);                                           // [B, L]
            scores = g.Op("Where", [beyond, o.Scalar(float.NegativeInfinity), scores]);
        }
        return g.Op("Softmax", [scores], ("axis", 1));
    }

    /// <summary>The context <c>Σ_i α_i a_i</c> <c>[B, D]</c> of weights <c>[B, L]</c> over features <c>[B, L, D]</c>.</summary>
    public static string Context(OnnxOps o, string alpha, string features)
        => o.Graph.Op("ReduceSum", [o.Mul(o.Graph.Op("Unsqueeze", [alpha, o.Longs(2)]), features), o.Longs(1)], ("keepdims", 0));
}
