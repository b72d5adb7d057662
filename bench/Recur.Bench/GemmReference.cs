using System.Diagnostics;

namespace Recur.Bench;

/// <summary>
/// The machine's SGEMM reference rate at the moment of a race: the best of <c>reps</c> products of 2048x512 by 512x2048
/// (A times B transposed, the shape of a batched gate projection) by OpenBLAS where it is installed, else by Recur's own
/// GEMM.
/// A model whose work is mostly GEMM cannot train faster than its nominal FLOPs divided by this rate, whoever runs it,
/// so a race's ratio is bounded by this rate over the slower side's model GFLOP/s.
/// </summary>
internal static class GemmReference
{
    /// <summary>GFLOP/s (2·M·N·K over the best time) and who computed it, at <paramref name="threads"/> threads.</summary>
    public static unsafe (double Rate, string Who) Measure(int threads, int reps = 8)
    {
        const int m = 2048, n = 2048, k = 512;
        var a = new float[m * k]; var b = new float[n * k]; var c = new float[m * n];   // A (M, K), B (N, K), C (M, N)
        new Rng(1).FillUniform(a, -1, 1); new Rng(2).FillUniform(b, -1, 1);
        var blas = OpenBlas.TryLoad();
        blas?.SetThreads(threads);
        double best = 0;
        fixed (float* pa = a, pb = b, pc = c)
        {
            for (int r = 0; r < reps; r++)
            {
                long t0 = Stopwatch.GetTimestamp();
                if (blas is not null) blas.Sgemm(false, true, m, n, k, 1f, pa, k, pb, k, 0f, pc, n);
                else Recur.Kernels.Gemm.Sgemm(false, true, m, n, k, 1f, a, k, b, k, 0f, c, n, threads);
                double s = Stopwatch.GetElapsedTime(t0).TotalSeconds;
                best = Math.Max(best, 2.0 * m * n * k / s / 1e9);
            }
        }
        return (best, blas is null ? "Recur (OpenBLAS not found)" : $"OpenBLAS {blas.CoreName}");
    }
}
