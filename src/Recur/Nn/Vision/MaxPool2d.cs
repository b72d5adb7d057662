namespace Recur.Nn.Vision;

/// <summary>
/// Max pooling, PyTorch's <c>nn.MaxPool2d(k, stride)</c> without padding: <c>x (B, C, H, W)</c> to
/// <c>y (B, C, Ho, Wo)</c>, <c>Ho = (H - k)/s + 1</c>, each output the largest input of its window. A window's
/// first largest value in raster order wins (PyTorch's CPU rule; a NaN wins over numbers), and only it receives the
/// gradient. No parameters.
/// </summary>
public sealed class MaxPool2d : IModule
{
    private int[]? _argmax;   // (B*C*Ho*Wo): the flat input index each output came from
    private Tensor? _y, _dx;
    private int[]? _inShape;

    /// <summary>A pool of <paramref name="kernel"/> x <paramref name="kernel"/> windows every <paramref name="stride"/> (default: the kernel) pixels.</summary>
    public MaxPool2d(int kernel, int stride = 0)
    {
        Guard.Positive(kernel, nameof(kernel));
        if (stride < 0) throw new ArgumentOutOfRangeException(nameof(stride), stride, "stride must be positive (0: the kernel).");
        Kernel = kernel;
        Stride = stride == 0 ? kernel : stride;
    }

    public int Kernel { get; }
    public int Stride { get; }

    /// <summary>The output side for an input side <paramref name="size"/>; throws when the window does not fit.</summary>
    public int OutputSize(int size)
    {
        if (size < Kernel) throw new ArgumentException($"an input of side {size} is smaller than the {Kernel}x{Kernel} pooling window.");
        return (size - Kernel) / Stride + 1;
    }

    /// <summary>Forward over <c>(B, C, H, W)</c>; the result is owned by the layer until the next call.</summary>
    public Tensor Forward(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        Guard.Rank(x, nameof(x), 4, "(B, C, H, W)");
        int B = x.Shape[0], C = x.Shape[1], H = x.Shape[2], W = x.Shape[3];
        int ho = OutputSize(H), wo = OutputSize(W), k = Kernel, s = Stride;
        _y = Buffers.Ensure(_y, B, C, ho, wo);
        _argmax = _argmax is not null && _argmax.Length == _y.Length ? _argmax : new int[_y.Length];
        var src = x.Data; var y = _y.Data; var arg = _argmax;
        int o = 0;
        for (int plane = 0; plane < B * C; plane++)
        {
            int baseIndex = plane * H * W;
            for (int oy = 0; oy < ho; oy++)
                for (int ox = 0; ox < wo; ox++, o++)
                {
                    int best = baseIndex + oy * s * W + ox * s;
                    float m = src[best];
                    for (int i = 0; i < k; i++)
                    {
                        int row = baseIndex + (oy * s + i) * W + ox * s;
                        for (int j = 0; j < k; j++)
                        {
                            float v = src[row + j];
                            if (v > m || (float.IsNaN(v) && !float.IsNaN(m))) { m = v; best = row + j; }
                        }
                    }
                    y[o] = m;
                    arg[o] = best;
                }
        }
        _inShape = x.Shape;
        return _y;
    }

    /// <summary>Backward for the last <see cref="Forward"/>: <c>dx (B, C, H, W)</c> with each output's gradient on its winner (owned by the layer).</summary>
    public Tensor Backward(Tensor dy)
    {
        if (_y is null || _argmax is null || _inShape is null) throw new InvalidOperationException("Backward called before Forward.");
        Guard.Shape(dy, nameof(dy), _y.Shape);
        _dx = Buffers.Ensure(_dx, _inShape);
        var dx = _dx.Data;
        Array.Clear(dx);
        var g = dy.Data;
        for (int o = 0; o < g.Length; o++) dx[_argmax[o]] += g[o];
        return _dx;
    }

    /// <inheritdoc/>
    public string Path => "";

    /// <inheritdoc/>
    public IReadOnlyList<Parameter> Parameters => [];

    /// <inheritdoc/>
    public bool Training { get; set; }
}
