using System.Diagnostics;
using System.Globalization;
using Recur.Plotting;

namespace Recur.Bench;

/// <summary>
/// Soak (issue 15): the main job's model (<c>recur train</c> with its defaults) trained for <c>--minutes</c> with an
/// evaluation and checkpoint every <c>--eval-every</c> iterations, sampled every <c>--every</c> seconds from
/// <c>/proc</c>: resident memory (VmRSS), open file descriptors, threads, and the files and bytes in the run folder.
/// Writes <c>soak.csv</c> and <c>soak.png</c> to <c>--out</c> and prints the resident memory after warm-up (the first
/// sample past 10% of the time) against the last and the largest, and the run folder's file names at the end.
/// </summary>
internal static class SoakBench
{
    private sealed record Sample(double Minutes, double RssMiB, int Fds, int Threads, int Files, double FolderMiB);

    public static int Run(string[] args)
    {
        double minutes = double.Parse(Option(args, "--minutes", "60")!, CultureInfo.InvariantCulture);
        int every = int.Parse(Option(args, "--every", "10")!, CultureInfo.InvariantCulture);
        string evalEvery = Option(args, "--eval-every", "100")!, threads = Option(args, "--threads", "1")!;
        string outDir = Path.GetFullPath(Option(args, "--out", "bench/results/soak")!);
        if (Option(args, "--from", null) is string csvPath) return Summarize(Load(csvPath), minutes, outDir, null, 0);
        // --cli: a published copy, so that rebuilding the repository during the hour does not replace the running program's files.
        string cli = Path.GetFullPath(Option(args, "--cli", null)
            ?? Path.Combine(MinCharBench.FindRepoRoot(), "src", "Recur.Cli", "bin", "Release", "net10.0", "Recur.Cli.dll"));
        if (!File.Exists(cli)) { Console.Error.WriteLine($"{cli} not found: dotnet build -c Release src/Recur.Cli first"); return 2; }
        if (!OperatingSystem.IsLinux()) { Console.Error.WriteLine("the soak reads /proc: Linux only"); return 2; }
        Directory.CreateDirectory(outDir);
        string run = Path.Combine(outDir, "run");
        if (Directory.Exists(run)) Directory.Delete(run, recursive: true);
        var psi = new ProcessStartInfo("dotnet",
            $"\"{cli}\" train --minutes {minutes.ToString(CultureInfo.InvariantCulture)} --eval-every {evalEvery} --threads {threads} --print-every "
            + $"100 --out \"{run}\"")
        { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using var p = Process.Start(psi)!;
        string lastLine = "";
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lastLine = e.Data; };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine(e.Data); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        var clock = Stopwatch.StartNew();
        var samples = new List<Sample>();
        using (var csv = new StreamWriter(Path.Combine(outDir, "soak.csv")))
        {
            csv.WriteLine("minutes,rss_mib,fds,threads,files,folder_mib");
            while (!p.WaitForExit(every * 1000))
            {
                var s = Read(p.Id, run, clock.Elapsed.TotalMinutes);
                if (s is null) continue;
                samples.Add(s);
                csv.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{s.Minutes:F2},{s.RssMiB:F1},{s.Fds},{s.Threads},{s.Files},{s.FolderMiB:F2}"));
                csv.Flush();
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{s.Minutes,6:F1} min  rss {s.RssMiB,7:F1} MiB  fds {s.Fds,3}  threads {s.Threads,3}  files {s.Files,3}  | {lastLine}"));
            }
        }
        if (samples.Count < 3) { Console.Error.WriteLine($"the run ended after {samples.Count} samples (exit {p.ExitCode})"); return 1; }
        Console.WriteLine($"exit {p.ExitCode}; {samples.Count} samples over {samples[^1].Minutes:F1} min");
        return Summarize(samples, minutes, outDir, run, p.ExitCode);
    }

