using System.Diagnostics;
using System.Text.Json;
using Recur.Data;
using Recur.Models;

namespace Recur.Bench;

/// <summary>
/// <c>recur minchar</c>'s training loop (<see cref="MinCharRnn.Iterate"/>, samples every 100 iterations
/// included, printing excluded) against the numpy min-char-rnn (bench/minchar_ref.py, Debian python3-numpy)
/// on tiny-shakespeare, for the same number of iterations. Characters/s = iterations × seq_length / seconds.
/// </summary>
internal static class MinCharBench
{
    public static int Run(string[] args)
    {
        int iters = IntOption(args, "--iters", 3000);
        int rounds = IntOption(args, "--rounds", 3);
        bool noNumpy = args.Contains("--no-numpy");
        string root = FindRepoRoot();
        string textPath = Path.Combine(root, "src", "Recur", "Data", "tinyshakespeare.txt");
        var corpus = Corpus.TinyShakespeare();
        var vocab = Vocabulary.FromText(corpus.Text);
        var data = vocab.Encode(corpus.Text);
        var options = new MinCharOptions();
        Console.WriteLine($"min-char-rnn on tiny-shakespeare ({data.Length} characters, V = {vocab.Count}), H = {options.Hidden}, T = {options.SeqLength}, "
            + $"{iters} iterations, {rounds} round(s)");

        // One warm-up run (JIT), then rounds that alternate Recur (median of three runs from fresh models)
        // and numpy (one run), so both sides see the same machine; the ratio of each round, then their median.
        Time(data, vocab.Count, options, 3000);
        var rows = new List<(double RecurS, double RecurCps, double NpS, double NpCps)>();
        for (int r = 0; r < rounds; r++)
        {
            var runs = Enumerable.Range(0, 3).Select(_ => Time(data, vocab.Count, options, iters)).OrderBy(x => x.Seconds).ToArray();
            var recur = runs[1];
            double recurCps = iters * (double)options.SeqLength / recur.Seconds;
            Console.WriteLine($"round {r + 1}: Recur {recur.Seconds:F3} s, {recurCps:F0} chars/s (median of 3; runs "
                + $"{string.Join(", ", runs.Select(x => x.Seconds.ToString("F3")))} s), smooth loss {recur.SmoothLoss:F2}");
            if (noNumpy) { rows.Add((recur.Seconds, recurCps, double.NaN, double.NaN)); continue; }
            var np = Numpy(root, textPath, iters);
            Console.WriteLine($"round {r + 1}: numpy {np.Seconds:F3} s, {np.Cps:F0} chars/s (numpy {np.Version}, float64), smooth loss {np.SmoothLoss:F2}; "
                + $"ratio {recurCps / np.Cps:F1}x");
            rows.Add((recur.Seconds, recurCps, np.Seconds, np.Cps));
        }
        if (noNumpy) return 0;
        var ratios = rows.Select(x => x.RecurCps / x.NpCps).OrderBy(x => x).ToArray();
        double median = ratios.Length % 2 == 1 ? ratios[ratios.Length / 2] : (ratios[ratios.Length / 2 - 1] + ratios[ratios.Length / 2]) / 2;
        Console.WriteLine($"ratio:  median {median:F1}x over {rounds} round(s) (min {ratios[0]:F1}x, max {ratios[^1]:F1}x)");
        Console.WriteLine();
        Console.WriteLine("| round | iterations | Recur s | Recur chars/s | numpy s | numpy chars/s | ratio |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        for (int r = 0; r < rows.Count; r++)
            Console.WriteLine($"| {r + 1} | {iters} | {rows[r].RecurS:F3} | {rows[r].RecurCps:F0} | {rows[r].NpS:F2} | {rows[r].NpCps:F0} | "
                + $"{rows[r].RecurCps / rows[r].NpCps:F1}x |");
        return 0;
    }

    private static int IntOption(string[] args, string name, int fallback)
    {
        int idx = Array.IndexOf(args, name);
        return idx >= 0 && idx + 1 < args.Length ? int.Parse(args[idx + 1]) : fallback;
    }

    private static (double Seconds, double Cps, double SmoothLoss, string Version) Numpy(string root, string textPath, int iters)
    {
        var psi = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in new[] { Path.Combine(root, "bench", "minchar_ref.py"), textPath, "--max-iters", iters.ToString(), "--quiet", "--json" })
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        var json = JsonDocument.Parse(output.Trim().Split('\n')[^1]).RootElement;
        return (json.GetProperty("seconds").GetDouble(), json.GetProperty("chars_per_s").GetDouble(),
            json.GetProperty("smooth_loss").GetDouble(), json.GetProperty("numpy").GetString() ?? "?");
    }

    private static (double Seconds, double SmoothLoss) Time(int[] data, int vocab, MinCharOptions options, int iters)
    {
        var m = new MinCharRnn(data, vocab, options, new Rng(0));
        long t0 = Stopwatch.GetTimestamp();
        for (int i = 0; i < iters; i++) m.Iterate();
        return (Stopwatch.GetElapsedTime(t0).TotalSeconds, m.SmoothLoss);
    }

    internal static string FindRepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Recur.slnx"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("cannot find the repository root (Recur.slnx) above " + AppContext.BaseDirectory);
    }
}
