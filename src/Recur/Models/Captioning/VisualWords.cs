using Recur.Nn;

namespace Recur.Models.Captioning;

/// <summary>
/// The attention captioner's factored output for the words that name what is seen (the class words): their logits read
/// the attended image context <c>z</c> only, <c>s_v = W_z[v] · z + b_v</c>, plus one offset the state <c>h</c> shares
/// among all singular class words and one among all plural ones, <c>o = W_o h + b_o</c> (<c>noun_offset</c>, <c>(2, H)</c>).
/// The state decides <em>that</em> a class word comes, and whether singular or plural; the image alone decides
/// <em>which</em>. Every other word reads <c>[h ; z]</c> as before. So the decoder cannot learn that one class never
/// follows another (a pair absent from training), which a plain head learns from the pairs it never saw and then
/// applies to a new pair whatever the image shows (as slot-filling captioners, e.g. Neural Baby Talk, fill a slot with
/// what the region shows). Implemented on the head <c>nn.Linear(H + D, V)</c>: the <c>h</c> columns of the class words'
/// rows are held at zero (zeroed before every use of the head, their gradient discarded).
/// </summary>
internal sealed class VisualWords
{
    private readonly int[] _singular, _plural;
    private readonly Linear _offset;
    private readonly int _hidden;
    private float[] _off = [], _doff = [], _dh = [];  // (rows, 2), (rows, 2), (rows, H)

    public VisualWords(ParameterStore store, int hidden, int[] singular, int[] plural)
    {
        _singular = singular;
        _plural = plural;
        _hidden = hidden;
        _offset = new Linear(store, "noun_offset", hidden, 2);
    }

    public int Threads { get => _offset.Threads; set => _offset.Threads = value; }

    /// <summary>PyTorch's default for the offset layer; zeroes the <c>h</c> columns of the class words' rows of <paramref name="head"/>.</summary>
    public void Reset(Rng rng, Linear head)
    {
        _offset.Reset(rng);
        ClearStateColumns(head.Weight.Value, head.InFeatures);
    }

    /// <summary>Holds the <c>h</c> columns of the class words' rows of <paramref name="head"/> at zero (before every use of the head).</summary>
    public void Hold(Linear head) => ClearStateColumns(head.Weight.Value, head.InFeatures);

    /// <summary>Adds the shared offsets of <paramref name="h"/> <c>(rows, H)</c> to the class words' logits <c>(rows, V)</c>.</summary>
    public void AddOffsets(ReadOnlySpan<float> h, int rows, Span<float> logits, int vocab)
    {
        _off = Buffers.Ensure(_off, rows * 2);
        _offset.Forward(h[..(rows * _hidden)], rows, _off);
        for (int r = 0; r < rows; r++)
        {
            var row = logits.Slice(r * vocab, vocab);
            foreach (int v in _singular) row[v] += _off[r * 2];
            foreach (int v in _plural) row[v] += _off[r * 2 + 1];
        }
    }

    /// <summary>
    /// Backward of <see cref="AddOffsets"/> from <paramref name="dlogits"/> <c>(rows, V)</c>: accumulates the offset layer's
    /// gradients, adds its share of <c>dh</c> to the first <c>H</c> columns of <paramref name="dhz"/> <c>(rows, stride)</c>,
    /// and discards the gradient of the held-zero columns of <paramref name="head"/>.
    /// </summary>
    public void Backward(ReadOnlySpan<float> h, ReadOnlySpan<float> dlogits, int rows, int vocab, Span<float> dhz, int stride, Linear head)
    {
        _doff = Buffers.Ensure(_doff, rows * 2);
        _dh = Buffers.Ensure(_dh, rows * _hidden);
        for (int r = 0; r < rows; r++)
        {
            var row = dlogits.Slice(r * vocab, vocab);
            float s = 0, p = 0;
            foreach (int v in _singular) s += row[v];
            foreach (int v in _plural) p += row[v];
            _doff[r * 2] = s;
            _doff[r * 2 + 1] = p;
        }
        _offset.Backward(h[..(rows * _hidden)], _doff.AsSpan(0, rows * 2), rows, _dh);
        for (int r = 0; r < rows; r++)
            System.Numerics.Tensors.TensorPrimitives.Add(dhz.Slice(r * stride, _hidden), _dh.AsSpan(r * _hidden, _hidden), dhz.Slice(r * stride, _hidden));
        ClearStateColumns(head.Weight.Grad, head.InFeatures);
    }

    private void ClearStateColumns(Span<float> weight, int inFeatures)
    {
        foreach (int v in _singular) weight.Slice(v * inFeatures, _hidden).Clear();
        foreach (int v in _plural) weight.Slice(v * inFeatures, _hidden).Clear();
    }
}
