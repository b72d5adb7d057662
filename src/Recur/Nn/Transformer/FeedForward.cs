namespace Recur.Nn.Transformer;

/// <summary>
/// The position-wise feed-forward network of a Transformer layer (Vaswani et al. 2017, eq. 2):
/// <c>FFN(x) = max(0, x W_1^T + b_1) W_2^T + b_2</c>, with <c>nn.TransformerEncoderLayer</c>'s names <c>linear1 (F, D)</c> and
/// <c>linear2 (D, F)</c> under the layer's path. Rows <c>(N, D)</c> to rows <c>(N, D)</c>; the hidden <c>(N, F)</c> is kept
/// for Backward.
/// </summary>
public sealed class FeedForward : IModule
{
    private readonly Linear _fc1, _fc2;
    private float[] _h = [], _dh = []; // max(0, x W_1^T + b_1) and its gradient, (N, F) each
    private int _n;

    /// <summary>Registers <c>{prefix}.linear1</c> and <c>{prefix}.linear2</c>.</summary>
    public FeedForward(ParameterStore store, string prefix, int width, int hidden)
    {
        Path = prefix;
        _fc1 = new Linear(store, Naming.Join(prefix, "linear1"), width, hidden);
        _fc2 = new Linear(store, Naming.Join(prefix, "linear2"), hidden, width);
        D = width;
        F = hidden;
    }

    /// <summary>Width <c>D</c>.</summary>
    public int D { get; }

    /// <summary>Hidden width <c>F</c>.</summary>
    public int F { get; }

    /// <summary>Threads for the GEMMs.</summary>
    public int Threads { get; set; } = 1;

    /// <inheritdoc/>
    public string Path { get; }

    /// <inheritdoc/>
    public IReadOnlyList<Parameter> Parameters => [.. _fc1.Parameters, .. _fc2.Parameters];

    /// <inheritdoc/>
    public bool Training { get; set; }

    /// <summary>Xavier-uniform weights, zero biases.</summary>
    public void Reset(Rng rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        float a = MathF.Sqrt(6f / (D + F));
        rng.FillUniform(_fc1.Weight.Value, -a, a);
        rng.FillUniform(_fc2.Weight.Value, -a, a);
        _fc1.Bias!.Value.Clear();
        _fc2.Bias!.Value.Clear();
    }

    /// <summary><c>y (n, D) = FFN(x (n, D))</c>.</summary>
    public void Forward(ReadOnlySpan<float> x, int n, Span<float> y)
    {
        _fc1.Threads = _fc2.Threads = Threads;
        _n = n;
        var h = Capacity.Take(ref _h, n * F);
        _fc1.Forward(x, n, h);
        System.Numerics.Tensors.TensorPrimitives.Max(h, 0f, h);
        _fc2.Forward(h, n, y);
    }

    /// <summary>Backward of the last <see cref="Forward"/> (its input <paramref name="x"/> again) from <c>dy (n, D)</c>: writes <c>dx (n, D)</c>.</summary>
    public void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx)
    {
        _fc1.Threads = _fc2.Threads = Threads;
        int n = _n;
        var h = _h.AsSpan(0, n * F);
        var dh = Capacity.Take(ref _dh, n * F);
        _fc2.Backward(h, dy, n, dh);
        for (int i = 0; i < dh.Length; i++) if (h[i] <= 0f) dh[i] = 0f; // ReLU': 1 where the unit is on
        _fc1.Backward(x, dh, n, dx);
    }
}
