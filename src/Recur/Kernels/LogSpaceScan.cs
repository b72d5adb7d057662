namespace Recur.Kernels;

/// <summary>
/// The diagonal linear recurrence <c>h_t = a_t ⊙ h_{t-1} + b_t</c> with <c>a_t, b_t &gt; 0</c>, evaluated as a
/// parallel scan in log space (Heinsen 2023; Feng et al. 2024 train minGRU and minLSTM this way). With
/// <c>la = log a</c> and <c>lb = log b</c>, the pairs compose associatively,
/// <c>(la1, lb1) ∘ (la2, lb2) = (la1 + la2, logaddexp(lb1 + la2, lb2))</c>, and the prefix composite of
/// steps <c>0..t</c>, <c>(LA_t, LB_t)</c>, gives <c>h_t = exp(LA_t) h_{-1} + exp(LB_t)</c> for any initial
/// state (its sign included). Every quantity is a log of a magnitude that stays in range, so long
/// sequences neither overflow nor lose precision to cancellation.
/// <para>
/// Sequence-length parallel: the <c>T</c> steps are cut into segments of <see cref="Segment"/> steps;
/// each segment scans its local composites in log space (in parallel), the states entering the segments are
/// chained from the segment composites (one short sequential pass over <c>T / 32</c> segments), and each
/// segment then turns its local composites and entering state into <c>h_t</c> (in parallel). The segment length does not
/// depend on the thread count, so every thread count gives the same bits.
/// </para>
/// </summary>
public static class LogSpaceScan
{
    /// <summary>Steps per segment of the parallel scan.</summary>
    public const int Segment = 32;

    /// <summary>
    /// <paramref name="la"/>, <paramref name="lb"/> <c>(T, N)</c>: the log coefficients of every step, overwritten
    /// (they are scratch afterwards); <paramref name="h0"/> <c>(N)</c>; writes <paramref name="h"/> <c>(T, N)</c>.
    /// </summary>
    public static void Forward(float[] la, float[] lb, float[] h0, float[] h, int T, int N, int threads)
    {
        ArgumentNullException.ThrowIfNull(la);
        ArgumentNullException.ThrowIfNull(lb);
        ArgumentNullException.ThrowIfNull(h0);
        ArgumentNullException.ThrowIfNull(h);
        if (la.Length < T * N || lb.Length < T * N || h.Length < T * N || h0.Length < N)
            throw new ArgumentException($"buffers too small for T = {T}, N = {N}.");
        int K = (T + Segment - 1) / Segment;
        int parts = Math.Max(1, Math.Min(threads <= 0 ? Environment.ProcessorCount : threads, K));
        var job = Job.Get(N, K, parts);
        job.Set(la, lb, h0, h, T, N, K, parts);
        job.Phase = 1;
        Run(parts, job);
        job.Chain();
        job.Phase = 3;
        Run(parts, job);
        job.Release();
    }

    private static void Run(int parts, Job job)
    {
        if (parts == 1) job.Execute(0);
        else GemmWorkerPool.Shared.Run(parts, job);
    }

    private sealed class Job : IParallelPart
    {
        [ThreadStatic] private static Job? _cached;
        private float[] _carry = [];
        private float[] _la = [], _lb = [], _h0 = [], _h = [];
        private int _t, _n, _k, _parts;
        public int Phase;

        public static Job Get(int n, int k, int parts)
        {
            var j = _cached ??= new Job();
            if (j._carry.Length < k * n) j._carry = new float[k * n];
            return j;
        }

        public void Set(float[] la, float[] lb, float[] h0, float[] h, int t, int n, int k, int parts)
            => (_la, _lb, _h0, _h, _t, _n, _k, _parts) = (la, lb, h0, h, t, n, k, parts);

        /// <summary>Drops the references to the caller's buffers.</summary>
        public void Release() => (_la, _lb, _h0, _h) = ([], [], [], []);

        private Span<float> Row(float[] a, int t) => a.AsSpan(t * _n, _n);
        private Span<float> Carry(int k) => _carry.AsSpan(k * _n, _n); // (K, N): the state entering segment k

        public void Execute(int part)
        {
            for (int k = part; k < _k; k += _parts)
            {
                if (Phase == 1) ScanSegment(k, part);
                else ApplyCarry(k, part);
            }
        }

        /// <summary>Phase 1: the local prefix composites of segment <paramref name="k"/>, in place.</summary>
        private void ScanSegment(int k, int part)
        {
            int t0 = k * Segment, t1 = Math.Min(_t, t0 + Segment);
            for (int t = t0 + 1; t < t1; t++)
                ScanMath.Compose(Row(_la, t - 1), Row(_lb, t - 1), Row(_la, t), Row(_lb, t)); // (LA_t, LB_t)
        }

        /// <summary>
        /// Phase 2 (sequential, K steps): the state entering each segment, <c>h_in(k) = exp(LA_end) h_in(k-1) + exp(LB_end)</c>
        /// from the previous segment's local composite (a real state, so its sign is free).
        /// </summary>
        public void Chain()
        {
            _h0.AsSpan(0, _n).CopyTo(Carry(0));
            for (int k = 1; k < _k; k++)
            {
                int end = k * Segment - 1; // last step of segment k-1: h_end = exp(LA) h_in + exp(LB)
                ScanMath.Combine(Row(_la, end), Row(_lb, end), Carry(k - 1), Carry(k));
            }
        }

        /// <summary>
        /// Phase 3: every step of segment <paramref name="k"/> from its local composite and the state entering it,
        /// <c>h_t = exp(LA_t) h_in + exp(LB_t)</c>.
        /// </summary>
        private void ApplyCarry(int k, int part)
        {
            int t0 = k * Segment, t1 = Math.Min(_t, t0 + Segment);
            var hin = Carry(k);
            for (int t = t0; t < t1; t++) ScanMath.Combine(Row(_la, t), Row(_lb, t), hin, Row(_h, t));
        }
    }
}
