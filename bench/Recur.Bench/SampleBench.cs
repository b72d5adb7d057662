using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Text.Json;
using Recur.Models;

namespace Recur.Bench;

/// <summary>
/// Batch-1 character sampling (<see cref="CharSampler"/>: step + softmax + draw + feed back) in µs per
/// character, against PyTorch 1.13 running the same loop (bench/sample_ref.py) at 1 and 2 threads, for a
/// 2-layer LSTM with embedding 64 and vocabulary 65 at hidden 128 and 512. The same run measures the
/// machine's memory read bandwidth (a streaming sum over 256 MB, 1 and 2 threads, best of several) and
/// reports the bandwidth floor: recurrent weight bytes (W_ih + W_hh of every layer) / bandwidth.
/// </summary>
internal static class SampleBench
{
    private const int Vocab = 65, Embed = 64, Layers = 2;

    public static int Run(string[] args)
    {
        bool noTorch = args.Contains("--no-pytorch");
        string root = MinCharBench.FindRepoRoot();
        Console.WriteLine($"CPU: {CpuModel()}, {Environment.ProcessorCount} cores, Vector512 {(Vector512.IsHardwareAccelerated ? "yes" : "no")}; .NET "
            + $"{Environment.Version}");
        var big = Filled(256L << 20);
        double bw1 = ReadBandwidth(big, 1, 1, 7), bw2 = ReadBandwidth(big, 2, 1, 7);
        big = null!;
        double bw = Math.Max(bw1, bw2);
        Console.WriteLine($"memory read bandwidth (streaming sum over 256 MB, best of 7): 1 thread {bw1:F1} GB/s, 2 threads {bw2:F1} GB/s");
        Console.WriteLine();
        var rows = new List<string>();
        foreach (int hidden in new[] { 128, 512 })
        {
            var model = new CharModel(new CharModelConfig { Cell = "lstm", VocabSize = Vocab, Embed = Embed, Hidden = hidden, Layers = Layers });
            model.Reset(new Rng(1));
            int chars = hidden >= 512 ? 2000 : 20000;
            var recur = new[] { 1, 2 }.Select(th => (Threads: th, Us: TimeRecur(model, th, chars))).ToArray();
            if (hidden < CharSampler.DefaultParallelMinHidden) // also try splitting below the default threshold
                Console.WriteLine($"hidden {hidden}: 2 threads with the units split (not the default below H = {CharSampler.DefaultParallelMinHidden}): "
                    + $"{TimeRecur(model, 2, chars, parallelMinHidden: 1):F2} us/char");
            var best = recur.MinBy(r => r.Us);
            long weightBytes = 0;
            for (int l = 0; l < Layers; l++)
            {
                var (wih, whh, _, _) = model.Rnn.LayerParameters(l);
                weightBytes += 4L * (wih.Length + (whh?.Length ?? 0));
            }
            long readBytes = new CharSampler(model, 1).BytesPerStep;
            double floorUs = weightBytes / (bw * 1e9) * 1e6;
            // The same bytes read over and over, as sampling does: they stay in cache when they fit.
            var hot = Filled(weightBytes);
            double hot1 = ReadBandwidth(hot, 1, 200, 5), hot2 = ReadBandwidth(hot, 2, 200, 5);
            double hotFloorUs = weightBytes / (Math.Max(hot1, hot2) * 1e9) * 1e6;
            Console.WriteLine($"hidden {hidden}: re-reading a {weightBytes / 1e6:F2} MB buffer: 1 thread {hot1:F1} GB/s, 2 threads {hot2:F1} GB/s -> cached "
                + $"floor {hotFloorUs:F1} us");
            (double Us, int Threads)? torch = null;
            if (!noTorch)
                torch = new[] { 1, 2 }.Select(th => TimeTorch(root, hidden, th, hidden >= 512 ? 600 : 2000)).MinBy(t => t.Us);
            Console.WriteLine($"hidden {hidden}: Recur {string.Join(", ", recur.Select(r => $"{r.Us:F2} us/char ({r.Threads} thr)"))}; " +
                              (torch is { } tt ? $"PyTorch {tt.Us:F1} us/char ({tt.Threads} thr); " : "") +
                              $"recurrent weights {weightBytes / 1e6:F2} MB (sampler reads {readBytes / 1e6:F2} MB/char), floor {floorUs:F1} us");
            string tcol = torch is { } t ? $"{t.Us:F1} ({t.Threads})" : "-";
            string speedup = torch is { } t2 ? $"{t2.Us / best.Us:F1}x" : "-";
            rows.Add($"| {hidden}, {Layers} | {best.Us:F2} ({best.Threads}) | {tcol} | {speedup} | {weightBytes / 1e6:F2} MB | {floorUs:F1} | "
                + $"{best.Us / floorUs:F2} | {hotFloorUs:F1} | {best.Us / hotFloorUs:F2} |");
        }
        Console.WriteLine();
        Console.WriteLine($"| hidden, layers | Recur us/char (threads) | PyTorch us/char (threads) | speed-up | recurrent weights | DRAM floor us (at {bw:F1} "
            + "GB/s) | Recur / DRAM floor | cached floor us | Recur / cached floor |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|");
        foreach (var r in rows) Console.WriteLine(r);
        return 0;
    }

