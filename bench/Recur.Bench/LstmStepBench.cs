using System.Diagnostics;
using System.Text.Json;
using Recur.Models;
using Recur.Training;

namespace Recur.Bench;

/// <summary>
/// One character-LSTM training step (embedding, LSTM stack, linear head, cross-entropy, backward,
/// norm clip at 5, Adam), Recur against PyTorch 1.13 (bench/lstm_step_ref.py) in the same run.
/// Every configuration runs in a fresh child process on both sides, so peak RSS is per configuration.
/// </summary>
internal static class LstmStepBench
{
    private sealed record Config(int Batch, int Time, int Hidden, int Layers);

    private static readonly Config[] Configs = [new(32, 64, 128, 2), new(32, 64, 512, 2), new(50, 50, 512, 3)];

    public static int Run(string[] args)
    {
        int embed = 64, vocab = 65;
        bool noTorch = args.Contains("--no-pytorch");
        var configs = Configs;
        int idx = Array.IndexOf(args, "--only");
        if (idx >= 0) configs = [Configs[int.Parse(args[idx + 1])]];
        string self = Environment.ProcessPath!;
        string selfDll = typeof(LstmStepBench).Assembly.Location;
        string script = Path.Combine(FindRepoRoot(), "bench", "lstm_step_ref.py");
        var (gemmRate, who) = GemmReference.Measure(2);
        Console.WriteLine($"CPU: {CpuModel()}, {Environment.ProcessorCount} cores; SGEMM reference rate, {who}, 2 threads, 2048x2048x512: "
            + $"{gemmRate:F1} GFLOP/s");
        Console.WriteLine();
        Console.WriteLine("| B, T, H, L | Recur tok/s | PyTorch best tok/s (setting) | ratio | PyTorch as installed tok/s | ratio | Recur model GFLOP/s | of "
            + "OpenBLAS SGEMM rate | Recur peak RSS | PyTorch peak RSS |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|");
        foreach (var c in configs)
        {
            // Two interleaved rounds of every contender, each in a fresh process; best of each.
            var recurRuns = new List<JsonElement>();
            var torchRuns = new List<(JsonElement R, string Setting)>();
            for (int round = 0; round < 2; round++)
            {
                foreach (int th in new[] { 1, 2 })
                    recurRuns.Add(RunChild(self, $"\"{selfDll}\" lstm-step-one {c.Batch} {c.Time} {c.Hidden} {c.Layers} {embed} {vocab} {th}", null));
                if (noTorch) continue;
                foreach (int th in new[] { 1, 2 })
                    foreach (string? core in new[] { null, "Haswell" })
                        torchRuns.Add((RunChild("/usr/bin/python3",
                            $"\"{script}\" --batch {c.Batch} --time {c.Time} --hidden {c.Hidden} --layers {c.Layers} --embed {embed} --vocab {vocab} --threads "
                                + $"{th} --steps {(c.Hidden > 256 ? 5 : 15)}", core),
                            $"{th} thr, OpenBLAS {core ?? "default"}"));
            }
            var recur = recurRuns.MaxBy(r => r.GetProperty("tokens_per_s").GetDouble());
            double rt = recur.GetProperty("tokens_per_s").GetDouble();
            double gf = recur.GetProperty("gflops").GetDouble();
            string tcol = "-", ratio = "-", trss = "-", dcol = "-", dratio = "-";
            if (torchRuns.Count > 0)
            {
                var best = torchRuns.MaxBy(r => r.R.GetProperty("tokens_per_s").GetDouble());
                double bt = best.R.GetProperty("tokens_per_s").GetDouble();
                tcol = $"{bt:F0} ({best.Setting})";
                ratio = $"{rt / bt:F2}x";
                trss = $"{best.R.GetProperty("peak_rss_mb").GetDouble():F0} MB";
                var asInstalled = torchRuns.Where(r => r.Setting.EndsWith("default", StringComparison.Ordinal))
                    .MaxBy(r => r.R.GetProperty("tokens_per_s").GetDouble());
                double dt = asInstalled.R.GetProperty("tokens_per_s").GetDouble();
                dcol = $"{dt:F0} ({asInstalled.Setting})";
                dratio = $"{rt / dt:F2}x";
            }
            Console.WriteLine($"| {c.Batch}, {c.Time}, {c.Hidden}, {c.Layers} | {rt:F0} ({recur.GetProperty("threads").GetInt32()} thr) | {tcol} | **{ratio}** "
                + $"| {dcol} | {dratio} | {gf:F1} | {100 * gf / gemmRate:F0}% | {recur.GetProperty("peak_rss_mb").GetDouble():F0} MB | {trss} |");
        }
        return 0;
    }

    /// <summary>The child: one configuration, one thread count; prints one JSON line.</summary>
    public static int RunOne(string[] a)
    {
        int b = int.Parse(a[0]), t = int.Parse(a[1]), h = int.Parse(a[2]), l = int.Parse(a[3]), e = int.Parse(a[4]), v = int.Parse(a[5]),
            threads = int.Parse(a[6]);
        var model = new CharModel(new CharModelConfig { Cell = "lstm", VocabSize = v, Embed = e, Hidden = h, Layers = l });
        var rng = new Rng(0);
        model.Reset(rng);
        model.Threads = threads;
        var opt = new Adam(model.Store, 2e-3) { Threads = threads };
        var x = Enumerable.Range(0, t * b).Select(_ => rng.NextInt(v)).ToArray();
        var y = Enumerable.Range(0, t * b).Select(_ => rng.NextInt(v)).ToArray();
        void Step()
        {
            model.TrainStep(x, y, t, b, rng);
            GradClip.ClipByNorm(model.Store.Grads, 5f, threads);
            opt.Step();
        }
        for (int i = 0; i < 3; i++) Step();
        int steps = h > 256 ? 8 : 30;
        var times = new double[steps];
        for (int i = 0; i < steps; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            Step();
            times[i] = Stopwatch.GetElapsedTime(t0).TotalSeconds;
        }
        Array.Sort(times);
        double med = times[steps / 2];
        double tokens = (double)b * t;
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            impl = "recur", threads, tokens_per_s = tokens / med, step_ms = med * 1e3,
            gflops = model.TrainFlopsPerToken() * tokens / med / 1e9,
            peak_rss_mb = Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0,
        }));
        return 0;
    }

    /// <summary>Best of several OpenBLAS (else Recur) SGEMMs at 2048x2048x512 on 2 threads, GFLOP/s.</summary>
    private static JsonElement RunChild(string exe, string arguments, string? openBlasCore)
    {
        var psi = new ProcessStartInfo(exe, arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.Environment.Remove("OPENBLAS_CORETYPE");
        if (openBlasCore is not null) psi.Environment["OPENBLAS_CORETYPE"] = openBlasCore;
        using var p = Process.Start(psi)!;
        string output = p.StandardOutput.ReadToEnd();
        string err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        var line = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault(l => l.StartsWith('{'))
            ?? throw new InvalidOperationException($"{exe} {arguments} printed no result: {output} {err}");
        return JsonDocument.Parse(line).RootElement.Clone();
    }

    internal static string FindRepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Recur.slnx"))) dir = dir.Parent;
        return dir?.FullName ?? Directory.GetCurrentDirectory();
    }

    internal static string CpuModel()
    {
        try { return File.ReadLines("/proc/cpuinfo").First(l => l.StartsWith("model name")).Split(':')[1].Trim(); }
        catch (IOException) { return "unknown"; }
    }
}
