using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Recur.Kernels;

/// <summary>Which micro-kernel (and therefore which packed layout) a GEMM uses.</summary>
internal enum GemmIsa
{
    /// <summary>Vector128 with <c>MultiplyAddEstimate</c>, 4x8 tile; runs everywhere.</summary>
    Portable = 0,

    /// <summary>AVX2 + FMA, Vector256, 4x24 tile (12 accumulators + 3 B + 1 broadcast = 16 ymm registers).
    /// Measured faster than 6x16 (fewer broadcasts per FMA).</summary>
    Avx2 = 1,

    /// <summary>AVX-512F, Vector512, 8x32 tile (16 accumulators).</summary>
    Avx512 = 2,
}

/// <summary>
/// A register-blocked micro-kernel: <c>acc(MR,NR) = sum_p Apanel[p,0..MR) (outer) Bpanel[p,0..NR)</c>
/// over <c>kc</c> steps in increasing <c>p</c>, then the C update of <see cref="GemmTile.UpdateScalar"/>.
/// Packed A micro-panel: <c>a[p*MR + i]</c>; packed B micro-panel: <c>b[p*NR + j]</c>.
/// </summary>
internal unsafe interface IGemmKernel
{
    static abstract int MR { get; }
    static abstract int NR { get; }
    static abstract int KC { get; }
    static abstract int MC { get; }
    static abstract int NC { get; }

    /// <summary>
    /// Computes one MR x NR tile and applies it to the <paramref name="mr"/> x <paramref name="nr"/>
    /// valid part of C. <paramref name="mode"/>: 0: C = alpha*acc; 1: C = C + alpha*acc;
    /// 2: C = beta*C + alpha*acc. Full and edge tiles use identical arithmetic.
    /// </summary>
    static abstract void Compute(int kc, float* a, float* b, float* c, nint ldc, int mr, int nr,
        float alpha, float beta, int mode, float* scratch);

    /// <summary>Whether <see cref="ComputeStrided"/> exists (A read in place, without packing).</summary>
    static abstract bool StridedA { get; }

    /// <summary>
    /// <see cref="Compute"/> with A read where it lies: element <c>(i, p)</c> of the panel at
    /// <c>a[i*rs + p*ks]</c> (<c>rs = lda, ks = 1</c> for A as stored; <c>rs = 1, ks = lda</c> for A
    /// transposed). Only rows <c>i &lt; mr</c> are read. Same arithmetic as the packed kernel.
    /// </summary>
    static abstract void ComputeStrided(int kc, float* a, nint rs, nint ks, float* b, float* c, nint ldc, int mr, int nr,
        float alpha, float beta, int mode, float* scratch);
}