    /// <summary>Median over 7 rounds of µs per generated character (Next: draw, feed, step), after a warm-up.</summary>
    private static double TimeRecur(CharModel model, int threads, int chars, int parallelMinHidden = CharSampler.DefaultParallelMinHidden)
    {
        var s = new CharSampler(model, threads, allowTable: true, parallelMinHidden);
        var rng = new Rng(5);
        s.Step(0);
        for (int i = 0; i < Math.Min(chars, 500); i++) s.Next(1f, 0, false, rng);
        var times = new double[7];
        for (int r = 0; r < times.Length; r++)
        {
            long t0 = Stopwatch.GetTimestamp();
            for (int i = 0; i < chars; i++) s.Next(1f, 0, false, rng);
            times[r] = Stopwatch.GetElapsedTime(t0).TotalSeconds * 1e6 / chars;
        }
        Array.Sort(times);
        return times[times.Length / 2];
    }

    private static (double Us, int Threads) TimeTorch(string root, int hidden, int threads, int chars)
    {
        var psi = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in new[] { Path.Combine(root, "bench", "sample_ref.py"), "--hidden", hidden.ToString(), "--layers", Layers.ToString(),
                     "--embed", Embed.ToString(), "--vocab", Vocab.ToString(), "--threads", threads.ToString(), "--chars", chars.ToString(), "--rounds", "5" })
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"sample_ref.py failed with exit code {p.ExitCode}");
        var json = JsonDocument.Parse(output.Trim().Split('\n')[^1]).RootElement;
        return (json.GetProperty("us_per_char").GetDouble(), threads);
    }

    /// <summary>
    /// Read bandwidth in GB/s (1e9 bytes/s): <paramref name="threads"/> threads each sum their contiguous
    /// share of <paramref name="data"/> <paramref name="passes"/> times (vectorised, four accumulators);
    /// wall time from start to the last join; best of <paramref name="rounds"/>.
    /// </summary>
    private static double ReadBandwidth(float[] data, int threads, int passes, int rounds)
    {
        double best = 0;
        for (int r = 0; r < rounds; r++)
        {
            var sums = new float[threads];
            using var go = new ManualResetEventSlim(false);
            var ts = Enumerable.Range(0, threads).Select(k => new Thread(() =>
            {
                int lo = (int)((long)data.Length * k / threads), hi = (int)((long)data.Length * (k + 1) / threads);
                go.Wait();
                float acc = 0;
                for (int p = 0; p < passes; p++) acc += Sum(data, lo, hi);
                sums[k] = acc;
            })).ToArray();
            foreach (var t in ts) t.Start();
            Thread.Sleep(5);
            long t0 = Stopwatch.GetTimestamp();
            go.Set();
            foreach (var t in ts) t.Join();
            double sec = Stopwatch.GetElapsedTime(t0).TotalSeconds;
            if (!(sums.Sum() > 0)) throw new InvalidOperationException("sum lost");
            best = Math.Max(best, (double)data.Length * 4 * passes / sec / 1e9);
        }
        return best;
    }

    private static float[] Filled(long bytes)
    {
        var a = new float[bytes / 4];
        a.AsSpan().Fill(0.5f);
        return a;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static float Sum(float[] a, int lo, int hi)
    {
        ref float r = ref a[0];
        Vector256<float> s0 = default, s1 = default, s2 = default, s3 = default;
        int i = lo;
        for (; i + 32 <= hi; i += 32)
        {
            s0 += Vector256.LoadUnsafe(ref r, (nuint)i);
            s1 += Vector256.LoadUnsafe(ref r, (nuint)(i + 8));
            s2 += Vector256.LoadUnsafe(ref r, (nuint)(i + 16));
            s3 += Vector256.LoadUnsafe(ref r, (nuint)(i + 24));
        }
        float s = Vector256.Sum(s0 + s1 + s2 + s3);
        for (; i < hi; i++) s += a[i];
        return s;
    }

    private static string CpuModel()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/cpuinfo"))
                if (line.StartsWith("model name", StringComparison.Ordinal)) return line[(line.IndexOf(':') + 1)..].Trim();
        }
        catch (IOException) { }
        return "unknown CPU";
    }
}
