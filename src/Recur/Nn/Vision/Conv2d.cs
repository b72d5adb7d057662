using Recur.Kernels;

namespace Recur.Nn.Vision;

/// <summary>
/// A 2-D convolution over a batch of images, PyTorch's <c>nn.Conv2d</c> with a square kernel: input
/// <c>x (B, Cin, H, W)</c>, output <c>y (B, Cout, Ho, Wo)</c>, <c>Ho = (H + 2p - k)/s + 1</c>, parameters
/// <c>weight (Cout, Cin, k, k)</c> and <c>bias (Cout)</c> under PyTorch's names.
/// <para>
/// Forward unfolds every image into the columns of one batch matrix <c>cols (K, B*P)</c>, <c>K = Cin*k*k</c>,
/// <c>P = Ho*Wo</c> (<see cref="Im2Col.Unfold"/>), and makes the whole batch one product
/// <c>Y (Cout, B*P) = W (Cout, K) cols</c>, scattered to <c>(B, Cout, P)</c> with the bias added. Backward gathers
/// <c>dY (Cout, B*P)</c> and computes <c>dW += dY cols^T</c>, <c>db += rowsum(dY)</c> and, when the input's gradient is
/// wanted, <c>dcols = W^T dY</c> folded back onto the pixels (<see cref="Im2Col.Fold"/>).
/// </para>
/// </summary>
public sealed class Conv2d : IModule
{
    private Tensor? _x, _y, _dx;
    private float[]? _cols;   // (K, B*P): the unfolded batch of the last forward
    private float[]? _wide;   // (Cout, B*P): the product before the scatter, and dY in backward
    private float[]? _dcols;  // (K, B*P)

    /// <summary>Registers <c>{prefix}.weight (Cout, Cin, k, k)</c> and, with <paramref name="bias"/>, <c>{prefix}.bias (Cout)</c>.</summary>
    public Conv2d(ParameterStore store, string prefix, int inChannels, int outChannels, int kernel, int stride = 1, int padding = 0, bool bias = true)
    {
        ArgumentNullException.ThrowIfNull(store);
        Guard.Positive(inChannels, nameof(inChannels));
        Guard.Positive(outChannels, nameof(outChannels));
        Guard.Positive(kernel, nameof(kernel));
        Guard.Positive(stride, nameof(stride));
        if (padding < 0 || padding >= kernel) throw new ArgumentOutOfRangeException(nameof(padding), padding, $"padding must be in [0, kernel {kernel}).");
        Path = prefix;
        InChannels = inChannels; OutChannels = outChannels; Kernel = kernel; Stride = stride; Padding = padding;
        Weight = store.Add(Naming.Join(prefix, "weight"), outChannels, inChannels, kernel, kernel);
        Bias = bias ? store.Add(Naming.Join(prefix, "bias"), outChannels) : null;
    }

    public int InChannels { get; }
    public int OutChannels { get; }
    public int Kernel { get; }
    public int Stride { get; }
    public int Padding { get; }
    public Parameter Weight { get; }
    public Parameter? Bias { get; }

    /// <summary>Rows of the unfolded matrix: <c>Cin*k*k</c>.</summary>
    public int FieldSize => InChannels * Kernel * Kernel;

    /// <summary>Threads for the products (results do not depend on it).</summary>
    public int Threads { get; set; } = 1;

    /// <inheritdoc/>
    public string Path { get; }

    /// <inheritdoc/>
    public IReadOnlyList<Parameter> Parameters => Bias is null ? [Weight] : [Weight, Bias];

    /// <inheritdoc/>
    public bool Training { get; set; }

    /// <summary>The output side for an input side <paramref name="size"/>; throws when the kernel does not fit.</summary>
    public int OutputSize(int size)
    {
        int o = Im2Col.OutputSize(size, Kernel, Stride, Padding);
        if (size + 2 * Padding < Kernel || o < 1)
            throw new ArgumentException($"an input of side {size} is smaller than the {Kernel}x{Kernel} kernel with padding {Padding}.");
        return o;
    }