internal static unsafe class GemmTile
{
    /// <summary>The C update for a tile spilled to <paramref name="acc"/> (row stride <paramref name="ldacc"/>).
    /// Same operations (multiply, then add; no fused step) as the vector stores.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // no slow tier-0 code in hot loops
    public static void UpdateScalar(float* acc, int ldacc, float* c, nint ldc, int mr, int nr,
        float alpha, float beta, int mode)
    {
        for (int i = 0; i < mr; i++)
        {
            float* ci = c + i * ldc;
            float* ai = acc + i * ldacc;
            for (int j = 0; j < nr; j++)
            {
                float t = ai[j] * alpha;
                ci[j] = mode switch
                {
                    0 => t,
                    1 => ci[j] + t,
                    _ => ci[j] * beta + t,
                };
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(float* c, Vector512<float> acc, Vector512<float> alpha, Vector512<float> beta, int mode)
    {
        var t = acc * alpha;
        if (mode == 0) t.Store(c);
        else if (mode == 1) (Vector512.Load(c) + t).Store(c);
        else (Vector512.Load(c) * beta + t).Store(c);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(float* c, Vector256<float> acc, Vector256<float> alpha, Vector256<float> beta, int mode)
    {
        var t = acc * alpha;
        if (mode == 0) t.Store(c);
        else if (mode == 1) (Vector256.Load(c) + t).Store(c);
        else (Vector256.Load(c) * beta + t).Store(c);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(float* c, Vector128<float> acc, Vector128<float> alpha, Vector128<float> beta, int mode)
    {
        var t = acc * alpha;
        if (mode == 0) t.Store(c);
        else if (mode == 1) (Vector128.Load(c) + t).Store(c);
        else (Vector128.Load(c) * beta + t).Store(c);
    }
}

/// <summary>AVX-512F 8x32 micro-kernel: 16 zmm accumulators, two B loads and eight broadcasts per k step.</summary>
internal unsafe struct Avx512Kernel8x32 : IGemmKernel
{
    public static int MR => 8;
    public static int NR => 32;
    public static int KC => 256;
    public static int MC => 128;
    public static int NC => 2048;

    public static bool StridedA => true;

    /// <summary>The packed panel is the strided case <c>rs = 1, ks = 8</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Compute(int kc, float* a, float* b, float* c, nint ldc, int mr, int nr,
        float alpha, float beta, int mode, float* scratch)
        => ComputeStrided(kc, a, 1, 8, b, c, ldc, mr, nr, alpha, beta, mode, scratch);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // no slow tier-0 code in hot loops
    public static void ComputeStrided(int kc, float* a, nint rs, nint ks, float* b, float* c, nint ldc, int mr, int nr,
        float alpha, float beta, int mode, float* scratch)
    {
        if (mr <= 4)
        {
            // A ragged last row panel (e.g. a batch of 50 = 6*8 + 2): accumulate only the rows that
            // exist. Each element's FMA chain is the same as in the full tile, so the bits are too.
            ComputeFewRows(kc, a, rs, ks, b, c, ldc, mr, nr, alpha, beta, mode, scratch);
            return;
        }
        // Row offsets; rows past mr (a ragged panel of 5 to 7 rows) repeat the last real row, whose
        // results are discarded, so nothing outside A is read.
        nint o1 = rs, o2 = 2 * rs, o3 = 3 * rs, o4 = 4 * rs;
        nint o5 = Math.Min(5, mr - 1) * rs, o6 = Math.Min(6, mr - 1) * rs, o7 = Math.Min(7, mr - 1) * rs;
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default;
        Vector512<float> c20 = default, c21 = default, c30 = default, c31 = default;
        Vector512<float> c40 = default, c41 = default, c50 = default, c51 = default;
        Vector512<float> c60 = default, c61 = default, c70 = default, c71 = default;
        if (mode != 0)
        {
            // C is read at the end; start bringing the tile in now.
            for (int i = 0; i < 8; i++)
            {
                Sse.Prefetch0(c + i * ldc);
                Sse.Prefetch0(c + i * ldc + 16);
            }
        }
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + 16);
            var av = Vector512.Create(a[0]);
            c00 = Avx512F.FusedMultiplyAdd(av, b0, c00); c01 = Avx512F.FusedMultiplyAdd(av, b1, c01);
            av = Vector512.Create(a[o1]);
            c10 = Avx512F.FusedMultiplyAdd(av, b0, c10); c11 = Avx512F.FusedMultiplyAdd(av, b1, c11);
            av = Vector512.Create(a[o2]);
            c20 = Avx512F.FusedMultiplyAdd(av, b0, c20); c21 = Avx512F.FusedMultiplyAdd(av, b1, c21);
            av = Vector512.Create(a[o3]);
            c30 = Avx512F.FusedMultiplyAdd(av, b0, c30); c31 = Avx512F.FusedMultiplyAdd(av, b1, c31);
            av = Vector512.Create(a[o4]);
            c40 = Avx512F.FusedMultiplyAdd(av, b0, c40); c41 = Avx512F.FusedMultiplyAdd(av, b1, c41);
            av = Vector512.Create(a[o5]);
            c50 = Avx512F.FusedMultiplyAdd(av, b0, c50); c51 = Avx512F.FusedMultiplyAdd(av, b1, c51);
            av = Vector512.Create(a[o6]);
            c60 = Avx512F.FusedMultiplyAdd(av, b0, c60); c61 = Avx512F.FusedMultiplyAdd(av, b1, c61);
            av = Vector512.Create(a[o7]);
            c70 = Avx512F.FusedMultiplyAdd(av, b0, c70); c71 = Avx512F.FusedMultiplyAdd(av, b1, c71);
            a += ks;
            b += 32;
        }

        var va = Vector512.Create(alpha);
        var vb = Vector512.Create(beta);
        if (mr == 8 && nr == 32)
        {
            GemmTile.Store(c, c00, va, vb, mode); GemmTile.Store(c + 16, c01, va, vb, mode); c += ldc;
            GemmTile.Store(c, c10, va, vb, mode); GemmTile.Store(c + 16, c11, va, vb, mode); c += ldc;
            GemmTile.Store(c, c20, va, vb, mode); GemmTile.Store(c + 16, c21, va, vb, mode); c += ldc;
            GemmTile.Store(c, c30, va, vb, mode); GemmTile.Store(c + 16, c31, va, vb, mode); c += ldc;
            GemmTile.Store(c, c40, va, vb, mode); GemmTile.Store(c + 16, c41, va, vb, mode); c += ldc;
            GemmTile.Store(c, c50, va, vb, mode); GemmTile.Store(c + 16, c51, va, vb, mode); c += ldc;
            GemmTile.Store(c, c60, va, vb, mode); GemmTile.Store(c + 16, c61, va, vb, mode); c += ldc;
            GemmTile.Store(c, c70, va, vb, mode); GemmTile.Store(c + 16, c71, va, vb, mode);
            return;
        }

        float* s = scratch;
        c00.Store(s); c01.Store(s + 16); s += 32;
        c10.Store(s); c11.Store(s + 16); s += 32;
        c20.Store(s); c21.Store(s + 16); s += 32;
        c30.Store(s); c31.Store(s + 16); s += 32;
        c40.Store(s); c41.Store(s + 16); s += 32;
        c50.Store(s); c51.Store(s + 16); s += 32;
        c60.Store(s); c61.Store(s + 16); s += 32;
        c70.Store(s); c71.Store(s + 16);
        GemmTile.UpdateScalar(scratch, 32, c, ldc, mr, nr, alpha, beta, mode);
    }

    /// <summary>Rows 0..3 of the 8-row panel only (for mr &lt;= 4; rows 2 and 3 skipped when mr &lt;= 2).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ComputeFewRows(int kc, float* a, nint rs, nint ks, float* b, float* c, nint ldc, int mr, int nr,
        float alpha, float beta, int mode, float* scratch)
    {
        nint o1 = Math.Min(1, mr - 1) * rs, o2 = Math.Min(2, mr - 1) * rs, o3 = Math.Min(3, mr - 1) * rs;
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default;
        Vector512<float> c20 = default, c21 = default, c30 = default, c31 = default;
        if (mr <= 2)
        {
            for (int p = 0; p < kc; p++)
            {
                var b0 = Vector512.Load(b);
                var b1 = Vector512.Load(b + 16);
                var av = Vector512.Create(a[0]);
                c00 = Avx512F.FusedMultiplyAdd(av, b0, c00); c01 = Avx512F.FusedMultiplyAdd(av, b1, c01);
                av = Vector512.Create(a[o1]);
                c10 = Avx512F.FusedMultiplyAdd(av, b0, c10); c11 = Avx512F.FusedMultiplyAdd(av, b1, c11);
                a += ks;
                b += 32;
            }
        }
        else
        {
            for (int p = 0; p < kc; p++)
            {
                var b0 = Vector512.Load(b);
                var b1 = Vector512.Load(b + 16);
                var av = Vector512.Create(a[0]);
                c00 = Avx512F.FusedMultiplyAdd(av, b0, c00); c01 = Avx512F.FusedMultiplyAdd(av, b1, c01);
                av = Vector512.Create(a[o1]);
                c10 = Avx512F.FusedMultiplyAdd(av, b0, c10); c11 = Avx512F.FusedMultiplyAdd(av, b1, c11);
                av = Vector512.Create(a[o2]);
                c20 = Avx512F.FusedMultiplyAdd(av, b0, c20); c21 = Avx512F.FusedMultiplyAdd(av, b1, c21);
                av = Vector512.Create(a[o3]);
                c30 = Avx512F.FusedMultiplyAdd(av, b0, c30); c31 = Avx512F.FusedMultiplyAdd(av, b1, c31);
                a += ks;
                b += 32;
            }
        }
        float* s = scratch;
        c00.Store(s); c01.Store(s + 16); s += 32;
        c10.Store(s); c11.Store(s + 16); s += 32;
        c20.Store(s); c21.Store(s + 16); s += 32;
        c30.Store(s); c31.Store(s + 16);
        GemmTile.UpdateScalar(scratch, 32, c, ldc, mr, nr, alpha, beta, mode);
    }
}

/// <summary>AVX2+FMA 4x24 micro-kernel: 12 ymm accumulators, three B loads and four broadcasts per k step.</summary>
internal unsafe struct Avx2Kernel4x24 : IGemmKernel
{
    public static int MR => 4;
    public static int NR => 24;
    public static int KC => 256;
    public static int MC => 128;
    public static int NC => 2040;

