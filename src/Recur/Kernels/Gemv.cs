using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Recur.Kernels;

/// <summary>
/// Matrix-vector products over a row-major matrix, for batch-1 inference (sampling) and the per-step
/// products of small recurrent nets, where every weight is read once per step and memory bandwidth,
/// not arithmetic, sets the speed. AVX2/FMA 256-bit vectors (measured as fast as 512-bit ones on Zen 4
/// for these shapes, and better for short rows), with masked loads for a ragged end; scalar otherwise.
/// </summary>
public static unsafe class Gemv
{
    /// <summary>
    /// <c>y[r] += sum_k A[r, k] x[k]</c> for <c>r &lt; rows</c>, with <c>A</c> <c>(rows, cols)</c> row-major
    /// (row stride <paramref name="cols"/>), <c>x</c> <c>(cols)</c>, <c>y</c> <c>(rows)</c>.
    /// Eight rows are read at once (eight independent FMA chains sharing each load of <c>x</c>), and their
    /// sums are reduced four at a time. Each row's sum is formed in an order that depends only on
    /// <paramref name="cols"/>, never on the row's neighbours, so splitting the rows between threads
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
        if (rows == 0 || cols == 0) return;
        fixed (float* pa = a, px = x, py = y)
        {
            if (Avx.IsSupported && Fma.IsSupported) Rows256(pa, rows, cols, px, py);
            else
                for (int r = 0; r < rows; r++)
                {
                    float s = 0f;
                    float* w = pa + (nint)r * cols;
                    for (int k = 0; k < cols; k++) s = MathF.FusedMultiplyAdd(w[k], px[k], s);
                    py[r] += s;
                }
        }
    }

    /// <summary>
    /// <c>y[k] += sum_r A[r, k] x[r]</c> for <c>k &lt; cols</c>: the product with the transpose of the
    /// row-major <c>(rows, cols)</c> matrix <c>A</c>, without forming it. Columns are taken 32 at a time
    /// with their partial sums held in registers while the rows stream past; each <c>y[k]</c> adds the rows
    /// in order, so the result is deterministic.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MultiplyAddTransposed(ReadOnlySpan<float> a, int rows, int cols, ReadOnlySpan<float> x, Span<float> y)
    {
        if (rows < 0) throw new ArgumentOutOfRangeException(nameof(rows), rows, "rows must be non-negative.");
        if (cols < 0) throw new ArgumentOutOfRangeException(nameof(cols), cols, "cols must be non-negative.");
        if (a.Length < (long)rows * cols) throw new ArgumentException($"A holds {a.Length} values, needs rows*cols = {(long)rows * cols}.", nameof(a));
        if (x.Length < rows) throw new ArgumentException($"x holds {x.Length} values, needs rows = {rows}.", nameof(x));
        if (y.Length < cols) throw new ArgumentException($"y holds {y.Length} values, needs cols = {cols}.", nameof(y));
        if (rows == 0 || cols == 0) return;
        fixed (float* pa = a, px = x, py = y)
        {
            if (Avx.IsSupported && Fma.IsSupported) Cols256(pa, rows, cols, px, py);
            else
                for (int r = 0; r < rows; r++)
                {
                    float s = px[r];
                    float* w = pa + (nint)r * cols;
                    for (int k = 0; k < cols; k++) py[k] = MathF.FusedMultiplyAdd(w[k], s, py[k]);
                }
        }
    }

    /// <summary>Lanes <c>i &lt; n</c> set (all bits), the rest clear.</summary>
    private static Vector256<float> TailMask(int n) =>
        Vector256.LessThan(Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7), Vector256.Create(n)).AsSingle();

    /// <summary>The lane sums of four vectors, each as <c>((l0+l1)+(l2+l3)) + ((l4+l5)+(l6+l7))</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> Sum4(Vector256<float> s0, Vector256<float> s1, Vector256<float> s2, Vector256<float> s3)
    {
        var h = Avx.HorizontalAdd(Avx.HorizontalAdd(s0, s1), Avx.HorizontalAdd(s2, s3));
        return h.GetLower() + h.GetUpper();
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Rows256(float* a, int rows, int cols, float* x, float* y)
    {
        int kv = cols & ~7, rem = cols - kv;
        var mask = TailMask(rem);
        var xt = rem > 0 ? Avx.MaskLoad(x + kv, mask) : default;
        // Eight rows at a time: eight independent FMA chains keep both FMA pipes busy through the
        // four-cycle latency. A last group of fewer rows repeats its last row in the missing places
        // (same time: the chains run side by side) and keeps only the real rows' sums.
        for (int r = 0; r < rows; r += 8)
        {
            int last = rows - 1;
            float* w0 = a + (nint)r * cols;
            float* w1 = a + (nint)Math.Min(r + 1, last) * cols, w2 = a + (nint)Math.Min(r + 2, last) * cols;
            float* w3 = a + (nint)Math.Min(r + 3, last) * cols, w4 = a + (nint)Math.Min(r + 4, last) * cols;
            float* w5 = a + (nint)Math.Min(r + 5, last) * cols, w6 = a + (nint)Math.Min(r + 6, last) * cols;
            float* w7 = a + (nint)Math.Min(r + 7, last) * cols;
            Vector256<float> s0 = default, s1 = default, s2 = default, s3 = default;
            Vector256<float> s4 = default, s5 = default, s6 = default, s7 = default;
            for (int k = 0; k < kv; k += 8)
            {
                var xv = Avx.LoadVector256(x + k);
                s0 = Fma.MultiplyAdd(Avx.LoadVector256(w0 + k), xv, s0);
                s1 = Fma.MultiplyAdd(Avx.LoadVector256(w1 + k), xv, s1);
                s2 = Fma.MultiplyAdd(Avx.LoadVector256(w2 + k), xv, s2);
                s3 = Fma.MultiplyAdd(Avx.LoadVector256(w3 + k), xv, s3);
                s4 = Fma.MultiplyAdd(Avx.LoadVector256(w4 + k), xv, s4);
                s5 = Fma.MultiplyAdd(Avx.LoadVector256(w5 + k), xv, s5);
                s6 = Fma.MultiplyAdd(Avx.LoadVector256(w6 + k), xv, s6);
                s7 = Fma.MultiplyAdd(Avx.LoadVector256(w7 + k), xv, s7);
            }
            if (rem > 0)
            {
                s0 = Fma.MultiplyAdd(Avx.MaskLoad(w0 + kv, mask), xt, s0);
                s1 = Fma.MultiplyAdd(Avx.MaskLoad(w1 + kv, mask), xt, s1);
                s2 = Fma.MultiplyAdd(Avx.MaskLoad(w2 + kv, mask), xt, s2);
                s3 = Fma.MultiplyAdd(Avx.MaskLoad(w3 + kv, mask), xt, s3);
                s4 = Fma.MultiplyAdd(Avx.MaskLoad(w4 + kv, mask), xt, s4);
                s5 = Fma.MultiplyAdd(Avx.MaskLoad(w5 + kv, mask), xt, s5);
                s6 = Fma.MultiplyAdd(Avx.MaskLoad(w6 + kv, mask), xt, s6);
                s7 = Fma.MultiplyAdd(Avx.MaskLoad(w7 + kv, mask), xt, s7);
            }
            var lo = Sum4(s0, s1, s2, s3);
            var hi = Sum4(s4, s5, s6, s7);
            if (r + 8 <= rows)
            {
                Sse.Store(y + r, Sse.LoadVector128(y + r) + lo);
                Sse.Store(y + r + 4, Sse.LoadVector128(y + r + 4) + hi);
            }
            else
                for (int i = 0; r + i < rows; i++) y[r + i] += i < 4 ? lo.GetElement(i) : hi.GetElement(i - 4);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Cols256(float* a, int rows, int cols, float* x, float* y)
    {
        int c = 0;
        // 64 columns a pass: eight accumulators, enough independent chains for both FMA pipes.
        for (; c + 64 <= cols; c += 64)
        {
            var y0 = Avx.LoadVector256(y + c); var y1 = Avx.LoadVector256(y + c + 8);
            var y2 = Avx.LoadVector256(y + c + 16); var y3 = Avx.LoadVector256(y + c + 24);
            var y4 = Avx.LoadVector256(y + c + 32); var y5 = Avx.LoadVector256(y + c + 40);
            var y6 = Avx.LoadVector256(y + c + 48); var y7 = Avx.LoadVector256(y + c + 56);
            float* w = a + c;
            for (int r = 0; r < rows; r++, w += cols)
            {
                var s = Vector256.Create(x[r]);
                y0 = Fma.MultiplyAdd(Avx.LoadVector256(w), s, y0);
                y1 = Fma.MultiplyAdd(Avx.LoadVector256(w + 8), s, y1);
                y2 = Fma.MultiplyAdd(Avx.LoadVector256(w + 16), s, y2);
                y3 = Fma.MultiplyAdd(Avx.LoadVector256(w + 24), s, y3);
                y4 = Fma.MultiplyAdd(Avx.LoadVector256(w + 32), s, y4);
                y5 = Fma.MultiplyAdd(Avx.LoadVector256(w + 40), s, y5);
                y6 = Fma.MultiplyAdd(Avx.LoadVector256(w + 48), s, y6);
                y7 = Fma.MultiplyAdd(Avx.LoadVector256(w + 56), s, y7);
            }
            Avx.Store(y + c, y0); Avx.Store(y + c + 8, y1); Avx.Store(y + c + 16, y2); Avx.Store(y + c + 24, y3);
            Avx.Store(y + c + 32, y4); Avx.Store(y + c + 40, y5); Avx.Store(y + c + 48, y6); Avx.Store(y + c + 56, y7);
        }
        if (c < cols)
        {
            // The last 1..63 columns in one pass: up to seven whole vectors and a masked one, so a ragged
            // end costs no extra sweep over the rows.
            int full = (cols - c) >> 3, tail = (cols - c) & 7;
            var mask = TailMask(tail);
            float* yc = y + c;
            var y0 = full > 0 ? Avx.LoadVector256(yc) : default;
            var y1 = full > 1 ? Avx.LoadVector256(yc + 8) : default;
            var y2 = full > 2 ? Avx.LoadVector256(yc + 16) : default;
            var y3 = full > 3 ? Avx.LoadVector256(yc + 24) : default;
            var y4 = full > 4 ? Avx.LoadVector256(yc + 32) : default;
            var y5 = full > 5 ? Avx.LoadVector256(yc + 40) : default;
            var y6 = full > 6 ? Avx.LoadVector256(yc + 48) : default;
            var yt = tail > 0 ? Avx.MaskLoad(yc + 8 * full, mask) : default;
            float* w = a + c;
            for (int r = 0; r < rows; r++, w += cols)
            {
                var s = Vector256.Create(x[r]);
                switch (full)
                {
                    case 7: y6 = Fma.MultiplyAdd(Avx.LoadVector256(w + 48), s, y6); goto case 6;
                    case 6: y5 = Fma.MultiplyAdd(Avx.LoadVector256(w + 40), s, y5); goto case 5;
                    case 5: y4 = Fma.MultiplyAdd(Avx.LoadVector256(w + 32), s, y4); goto case 4;
                    case 4: y3 = Fma.MultiplyAdd(Avx.LoadVector256(w + 24), s, y3); goto case 3;
                    case 3: y2 = Fma.MultiplyAdd(Avx.LoadVector256(w + 16), s, y2); goto case 2;
                    case 2: y1 = Fma.MultiplyAdd(Avx.LoadVector256(w + 8), s, y1); goto case 1;
                    case 1: y0 = Fma.MultiplyAdd(Avx.LoadVector256(w), s, y0); break;
                }
                if (tail > 0) yt = Fma.MultiplyAdd(Avx.MaskLoad(w + 8 * full, mask), s, yt);
            }
            if (full > 0) Avx.Store(yc, y0);
            if (full > 1) Avx.Store(yc + 8, y1);
            if (full > 2) Avx.Store(yc + 16, y2);
            if (full > 3) Avx.Store(yc + 24, y3);
            if (full > 4) Avx.Store(yc + 32, y4);
            if (full > 5) Avx.Store(yc + 40, y5);
            if (full > 6) Avx.Store(yc + 48, y6);
            if (tail > 0) Avx.MaskStore(yc + 8 * full, mask, yt);
        }
    }
}
