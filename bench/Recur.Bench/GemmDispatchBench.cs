using System.Diagnostics;
using Recur.Kernels;

namespace Recur.Bench;

/// <summary>
/// Fork-join overhead of the GEMM worker pool against <c>Parallel.For</c>: an empty two-part job,
/// and small LSTM-step products split in two by each mechanism (same kernel, same split).
/// </summary>
internal static unsafe class GemmDispatchBench
{
    private sealed class Empty : IParallelPart
    {
        public void Execute(int part)
        {
        }
    }

    public static int Run(string[] args)
    {
        int parts = 2;
        Console.WriteLine($"CPU: {Environment.ProcessorCount} logical processors; parts = {parts}");
        var empty = new Empty();
        var pool = GemmWorkerPool.Shared;
        Console.WriteLine($"empty job, worker pool : {Median(() => pool.Run(parts, empty), 20000) * 1e6,8:F2} us/call");
        Console.WriteLine($"empty job, Parallel.For: {Median(() => Parallel.For(0, parts, _ => { }), 20000) * 1e6,8:F2} us/call");
        Console.WriteLine();
        Console.WriteLine($"{"M",4} {"N",5} {"K",5} | {"1 thread",9} {"pool",9} {"Par.For",9}  (us per product, transB, packed B)");
        foreach (var (m, k) in new[] { (32, 128), (64, 128), (32, 256), (32, 512), (64, 512) })
        {
            int n = 4 * k;
            var a = new float[m * k];
            var b = new float[n * k];
            var c = new float[m * n];
            new Rng(1).FillUniform(a, -1, 1);
            new Rng(2).FillUniform(b, -1, 1);
            var packed = Gemm.PackB(true, k, n, b, k);
            double one = Median(() => Gemm.Sgemm(false, m, 1f, a, k, packed, 0f, c, n, 1), 2000);
            double viaPool = Median(() => Gemm.Sgemm(false, m, 1f, a, k, packed, 0f, c, n, parts), 2000);
            double viaFor;
            fixed (float* pa = a) fixed (float* pc = c) fixed (float* pb = packed.Buffer)
            {
                var g = new GemmArgs
                {
                    M = m, N = n, K = k, Alpha = 1f, Beta = 0f, A = pa, Lda = k, C = pc, Ldc = n,
                    PackedB = pb + packed.Offset,
                };
                int panels = (n + 31) / 32;
                viaFor = Median(() => Parallel.For(0, parts, p =>
                {
                    int u0 = p * panels / parts, u1 = (p + 1) * panels / parts;
                    GemmDriver<Avx512Kernel8x32>.RunRange(g, 0, m, u0 * 32, Math.Min(u1 * 32, n));
                }), 2000);
            }
            Console.WriteLine($"{m,4} {n,5} {k,5} | {one * 1e6,9:F1} {viaPool * 1e6,9:F1} {viaFor * 1e6,9:F1}");
        }
        return 0;
    }

    /// <summary>Median seconds per call over 9 batches of <paramref name="calls"/> calls.</summary>
    private static double Median(Action op, int calls)
    {
        for (int i = 0; i < calls / 4; i++) op();
        var t = new double[9];
        for (int s = 0; s < t.Length; s++)
        {
            long t0 = Stopwatch.GetTimestamp();
            for (int i = 0; i < calls; i++) op();
            t[s] = Stopwatch.GetElapsedTime(t0).TotalSeconds / calls;
        }
        Array.Sort(t);
        return t[t.Length / 2];
    }
}
