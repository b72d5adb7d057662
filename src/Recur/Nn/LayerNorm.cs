using System.Numerics.Tensors;

namespace Recur.Nn;

/// <summary>
/// Layer normalisation over the last dimension (Ba et al. 2016), as PyTorch's <c>nn.LayerNorm</c>:
/// <c>y = (x - mean) / sqrt(var + eps) * weight + bias</c> with the biased variance.
/// <c>weight (C)</c> starts at 1, <c>bias (C)</c> at 0.
/// </summary>
public sealed class LayerNorm : IModule
{
    private float[]? _xhat, _rstd;

    public LayerNorm(ParameterStore store, string prefix, int normalizedShape, float eps = 1e-5f)
    {
        ArgumentNullException.ThrowIfNull(store);
        Guard.Positive(normalizedShape, nameof(normalizedShape));
        Path = prefix;
        C = normalizedShape;
        Eps = eps;
        Weight = store.Add(Naming.Join(prefix, "weight"), normalizedShape);
        Bias = store.Add(Naming.Join(prefix, "bias"), normalizedShape);
        Reset();
    }

    public int C { get; }
    public float Eps { get; }
    public Parameter Weight { get; }
    public Parameter Bias { get; }

    public void Reset() { Weight.Value.Fill(1f); Bias.Value.Clear(); }

    /// <summary>Normalises each of the <paramref name="n"/> rows of <c>x (n, C)</c> into <paramref name="y"/>.</summary>
    public void Forward(ReadOnlySpan<float> x, int n, Span<float> y)
    {
        _xhat = Buffers.Ensure(_xhat, n * C);
        _rstd = Buffers.Ensure(_rstd, n);
        var w = Weight.Value; var b = Bias.Value;
        for (int r = 0; r < n; r++)
        {
            var xr = x.Slice(r * C, C);
            var xh = _xhat.AsSpan(r * C, C);
            float mean = TensorPrimitives.Sum(xr) / C;
            TensorPrimitives.Subtract(xr, mean, xh);
            float var = TensorPrimitives.SumOfSquares(xh) / C;
            float rstd = 1f / MathF.Sqrt(var + Eps);
            _rstd[r] = rstd;
            TensorPrimitives.Multiply(xh, rstd, xh);
            TensorPrimitives.FusedMultiplyAdd(xh, w, b, y.Slice(r * C, C));
        }
    }

    /// <summary>
    /// Backward for the last forward: accumulates dweight, dbias and writes
    /// <c>dx = rstd * (g - mean(g) - xhat * mean(g * xhat))</c> with <c>g = dy * weight</c>.
    /// </summary>
    public void Backward(ReadOnlySpan<float> dy, int n, Span<float> dx)
    {
        if (_xhat is null || _rstd is null || _xhat.Length != n * C) throw new InvalidOperationException("Backward called before a matching Forward.");
        var w = Weight.Value; var dw = Weight.Grad; var db = Bias.Grad;
        Span<float> g = C <= 4096 ? stackalloc float[C] : new float[C];
        for (int r = 0; r < n; r++)
        {
            var dyr = dy.Slice(r * C, C);
            var xh = _xhat.AsSpan(r * C, C);
            TensorPrimitives.FusedMultiplyAdd(dyr, xh, dw, dw);
            TensorPrimitives.Add(db, dyr, db);
            TensorPrimitives.Multiply(dyr, w, g);
            float meanG = TensorPrimitives.Sum(g) / C;
            float meanGx = TensorPrimitives.Dot(g, xh) / C;
            var dxr = dx.Slice(r * C, C);
            // dx = rstd * (g - meanG - xh * meanGx)
            TensorPrimitives.MultiplyAdd(xh, -meanGx, g, dxr);
            TensorPrimitives.Add(dxr, -meanG, dxr);
            TensorPrimitives.Multiply(dxr, _rstd[r], dxr);
        }
    }

    /// <inheritdoc/>
    public string Path { get; } = "";

    /// <inheritdoc/>
    public IReadOnlyList<Parameter> Parameters => [Weight, Bias];

    /// <inheritdoc/>
    public bool Training { get; set; }

}
