using System.Numerics.Tensors;

namespace Recur.Nn;

/// <summary>
/// Inverted dropout: at training time each unit is kept with probability <c>1 - p</c> and the
/// kept units are scaled by <c>1 / (1 - p)</c>; at test time it is the identity. The lectures'
/// form keeps units unscaled during training and multiplies activations by <c>1 - p</c> at test
/// time; both give the same expected activation <c>E[y] = x</c> relative to the test-time
/// network, inverted dropout simply moves the factor into training so inference needs no change.
/// </summary>
public sealed class Dropout : IModule
{
    private float[]? _mask;

    public Dropout(float p)
    {
        if (!(p >= 0f && p < 1f)) throw new ArgumentOutOfRangeException(nameof(p), p, $"dropout probability must be in [0, 1), got {p}.");
        P = p;
    }

    /// <summary>Probability of zeroing a unit.</summary>
    public float P { get; }

    /// <summary>Fills <paramref name="mask"/> with 0 (probability p) or 1/(1-p) (<see cref="Rng.FillKeepMask"/>).</summary>
    public static void MakeMask(Rng rng, float p, Span<float> mask)
    {
        ArgumentNullException.ThrowIfNull(rng);
        rng.FillKeepMask(mask, p, 1f / (1f - p));
    }

    /// <summary><c>y = x * mask</c> in training (new mask from <paramref name="rng"/>), <c>y = x</c> otherwise.</summary>
    public void Forward(ReadOnlySpan<float> x, Span<float> y, bool training, Rng? rng)
    {
        if (!training || P == 0f) { x.CopyTo(y); _mask = null; return; }
        ArgumentNullException.ThrowIfNull(rng);
        _mask = Buffers.Ensure(_mask, x.Length);
        MakeMask(rng, P, _mask);
        TensorPrimitives.Multiply(x, _mask, y);
    }

    /// <summary><c>dx = dy * mask</c> (or <c>dy</c> when the last forward was not training).</summary>
    public void Backward(ReadOnlySpan<float> dy, Span<float> dx)
    {
        if (_mask is null) { dy.CopyTo(dx); return; }
        TensorPrimitives.Multiply(dy, _mask, dx);
    }

    /// <inheritdoc/>
    public string Path { get; } = "";

    /// <inheritdoc/>
    public IReadOnlyList<Parameter> Parameters => [];

    /// <inheritdoc/>
    public bool Training { get; set; }

}