    public static bool StridedA => false;

    public static void ComputeStrided(int kc, float* a, nint rs, nint ks, float* b, float* c, nint ldc, int mr, int nr,
        float alpha, float beta, int mode, float* scratch) => throw new NotSupportedException("this kernel reads packed A only.");

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // no slow tier-0 code in hot loops
    public static void Compute(int kc, float* a, float* b, float* c, nint ldc, int mr, int nr,
        float alpha, float beta, int mode, float* scratch)
    {
        Vector256<float> c00 = default, c01 = default, c02 = default, c10 = default, c11 = default, c12 = default;
        Vector256<float> c20 = default, c21 = default, c22 = default, c30 = default, c31 = default, c32 = default;
        if (mode != 0)
        {
            for (int i = 0; i < 4; i++)
            {
                Sse.Prefetch0(c + i * ldc);
                Sse.Prefetch0(c + i * ldc + 16);
            }
        }
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector256.Load(b);
            var b1 = Vector256.Load(b + 8);
            var b2 = Vector256.Load(b + 16);
            var av = Vector256.Create(a[0]);
            c00 = Fma.MultiplyAdd(av, b0, c00); c01 = Fma.MultiplyAdd(av, b1, c01); c02 = Fma.MultiplyAdd(av, b2, c02);
            av = Vector256.Create(a[1]);
            c10 = Fma.MultiplyAdd(av, b0, c10); c11 = Fma.MultiplyAdd(av, b1, c11); c12 = Fma.MultiplyAdd(av, b2, c12);
            av = Vector256.Create(a[2]);
            c20 = Fma.MultiplyAdd(av, b0, c20); c21 = Fma.MultiplyAdd(av, b1, c21); c22 = Fma.MultiplyAdd(av, b2, c22);
            av = Vector256.Create(a[3]);
            c30 = Fma.MultiplyAdd(av, b0, c30); c31 = Fma.MultiplyAdd(av, b1, c31); c32 = Fma.MultiplyAdd(av, b2, c32);
            a += 4;
            b += 24;
        }

