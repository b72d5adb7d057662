using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using System.Diagnostics;
using System.Numerics.Tensors;

namespace Recur.Kernels;

/// <summary>
/// Single-precision general matrix multiply on row-major storage:
/// <c>C(M,N) = alpha * op(A) * op(B) + beta * C</c>, where <c>op(A)</c> is <c>(M,K)</c> and
/// <c>op(B)</c> is <c>(K,N)</c>. With <c>transA</c>, A is stored <c>(K,M)</c> with leading
/// dimension <c>lda</c>; with <c>transB</c>, B is stored <c>(N,K)</c> (PyTorch's weight layout).
/// </summary>
/// <remarks>
/// Implementation: operands are packed into panels (A into MR-row micro-panels, B into NR-column
/// micro-panels, blocked by KC along K), and a register-blocked micro-kernel accumulates an MR x NR
/// tile with fused multiply-adds: AVX-512 8x32, AVX2+FMA 4x24, or a portable Vector128 4x8.
/// <para>
/// Summation order (the same for every thread count and for packed and unpacked B): K is cut into
/// <c>ceil(K/KC)</c> near-equal blocks; within a block each element's products are accumulated in
/// increasing k from zero with FMAs; then C is updated as <c>C = beta*C + alpha*acc</c> for the first
/// block (<c>C = alpha*acc</c> when beta is 0, so NaN in C is ignored; <c>C + alpha*acc</c> when beta is
/// 1) and <c>C = C + alpha*acc</c> for the later ones. Each element of C is computed by exactly one
/// thread, so results are bit-identical for every <c>threads</c> value.
/// </para>
/// <para>
/// <c>threads</c>: the number of parts the work is split into (the caller runs one, pooled workers
/// the rest); values &lt;= 0 mean <see cref="Environment.ProcessorCount"/>. Small products run on one
/// thread regardless, since dispatch would cost more than it saves.
/// </para>
/// </remarks>
public static class Gemm
{
    /// <summary>Products below this many flops run on the calling thread only.</summary>
    internal const double MinParallelFlops = 2.0 * 64 * 64 * 64;

    /// <summary>The fastest micro-kernel the hardware supports.</summary>
    internal static readonly GemmIsa BestIsa =
        Avx512F.IsSupported ? GemmIsa.Avx512
        : Avx2.IsSupported && Fma.IsSupported ? GemmIsa.Avx2
        : GemmIsa.Portable;

    /// <summary>Computes <c>C = alpha * op(A) * op(B) + beta * C</c> (row-major).</summary>
    /// <param name="transA">A is stored <c>(K,M)</c> instead of <c>(M,K)</c>.</param>
    /// <param name="transB">B is stored <c>(N,K)</c> instead of <c>(K,N)</c>.</param>
    /// <param name="m">Rows of C and of op(A).</param>
    /// <param name="n">Columns of C and of op(B).</param>
    /// <param name="k">Inner dimension.</param>
    /// <param name="alpha">Scale of the product.</param>
    /// <param name="a">A, row-major with leading dimension <paramref name="lda"/>.</param>
    /// <param name="lda">Distance between rows of A as stored.</param>
    /// <param name="b">B, row-major with leading dimension <paramref name="ldb"/>.</param>
    /// <param name="ldb">Distance between rows of B as stored.</param>
    /// <param name="beta">Scale of the old C; 0 overwrites C (its old contents, NaN included, are ignored).</param>
    /// <param name="c">C <c>(M,N)</c>, row-major with leading dimension <paramref name="ldc"/>.</param>
    /// <param name="ldc">Distance between rows of C.</param>
    /// <param name="threads">Parts to split the work into; &lt;= 0 means one per processor.</param>
    public static void Sgemm(
        bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb,
        float beta, Span<float> c, int ldc, int threads = 1)
        => Sgemm(BestIsa, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, threads);

