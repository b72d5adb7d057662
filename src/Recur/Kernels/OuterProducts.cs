using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Recur.Kernels;

/// <summary>
/// <c>C += A^T B</c> written as a sum of <c>k</c> outer products, <c>C[i, j] += sum_t A[t, i] B[t, j]</c>,
/// for the weight gradients of small recurrent nets (min-char-rnn's <c>dW_hy</c> and <c>dW_hh</c>: k = 25
/// time steps, m and n around 100), where packing both operands for <see cref="Gemm"/> costs as much as
/// the arithmetic. No packing: four rows of C times 32 columns are held in sixteen registers while the
/// k rows of A and B stream past. Every <c>C[i, j]</c> adds its terms in the order t = 0, 1, ..., k-1,
/// so the result does not depend on the blocking.
/// </summary>
public static unsafe class OuterProducts
{
    /// <summary>
    /// <c>C[i, j] += sum_{t &lt; k} A[t, i] B[t, j]</c> for <c>i &lt; m</c>, <c>j &lt; n</c>; <c>A</c> is
    /// <c>(k, m)</c> with row stride <paramref name="lda"/>, <c>B</c> <c>(k, n)</c> with stride
    /// <paramref name="ldb"/>, <c>C</c> <c>(m, n)</c> with stride <paramref name="ldc"/>, all row-major.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AddTransposedProduct(int k, int m, int n, ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc)
    {
        if (k < 0 || m < 0 || n < 0) throw new ArgumentOutOfRangeException(nameof(k), $"k, m and n must be non-negative, got {k}, {m}, {n}.");
        if (lda < m || ldb < n || ldc < n) throw new ArgumentException($"strides lda {lda}, ldb {ldb}, ldc {ldc} must be at least m {m}, n {n}, n {n}.");
        if (k == 0 || m == 0 || n == 0) return;
        if (a.Length < (long)(k - 1) * lda + m) throw new ArgumentException($"A holds {a.Length} values, needs {(long)(k - 1) * lda + m}.", nameof(a));
        if (b.Length < (long)(k - 1) * ldb + n) throw new ArgumentException($"B holds {b.Length} values, needs {(long)(k - 1) * ldb + n}.", nameof(b));
        if (c.Length < (long)(m - 1) * ldc + n) throw new ArgumentException($"C holds {c.Length} values, needs {(long)(m - 1) * ldc + n}.", nameof(c));
        fixed (float* pa = a, pb = b, pc = c)
        {
            if (Avx.IsSupported && Fma.IsSupported) Vectorized(k, m, n, pa, lda, pb, ldb, pc, ldc);
            else
                for (int i = 0; i < m; i++)
                    for (int j = 0; j < n; j++)
                    {
                        float s = pc[(nint)i * ldc + j];
                        for (int t = 0; t < k; t++) s = MathF.FusedMultiplyAdd(pa[(nint)t * lda + i], pb[(nint)t * ldb + j], s);
                        pc[(nint)i * ldc + j] = s;
                    }
        }
    }

