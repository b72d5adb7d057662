namespace Recur;

/// <summary>
/// A dense, row-major float32 array with a shape. Recur's layers take and return tensors; the
/// kernels underneath work on spans of <see cref="Data"/>. Sequence tensors are time-major
/// <c>(T, B, C)</c> unless a layer's <c>batchFirst</c> flag says <c>(B, T, C)</c>.
/// </summary>
public sealed class Tensor
{
    /// <summary>The elements, row-major (last index fastest).</summary>
    public float[] Data { get; }

    /// <summary>The sizes of each dimension.</summary>
    public int[] Shape { get; }

    /// <summary>Number of elements.</summary>
    public int Length => Data.Length;

    /// <summary>Number of dimensions.</summary>
    public int Rank => Shape.Length;

    /// <summary>A zero-filled tensor of the given shape.</summary>
    public Tensor(params int[] shape)
        : this(new float[CheckedVolume(shape, nameof(shape))], shape)
    {
    }

    /// <summary>Wraps <paramref name="data"/> (no copy) with the given shape.</summary>
    public Tensor(float[] data, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(shape);
        long volume = CheckedVolume(shape, nameof(shape));
        if (volume != data.Length)
            throw new ArgumentException(
                $"data has {data.Length} elements but shape {FormatShape(shape)} needs {volume}.", nameof(data));
        Data = data;
        Shape = (int[])shape.Clone();
    }

    /// <summary>The elements as a span.</summary>
    public Span<float> Span => Data;

    /// <summary>Size of dimension <paramref name="dim"/> (negative counts from the end).</summary>
    public int Size(int dim) => Shape[dim < 0 ? Shape.Length + dim : dim];

    /// <summary>Element access by full index.</summary>
    public float this[params int[] index]
    {
        get => Data[Offset(index)];
        set => Data[Offset(index)] = value;
    }

    /// <summary>A zero tensor.</summary>
    public static Tensor Zeros(params int[] shape) => new(shape);

    /// <summary>A tensor of independent N(0, std^2) samples drawn from <paramref name="rng"/>.</summary>
    public static Tensor Randn(Rng rng, float std, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(rng);
        var t = new Tensor(shape);
        for (int i = 0; i < t.Data.Length; i++) t.Data[i] = std * rng.NextGaussian();
        return t;
    }

    /// <summary>A tensor of U(-bound, bound) samples.</summary>
    public static Tensor Uniform(Rng rng, float bound, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(rng);
        var t = new Tensor(shape);
        rng.FillUniform(t.Data, -bound, bound);
        return t;
    }

    /// <summary>A copy with its own storage.</summary>
    public Tensor Clone() => new((float[])Data.Clone(), Shape);

    /// <summary>The same storage seen with another shape of equal volume.</summary>
    public Tensor Reshape(params int[] shape) => new(Data, shape);

    /// <summary>Shape as text, e.g. <c>(3, 7, 5)</c>.</summary>
    public string ShapeString => FormatShape(Shape);

    /// <inheritdoc />
    public override string ToString() => $"Tensor{ShapeString}";

    /// <summary>True when the shape equals <paramref name="shape"/>.</summary>
    public bool HasShape(params int[] shape) => Shape.AsSpan().SequenceEqual(shape);

    internal static string FormatShape(ReadOnlySpan<int> shape) => "(" + string.Join(", ", shape.ToArray()) + ")";

    private int Offset(int[] index)
    {
        if (index.Length != Shape.Length)
            throw new ArgumentException($"index has {index.Length} dimensions, tensor has {Shape.Length}.", nameof(index));
        int off = 0;
        for (int d = 0; d < index.Length; d++)
        {
            if ((uint)index[d] >= (uint)Shape[d])
                throw new IndexOutOfRangeException($"index {index[d]} out of range for dimension {d} of size {Shape[d]}.");
            off = off * Shape[d] + index[d];
        }
        return off;
    }

    private static int CheckedVolume(int[] shape, string name)
    {
        ArgumentNullException.ThrowIfNull(shape, name);
        long v = 1;
        foreach (int s in shape)
        {
            if (s < 0) throw new ArgumentException($"shape {FormatShape(shape)} has a negative size.", name);
            v *= s;
            if (v > Array.MaxLength) throw new ArgumentException($"shape {FormatShape(shape)} is too large.", name);
        }
        return (int)v;
    }
}
