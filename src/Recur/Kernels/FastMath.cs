using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Recur.Kernels;

/// <summary>
/// Single-precision elementwise functions for the hot loops (the LSTM cell, min-char-rnn's softmax).
/// The exponential is a Cody-Waite reduction with Cephes' degree-6 polynomial (about one ulp), on
/// <see cref="Vector256{T}"/> with a scalar twin that does the same arithmetic;
/// <c>sigmoid(x) = 1 / (1 + exp(-x))</c>, <c>tanh(x) = 1 - 2 / (1 + exp(2x))</c> (absolute error
/// about 1e-7 near zero). Callers check <see cref="IsVectorized"/> before the vector forms.
/// </summary>
public static class FastMath
{
    /// <summary>AVX and FMA are there for the vector forms.</summary>
    public static bool IsVectorized => Avx.IsSupported && Fma.IsSupported;

    private const float ExpHi = 88.0f, ExpLo = -87.0f;
    private const float Log2E = 1.44269504088896341f;
    private const float Ln2Hi = 0.693359375f, Ln2Lo = -2.12194440e-4f;
    private const float P0 = 1.9875691500e-4f, P1 = 1.3981999507e-3f, P2 = 8.3334519073e-3f,
        P3 = 4.1665795894e-2f, P4 = 1.6666665459e-1f, P5 = 5.0000001201e-1f;

    /// <summary>exp(x) for x clamped to [-87, 88] (so 2^n stays a normal number); NaN gives NaN.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Exp(Vector256<float> x)
    {
        // x as the second operand: maxps/minps return it when either is NaN, so NaN propagates.
        x = Avx.Min(Vector256.Create(ExpHi), Avx.Max(Vector256.Create(ExpLo), x));
        var n = Avx.RoundToNearestInteger(x * Vector256.Create(Log2E));
        var r = Fma.MultiplyAddNegated(n, Vector256.Create(Ln2Hi), x);
        r = Fma.MultiplyAddNegated(n, Vector256.Create(Ln2Lo), r);
        var p = Fma.MultiplyAdd(Vector256.Create(P0), r, Vector256.Create(P1));
        p = Fma.MultiplyAdd(p, r, Vector256.Create(P2));
        p = Fma.MultiplyAdd(p, r, Vector256.Create(P3));
        p = Fma.MultiplyAdd(p, r, Vector256.Create(P4));
        p = Fma.MultiplyAdd(p, r, Vector256.Create(P5));
        p = Fma.MultiplyAdd(p, r * r, r + Vector256.Create(1f));
        var scale = Vector256.ShiftLeft(Avx.ConvertToVector256Int32(n) + Vector256.Create(127), 23).AsSingle();
        return p * scale;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Sigmoid(Vector256<float> x) => Vector256.Create(1f) / (Vector256.Create(1f) + Exp(-x));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Tanh(Vector256<float> x)
    {
        var two = Vector256.Create(2f);
        return Vector256.Create(1f) - two / (Vector256.Create(1f) + Exp(x * two));
    }

    /// <summary>The scalar twin of the vector <see cref="Exp(Vector256{float})"/>, same arithmetic.</summary>
    public static float Exp(float x)
    {
        x = Math.Min(Math.Max(x, ExpLo), ExpHi);
        float n = MathF.Round(x * Log2E, MidpointRounding.ToEven);
        float r = MathF.FusedMultiplyAdd(-n, Ln2Hi, x);
        r = MathF.FusedMultiplyAdd(-n, Ln2Lo, r);
        float p = MathF.FusedMultiplyAdd(P0, r, P1);
        p = MathF.FusedMultiplyAdd(p, r, P2);
        p = MathF.FusedMultiplyAdd(p, r, P3);
        p = MathF.FusedMultiplyAdd(p, r, P4);
        p = MathF.FusedMultiplyAdd(p, r, P5);
        p = MathF.FusedMultiplyAdd(p, r * r, r + 1f);
        return p * BitConverter.Int32BitsToSingle(((int)n + 127) << 23);
    }

    public static float Sigmoid(float x) => 1f / (1f + Exp(-x));

    public static float Tanh(float x) => 1f - 2f / (1f + Exp(2f * x));

    /// <summary><c>y[i] = tanh(x[i])</c> over spans of equal length (in place allowed).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static unsafe void Tanh(ReadOnlySpan<float> x, Span<float> y)
    {
        if (y.Length < x.Length) throw new ArgumentException($"y holds {y.Length} values, x {x.Length}.", nameof(y));
        int n = x.Length, i = 0;
        fixed (float* px = x, py = y)
        {
            if (IsVectorized)
                for (; i + 8 <= n; i += 8) Avx.Store(py + i, Tanh(Avx.LoadVector256(px + i)));
            for (; i < n; i++) py[i] = Tanh(px[i]);
        }
    }
}
