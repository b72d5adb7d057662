using System.Numerics.Tensors;

namespace Recur.Kernels;

/// <summary>
/// The numerically stable softmax: <c>exp(x_i - max x) / Σ_j exp(x_j - max x)</c>, which neither overflows for
/// large scores nor divides by zero for very negative ones; -∞ entries get 0.
/// </summary>
public static class Softmax
{
    /// <summary>Replaces <paramref name="s"/> by its softmax.</summary>
    public static void InPlace(Span<float> s)
    {
        float max = TensorPrimitives.Max(s);
        TensorPrimitives.Subtract(s, max, s);
        TensorPrimitives.Exp(s, s);
        float sum = 0f;
        for (int j = 0; j < s.Length; j++) sum += s[j];
        TensorPrimitives.Multiply(s, 1f / sum, s);
    }
}