    /// <summary>PyTorch's default initialisation: weight and bias ~ U(-1/sqrt(K), 1/sqrt(K)), <c>K = Cin*k*k</c>.</summary>
    public void Reset(Rng rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        float bound = 1f / MathF.Sqrt(FieldSize);
        rng.FillUniform(Weight.Value, -bound, bound);
        if (Bias is not null) rng.FillUniform(Bias.Value, -bound, bound);
    }

    /// <summary>Forward over <paramref name="x"/> <c>(B, Cin, H, W)</c>; returns <c>(B, Cout, Ho, Wo)</c>, owned by the layer until the next call.</summary>
    public Tensor Forward(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Rank != 4 || x.Shape[1] != InChannels)
            throw new ArgumentException($"x has shape {x.ShapeString}, expected (B, {InChannels}, H, W).", nameof(x));
        int B = x.Shape[0], H = x.Shape[2], W = x.Shape[3];
        int ho = OutputSize(H), wo = OutputSize(W), P = ho * wo, K = FieldSize, N = B * P, Co = OutChannels;
        _cols = Buffers.Ensure(_cols, checked(K * N));
        _wide = Buffers.Ensure(_wide, checked(Co * N));
        int plane = InChannels * H * W;
        for (int b = 0; b < B; b++)
            Im2Col.Unfold(x.Data.AsSpan(b * plane, plane), InChannels, H, W, Kernel, Stride, Padding, _cols.AsSpan(b * P), N);
        Gemm.Sgemm(false, false, Co, N, K, 1f, Weight.Value, K, _cols, N, 0f, _wide, N, Threads);
        _y = Buffers.Ensure(_y, B, Co, ho, wo);
        var y = _y.Data;
        for (int c = 0; c < Co; c++)
        {
            float bias = Bias is null ? 0f : Bias.Value[c];
            var row = _wide.AsSpan(c * N, N);
            for (int b = 0; b < B; b++)
                System.Numerics.Tensors.TensorPrimitives.Add(row.Slice(b * P, P), bias, y.AsSpan((b * Co + c) * P, P));
        }
        _x = x;
        return _y;
    }

    /// <summary>
    /// Backward for the last <see cref="Forward"/>: accumulates the weight and bias gradients from
    /// <paramref name="dy"/> <c>(B, Cout, Ho, Wo)</c> and returns <c>dx (B, Cin, H, W)</c> (owned by the layer), or null
    /// when <paramref name="inputGradient"/> is false (the first layer of a network needs none).
    /// </summary>
    public Tensor? Backward(Tensor dy, bool inputGradient = true)
    {
        if (_x is null || _y is null || _cols is null || _wide is null) throw new InvalidOperationException("Backward called before Forward.");
        Guard.Shape(dy, nameof(dy), _y.Shape);
        int B = _x.Shape[0], H = _x.Shape[2], W = _x.Shape[3], P = _y.Shape[2] * _y.Shape[3], K = FieldSize, N = B * P, Co = OutChannels;
        for (int c = 0; c < Co; c++)
            for (int b = 0; b < B; b++)
                dy.Data.AsSpan((b * Co + c) * P, P).CopyTo(_wide.AsSpan(c * N + b * P, P));
        Gemm.Sgemm(false, true, Co, K, N, 1f, _wide, N, _cols, N, 1f, Weight.Grad, K, Threads);
        if (Bias is not null) Reduce.SumColumns(_wide, Co, N, Bias.Grad);
        if (!inputGradient) return null;
        _dcols = Buffers.Ensure(_dcols, K * N);
        Gemm.Sgemm(true, false, K, N, Co, 1f, Weight.Value, K, _wide, N, 0f, _dcols, N, Threads);
        _dx = Buffers.Ensure(_dx, _x.Shape);
        _dx.Span.Clear();
        int plane = InChannels * H * W;
        for (int b = 0; b < B; b++)
            Im2Col.Fold(_dcols.AsSpan(b * P), N, InChannels, H, W, Kernel, Stride, Padding, _dx.Data.AsSpan(b * plane, plane));
        return _dx;
    }
}
