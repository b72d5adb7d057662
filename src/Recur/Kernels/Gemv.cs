using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Recur.Kernels;

/// <summary>
/// Matrix-vector products over a row-major matrix, for batch-1 inference (sampling), where every
/// weight is read once per step and memory bandwidth, not arithmetic, sets the speed.
/// </summary>
public static class Gemv
{
    /// <summary>
    /// <c>y[r] += sum_k A[r, k] x[k]</c> for <c>r &lt; rows</c>, with <c>A</c> <c>(rows, cols)</c> row-major
    /// (row stride <paramref name="cols"/>), <c>x</c> <c>(cols)</c>, <c>y</c> <c>(rows)</c>.
    /// Four rows are read at once (four independent FMA chains sharing each load of <c>x</c>), with
    /// AVX2/FMA 256-bit vectors (measured as fast as 512-bit ones on Zen 4 here, and better for short rows), else scalar. Each row's sum is formed in a
    /// fixed order that depends only on <paramref name="cols"/>, so splitting the rows between threads
    /// never changes a result.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MultiplyAdd(ReadOnlySpan<float> a, int rows, int cols, ReadOnlySpan<float> x, Span<float> y)
    {
        if (rows < 0) throw new ArgumentOutOfRangeException(nameof(rows), rows, "rows must be non-negative.");
        if (cols < 0) throw new ArgumentOutOfRangeException(nameof(cols), cols, "cols must be non-negative.");
        if (a.Length < (long)rows * cols) throw new ArgumentException($"A holds {a.Length} values, needs rows*cols = {(long)rows * cols}.", nameof(a));
        if (x.Length < cols) throw new ArgumentException($"x holds {x.Length} values, needs cols = {cols}.", nameof(x));
        if (y.Length < rows) throw new ArgumentException($"y holds {y.Length} values, needs rows = {rows}.", nameof(y));
        if (rows == 0) return;
        ref float a0 = ref MemoryMarshal.GetReference(a);
        ref float x0 = ref MemoryMarshal.GetReference(x);
        ref float y0 = ref MemoryMarshal.GetReference(y);
        if (Avx.IsSupported && Fma.IsSupported && cols >= 8) Rows256(ref a0, rows, cols, ref x0, ref y0);
        else
        {
            for (int r = 0; r < rows; r++)
                Unsafe.Add(ref y0, r) += DotScalar(ref Unsafe.Add(ref a0, (nint)r * cols), ref x0, 0, cols);
        }
    }

    /// <summary>
    /// <c>y[k] += sum_r A[r, k] x[r]</c> for <c>k &lt; cols</c>: the product with the transpose of the
    /// row-major <c>(rows, cols)</c> matrix <c>A</c>, without forming it (each row, scaled by <c>x[r]</c>,
    /// is added to <c>y</c>; rows in order, so the result is deterministic).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MultiplyAddTransposed(ReadOnlySpan<float> a, int rows, int cols, ReadOnlySpan<float> x, Span<float> y)
    {
        if (rows < 0) throw new ArgumentOutOfRangeException(nameof(rows), rows, "rows must be non-negative.");
        if (cols < 0) throw new ArgumentOutOfRangeException(nameof(cols), cols, "cols must be non-negative.");
        if (a.Length < (long)rows * cols) throw new ArgumentException($"A holds {a.Length} values, needs rows*cols = {(long)rows * cols}.", nameof(a));
        if (x.Length < rows) throw new ArgumentException($"x holds {x.Length} values, needs rows = {rows}.", nameof(x));
        if (y.Length < cols) throw new ArgumentException($"y holds {y.Length} values, needs cols = {cols}.", nameof(y));
        ref float a0 = ref MemoryMarshal.GetReference(a);
        ref float y0 = ref MemoryMarshal.GetReference(y);
        int kv = Vector256.IsHardwareAccelerated ? cols & ~7 : 0;
        for (int r = 0; r < rows; r++)
        {
            float s = x[r];
            ref float w = ref Unsafe.Add(ref a0, (nint)r * cols);
            var sv = Vector256.Create(s);
            int k = 0;
            for (; k < kv; k += 8)
                Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref w, (nuint)k), sv, Vector256.LoadUnsafe(ref y0, (nuint)k)).StoreUnsafe(ref y0, (nuint)k);
            for (; k < cols; k++) Unsafe.Add(ref y0, k) = MathF.FusedMultiplyAdd(Unsafe.Add(ref w, k), s, Unsafe.Add(ref y0, k));
        }
    }

    /// <summary>The lane sums of four vectors, each as <c>((l0+l1)+(l2+l3)) + ((l4+l5)+(l6+l7))</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> Sum4(Vector256<float> s0, Vector256<float> s1, Vector256<float> s2, Vector256<float> s3)
    {
        var h = Avx.HorizontalAdd(Avx.HorizontalAdd(s0, s1), Avx.HorizontalAdd(s2, s3));
        return h.GetLower() + h.GetUpper();
    }

    private static float DotScalar(ref float w, ref float x, int from, int to)
    {
        float s = 0f;
        for (int k = from; k < to; k++) s = MathF.FusedMultiplyAdd(Unsafe.Add(ref w, k), Unsafe.Add(ref x, k), s);
        return s;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Rows256(ref float a0, int rows, int cols, ref float x0, ref float y0)
    {
        int kv = cols & ~7;
        int r = 0;
        for (; r + 4 <= rows; r += 4)
        {
            ref float w0 = ref Unsafe.Add(ref a0, (nint)r * cols);
            ref float w1 = ref Unsafe.Add(ref w0, cols);
            ref float w2 = ref Unsafe.Add(ref w1, cols);
            ref float w3 = ref Unsafe.Add(ref w2, cols);
            Vector256<float> s0 = default, s1 = default, s2 = default, s3 = default;
            for (int k = 0; k < kv; k += 8)
            {
                var xv = Vector256.LoadUnsafe(ref x0, (nuint)k);
                s0 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref w0, (nuint)k), xv, s0);
                s1 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref w1, (nuint)k), xv, s1);
                s2 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref w2, (nuint)k), xv, s2);
                s3 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref w3, (nuint)k), xv, s3);
            }
            // the four row sums at once: three horizontal adds and one fold of the halves
            (Vector128.LoadUnsafe(ref y0, (nuint)r) + Sum4(s0, s1, s2, s3)).StoreUnsafe(ref y0, (nuint)r);
            if (kv != cols)
            {
                Unsafe.Add(ref y0, r) += DotScalar(ref w0, ref x0, kv, cols);
                Unsafe.Add(ref y0, r + 1) += DotScalar(ref w1, ref x0, kv, cols);
                Unsafe.Add(ref y0, r + 2) += DotScalar(ref w2, ref x0, kv, cols);
                Unsafe.Add(ref y0, r + 3) += DotScalar(ref w3, ref x0, kv, cols);
            }
        }
        for (; r < rows; r++)
        {
            ref float w0 = ref Unsafe.Add(ref a0, (nint)r * cols);
            Vector256<float> s0 = default;
            for (int k = 0; k < kv; k += 8)
                s0 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref w0, (nuint)k), Vector256.LoadUnsafe(ref x0, (nuint)k), s0);
            // same reduction as a row in a group of four, so a row's bits do not depend on its neighbours
            Unsafe.Add(ref y0, r) += Sum4(s0, default, default, default).ToScalar();
            if (kv != cols) Unsafe.Add(ref y0, r) += DotScalar(ref w0, ref x0, kv, cols);
        }
    }
}
