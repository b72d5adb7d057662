using System.Runtime.InteropServices;
using System.Diagnostics;
using Recur.Kernels;

namespace Recur.Bench;

/// <summary>
/// Races <see cref="Gemm.Sgemm(bool, bool, int, int, int, float, ReadOnlySpan{float}, int, ReadOnlySpan{float}, int, float, Span{float}, int, int)"/>
/// (unpacked and with a pre-packed B) against OpenBLAS <c>cblas_sgemm</c> on the shapes the RNN layers use.
/// Each cell is the median of several timed samples after a warm-up; a sample repeats the product
/// for about 40 ms.
/// </summary>
internal static unsafe class GemmBench
{
    private sealed record Shape(string Name, bool TransA, bool TransB, int M, int N, int K);

    public static int Run(string[] args)
    {
        bool quick = args.Contains("--quick");
        bool noBlas = args.Contains("--no-openblas");
        int[] threadList = [1, 2];
        var isa = Gemm.BestIsa;
        string? only = null;
        for (int i = 0; i < args.Length - 1; i++)
        {
            if (args[i] == "--threads") threadList = args[i + 1].Split(',').Select(int.Parse).ToArray();
            if (args[i] == "--isa") isa = Enum.Parse<GemmIsa>(args[i + 1], ignoreCase: true);
            if (args[i] == "--only") only = args[i + 1];
        }
        if (!Gemm.IsSupported(isa))
        {
            Console.Error.WriteLine($"micro-kernel {isa} is not supported on this CPU.");
            return 2;
        }

        var shapes = new List<Shape> { new("square", false, false, 1024, 1024, 1024) };
        foreach (int m in new[] { 32, 64 })
            foreach (int k in new[] { 128, 512, 1024 })
                shapes.Add(new($"lstm-step B={m} H={k}", false, true, m, 4 * k, k));
        shapes.Add(new("input-proj T*B=2048", false, true, 2048, 2048, 512));
        shapes.Add(new("dW=dG^T X", true, false, 2048, 512, 2048));
        shapes.Add(new("dX=dG W", false, false, 2048, 512, 2048));
        shapes.Add(new("video-proj T*B=1024", false, true, 1024, 256, 1010));  // video: 16 frames x 64 clips of 1,010 features
        shapes.Add(new("video-proj dW", true, false, 256, 1010, 1024));
        if (only is not null) shapes = shapes.Where(s => s.Name.Contains(only, StringComparison.OrdinalIgnoreCase)).ToList();

        var blas = noBlas ? null : OpenBlas.TryLoad();
        Console.WriteLine($"CPU: {CpuModel()}, {Environment.ProcessorCount} logical processors");
        Console.WriteLine($"Recur micro-kernel: {isa}; .NET {Environment.Version}");
        if (blas is not null)
        {
            Console.WriteLine($"OpenBLAS: {blas.Path}");
            Console.WriteLine($"  config: {blas.Config}; core: {blas.CoreName}; "
                + $"OPENBLAS_CORETYPE={Environment.GetEnvironmentVariable("OPENBLAS_CORETYPE") ?? "(unset)"}");
        }
        else if (!noBlas)
        {
            Console.WriteLine("OpenBLAS: not found (install libopenblas0-pthread); Recur columns only.");
        }
        Console.WriteLine();
        Console.WriteLine($"{"shape",-22} {"tA",2} {"tB",2} {"M",5} {"N",5} {"K",5} {"thr",3} | {"Recur",8} {"packed",8} {"OpenBLAS",8} | {"ratio",6} "
            + $"{"pk.ratio",8}  (GFLOP/s; ratio = Recur/OpenBLAS)");

        int samples = quick ? 3 : 9;
        WarmUp(isa, threadList);
        foreach (int threads in threadList)
        {
            foreach (var s in shapes)
            {
                int lda = s.TransA ? s.M : s.K, ldb = s.TransB ? s.K : s.N, ldc = s.N;
                var a = Filled(s.M * s.K, 1);
                var b = Filled(s.K * s.N, 2);
                var c = Filled(s.M * s.N, 3);
                var c2 = new float[c.Length];
                double flops = 2.0 * s.M * s.N * s.K;

                var packed = new PackedMatrix();
                Gemm.PackB(isa, s.TransB, s.K, s.N, b, ldb, packed);
                var ops = new List<Action>
                {
                    () => Gemm.Sgemm(isa, s.TransA, s.TransB, s.M, s.N, s.K, 1f, a, lda, b, ldb, 0f, c, ldc, threads),
                    () => Gemm.Sgemm(s.TransA, s.M, 1f, a, lda, packed, 0f, c, ldc, threads),
                };
                var ha = GCHandle.Alloc(a, GCHandleType.Pinned);
                var hb = GCHandle.Alloc(b, GCHandleType.Pinned);
                var hc = GCHandle.Alloc(c2, GCHandleType.Pinned);
                if (blas is not null)
                {
                    float* xa = (float*)ha.AddrOfPinnedObject(), xb = (float*)hb.AddrOfPinnedObject(), xc = (float*)hc.AddrOfPinnedObject();
                    ops.Add(() => blas.Sgemm(s.TransA, s.TransB, s.M, s.N, s.K, 1f, xa, lda, xb, ldb, 0f, xc, ldc));
                    blas.SetThreads(threads);
                }
                // Interleaved: every sample times each contender back to back, so load from other
                // processes hits all of them alike; pauses let spinning worker threads park.
                var rates = MeasureInterleaved(ops, flops, samples, pauseAfter: blas is null ? -1 : 2);
                ha.Free(); hb.Free(); hc.Free();
                double recur = rates[0], recurPacked = rates[1], blasRate = blas is null ? double.NaN : rates[2];
                string check = "";
                if (blas is not null)
                {
                    double maxDiff = 0, maxAbs = 0;
                    for (int i = 0; i < c.Length; i++)
                    {
                        maxDiff = Math.Max(maxDiff, Math.Abs(c[i] - c2[i]));
                        maxAbs = Math.Max(maxAbs, Math.Abs(c2[i]));
                    }
                    if (maxDiff > 1e-4 * Math.Max(1, maxAbs)) check = $"  MISMATCH {maxDiff:E2}";
                }
                Console.WriteLine($"{s.Name,-22} {(s.TransA ? "T" : "N"),2} {(s.TransB ? "T" : "N"),2} {s.M,5} {s.N,5} {s.K,5} {threads,3} | {recur,8:F1} "
                    + $"{recurPacked,8:F1} {blasRate,8:F1} | {recur / blasRate,6:F2} {recurPacked / blasRate,8:F2}{check}");
            }
        }
        return 0;
    }