    /// <summary>
    /// Computes <c>C = alpha * op(A) * B + beta * C</c> with a B packed beforehand by
    /// <see cref="PackB(bool, int, int, ReadOnlySpan{float}, int)"/>; <c>op(B)</c> is <c>(b.K, b.N)</c>.
    /// Bit-identical to the unpacked overload with the same operands.
    /// </summary>
    /// <param name="transA">A is stored <c>(K,M)</c> instead of <c>(M,K)</c>.</param>
    /// <param name="m">Rows of C and of op(A).</param>
    /// <param name="alpha">Scale of the product.</param>
    /// <param name="a">A, row-major with leading dimension <paramref name="lda"/>.</param>
    /// <param name="lda">Distance between rows of A as stored.</param>
    /// <param name="b">The packed <c>(K,N)</c> operand.</param>
    /// <param name="beta">Scale of the old C; 0 overwrites C.</param>
    /// <param name="c">C <c>(M,N)</c>, row-major with leading dimension <paramref name="ldc"/>.</param>
    /// <param name="ldc">Distance between rows of C.</param>
    /// <param name="threads">Parts to split the work into; &lt;= 0 means one per processor.</param>
    public static unsafe void Sgemm(
        bool transA, int m, float alpha, ReadOnlySpan<float> a, int lda, PackedMatrix b,
        float beta, Span<float> c, int ldc, int threads = 1)
    {
        ArgumentNullException.ThrowIfNull(b);
        int n = b.N, k = b.K;
        if (m < 0) throw new ArgumentOutOfRangeException(nameof(m), m, "m must be non-negative.");
        CheckMatrix("a", transA ? k : m, transA ? m : k, a.Length, lda);
        CheckMatrix("c", m, n, c.Length, ldc);
        if (m == 0 || n == 0) return;
        if (k == 0 || alpha == 0f)
        {
            ScaleC(m, n, beta, c, ldc);
            return;
        }
        fixed (float* pa = a)
        fixed (float* pc = c)
        fixed (float* pb = b.Buffer)
        {
            var g = new GemmArgs
            {
                TransA = transA, TransB = false, M = m, N = n, K = k, Alpha = alpha, Beta = beta,
                A = pa, Lda = lda, B = null, Ldb = 0, C = pc, Ldc = ldc, PackedB = pb + b.Offset,
            };
            Dispatch(b.Isa, g, threads);
        }
    }

    /// <summary>
    /// Packs <c>op(B)</c> <c>(K,N)</c> for repeated use with
    /// <see cref="Sgemm(bool, int, float, ReadOnlySpan{float}, int, PackedMatrix, float, Span{float}, int, int)"/>.
    /// With <paramref name="transB"/>, B is stored <c>(N,K)</c> (e.g. an LSTM's <c>W_hh</c> of shape
    /// <c>(4H,H)</c> for <c>h · W_hh^T</c>).
    /// </summary>
    public static PackedMatrix PackB(bool transB, int k, int n, ReadOnlySpan<float> b, int ldb)
    {
        var packed = new PackedMatrix();
        PackB(BestIsa, transB, k, n, b, ldb, packed);
        return packed;
    }

    /// <summary>Repacks <paramref name="destination"/> in place from <c>op(B)</c> <c>(K,N)</c>, reusing its
    /// buffer when it is large enough (allocation-free when the shape is unchanged).</summary>
    public static void PackB(bool transB, int k, int n, ReadOnlySpan<float> b, int ldb, PackedMatrix destination)
        => PackB(BestIsa, transB, k, n, b, ldb, destination);

    internal static unsafe void PackB(GemmIsa isa, bool transB, int k, int n, ReadOnlySpan<float> b, int ldb, PackedMatrix destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        if (k < 0) throw new ArgumentOutOfRangeException(nameof(k), k, "k must be non-negative.");
        if (n < 0) throw new ArgumentOutOfRangeException(nameof(n), n, "n must be non-negative.");
        CheckMatrix("b", transB ? n : k, transB ? k : n, b.Length, ldb);
        var (nr, kcMax) = isa switch
        {
            GemmIsa.Avx512 => (Avx512Kernel8x32.NR, Avx512Kernel8x32.KC),
            GemmIsa.Avx2 => (Avx2Kernel4x24.NR, Avx2Kernel4x24.KC),
            _ => (PortableKernel4x8.NR, PortableKernel4x8.KC),
        };
        int panels = (n + nr - 1) / nr;
        long length = (long)panels * nr * k;
        if (length > Array.MaxLength - 16)
            throw new ArgumentException($"op(B) of shape ({k}, {n}) is too large to pack ({length} floats).", nameof(b));
        destination.Reset(isa, k, n, (int)length);
        if (k == 0 || n == 0) return;
        int nkb = (k + kcMax - 1) / kcMax;
        fixed (float* pb = b)
        fixed (float* pd = destination.Buffer)
            PackBBlocks(transB, pb, ldb, k, n, nr, nkb, 0, nkb, pd + destination.Offset);
    }

