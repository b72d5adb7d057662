namespace Recur.Training;

/// <summary>
/// One fused element-wise update over a parameter span, its gradient and up to three state spans,
/// written once as a <see cref="Vector{T}"/> formula. The same formula also runs the tail (the
/// last <c>Length % Vector&lt;float&gt;.Count</c> elements, padded into a stack buffer), so every
/// element gets bit-identical arithmetic wherever it sits in the arena.
/// </summary>
internal interface IUpdateKernel
{
    /// <summary>
    /// Updates one vector of elements: parameter <paramref name="p"/>, gradient <paramref name="g"/>, states s0..s2
    /// (zero and ignored when absent).
    /// </summary>
    void Invoke(ref Vector<float> p, Vector<float> g, ref Vector<float> s0, ref Vector<float> s1, ref Vector<float> s2);
}

internal static unsafe class Elementwise
{
    /// <summary>Below this many elements a step stays on the calling thread.</summary>
    internal const int MinParallelLength = 1 << 16;

    /// <summary>
    /// Runs <paramref name="kernel"/> over all elements, split into <paramref name="threads"/> contiguous
    /// ranges (each a whole number of vectors, the tail in the last) on the kernel worker pool. Every
    /// element gets the same arithmetic wherever the cuts fall, so the result is bit-identical for any
    /// thread count.
    /// </summary>
    public static void Run<TKernel>(in TKernel kernel, Span<float> p, ReadOnlySpan<float> g, Span<float> s0, Span<float> s1, Span<float> s2, int threads)
        where TKernel : struct, IUpdateKernel
    {
        int n = p.Length;
        int parts = Math.Min(threads <= 0 ? Environment.ProcessorCount : threads, n / MinParallelLength);
        CheckLengths(p, g, s0, s1, s2);
        if (parts <= 1)
        {
            Run(kernel, p, g, s0, s1, s2);
            return;
        }
        fixed (float* pp = p, pg = g, p0 = s0, p1 = s1, p2 = s2)
        {
            var job = new Job<TKernel>(kernel, pp, pg, p0, p1, p2, n, parts);
            Kernels.GemmWorkerPool.Shared.Run(parts, job);
        }
    }

    private sealed class Job<TKernel>(TKernel kernel, float* p, float* g, float* s0, float* s1, float* s2, int n, int parts) : Kernels.IParallelPart
        where TKernel : struct, IUpdateKernel
    {
        public void Execute(int part)
        {
            int w = Vector<float>.Count;
            int a = Cut(part), b = part == parts - 1 ? n : Cut(part + 1);
            int len = b - a;
            if (len <= 0) return;
            Run(kernel, new Span<float>(p + a, len), new ReadOnlySpan<float>(g + a, len),
                s0 == null ? default : new Span<float>(s0 + a, len),
                s1 == null ? default : new Span<float>(s1 + a, len),
                s2 == null ? default : new Span<float>(s2 + a, len));

            int Cut(int k) => (int)((long)n * k / parts / w * w);
        }
    }

    /// <summary>Runs <paramref name="kernel"/> over all elements. Unused state spans are empty.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // no slow tier-0 code in the arena loop
    public static void Run<TKernel>(in TKernel kernel, Span<float> p, ReadOnlySpan<float> g, Span<float> s0, Span<float> s1, Span<float> s2)
        where TKernel : struct, IUpdateKernel
    {
        int n = p.Length;
        var (h0, h1, h2) = CheckLengths(p, g, s0, s1, s2);
        int w = Vector<float>.Count;
        ref float rp = ref MemoryMarshal.GetReference(p);
        ref float rg = ref MemoryMarshal.GetReference(g);
        ref float r0 = ref MemoryMarshal.GetReference(s0);
        ref float r1 = ref MemoryMarshal.GetReference(s1);
        ref float r2 = ref MemoryMarshal.GetReference(s2);
        Vector<float> v0 = default, v1 = default, v2 = default;
        int i = 0;
        for (; i <= n - w; i += w)
        {
            nuint k = (nuint)i;
            var vp = Vector.LoadUnsafe(ref rp, k);
            var vg = Vector.LoadUnsafe(ref rg, k);
            if (h0) v0 = Vector.LoadUnsafe(ref r0, k);
            if (h1) v1 = Vector.LoadUnsafe(ref r1, k);
            if (h2) v2 = Vector.LoadUnsafe(ref r2, k);
            kernel.Invoke(ref vp, vg, ref v0, ref v1, ref v2);
            vp.StoreUnsafe(ref rp, k);
            if (h0) v0.StoreUnsafe(ref r0, k);
            if (h1) v1.StoreUnsafe(ref r1, k);
            if (h2) v2.StoreUnsafe(ref r2, k);
        }
        int rest = n - i;
        if (rest == 0) return;

        // Tail: pad into vectors (zeros beyond the end; their results are discarded).
        Span<float> buf = stackalloc float[5 * w];
        buf.Clear();
        Span<float> bp = buf[..w], bg = buf.Slice(w, w), b0 = buf.Slice(2 * w, w), b1 = buf.Slice(3 * w, w), b2 = buf.Slice(4 * w, w);
        p[i..].CopyTo(bp);
        g[i..].CopyTo(bg);
        if (h0) s0[i..].CopyTo(b0);
        if (h1) s1[i..].CopyTo(b1);
        if (h2) s2[i..].CopyTo(b2);
        var tp = new Vector<float>(bp);
        var t0 = new Vector<float>(b0);
        var t1 = new Vector<float>(b1);
        var t2 = new Vector<float>(b2);
        kernel.Invoke(ref tp, new Vector<float>(bg), ref t0, ref t1, ref t2);
        tp.CopyTo(bp);
        t0.CopyTo(b0);
        t1.CopyTo(b1);
        t2.CopyTo(b2);
        bp[..rest].CopyTo(p[i..]);
        if (h0) b0[..rest].CopyTo(s0[i..]);
        if (h1) b1[..rest].CopyTo(s1[i..]);
        if (h2) b2[..rest].CopyTo(s2[i..]);
    }

    /// <summary>Throws unless the gradient and every present state match the parameters' length; says which states are present.</summary>
    private static (bool, bool, bool) CheckLengths(Span<float> p, ReadOnlySpan<float> g, Span<float> s0, Span<float> s1, Span<float> s2)
    {
        int n = p.Length;
        if (g.Length != n) throw new ArgumentException($"gradient length {g.Length} differs from parameter length {n}.", nameof(g));
        return (Check(s0, n), Check(s1, n), Check(s2, n));
    }

    private static bool Check(Span<float> s, int n)
    {
        if (s.IsEmpty) return false;
        if (s.Length != n) throw new ArgumentException($"state length {s.Length} differs from parameter length {n}.");
        return true;
    }
}