    /// <summary>Runs every code path for a while so tiered compilation has installed optimized code
    /// before anything is timed.</summary>
    private static void WarmUp(GemmIsa isa, int[] threadList)
    {
        var x = Filled(256 * 256, 9);
        var y = new float[256 * 256];
        var packed = new PackedMatrix();
        var sw = Stopwatch.StartNew();
        while (sw.ElapsedMilliseconds < 1500)
        {
            foreach (int t in threadList)
                for (int v = 0; v < 4; v++)
                {
                    bool tA = (v & 1) != 0, tB = (v & 2) != 0;
                    Gemm.Sgemm(isa, tA, tB, 256, 256, 256, 1f, x, 256, x, 256, 0f, y, 256, t);
                    Gemm.Sgemm(isa, tA, tB, 40, 256, 256, 1f, x, 256, x, 256, 1f, y, 256, t);
                    Gemm.PackB(isa, tB, 256, 256, x, 256, packed);
                    Gemm.Sgemm(tA, 40, 1f, x, 256, packed, 0f, y, 256, t);
                }
        }
        Thread.Sleep(300);
    }

    private static float[] Filled(int count, ulong seed)
    {
        var x = GC.AllocateArray<float>(count, pinned: true);
        new Rng(seed).FillUniform(x, -1f, 1f);
        return x;
    }

    /// <summary>
    /// Median GFLOP/s of each operation over <paramref name="samples"/> rounds; in each round every
    /// operation runs a burst of about 40 ms. After operation <paramref name="pauseAfter"/> (OpenBLAS,
    /// whose threads keep spinning for a while) the bench sleeps 150 ms so it does not slow the next.
    /// </summary>
    private static double[] MeasureInterleaved(List<Action> ops, double flops, int samples, int pauseAfter)
    {
        var reps = new int[ops.Count];
        for (int o = 0; o < ops.Count; o++)
        {
            ops[o]();
            var sw = Stopwatch.StartNew();
            int calib = 0;
            while (sw.Elapsed.TotalMilliseconds < 30) { ops[o](); calib++; }
            reps[o] = Math.Max(1, (int)(0.04 / (sw.Elapsed.TotalSeconds / calib)));
            if (o == pauseAfter) Thread.Sleep(150);
        }
        var rates = new double[ops.Count][];
        for (int o = 0; o < ops.Count; o++) rates[o] = new double[samples];
        for (int s = 0; s < samples; s++)
        {
            for (int o = 0; o < ops.Count; o++)
            {
                long t0 = Stopwatch.GetTimestamp();
                for (int r = 0; r < reps[o]; r++) ops[o]();
                rates[o][s] = flops * reps[o] / Stopwatch.GetElapsedTime(t0).TotalSeconds / 1e9;
                if (o == pauseAfter) Thread.Sleep(150);
            }
        }
        var medians = new double[ops.Count];
        for (int o = 0; o < ops.Count; o++)
        {
            Array.Sort(rates[o]);
            medians[o] = rates[o][samples / 2];
        }
        return medians;
    }

    private static string CpuModel()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/cpuinfo"))
                if (line.StartsWith("model name", StringComparison.Ordinal)) return line[(line.IndexOf(':') + 1)..].Trim();
        }
        catch (IOException)
        {
        }
        return "unknown";
    }
}
