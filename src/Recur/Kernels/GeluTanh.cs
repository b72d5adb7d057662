using System.Numerics.Tensors;

namespace Recur.Kernels;

/// <summary>
/// The tanh approximation of GELU, <c>gelu(x) = x/2 (1 + tanh(√(2/π)(x + 0.044715 x³)))</c> (PyTorch's
/// <c>F.gelu(approximate='tanh')</c>, JAX's default), and its derivative, over arrays in vectorised tiles.
/// <see cref="Gelu"/> is the exact (erf) form.
/// </summary>
public static class GeluTanh
{
    private const float GeluC = 0.7978845608028654f, GeluA = 0.044715f; // sqrt(2/pi)

    /// <summary><c>g = x/2 (1 + tanh(√(2/π)(x + 0.044715 x³)))</c>, vectorised in tiles.</summary>
    public static void Forward(ReadOnlySpan<float> a, Span<float> g)
    {
        Span<float> t = stackalloc float[Tile];
        for (int i0 = 0; i0 < a.Length; i0 += Tile)
        {
            int n = Math.Min(Tile, a.Length - i0);
            var x = a.Slice(i0, n); var tt = t[..n]; var y = g.Slice(i0, n);
            Inner(x, tt);
            TensorPrimitives.Tanh(tt, tt);
            TensorPrimitives.Add(tt, 1f, tt);
            TensorPrimitives.Multiply(x, tt, y);
            TensorPrimitives.Multiply(y, 0.5f, y);
        }
    }

    /// <summary><c>d *= g'(a)</c>, <c>g' = (1 + t)/2 + x (1 - t²) √(2/π) (1 + 3·0.044715 x²)/2</c>, vectorised in tiles.</summary>
    public static void Backward(ReadOnlySpan<float> a, Span<float> d)
    {
        Span<float> t = stackalloc float[Tile];
        Span<float> u = stackalloc float[Tile];
        for (int i0 = 0; i0 < a.Length; i0 += Tile)
        {
            int n = Math.Min(Tile, a.Length - i0);
            var x = a.Slice(i0, n); var tt = t[..n]; var uu = u[..n]; var dd = d.Slice(i0, n);
            Inner(x, tt);
            TensorPrimitives.Tanh(tt, tt);                                 // t
            TensorPrimitives.Multiply(x, x, uu);
            TensorPrimitives.Multiply(uu, 3f * GeluA, uu);
            TensorPrimitives.Add(uu, 1f, uu);                              // 1 + 3a x²
            TensorPrimitives.Multiply(uu, x, uu);
            TensorPrimitives.Multiply(uu, 0.5f * GeluC, uu);               // x √(2/π) (1 + 3a x²) / 2
            for (int i = 0; i < n; i++) uu[i] = 0.5f * (1f + tt[i]) + uu[i] * (1f - tt[i] * tt[i]);
            TensorPrimitives.Multiply(dd, uu, dd);
        }
    }

    private const int Tile = 1024;

    /// <summary><c>dst = √(2/π)(x + 0.044715 x³)</c>.</summary>
    private static void Inner(ReadOnlySpan<float> x, Span<float> dst)
    {
        TensorPrimitives.Multiply(x, x, dst);
        TensorPrimitives.Multiply(dst, GeluA, dst);
        TensorPrimitives.Add(dst, 1f, dst);                  // 1 + a x²
        TensorPrimitives.Multiply(dst, x, dst);
        TensorPrimitives.Multiply(dst, GeluC, dst);
    }
}