        var va = Vector256.Create(alpha);
        var vb = Vector256.Create(beta);
        if (mr == 4 && nr == 24)
        {
            GemmTile.Store(c, c00, va, vb, mode); GemmTile.Store(c + 8, c01, va, vb, mode); GemmTile.Store(c + 16, c02, va, vb, mode); c += ldc;
            GemmTile.Store(c, c10, va, vb, mode); GemmTile.Store(c + 8, c11, va, vb, mode); GemmTile.Store(c + 16, c12, va, vb, mode); c += ldc;
            GemmTile.Store(c, c20, va, vb, mode); GemmTile.Store(c + 8, c21, va, vb, mode); GemmTile.Store(c + 16, c22, va, vb, mode); c += ldc;
            GemmTile.Store(c, c30, va, vb, mode); GemmTile.Store(c + 8, c31, va, vb, mode); GemmTile.Store(c + 16, c32, va, vb, mode);
            return;
        }

        float* s = scratch;
        c00.Store(s); c01.Store(s + 8); c02.Store(s + 16); s += 24;
        c10.Store(s); c11.Store(s + 8); c12.Store(s + 16); s += 24;
        c20.Store(s); c21.Store(s + 8); c22.Store(s + 16); s += 24;
        c30.Store(s); c31.Store(s + 8); c32.Store(s + 16);
        GemmTile.UpdateScalar(scratch, 24, c, ldc, mr, nr, alpha, beta, mode);
    }
}

