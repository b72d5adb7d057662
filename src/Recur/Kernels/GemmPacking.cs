using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Recur.Kernels;

/// <summary>
/// Packing of operand panels into the micro-kernel layouts. A panel of width <c>W</c> (MR for A,
/// NR for B) over <c>kc</c> steps is stored <c>dst[p*W + j]</c>, padded with zeros from the valid
/// width <c>w</c> up to <c>W</c>.
/// </summary>
internal static unsafe class GemmPacking
{
    /// <summary>
    /// Panels along the contiguous dimension (A transposed, B not transposed): panel <c>r</c> at
    /// <c>dst + r*W*kc</c> holds <c>dst[p*W + j] = src[(k0+p)*ld + j0 + r*W + j]</c>. Sweeps each source
    /// row once across all panels, so large power-of-two strides do not thrash one cache set.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // no slow tier-0 code in hot loops
    public static void PackCopyPanels(float* src, nint ld, int k0, int kc, int j0, int nc, int W, float* dst)
    {
        int full = nc / W;
        int rest = nc - full * W;
        nint panelStride = (nint)W * kc;
        float* s = src + k0 * ld + j0;
        for (int p = 0; p < kc; p++, s += ld, dst += W)
        {
            float* d = dst;
            float* sr = s;
            for (int r = 0; r < full; r++, d += panelStride, sr += W)
            {
                int j = 0;
                if (Vector256.IsHardwareAccelerated)
                    for (; j + 8 <= W; j += 8) Vector256.Load(sr + j).Store(d + j);
                for (; j + 4 <= W; j += 4) Vector128.Load(sr + j).Store(d + j);
                for (; j < W; j++) d[j] = sr[j];
            }
            if (rest > 0)
            {
                int j = 0;
                for (; j < rest; j++) d[j] = sr[j];
                for (; j < W; j++) d[j] = 0f;
            }
        }
    }

    /// <summary><c>dst[p*W + j] = src[(j0+j)*ld + k0 + p]</c>: the panel runs across rows of the source
    /// (A not transposed, B transposed); done with 8x8 register transposes where AVX is available.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // no slow tier-0 code in hot loops
    public static void PackTranspose(float* src, nint ld, int k0, int kc, int j0, int w, int W, float* dst)
    {
        float* s0 = src + j0 * ld + k0;
        int jj = 0;
        if (Avx.IsSupported)
        {
            int kc8 = kc & ~7;
            for (; jj + 8 <= w; jj += 8)
            {
                float* s = s0 + jj * ld;
                float* d = dst + jj;
                for (int pp = 0; pp < kc8; pp += 8)
                {
                    Transpose8x8(s + pp, ld, d + pp * W, W);
                }
                for (int p = kc8; p < kc; p++)
                    for (int j = 0; j < 8; j++) d[p * W + j] = s[j * ld + p];
            }
        }
        for (; jj < w; jj++)
        {
            float* s = s0 + jj * ld;
            float* d = dst + jj;
            for (int p = 0; p < kc; p++) d[p * W] = s[p];
        }
        if (w < W)
        {
            for (int p = 0; p < kc; p++)
                for (int j = w; j < W; j++) dst[p * W + j] = 0f;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8x8(float* s, nint ld, float* d, int ldd)
    {
        var r0 = Avx.LoadVector256(s);
        var r1 = Avx.LoadVector256(s + ld);
        var r2 = Avx.LoadVector256(s + 2 * ld);
        var r3 = Avx.LoadVector256(s + 3 * ld);
        var r4 = Avx.LoadVector256(s + 4 * ld);
        var r5 = Avx.LoadVector256(s + 5 * ld);
        var r6 = Avx.LoadVector256(s + 6 * ld);
        var r7 = Avx.LoadVector256(s + 7 * ld);

        var t0 = Avx.UnpackLow(r0, r1);
        var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3);
        var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5);
        var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7);
        var t7 = Avx.UnpackHigh(r6, r7);

        var u0 = Avx.Shuffle(t0, t2, 0x44);
        var u1 = Avx.Shuffle(t0, t2, 0xEE);
        var u2 = Avx.Shuffle(t1, t3, 0x44);
        var u3 = Avx.Shuffle(t1, t3, 0xEE);
        var u4 = Avx.Shuffle(t4, t6, 0x44);
        var u5 = Avx.Shuffle(t4, t6, 0xEE);
        var u6 = Avx.Shuffle(t5, t7, 0x44);
        var u7 = Avx.Shuffle(t5, t7, 0xEE);

        Avx.Store(d, Avx.Permute2x128(u0, u4, 0x20));
        Avx.Store(d + ldd, Avx.Permute2x128(u1, u5, 0x20));
        Avx.Store(d + 2 * ldd, Avx.Permute2x128(u2, u6, 0x20));
        Avx.Store(d + 3 * ldd, Avx.Permute2x128(u3, u7, 0x20));
        Avx.Store(d + 4 * ldd, Avx.Permute2x128(u0, u4, 0x31));
        Avx.Store(d + 5 * ldd, Avx.Permute2x128(u1, u5, 0x31));
        Avx.Store(d + 6 * ldd, Avx.Permute2x128(u2, u6, 0x31));
        Avx.Store(d + 7 * ldd, Avx.Permute2x128(u3, u7, 0x31));
    }

    /// <summary>Packs rows <c>[i0, i0+mc)</c> of op(A) over <c>[k0, k0+kc)</c> into MR-wide micro-panels,
    /// panel <c>r</c> at <c>dst + r*MR*kc</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // no slow tier-0 code in hot loops
    public static void PackA(bool transA, float* a, nint lda, int i0, int mc, int k0, int kc, int MR, float* dst)
    {
        if (transA)
        {
            PackCopyPanels(a, lda, k0, kc, i0, mc, MR, dst);
            return;
        }
        for (int ir = 0; ir < mc; ir += MR)
        {
            PackTranspose(a, lda, k0, kc, i0 + ir, Math.Min(MR, mc - ir), MR, dst);
            dst += MR * kc;
        }
    }

    /// <summary>Packs columns <c>[j0, j0+nc)</c> of op(B) over <c>[k0, k0+kc)</c> into NR-wide micro-panels,
    /// panel <c>r</c> at <c>dst + r*NR*kc</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // no slow tier-0 code in hot loops
    public static void PackB(bool transB, float* b, nint ldb, int j0, int nc, int k0, int kc, int NR, float* dst)
    {
        if (!transB)
        {
            PackCopyPanels(b, ldb, k0, kc, j0, nc, NR, dst);
            return;
        }
        for (int jr = 0; jr < nc; jr += NR)
        {
            PackTranspose(b, ldb, k0, kc, j0 + jr, Math.Min(NR, nc - jr), NR, dst);
            dst += NR * kc;
        }
    }
}