    private static void Vectorized(int k, int m, int n, float* a, int lda, float* b, int ldb, float* c, int ldc)
    {
        int i = 0;
        for (; i + 4 <= m; i += 4)
        {
            int j = 0;
            for (; j + 32 <= n; j += 32) Block4x32(k, a + i, lda, b + j, ldb, c + (nint)i * ldc + j, ldc);
            for (; j < n; j += 8) Block4x8(k, a + i, lda, b + j, ldb, c + (nint)i * ldc + j, ldc, Math.Min(8, n - j));
        }
        for (; i < m; i++)
        {
            int j = 0;
            for (; j + 32 <= n; j += 32) Block1x32(k, a + i, lda, b + j, ldb, c + (nint)i * ldc + j);
            for (; j < n; j += 8) Block4x8(k, a + i, lda, b + j, ldb, c + (nint)i * ldc + j, ldc, Math.Min(8, n - j), four: false);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Block4x32(int k, float* a, int lda, float* b, int ldb, float* c, int ldc)
    {
        float* c1 = c + ldc, c2 = c1 + ldc, c3 = c2 + ldc;
        var x00 = Avx.LoadVector256(c); var x01 = Avx.LoadVector256(c + 8); var x02 = Avx.LoadVector256(c + 16); var x03 = Avx.LoadVector256(c + 24);
        var x10 = Avx.LoadVector256(c1); var x11 = Avx.LoadVector256(c1 + 8); var x12 = Avx.LoadVector256(c1 + 16); var x13 = Avx.LoadVector256(c1 + 24);
        var x20 = Avx.LoadVector256(c2); var x21 = Avx.LoadVector256(c2 + 8); var x22 = Avx.LoadVector256(c2 + 16); var x23 = Avx.LoadVector256(c2 + 24);
        var x30 = Avx.LoadVector256(c3); var x31 = Avx.LoadVector256(c3 + 8); var x32 = Avx.LoadVector256(c3 + 16); var x33 = Avx.LoadVector256(c3 + 24);
        for (int t = 0; t < k; t++, a += lda, b += ldb)
        {
            var b0 = Avx.LoadVector256(b); var b1 = Avx.LoadVector256(b + 8); var b2 = Avx.LoadVector256(b + 16); var b3 = Avx.LoadVector256(b + 24);
            var s = Vector256.Create(a[0]);
            x00 = Fma.MultiplyAdd(s, b0, x00); x01 = Fma.MultiplyAdd(s, b1, x01); x02 = Fma.MultiplyAdd(s, b2, x02); x03 = Fma.MultiplyAdd(s, b3, x03);
            s = Vector256.Create(a[1]);
            x10 = Fma.MultiplyAdd(s, b0, x10); x11 = Fma.MultiplyAdd(s, b1, x11); x12 = Fma.MultiplyAdd(s, b2, x12); x13 = Fma.MultiplyAdd(s, b3, x13);
            s = Vector256.Create(a[2]);
            x20 = Fma.MultiplyAdd(s, b0, x20); x21 = Fma.MultiplyAdd(s, b1, x21); x22 = Fma.MultiplyAdd(s, b2, x22); x23 = Fma.MultiplyAdd(s, b3, x23);
            s = Vector256.Create(a[3]);
            x30 = Fma.MultiplyAdd(s, b0, x30); x31 = Fma.MultiplyAdd(s, b1, x31); x32 = Fma.MultiplyAdd(s, b2, x32); x33 = Fma.MultiplyAdd(s, b3, x33);
        }
        Avx.Store(c, x00); Avx.Store(c + 8, x01); Avx.Store(c + 16, x02); Avx.Store(c + 24, x03);
        Avx.Store(c1, x10); Avx.Store(c1 + 8, x11); Avx.Store(c1 + 16, x12); Avx.Store(c1 + 24, x13);
        Avx.Store(c2, x20); Avx.Store(c2 + 8, x21); Avx.Store(c2 + 16, x22); Avx.Store(c2 + 24, x23);
        Avx.Store(c3, x30); Avx.Store(c3 + 8, x31); Avx.Store(c3 + 16, x32); Avx.Store(c3 + 24, x33);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Block1x32(int k, float* a, int lda, float* b, int ldb, float* c)
    {
        var x0 = Avx.LoadVector256(c); var x1 = Avx.LoadVector256(c + 8); var x2 = Avx.LoadVector256(c + 16); var x3 = Avx.LoadVector256(c + 24);
        for (int t = 0; t < k; t++, a += lda, b += ldb)
        {
            var s = Vector256.Create(a[0]);
            x0 = Fma.MultiplyAdd(s, Avx.LoadVector256(b), x0); x1 = Fma.MultiplyAdd(s, Avx.LoadVector256(b + 8), x1);
            x2 = Fma.MultiplyAdd(s, Avx.LoadVector256(b + 16), x2); x3 = Fma.MultiplyAdd(s, Avx.LoadVector256(b + 24), x3);
        }
        Avx.Store(c, x0); Avx.Store(c + 8, x1); Avx.Store(c + 16, x2); Avx.Store(c + 24, x3);
    }

    /// <summary>Four rows (or one, when <paramref name="four"/> is false) times <paramref name="cols"/> &lt;= 8 columns, masked.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Block4x8(int k, float* a, int lda, float* b, int ldb, float* c, int ldc, int cols, bool four = true)
    {
        var mask = Vector256.LessThan(Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7), Vector256.Create(cols)).AsSingle();
        float* c1 = c + ldc, c2 = c1 + ldc, c3 = c2 + ldc;
        var x0 = Avx.MaskLoad(c, mask);
        var x1 = four ? Avx.MaskLoad(c1, mask) : default;
        var x2 = four ? Avx.MaskLoad(c2, mask) : default;
        var x3 = four ? Avx.MaskLoad(c3, mask) : default;
        for (int t = 0; t < k; t++, a += lda, b += ldb)
        {
            var bv = Avx.MaskLoad(b, mask);
            x0 = Fma.MultiplyAdd(Vector256.Create(a[0]), bv, x0);
            if (four)
            {
                x1 = Fma.MultiplyAdd(Vector256.Create(a[1]), bv, x1);
                x2 = Fma.MultiplyAdd(Vector256.Create(a[2]), bv, x2);
                x3 = Fma.MultiplyAdd(Vector256.Create(a[3]), bv, x3);
            }
        }
        Avx.MaskStore(c, mask, x0);
        if (four) { Avx.MaskStore(c1, mask, x1); Avx.MaskStore(c2, mask, x2); Avx.MaskStore(c3, mask, x3); }
    }
}
