using System.Numerics.Tensors;

namespace Recur.Nn.Vision;

/// <summary>
/// The rectifier <c>y = max(x, 0)</c> applied in place, and its backward <c>dx = dy</c> where <c>y &gt; 0</c>, else 0
/// (PyTorch's <c>relu</c>: the gradient at exactly 0 is 0).
/// </summary>
public static class Relu
{
    /// <summary><c>x = max(x, 0)</c> element-wise, in place.</summary>
    public static void ForwardInPlace(Span<float> x) => TensorPrimitives.Max(x, 0f, x);

    /// <summary><c>d = d * (y &gt; 0)</c> in place, from the forward's output <paramref name="y"/>.</summary>
    public static void BackwardInPlace(ReadOnlySpan<float> y, Span<float> d)
    {
        if (y.Length != d.Length) throw new ArgumentException($"y has {y.Length} values, d {d.Length}.");
        for (int i = 0; i < d.Length; i++) if (!(y[i] > 0f)) d[i] = 0f;
    }
}
