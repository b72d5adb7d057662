namespace Recur.Nn;

/// <summary>
/// Lookup table <c>weight (num_embeddings, embedding_dim)</c> as PyTorch's <c>nn.Embedding</c>:
/// token ids <c>(N)</c> to rows <c>(N, embedding_dim)</c>. Initialised N(0, 1) as PyTorch does.
/// </summary>
public sealed class Embedding : IModule
{
    private int[]? _ids;
    private Tensor? _y;

    /// <summary>Registers <c>{prefix}.weight</c>.</summary>
    public Embedding(ParameterStore store, string prefix, int numEmbeddings, int embeddingDim)
    {
        ArgumentNullException.ThrowIfNull(store);
        Guard.Positive(numEmbeddings, nameof(numEmbeddings));
        Guard.Positive(embeddingDim, nameof(embeddingDim));
        Path = prefix;
        NumEmbeddings = numEmbeddings;
        EmbeddingDim = embeddingDim;
        Weight = store.Add(Naming.Join(prefix, "weight"), numEmbeddings, embeddingDim);
    }

    public int NumEmbeddings { get; }
    public int EmbeddingDim { get; }
    public Parameter Weight { get; }

    /// <summary>weight ~ N(0, 1).</summary>
    public void Reset(Rng rng)
    {
        var w = Weight.Value;
        for (int i = 0; i < w.Length; i++) w[i] = rng.NextGaussian();
    }

    /// <summary>Gathers rows; output shape is <paramref name="shape"/> + (embedding_dim), owned by the layer.</summary>
    public Tensor Forward(int[] ids, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(ids);
        if (shape.Length == 0) shape = [ids.Length];
        long vol = 1; foreach (int s in shape) vol *= s;
        if (vol != ids.Length) throw new ArgumentException($"ids has {ids.Length} elements but shape {Tensor.FormatShape(shape)} needs {vol}.", nameof(shape));
        _y = Buffers.Ensure(_y, [.. shape, EmbeddingDim]);
        Forward(ids, _y.Data);
        _ids = ids;
        return _y;
    }

    /// <summary>Span form: <c>y[n, :] = weight[ids[n], :]</c>.</summary>
    public void Forward(ReadOnlySpan<int> ids, Span<float> y)
    {
        int e = EmbeddingDim;
        var w = Weight.Value;
        for (int n = 0; n < ids.Length; n++)
        {
            int id = ids[n];
            if ((uint)id >= (uint)NumEmbeddings)
                throw new ArgumentOutOfRangeException(nameof(ids), id, $"ids[{n}] = {id} is outside the vocabulary [0, {NumEmbeddings}).");
            w.Slice(id * e, e).CopyTo(y.Slice(n * e, e));
        }
    }

    /// <summary>Accumulates <c>dweight[ids[n], :] += dy[n, :]</c> for the last forward.</summary>
    public void Backward(Tensor dy)
    {
        if (_ids is null || _y is null) throw new InvalidOperationException("Backward called before Forward.");
        Guard.Shape(dy, nameof(dy), _y.Shape);
        Backward(_ids, dy.Data);
    }

    /// <summary>Span form of the backward pass.</summary>
    public void Backward(ReadOnlySpan<int> ids, ReadOnlySpan<float> dy)
    {
        int e = EmbeddingDim;
        var g = Weight.Grad;
        for (int n = 0; n < ids.Length; n++)
        {
            var row = g.Slice(ids[n] * e, e);
            System.Numerics.Tensors.TensorPrimitives.Add(row, dy.Slice(n * e, e), row);
        }
    }

    /// <inheritdoc/>
    public string Path { get; } = "";

    /// <inheritdoc/>
    public IReadOnlyList<Parameter> Parameters => [Weight];

    /// <inheritdoc/>
    public bool Training { get; set; }

}
