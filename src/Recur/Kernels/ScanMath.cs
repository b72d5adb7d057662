using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Recur.Kernels;

/// <summary>
/// Fused elementwise math of the log-space scans, one pass over memory with everything in registers
/// (<c>Vector256</c> where the hardware has it, the same formulas in scalar form for the tail and
/// elsewhere): <c>softplus</c>, <c>logaddexp</c>, the log-space scan's steps.
/// </summary>
public static class ScanMath
{
    /// <summary>True when the 256-bit paths run in hardware.</summary>
    public static bool Vectorized => Vector256.IsHardwareAccelerated;

    /// <summary><c>log(1 + exp(-|x|))</c>, the correction term of softplus and logaddexp.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Log1pExpNegAbs(Vector256<float> x)
        => Vector256.Log(Vector256<float>.One + Vector256.Exp(-Vector256.Abs(x)));

    /// <inheritdoc cref="Log1pExpNegAbs(Vector256{float})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Log1pExpNegAbs(float x) => MathF.Log(1f + MathF.Exp(-MathF.Abs(x)));

    /// <summary><c>softplus(x) = log(1 + exp(x)) = max(x, 0) + log(1 + exp(-|x|))</c>, stable for any x.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Softplus(Vector256<float> x) => Vector256.Max(x, Vector256<float>.Zero) + Log1pExpNegAbs(x);

    /// <inheritdoc cref="Softplus(Vector256{float})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Softplus(float x) => MathF.Max(x, 0f) + Log1pExpNegAbs(x);

    /// <summary><c>log(exp(a) + exp(b))</c>; <c>a = -inf</c> gives <c>b</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> LogAddExp(Vector256<float> a, Vector256<float> b) => Vector256.Max(a, b) + Log1pExpNegAbs(a - b);

    /// <inheritdoc cref="LogAddExp(Vector256{float}, Vector256{float})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float LogAddExp(float a, float b) => MathF.Max(a, b) + Log1pExpNegAbs(a - b);

    /// <summary>
    /// One step of a scan's composition, in place: <c>lb = logaddexp(prevB + la, lb)</c>, then <c>la += prevA</c>
    /// (<c>(prevA, prevB) ∘ (la, lb)</c>).
    /// </summary>
    public static void Compose(ReadOnlySpan<float> prevA, ReadOnlySpan<float> prevB, Span<float> la, Span<float> lb)
    {
        int n = la.Length, j = 0;
        if (Vectorized)
        {
            ref float pa = ref Unsafe.AsRef(in prevA[0]), pb = ref Unsafe.AsRef(in prevB[0]);
            ref float a = ref la[0], b = ref lb[0];
            for (; j <= n - 8; j += 8)
            {
                var va = Vector256.LoadUnsafe(ref a, (nuint)j);
                var vb = Vector256.LoadUnsafe(ref b, (nuint)j);
                LogAddExp(Vector256.LoadUnsafe(ref pb, (nuint)j) + va, vb).StoreUnsafe(ref b, (nuint)j);
                (va + Vector256.LoadUnsafe(ref pa, (nuint)j)).StoreUnsafe(ref a, (nuint)j);
            }
        }
        for (; j < n; j++)
        {
            lb[j] = LogAddExp(prevB[j] + la[j], lb[j]);
            la[j] += prevA[j];
        }
    }

    /// <summary><c>h = exp(la) ⊙ h0 + exp(lb)</c>.</summary>
    public static void Combine(ReadOnlySpan<float> la, ReadOnlySpan<float> lb, ReadOnlySpan<float> h0, Span<float> h)
    {
        int n = h.Length, j = 0;
        if (Vectorized)
        {
            ref float a = ref Unsafe.AsRef(in la[0]), b = ref Unsafe.AsRef(in lb[0]), s = ref Unsafe.AsRef(in h0[0]);
            ref float d = ref h[0];
            for (; j <= n - 8; j += 8)
                (Vector256.Exp(Vector256.LoadUnsafe(ref a, (nuint)j)) * Vector256.LoadUnsafe(ref s, (nuint)j)
                    + Vector256.Exp(Vector256.LoadUnsafe(ref b, (nuint)j))).StoreUnsafe(ref d, (nuint)j);
        }
        for (; j < n; j++) h[j] = MathF.Exp(la[j]) * h0[j] + MathF.Exp(lb[j]);
    }
}
