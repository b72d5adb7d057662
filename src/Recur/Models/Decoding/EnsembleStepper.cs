namespace Recur.Models.Decoding;

/// <summary>
/// Several decoders over the same rows and vocabulary driven as one (an ensemble, as neural translation and
/// pronunciation systems combine independently trained models): each step feeds every member the same tokens and
/// returns, per row, the log of the members' mean next-token probability, <c>log (1/M Σ_m softmax(logits_m))</c>
/// (normalised already, so every decoding strategy reads it as logits). Beam search's reordering reaches every member;
/// the attention reported is the members' mean map when every member attends over the same locations, else the first
/// member's.
/// </summary>
public sealed class EnsembleStepper : IDecoderStepper
{
    private readonly IReadOnlyList<IDecoderStepper> _members;
    private readonly int _vocab;
    private readonly float[] _logProbs;   // the combined rows (B, V)
    private readonly float[] _memberRow;  // one member's log-softmax of one row (V)
    private float[] _attention = [];       // the members' mean attention (B, L)

    /// <summary>An ensemble of <paramref name="members"/> (at least one, all over the same batch) with <paramref name="vocab"/> tokens.</summary>
    public EnsembleStepper(IReadOnlyList<IDecoderStepper> members, int vocab)
    {
        ArgumentNullException.ThrowIfNull(members);
        if (members.Count == 0) throw new ArgumentException("an ensemble needs at least one decoder.", nameof(members));
        if (vocab < 1) throw new ArgumentOutOfRangeException(nameof(vocab), vocab, "the vocabulary must hold at least one token.");
        Batch = members[0].Batch;
        if (members.Any(m => m.Batch != Batch))
            throw new ArgumentException(
                $"the members decode batches of {string.Join(", ", members.Select(m => m.Batch))} rows; they must agree.", nameof(members));
        _members = members;
        _vocab = vocab;
        _logProbs = new float[Batch * vocab];
        _memberRow = new float[vocab];
    }

    /// <summary>
    /// The decoder of <paramref name="members"/> together: the one member itself when there is one (its own logits, no
    /// renormalising), else an <see cref="EnsembleStepper"/>.
    /// </summary>
    public static IDecoderStepper Of(IReadOnlyList<IDecoderStepper> members, int vocab)
    {
        ArgumentNullException.ThrowIfNull(members);
        return members.Count == 1 ? members[0] : new EnsembleStepper(members, vocab);
    }

    /// <inheritdoc/>
    public int Batch { get; }

    /// <summary>Decoders combined.</summary>
    public int Members => _members.Count;

    /// <inheritdoc/>
    public ReadOnlySpan<float> Attention
    {
        get
        {
            var first = _members[0].Attention;
            int length = first.Length;
            if (_members.Count == 1 || length == 0 || _members.Any(m => m.Attention.Length != length)) return first;
            if (_attention.Length != length) _attention = new float[length];
            first.CopyTo(_attention);
            for (int m = 1; m < _members.Count; m++) System.Numerics.Tensors.TensorPrimitives.Add(_attention, _members[m].Attention, _attention);
            System.Numerics.Tensors.TensorPrimitives.Divide(_attention, _members.Count, _attention);
            return _attention;
        }
    }

    /// <inheritdoc/>
    public ReadOnlySpan<float> Step(ReadOnlySpan<int> previous)
    {
        int M = _members.Count, V = _vocab;
        for (int m = 0; m < M; m++)
        {
            var logits = _members[m].Step(previous);
            if (logits.Length != Batch * V) throw new InvalidOperationException($"member {m} returned {logits.Length} logits, not {Batch} x {V}.");
            for (int b = 0; b < Batch; b++)
            {
                BeamSearch.LogSoftmax(logits.Slice(b * V, V), _memberRow);
                if (m == 0) _memberRow.CopyTo(_logProbs.AsSpan(b * V, V));
                else Combine(_logProbs.AsSpan(b * V, V), _memberRow, m);
            }
        }
        return _logProbs;
    }

    /// <summary>
    /// <paramref name="running"/> holds <c>log (1/m Σ_{j&lt;m} p_j)</c>; makes it <c>log (1/(m+1) Σ_{j≤m} p_j)</c> with
    /// member <paramref name="m"/>'s <paramref name="next"/> = <c>log p_m</c>, by a stable log-sum-exp.
    /// </summary>
    private static void Combine(Span<float> running, ReadOnlySpan<float> next, int m)
    {
        double wOld = Math.Log(m), wAll = Math.Log(m + 1);
        for (int v = 0; v < running.Length; v++)
        {
            double a = running[v] + wOld, b = next[v];
            double hi = Math.Max(a, b);
            running[v] = double.IsNegativeInfinity(hi) ? float.NegativeInfinity
                : (float)(hi + Math.Log(Math.Exp(a - hi) + Math.Exp(b - hi)) - wAll);
        }
    }

    /// <inheritdoc/>
    public void Select(ReadOnlySpan<int> rows)
    {
        foreach (var m in _members) m.Select(rows);
    }
}