    /// <summary>Prints the table and draws soak.png from <paramref name="samples"/>; with <paramref name="run"/>, lists its files.</summary>
    private static int Summarize(List<Sample> samples, double minutes, string outDir, string? run, int exitCode)
    {
        var warm = samples.First(s => s.Minutes >= minutes * 0.1);
        var after = samples.Where(s => s.Minutes >= warm.Minutes).ToList();
        var last = samples[^1];
        Plot(samples, warm.Minutes, Path.Combine(outDir, "soak.png"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| rss after warm-up ({warm.Minutes:F1} min) | rss at the end ({last.Minutes:F1} min) | smallest / largest after warm-up | first / last quarter "
                + $"mean | fds (min-max after warm-up) | threads (min-max) | run-folder files (min-max after warm-up) |"));
        Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|");
        int q = Math.Max(1, after.Count / 4);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {warm.RssMiB:F1} MiB | {last.RssMiB:F1} MiB | {after.Min(s => s.RssMiB):F1} / {after.Max(s => s.RssMiB):F1} MiB | "
                + $"{after.Take(q).Average(s => s.RssMiB):F1} / {after.TakeLast(q).Average(s => s.RssMiB):F1} MiB | "
                + $"{after.Min(s => s.Fds)}-{after.Max(s => s.Fds)} | {after.Min(s => s.Threads)}-{after.Max(s => s.Threads)} | "
                + $"{after.Min(s => s.Files)}-{after.Max(s => s.Files)} |"));
        if (run is not null)
        {
            string[] names = [.. Directory.GetFiles(run, "*", SearchOption.AllDirectories)
                .Select(f => Path.GetRelativePath(run, f)).Order(StringComparer.Ordinal)];
            Console.WriteLine($"run folder at the end ({names.Length} files): {string.Join(", ", names)}");
        }
        return exitCode;
    }

    /// <summary>The samples of a soak.csv (rows whose resident memory is 0 were taken while the process exited).</summary>
    private static List<Sample> Load(string csv) =>
        [.. File.ReadLines(csv).Skip(1).Select(l => l.Split(','))
            .Select(f => new Sample(D(f[0]), D(f[1]), int.Parse(f[2], CultureInfo.InvariantCulture), int.Parse(f[3], CultureInfo.InvariantCulture),
                int.Parse(f[4], CultureInfo.InvariantCulture), D(f[5])))
            .Where(s => s.RssMiB > 0)];

    private static double D(string s) => double.Parse(s, CultureInfo.InvariantCulture);

    /// <summary>One sample of process <paramref name="pid"/> and folder <paramref name="run"/>, or null once the process is gone.</summary>
    private static Sample? Read(int pid, string run, double minutes)
    {
        try
        {
            double rss = 0; int threads = 0;
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                    rss = double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024;
                else if (line.StartsWith("Threads:", StringComparison.Ordinal))
                    threads = int.Parse(line.Split('\t', ' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
            }
            if (rss == 0) return null; // exiting: the kernel has already taken its memory
            int fds = Directory.GetFileSystemEntries($"/proc/{pid}/fd").Length;
            var files = Directory.Exists(run) ? Directory.GetFiles(run, "*", SearchOption.AllDirectories) : [];
            double bytes = files.Sum(f => { try { return new FileInfo(f).Length; } catch (IOException) { return 0L; } });
            return new Sample(minutes, rss, fds, threads, files.Length, bytes / (1 << 20));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }

    private static void Plot(List<Sample> samples, double warm, string path)
    {
        double[] x = [.. samples.Select(s => s.Minutes)];
        var plot = new LinePlot(900, 480) { Title = "soak: recur train, evaluation every 100 iterations", XLabel = "minutes",
            YLabel = "MiB / count", YMin = 0 };
        plot.AddLine("resident memory (MiB)", x, [.. samples.Select(s => s.RssMiB)]);
        plot.AddLine("open file descriptors", x, [.. samples.Select(s => (double)s.Fds)]);
        plot.AddLine("files in the run folder", x, [.. samples.Select(s => (double)s.Files)]);
        plot.AddLine("threads", x, [.. samples.Select(s => (double)s.Threads)]);
        plot.AddLine("end of warm-up", [warm, warm], [0, samples.Max(s => s.RssMiB)]);
        File.WriteAllBytes(path, plot.ToPng());
    }

    private static string? Option(string[] args, string name, string? fallback)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
    }
}