    /// <summary>
    /// Packs K blocks <c>[kb0, kb1)</c> of the <paramref name="nkb"/> near-equal blocks of op(B) (k x n) into
    /// the pre-packed layout: block <c>kb</c> at <c>dst + k0 * panels * nr</c>, its NR-wide panels one after another.
    /// </summary>
    internal static unsafe void PackBBlocks(bool transB, float* b, nint ldb, int k, int n, int nr, int nkb, int kb0, int kb1, float* dst)
    {
        int panels = (n + nr - 1) / nr;
        for (int kb = kb0; kb < kb1; kb++)
        {
            int k0 = KStart(kb, nkb, k), kc = KStart(kb + 1, nkb, k) - k0;
            GemmPacking.PackB(transB, b, ldb, 0, n, k0, kc, nr, dst + (long)k0 * panels * nr);
        }
    }

    /// <summary>The unpacked product with an explicit micro-kernel (tests and benchmarks compare them).</summary>
    internal static unsafe void Sgemm(GemmIsa isa,
        bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb,
        float beta, Span<float> c, int ldc, int threads)
    {
        CheckArgs(transA, transB, m, n, k, a.Length, lda, b.Length, ldb, c.Length, ldc);
        if (m == 0 || n == 0) return;
        if (k == 0 || alpha == 0f)
        {
            ScaleC(m, n, beta, c, ldc);
            return;
        }
        fixed (float* pa = a)
        fixed (float* pb = b)
        fixed (float* pc = c)
        {
            var g = new GemmArgs
            {
                TransA = transA, TransB = transB, M = m, N = n, K = k, Alpha = alpha, Beta = beta,
                A = pa, Lda = lda, B = pb, Ldb = ldb, C = pc, Ldc = ldc, PackedB = null,
            };
            Dispatch(isa, g, threads);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // no slow tier-0 code in hot loops
    private static void ScaleC(int m, int n, float beta, Span<float> c, int ldc)
    {
        if (beta == 1f) return;
        for (int i = 0; i < m; i++)
        {
            var row = c.Slice(i * ldc, n);
            if (beta == 0f) row.Clear();
            else TensorPrimitives.Multiply(row, beta, row);
        }
    }

    /// <summary>Start of K block <paramref name="kb"/> of <paramref name="nkb"/> near-equal blocks.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int KStart(int kb, int nkb, int k) => (int)((long)kb * k / nkb);

    private static void Dispatch(GemmIsa isa, in GemmArgs g, int threads)
    {
        switch (isa)
        {
            case GemmIsa.Avx512: GemmDriver<Avx512Kernel8x32>.Run(g, threads); break;
            case GemmIsa.Avx2: GemmDriver<Avx2Kernel4x24>.Run(g, threads); break;
            default: GemmDriver<PortableKernel4x8>.Run(g, threads); break;
        }
    }

    internal static void CheckArgs(bool transA, bool transB, int m, int n, int k,
        int aLen, int lda, int bLen, int ldb, int cLen, int ldc)
    {
        if (m < 0) throw new ArgumentOutOfRangeException(nameof(m), m, "m must be non-negative.");
        if (n < 0) throw new ArgumentOutOfRangeException(nameof(n), n, "n must be non-negative.");
        if (k < 0) throw new ArgumentOutOfRangeException(nameof(k), k, "k must be non-negative.");
        int aRows = transA ? k : m, aCols = transA ? m : k;
        int bRows = transB ? n : k, bCols = transB ? k : n;
        CheckMatrix("a", aRows, aCols, aLen, lda);
        CheckMatrix("b", bRows, bCols, bLen, ldb);
        CheckMatrix("c", m, n, cLen, ldc);
    }

    private static void CheckMatrix(string name, int rows, int cols, int len, int ld)
    {
        if (rows == 0 || cols == 0) return;
        if (ld < cols)
            throw new ArgumentException($"leading dimension of {name} is {ld}, must be at least {cols} (columns).", "ld" + name);
        long need = (long)(rows - 1) * ld + cols;
        if (len < need)
            throw new ArgumentException($"{name} has {len} elements, a ({rows}, {cols}) matrix with leading dimension {ld} needs {need}.", name);
    }

    internal static bool IsSupported(GemmIsa isa) => isa switch
    {
        GemmIsa.Avx512 => Avx512F.IsSupported,
        GemmIsa.Avx2 => Avx2.IsSupported && Fma.IsSupported,
        _ => true,
    };
}

/// <summary>Operands of one product, as raw pointers into memory the caller keeps pinned.</summary>
internal unsafe struct GemmArgs
{
    public bool TransA, TransB;
    public int M, N, K;
    public float Alpha, Beta;
    public float* A, B, C, PackedB;
    public nint Lda, Ldb, Ldc;
}

/// <summary>The blocked loop nest around micro-kernel <typeparamref name="TK"/>, and its thread split.</summary>
internal static unsafe class GemmDriver<TK> where TK : struct, IGemmKernel
{
    /// <summary>Row ranges up to this size read A in place instead of packing it.</summary>
    internal const int DirectARows = 64;

    public static void Run(in GemmArgs g, int threads)
    {
        int parts = threads <= 0 ? Environment.ProcessorCount : threads;
        int tilesM = (g.M + TK.MR - 1) / TK.MR;
        int panelsN = (g.N + TK.NR - 1) / TK.NR;
        if (2.0 * g.M * g.N * g.K < Gemm.MinParallelFlops) parts = 1;
        // Split the larger side; each part then packs its own share of that side's operand.
        bool splitN = (long)panelsN * TK.NR >= (long)tilesM * TK.MR;
        int units = splitN ? panelsN : tilesM;
        if (units < parts)
        {
            splitN = !splitN;
            units = splitN ? panelsN : tilesM;
            if (units < parts) { splitN = panelsN >= tilesM; units = Math.Max(panelsN, tilesM); }
        }
        parts = Math.Min(parts, units);
        if (parts <= 1)
        {
            RunRange(g, 0, g.M, 0, g.N);
            return;
        }
        if (!splitN && g.PackedB == null && (long)g.K * g.N >= SharedPackMin)
        {
            // Split along M, every part would pack all of op(B): pack it once, the parts sharing the work.
            int panels = (g.N + TK.NR - 1) / TK.NR;
            int nkb = (g.K + TK.KC - 1) / TK.KC;
            long length = (long)g.K * panels * TK.NR;
            if (length <= int.MaxValue - 16)
            {
                if (t_shared is null || t_shared.Length < length + 16) t_shared = GC.AllocateUninitializedArray<float>((int)length + 16, pinned: true);
                float* dst = (float*)(((nint)Unsafe.AsPointer(ref t_shared[0]) + 63) & ~(nint)63);
                GemmWorkerPool.Shared.Run(Math.Min(parts, nkb), new PackJob(g, dst, nkb, Math.Min(parts, nkb)));
                var shared = g;
                shared.PackedB = dst;
                GemmWorkerPool.Shared.Run(parts, new Job(shared, parts, units, splitN));
                return;
            }
        }
        GemmWorkerPool.Shared.Run(parts, new Job(g, parts, units, splitN));
    }

    /// <summary>Products with at least this many elements of op(B) share one packing of it when split along M.</summary>
    internal const long SharedPackMin = 1 << 16;

    [ThreadStatic] private static float[]? t_shared; // pinned; the calling thread's shared packing of op(B)

    /// <summary>
    /// Packs the K blocks of op(B) of one part into the layout
    /// <see cref="Gemm.PackB(bool, int, int, ReadOnlySpan{float}, int, PackedMatrix)"/> makes.
    /// </summary>
    private sealed class PackJob(GemmArgs g, float* dst, int nkb, int parts) : IParallelPart
    {
        public void Execute(int part) => Gemm.PackBBlocks(g.TransB, g.B, g.Ldb, g.K, g.N, TK.NR, nkb,
            (int)((long)nkb * part / parts), (int)((long)nkb * (part + 1) / parts), dst);
    }

    private sealed class Job(GemmArgs g, int parts, int units, bool splitN) : IParallelPart
    {
        public void Execute(int part)
        {
            int u0 = (int)((long)part * units / parts), u1 = (int)((long)(part + 1) * units / parts);
            if (u0 == u1) return;
            if (splitN) RunRange(g, 0, g.M, u0 * TK.NR, Math.Min(u1 * TK.NR, g.N));
            else RunRange(g, u0 * TK.MR, Math.Min(u1 * TK.MR, g.M), 0, g.N);
        }
    }

    /// <summary>Computes C[i0..i1, j0..j1) (j0 a multiple of NR).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // no slow tier-0 code in hot loops
    public static void RunRange(in GemmArgs g, int i0, int i1, int j0, int j1)
    {
        int MR = TK.MR, NR = TK.NR, KC = TK.KC;
        int MC = TK.MC, NC = TK.NC;
        Debug.Assert(MC % MR == 0 && NC % NR == 0, "block sizes must be multiples of the tile");
        int k = g.K;
        int nkb = (k + KC - 1) / KC;
        int kcMax = (k + nkb - 1) / nkb;
        int panelsTotal = (g.N + NR - 1) / NR;
        // Few rows (a recurrent step's batch): the A block is read in place by the micro-kernel
        // (same arithmetic), saving the repacking every thread would otherwise do at every call.
        bool directA = TK.StridedA && i1 - i0 <= DirectARows;
        nint rs = g.TransA ? 1 : g.Lda, ks = g.TransA ? g.Lda : 1;
        int mcMax = Math.Min(MC, ((i1 - i0 + MR - 1) / MR) * MR);
        int ncMax = Math.Min(NC, ((j1 - j0 + NR - 1) / NR) * NR);
        nuint aBytes = (nuint)mcMax * (nuint)kcMax * sizeof(float);
        nuint bBytes = g.PackedB == null ? (nuint)ncMax * (nuint)kcMax * sizeof(float) : 0;
        nuint sBytes = (nuint)(MR * NR) * sizeof(float);
        byte* mem = (byte*)NativeMemory.AlignedAlloc(aBytes + bBytes + sBytes, 64);
        try
        {
            float* aBuf = (float*)mem;
            float* bBuf = (float*)(mem + aBytes);
            float* scratch = (float*)(mem + aBytes + bBytes);
            int firstMode = g.Beta == 0f ? 0 : g.Beta == 1f ? 1 : 2;
            for (int jc = j0; jc < j1; jc += NC)
            {
                int nc = Math.Min(NC, j1 - jc);
                for (int kb = 0; kb < nkb; kb++)
                {
                    int k0 = Gemm.KStart(kb, nkb, k), kc = Gemm.KStart(kb + 1, nkb, k) - k0;
                    float* bp;
                    if (g.PackedB != null)
                    {
                        bp = g.PackedB + (long)k0 * panelsTotal * NR + (long)(jc / NR) * kc * NR;
                    }
                    else
                    {
                        GemmPacking.PackB(g.TransB, g.B, g.Ldb, jc, nc, k0, kc, NR, bBuf);
                        bp = bBuf;
                    }
                    int mode = kb == 0 ? firstMode : 1;
                    for (int ic = i0; ic < i1; ic += MC)
                    {
                        int mc = Math.Min(MC, i1 - ic);
                        if (!directA) GemmPacking.PackA(g.TransA, g.A, g.Lda, ic, mc, k0, kc, MR, aBuf);
                        float* aIn = g.A + (g.TransA ? k0 * g.Lda + ic : ic * g.Lda + k0);
                        float* cBlock = g.C + ic * g.Ldc + jc;
                        for (int jr = 0; jr < nc; jr += NR)
                        {
                            int nr = Math.Min(NR, nc - jr);
                            float* bPanel = bp + (long)jr * kc;
                            for (int ir = 0; ir < mc; ir += MR)
                            {
                                if (directA)
                                    TK.ComputeStrided(kc, aIn + ir * rs, rs, ks, bPanel, cBlock + ir * g.Ldc + jr, g.Ldc,
                                        Math.Min(MR, mc - ir), nr, g.Alpha, g.Beta, mode, scratch);
                                else
                                    TK.Compute(kc, aBuf + ir * kc, bPanel, cBlock + ir * g.Ldc + jr, g.Ldc,
                                        Math.Min(MR, mc - ir), nr, g.Alpha, g.Beta, mode, scratch);
                            }
                        }
                    }
                }
            }
        }
        finally
        {
            NativeMemory.AlignedFree(mem);
        }
    }
}
