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
        int iters = 3000;
        int idx = Array.IndexOf(args, "--iters");
        if (idx >= 0) iters = int.Parse(args[idx + 1]);
        bool noNumpy = args.Contains("--no-numpy");
        string root = FindRepoRoot();
        string textPath = Path.Combine(root, "src", "Recur", "Data", "tinyshakespeare.txt");
        var corpus = Corpus.TinyShakespeare();
        var vocab = Vocabulary.FromText(corpus.Text);
        var data = vocab.Encode(corpus.Text);
        var options = new MinCharOptions();
        Console.WriteLine($"min-char-rnn on tiny-shakespeare ({data.Length} characters, V = {vocab.Count}), H = {options.Hidden}, T = {options.SeqLength}, {iters} iterations");

        // Recur: one warm-up run (JIT), then three timed runs from fresh models; the median.
        Time(data, vocab.Count, options, 3000);
        var runs = Enumerable.Range(0, 3).Select(_ => Time(data, vocab.Count, options, iters)).OrderBy(r => r.Seconds).ToArray();
        var recur = runs[1];
        double recurCps = iters * (double)options.SeqLength / recur.Seconds;
        Console.WriteLine($"Recur:  {recur.Seconds:F3} s, {recurCps:F0} chars/s (median of 3; runs {string.Join(", ", runs.Select(r => r.Seconds.ToString("F3")))} s), smooth loss {recur.SmoothLoss:F2}");
        if (noNumpy) return 0;

        var psi = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in new[] { Path.Combine(root, "bench", "minchar_ref.py"), textPath, "--max-iters", iters.ToString(), "--quiet", "--json" }) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        var json = JsonDocument.Parse(output.Trim().Split('\n')[^1]).RootElement;
        double npSeconds = json.GetProperty("seconds").GetDouble();
        double npCps = json.GetProperty("chars_per_s").GetDouble();
        Console.WriteLine($"numpy:  {npSeconds:F3} s, {npCps:F0} chars/s (numpy {json.GetProperty("numpy").GetString()}, float64), smooth loss {json.GetProperty("smooth_loss").GetDouble():F2}");
        Console.WriteLine($"ratio:  {recurCps / npCps:F1}x");
        Console.WriteLine();
        Console.WriteLine("| iterations | Recur s | Recur chars/s | numpy s | numpy chars/s | ratio |");
        Console.WriteLine("|---|---|---|---|---|---|");
        Console.WriteLine($"| {iters} | {recur.Seconds:F3} | {recurCps:F0} | {npSeconds:F2} | {npCps:F0} | {recurCps / npCps:F1}x |");
        return 0;
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
