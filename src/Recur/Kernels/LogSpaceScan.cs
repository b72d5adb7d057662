using System.Numerics.Tensors;

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
/// each segment scans locally (in parallel), the segment composites are chained (one short sequential
/// pass), and each segment then applies its carried prefix (in parallel). The segment length does not
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

    /// <summary>
    /// <c>dst = log(exp(p) + exp(q))</c> elementwise, stable; <c>p = -inf</c> gives <c>q</c> (both <c>-inf</c> is not
    /// supported: the scan's <c>lb</c> is always finite). <paramref name="tmp"/> is scratch; <paramref name="dst"/> may alias p or q.
    /// </summary>
    public static void LogAddExp(ReadOnlySpan<float> p, ReadOnlySpan<float> q, Span<float> dst, Span<float> tmp)
    {
        TensorPrimitives.Subtract(p, q, tmp);
        TensorPrimitives.Abs(tmp, tmp);
        TensorPrimitives.Negate(tmp, tmp);
        TensorPrimitives.Exp(tmp, tmp);
        TensorPrimitives.LogP1(tmp, tmp);
        TensorPrimitives.Max(p, q, dst);
        TensorPrimitives.Add(dst, tmp, dst);
    }

    /// <summary><c>dst = softplus(x) = log(1 + exp(x))</c>, stable for any <c>x</c>; <paramref name="tmp"/> is scratch (may not alias).</summary>
    public static void Softplus(ReadOnlySpan<float> x, Span<float> dst, Span<float> tmp)
    {
        TensorPrimitives.Abs(x, tmp);
        TensorPrimitives.Negate(tmp, tmp);
        TensorPrimitives.Exp(tmp, tmp);
        TensorPrimitives.LogP1(tmp, tmp);
        TensorPrimitives.Max(x, 0f, dst);
        TensorPrimitives.Add(dst, tmp, dst);
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
            if (j._carry.Length < 2 * k * n) j._carry = new float[2 * k * n];
            return j;
        }

        public void Set(float[] la, float[] lb, float[] h0, float[] h, int t, int n, int k, int parts)
            => (_la, _lb, _h0, _h, _t, _n, _k, _parts) = (la, lb, h0, h, t, n, k, parts);

        /// <summary>Drops the references to the caller's buffers.</summary>
        public void Release() => (_la, _lb, _h0, _h) = ([], [], [], []);

        private Span<float> Row(float[] a, int t) => a.AsSpan(t * _n, _n);
        private Span<float> CarryA(int k) => _carry.AsSpan(k * _n, _n);
        private Span<float> CarryB(int k) => _carry.AsSpan((_k + k) * _n, _n);

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

        /// <summary>Phase 2 (sequential, short): the prefix carried into each segment from the composites of the ones before it.</summary>
        public void Chain()
        {
            CarryA(0).Clear();
            CarryB(0).Fill(float.NegativeInfinity);
            for (int k = 1; k < _k; k++)
            {
                int end = k * Segment - 1; // last step of segment k-1
                Row(_la, end).CopyTo(CarryA(k));
                Row(_lb, end).CopyTo(CarryB(k));
                ScanMath.Compose(CarryA(k - 1), CarryB(k - 1), CarryA(k), CarryB(k));
            }
        }

        /// <summary>Phase 3: the global prefix of each step of segment <paramref name="k"/>, then <c>h_t = exp(LA_t) h_{-1} + exp(LB_t)</c>.</summary>
        private void ApplyCarry(int k, int part)
        {
            int t0 = k * Segment, t1 = Math.Min(_t, t0 + Segment);
            var h0 = _h0.AsSpan(0, _n);
            for (int t = t0; t < t1; t++)
            {
                var la = Row(_la, t); var lb = Row(_lb, t);
                if (k > 0) ScanMath.Compose(CarryA(k), CarryB(k), la, lb);
                ScanMath.Combine(la, lb, h0, Row(_h, t));
            }
        }
    }
}
