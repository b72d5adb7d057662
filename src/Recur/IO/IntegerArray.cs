namespace Recur.IO;

/// <summary>
/// A dense, row-major array of 64-bit integers with a shape: what a safetensors file stores with
/// dtype <c>I64</c> (or <c>I32</c>, widened on read). Checkpoints use it for state that must survive
/// exactly, such as RNG words, data positions and iteration counters, which a float32 tensor would
/// round.
/// </summary>
public sealed class IntegerArray
{
    /// <summary>The elements, row-major.</summary>
    public long[] Data { get; }

    /// <summary>The sizes of each dimension.</summary>
    public int[] Shape { get; }

    /// <summary>Wraps <paramref name="data"/> (no copy) as a rank-1 array of shape <c>(data.Length)</c>.</summary>
    public IntegerArray(long[] data) : this(data, [(data ?? throw new ArgumentNullException(nameof(data))).Length]) { }

    /// <summary>Wraps <paramref name="data"/> (no copy) with <paramref name="shape"/> (an empty shape is a scalar).</summary>
    public IntegerArray(long[] data, int[] shape)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(shape);
        long volume = 1;
        foreach (int s in shape)
        {
            if (s < 0) throw new ArgumentException($"shape {Tensor.FormatShape(shape)} has a negative size.", nameof(shape));
            volume *= s;
            if (volume > Array.MaxLength) throw new ArgumentException($"shape {Tensor.FormatShape(shape)} is too large.", nameof(shape));
        }
        if (volume != data.Length)
            throw new ArgumentException($"data has {data.Length} elements but shape {Tensor.FormatShape(shape)} needs {volume}.", nameof(data));
        Data = data;
        Shape = (int[])shape.Clone();
    }

    /// <summary>A rank-1 array holding the bit patterns of <paramref name="values"/> (e.g. <see cref="Rng.State"/>).</summary>
    public static IntegerArray FromUInt64(ReadOnlySpan<ulong> values)
    {
        var data = new long[values.Length];
        for (int i = 0; i < data.Length; i++) data[i] = unchecked((long)values[i]);
        return new IntegerArray(data);
    }

    /// <summary>A rank-1 array of <paramref name="values"/>.</summary>
    public static IntegerArray FromInt32(ReadOnlySpan<int> values)
    {
        var data = new long[values.Length];
        for (int i = 0; i < data.Length; i++) data[i] = values[i];
        return new IntegerArray(data);
    }

    /// <summary>The elements reinterpreted as unsigned 64-bit words (inverse of <see cref="FromUInt64"/>).</summary>
    public ulong[] ToUInt64()
    {
        var r = new ulong[Data.Length];
        for (int i = 0; i < r.Length; i++) r[i] = unchecked((ulong)Data[i]);
        return r;
    }

    /// <summary>The elements as 32-bit integers; throws if any does not fit.</summary>
    public int[] ToInt32()
    {
        var r = new int[Data.Length];
        for (int i = 0; i < r.Length; i++)
        {
            long v = Data[i];
            if (v < int.MinValue || v > int.MaxValue)
                throw new OverflowException($"element {i} = {v} does not fit in a 32-bit integer.");
            r[i] = (int)v;
        }
        return r;
    }

    /// <summary>Number of elements.</summary>
    public int Length => Data.Length;

    /// <inheritdoc />
    public override string ToString() => $"IntegerArray{Tensor.FormatShape(Shape)}";
}