/// <summary>Portable 4x8 micro-kernel on Vector128 (hardware FMA where the platform has it).</summary>
internal unsafe struct PortableKernel4x8 : IGemmKernel
{
    public static int MR => 4;
    public static int NR => 8;
    public static int KC => 256;
    public static int MC => 128;
    public static int NC => 1024;

    public static bool StridedA => false;

    public static void ComputeStrided(int kc, float* a, nint rs, nint ks, float* b, float* c, nint ldc, int mr, int nr,
        float alpha, float beta, int mode, float* scratch) => throw new NotSupportedException("this kernel reads packed A only.");

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // no slow tier-0 code in hot loops
    public static void Compute(int kc, float* a, float* b, float* c, nint ldc, int mr, int nr,
        float alpha, float beta, int mode, float* scratch)
    {
        Vector128<float> c00 = default, c01 = default, c10 = default, c11 = default;
        Vector128<float> c20 = default, c21 = default, c30 = default, c31 = default;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector128.Load(b);
            var b1 = Vector128.Load(b + 4);
            var av = Vector128.Create(a[0]);
            c00 = Vector128.MultiplyAddEstimate(av, b0, c00); c01 = Vector128.MultiplyAddEstimate(av, b1, c01);
            av = Vector128.Create(a[1]);
            c10 = Vector128.MultiplyAddEstimate(av, b0, c10); c11 = Vector128.MultiplyAddEstimate(av, b1, c11);
            av = Vector128.Create(a[2]);
            c20 = Vector128.MultiplyAddEstimate(av, b0, c20); c21 = Vector128.MultiplyAddEstimate(av, b1, c21);
            av = Vector128.Create(a[3]);
            c30 = Vector128.MultiplyAddEstimate(av, b0, c30); c31 = Vector128.MultiplyAddEstimate(av, b1, c31);
            a += 4;
            b += 8;
        }

        var va = Vector128.Create(alpha);
        var vb = Vector128.Create(beta);
        if (mr == 4 && nr == 8)
        {
            GemmTile.Store(c, c00, va, vb, mode); GemmTile.Store(c + 4, c01, va, vb, mode); c += ldc;
            GemmTile.Store(c, c10, va, vb, mode); GemmTile.Store(c + 4, c11, va, vb, mode); c += ldc;
            GemmTile.Store(c, c20, va, vb, mode); GemmTile.Store(c + 4, c21, va, vb, mode); c += ldc;
            GemmTile.Store(c, c30, va, vb, mode); GemmTile.Store(c + 4, c31, va, vb, mode);
            return;
        }

        float* s = scratch;
        c00.Store(s); c01.Store(s + 4); s += 8;
        c10.Store(s); c11.Store(s + 4); s += 8;
        c20.Store(s); c21.Store(s + 4); s += 8;
        c30.Store(s); c31.Store(s + 4);
        GemmTile.UpdateScalar(scratch, 8, c, ldc, mr, nr, alpha, beta, mode);
    }
}
