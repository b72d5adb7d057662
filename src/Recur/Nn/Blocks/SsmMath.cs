using System.Numerics.Tensors;

namespace Recur.Nn.Blocks;

/// <summary>
/// Elementwise pieces the state-space blocks share (<see cref="LruBlock"/>, <see cref="MambaBlock"/>): SiLU and its
/// derivative, and a layer norm over rows that caches nothing (the
/// per-token <c>Step</c> uses it so it does not overwrite what a pending <c>Backward</c> needs; it does the
/// same arithmetic as <see cref="LayerNorm.Forward"/>).
/// </summary>
internal static class SsmMath
{
    /// <summary><c>sigmoid(x) = 1 / (1 + exp(-x))</c>.</summary>
    public static float Sigmoid(float x) => 1f / (1f + MathF.Exp(-x));

    /// <summary><c>silu(x) = x sigmoid(x)</c>.</summary>
    public static float Silu(float x) => x * Sigmoid(x);

    /// <summary>The derivative of <see cref="Silu"/>: <c>s (1 + x (1 - s))</c> with <c>s = sigmoid(x)</c>.</summary>
    public static float SiluGrad(float x)
    {
        float s = Sigmoid(x);
        return s * (1f + x * (1f - s));
    }


    /// <summary>
    /// Layer norm of the <paramref name="n"/> rows of <c>x (n, C)</c> into <c>y</c> with <paramref name="norm"/>'s
    /// parameters, caching nothing; the same arithmetic as <see cref="LayerNorm.Forward"/>.
    /// </summary>
    public static void LayerNormRows(LayerNorm norm, ReadOnlySpan<float> x, int n, Span<float> y)
    {
        int C = norm.C;
        var w = norm.Weight.Value; var b = norm.Bias.Value;
        for (int r = 0; r < n; r++)
        {
            var xr = x.Slice(r * C, C);
            var yr = y.Slice(r * C, C);
            float mean = TensorPrimitives.Sum(xr) / C;
            TensorPrimitives.Subtract(xr, mean, yr);
            float var = TensorPrimitives.SumOfSquares(yr) / C;
            float rstd = 1f / MathF.Sqrt(var + norm.Eps);
            TensorPrimitives.Multiply(yr, rstd, yr);
            TensorPrimitives.FusedMultiplyAdd(yr, w, b, yr);
        }
    }
}
