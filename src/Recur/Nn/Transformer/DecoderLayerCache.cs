namespace Recur.Nn.Transformer;

/// <summary>
/// What one <see cref="TransformerDecoderLayer"/> keeps while decoding step by step: the keys and values of the positions
/// already decoded, <c>(B, capacity, D)</c> each (position <c>p</c> in row <c>p</c>, grown when full), the memory's keys and
/// values projected once, <c>(B·Ts, 2D)</c>, and each row's source length. <see cref="Select"/> reorders the rows (beam search).
/// </summary>
public sealed class DecoderLayerCache
{
    private readonly int _d;
    private float[] _keys, _values;     // (B, capacity, D) each
    private readonly float[] _memoryKv; // (B·Ts, 2D)
    private readonly int[] _sourceLengths, _pastLengths; // (B) each

    /// <summary>An empty cache for <paramref name="batch"/> rows over a memory of <paramref name="sourceSteps"/> positions.</summary>
    public DecoderLayerCache(int width, int heads, int batch, int sourceSteps, ReadOnlySpan<int> sourceLengths, int capacity)
    {
        Guard.Positive(batch, nameof(batch));
        Guard.Positive(sourceSteps, nameof(sourceSteps));
        Guard.Positive(capacity, nameof(capacity));
        if (sourceLengths.Length != batch) throw new ArgumentException($"{sourceLengths.Length} source lengths for {batch} rows.");
        _d = width;
        Batch = batch;
        SourceSteps = sourceSteps;
        Capacity = capacity;
        _keys = new float[batch * capacity * width];
        _values = new float[batch * capacity * width];
        _memoryKv = new float[batch * sourceSteps * 2 * width];
        _sourceLengths = sourceLengths.ToArray();
        _pastLengths = new int[batch];
        SelfCore = new ScaledDotProductAttention(width, heads);
        CrossCore = new ScaledDotProductAttention(width, heads);
        Scratch = new float[7 * batch * width];
    }

    /// <summary>Rows <c>B</c>.</summary>
    public int Batch { get; }

    /// <summary>Memory positions <c>Ts</c>.</summary>
    public int SourceSteps { get; }

    /// <summary>Positions the key and value rows hold before they grow.</summary>
    public int Capacity { get; private set; }

    /// <summary>Positions decoded so far (the next step's position).</summary>
    public int Position { get; private set; }

    /// <summary>The memory's keys and values <c>(B·Ts, 2D)</c>, written by the layer once.</summary>
    public Span<float> MemoryKeysValues => _memoryKv;

    /// <summary>The memory's keys as attention operands.</summary>
    public HeadRows MemoryKeys => HeadRows.Packed(_memoryKv, SourceSteps, 2 * _d);

    /// <summary>The memory's values as attention operands.</summary>
    public HeadRows MemoryValues => HeadRows.Packed(_memoryKv, SourceSteps, 2 * _d, _d);

    /// <summary>Keys of the decoded positions as attention operands.</summary>
    public HeadRows PastKeys => HeadRows.Packed(_keys, Capacity, _d);

    /// <summary>Values of the decoded positions as attention operands.</summary>
    public HeadRows PastValues => HeadRows.Packed(_values, Capacity, _d);

    /// <summary>Each row's source length <c>(B)</c>.</summary>
    public ReadOnlySpan<int> SourceLengths => _sourceLengths;

    /// <summary>Decoded positions per row <c>(B)</c>, all equal to <see cref="Position"/>.</summary>
    public ReadOnlySpan<int> PastLengths => _pastLengths;

    /// <summary>The self-attention kernel of the steps.</summary>
    public ScaledDotProductAttention SelfCore { get; }

    /// <summary>The cross-attention kernel of the steps (its probabilities: the last step's attention over the memory).</summary>
    public ScaledDotProductAttention CrossCore { get; }

    /// <summary>The layer's working rows for one step, <c>7·B·D</c>.</summary>
    public float[] Scratch { get; }

    /// <summary>Doubles the capacity when the next position would not fit.</summary>
    public void EnsureRoom()
    {
        if (Position < Capacity) return;
        int cap = 2 * Capacity, D = _d;
        var k = new float[Batch * cap * D];
        var v = new float[Batch * cap * D];
        for (int b = 0; b < Batch; b++)
        {
            _keys.AsSpan(b * Capacity * D, Position * D).CopyTo(k.AsSpan(b * cap * D));
            _values.AsSpan(b * Capacity * D, Position * D).CopyTo(v.AsSpan(b * cap * D));
        }
        (_keys, _values, Capacity) = (k, v, cap);
    }

    /// <summary>Writes the keys and values of <c>qkv (B, 3D)</c> (columns D..3D) at the current position and advances it.</summary>
    public void Append(ReadOnlySpan<float> qkv)
    {
        EnsureRoom();
        int D = _d, p = Position;
        for (int b = 0; b < Batch; b++)
        {
            qkv.Slice(b * 3 * D + D, D).CopyTo(_keys.AsSpan((b * Capacity + p) * D, D));
            qkv.Slice(b * 3 * D + 2 * D, D).CopyTo(_values.AsSpan((b * Capacity + p) * D, D));
        }
        Position = p + 1;
        Array.Fill(_pastLengths, Position);
    }

    /// <summary>Makes row <c>b</c> a copy of row <c>rows[b]</c>: its decoded keys and values, its memory and its source length.</summary>
    public void Select(ReadOnlySpan<int> rows)
    {
        if (rows.Length != Batch) throw new ArgumentException($"{rows.Length} rows for a batch of {Batch}.", nameof(rows));
        foreach (int r in rows)
            if ((uint)r >= (uint)Batch) throw new ArgumentOutOfRangeException(nameof(rows), r, $"rows must be in [0, {Batch}).");
        Permute(_keys, Capacity * _d, Position * _d, rows);
        Permute(_values, Capacity * _d, Position * _d, rows);
        Permute(_memoryKv, SourceSteps * 2 * _d, SourceSteps * 2 * _d, rows);
        var lengths = _sourceLengths.ToArray();
        for (int b = 0; b < Batch; b++) _sourceLengths[b] = lengths[rows[b]];
    }

    private void Permute(float[] data, int stride, int used, ReadOnlySpan<int> rows)
    {
        if (used == 0) return;
        var copy = new float[Batch * used];
        for (int b = 0; b < Batch; b++) data.AsSpan(b * stride, used).CopyTo(copy.AsSpan(b * used));
        for (int b = 0; b < Batch; b++) copy.AsSpan(rows[b] * used, used).CopyTo(data.AsSpan(b * stride));
    }
}
