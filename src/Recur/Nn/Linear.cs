using Recur.Kernels;

namespace Recur.Nn;

/// <summary>
/// Affine map applied to every row: <c>y = x W^T + b</c>, with PyTorch's <c>nn.Linear</c> names
/// and shapes: <c>weight (out, in)</c>, <c>bias (out)</c>. Input <c>(N, in)</c>, output
/// <c>(N, out)</c>; a sequence <c>(T, B, in)</c> is the same thing with <c>N = T*B</c>.
/// </summary>
public sealed class Linear : IModule
{
    private Tensor? _x;
    private Tensor? _y;
    private Tensor? _dx;

    /// <summary>Registers <c>{prefix}.weight</c> and (with <paramref name="bias"/>) <c>{prefix}.bias</c>.</summary>
    public Linear(ParameterStore store, string prefix, int inFeatures, int outFeatures, bool bias = true)
    {
        ArgumentNullException.ThrowIfNull(store);
        Guard.Positive(inFeatures, nameof(inFeatures));
        Guard.Positive(outFeatures, nameof(outFeatures));
        Path = prefix;
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        Weight = store.Add(Naming.Join(prefix, "weight"), outFeatures, inFeatures);
        Bias = bias ? store.Add(Naming.Join(prefix, "bias"), outFeatures) : null;
    }

    public int InFeatures { get; }
    public int OutFeatures { get; }
    public Parameter Weight { get; }
    public Parameter? Bias { get; }

    /// <summary>Threads for the GEMMs.</summary>
    public int Threads { get; set; } = 1;

    /// <summary>PyTorch's default: weight and bias ~ U(-1/sqrt(in), 1/sqrt(in)).</summary>
    public void Reset(Rng rng)
    {
        float bound = 1f / MathF.Sqrt(InFeatures);
        rng.FillUniform(Weight.Value, -bound, bound);
        if (Bias is not null) rng.FillUniform(Bias.Value, -bound, bound);
    }

    /// <summary>Forward over <c>(..., in)</c>; returns <c>(..., out)</c> owned by the layer (valid until the next call).</summary>
    public Tensor Forward(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Rank < 1 || x.Size(-1) != InFeatures)
            throw new ArgumentException($"x has shape {x.ShapeString}, expected last dimension {InFeatures} (in_features).", nameof(x));
        int n = x.Length / InFeatures;
        var shape = (int[])x.Shape.Clone();
        shape[^1] = OutFeatures;
        _y = Buffers.Ensure(_y, shape);
        Forward(x.Data, n, _y.Data);
        _x = x;
        return _y;
    }

    /// <summary>Span form: <c>y(n, out) = x(n, in) W^T + b</c>.</summary>
    public void Forward(ReadOnlySpan<float> x, int n, Span<float> y)
    {
        int o = OutFeatures, i = InFeatures;
        if (Bias is not null)
        {
            var b = Bias.Value;
            for (int r = 0; r < n; r++) b.CopyTo(y.Slice(r * o, o));
        }
        Gemm.Sgemm(false, true, n, o, i, 1f, x, i, Weight.Value, i, Bias is null ? 0f : 1f, y, o, Threads);
    }

    /// <summary>
    /// Backward for the last <see cref="Forward(Tensor)"/>: accumulates <c>dW += dy^T x</c>,
    /// <c>db += sum_rows dy</c>, returns <c>dx = dy W</c> (owned by the layer).
    /// </summary>
    public Tensor Backward(Tensor dy)
    {
        if (_x is null || _y is null) throw new InvalidOperationException("Backward called before Forward.");
        Guard.Shape(dy, nameof(dy), _y.Shape);
        _dx = Buffers.Ensure(_dx, _x.Shape);
        Backward(_x.Data, dy.Data, _x.Length / InFeatures, _dx.Data);
        return _dx;
    }

    /// <summary>Span form of the backward pass; <paramref name="dx"/> may be empty to skip it.</summary>
    public void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, int n, Span<float> dx)
    {
        int o = OutFeatures, i = InFeatures;
        Gemm.Sgemm(true, false, o, i, n, 1f, dy, o, x, i, 1f, Weight.Grad, i, Threads);
        if (Bias is not null) Reduce.SumRows(dy, n, o, Bias.Grad);
        if (!dx.IsEmpty) Gemm.Sgemm(false, false, n, i, o, 1f, dy, o, Weight.Value, i, 0f, dx, i, Threads);
    }

    /// <inheritdoc/>
    public string Path { get; } = "";

    /// <inheritdoc/>
    public IReadOnlyList<Parameter> Parameters => Bias is null ? [Weight] : [Weight, Bias];

    /// <inheritdoc/>
    public bool Training { get; set; }

}
