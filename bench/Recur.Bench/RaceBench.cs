using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Recur.Analysis;
using Recur.Plotting;
using Recur.Training;

namespace Recur.Bench;

/// <summary>
/// The equal-time race: <c>recur train [FILE]</c> and the same model and training in PyTorch (bench/race_ref.py), each for
/// the same wall-clock budget; both validation curves against wall-clock seconds in one PNG, and the gap in best validation
/// loss. Without <c>--text</c>, the main job (tiny-shakespeare, its recipe); with it, the model <c>recur train FILE</c> sizes
/// for the text and budget, which PyTorch then trains too. One after the other with every core each, or with
/// <c>--parallel</c> both at once on one thread each (PyTorch's fastest setting here is one thread anyway).
/// </summary>
internal static class RaceBench
{
    public static int Run(string[] args)
    {
        double minutes = 5;
        string png = "race.png";
        string? text = null;
        bool parallel = args.Contains("--parallel");
        for (int i = 0; i < args.Length - 1; i++)
        {
            if (args[i] == "--minutes") minutes = double.Parse(args[i + 1], CultureInfo.InvariantCulture);
            if (args[i] == "--png") png = args[i + 1];
            if (args[i] == "--text") text = args[i + 1];
        }
        string root = LstmStepBench.FindRepoRoot();
        string cli = Path.Combine(root, "src", "Recur.Cli", "bin", "Release", "net10.0", "Recur.Cli.dll");
        if (!File.Exists(cli)) { Console.Error.WriteLine($"build the CLI first: dotnet build -c Release src/Recur.Cli ({cli} not found)"); return 2; }
        string corpus = text ?? Path.Combine(root, "src", "Recur", "Data", "tinyshakespeare.txt");
        string outDir = Path.Combine(Path.GetTempPath(), "recur-race-" + Environment.ProcessId);
        string m = minutes.ToString(CultureInfo.InvariantCulture);
        string threads = parallel ? " --threads 1" : "";

        // The main job's model, unless recur train FILE sizes another (its "model:" line).
        var size = (Hidden: 256, Layers: 2, Dropout: 0.3, EvalEvery: 400);
        var sized = new TaskCompletionSource();
        string command = text is null ? $"train --minutes {m}" : $"train \"{text}\" --minutes {m}";
        Console.WriteLine($"Recur: recur {command}{threads}");
        var recurRun = Task.Run(() => Exec("dotnet", $"\"{cli}\" {command}{threads} --sample-length 0 --out \"{outDir}\"", null, line =>
        {
            if (!line.StartsWith("iter", StringComparison.Ordinal)) Console.WriteLine("  recur> " + line);
            if (line.StartsWith("model: ", StringComparison.Ordinal)) size = ParseSize(line);
            if (line.StartsWith("training: ", StringComparison.Ordinal)) sized.TrySetResult();
        }));
        if (parallel) Task.WaitAny(sized.Task, recurRun);
        if (!parallel || recurRun.IsCompleted) recurRun.Wait();
        var recur = () => File.ReadLines(Path.Combine(outDir, "metrics.jsonl"))
            .Select(l => JsonDocument.Parse(l).RootElement)
            .Where(e => e.GetProperty("type").GetString() == "val")
            .Select(e => (S: e.GetProperty("elapsed_s").GetDouble(), V: e.GetProperty("val_loss").GetDouble())).ToList();

        var inv = CultureInfo.InvariantCulture;
        string torchArgs = string.Create(inv, $"--hidden {size.Hidden} --layers {size.Layers} --dropout {size.Dropout} --eval-every {size.EvalEvery}");
        Console.WriteLine($"PyTorch: bench/race_ref.py --minutes {m} {torchArgs} (1 thread, OpenBLAS Haswell kernels: its fastest setting here)");
        var torch = new List<(double S, double V)>();
        string script = Path.Combine(root, "bench", "race_ref.py");
        Exec("/usr/bin/python3", $"\"{script}\" --text \"{corpus}\" --minutes {m} --threads 1 {torchArgs}", "Haswell", line =>
        {
            if (!line.StartsWith('{')) return;
            var e = JsonDocument.Parse(line).RootElement;
            torch.Add((e.GetProperty("elapsed_s").GetDouble(), e.GetProperty("val_loss").GetDouble()));
        });
        recurRun.Wait();
        var ours = recur();

        Console.WriteLine();
        Console.WriteLine("| | evaluations | val loss at the end of the budget | best val loss |");
        Console.WriteLine("|---|---|---|---|");
        Console.WriteLine(string.Create(inv, $"| Recur | {ours.Count} | {ours[^1].V:F4} | {ours.Min(p => p.V):F4} |"));
        Console.WriteLine(string.Create(inv, $"| PyTorch 1.13 | {torch.Count} | {torch[^1].V:F4} | {torch.Min(p => p.V):F4} |"));
        Console.WriteLine(string.Create(inv, $"gap (PyTorch best - Recur best): {torch.Min(p => p.V) - ours.Min(p => p.V):F4} nats/char"));

        var plot = new LinePlot(900, 520) { Title = $"Validation loss, equal wall-clock budget ({m} min, {Path.GetFileName(corpus)})",
            XLabel = "wall-clock seconds", YLabel = "val loss (nats/char)" };
        plot.AddLine("Recur", ours.Select(p => p.S).ToArray(), ours.Select(p => p.V).ToArray());
        plot.AddLine("PyTorch 1.13", torch.Select(p => p.S).ToArray(), torch.Select(p => p.V).ToArray());
        plot.SavePng(png);
        Console.WriteLine($"plot: {png}");
        return 0;
    }

    /// <summary>
    /// The width, layers, dropout and evaluation interval of recur train's "model: L x H cell, dropout D, evaluating every N
    /// iterations" line.
    /// </summary>
    internal static (int Hidden, int Layers, double Dropout, int EvalEvery) ParseSize(string line)
    {
        var g = System.Text.RegularExpressions.Regex.Match(line, @"^model: (\d+) x (\d+) \S+, dropout ([0-9.]+), evaluating every (\d+) iterations").Groups;
        if (!g[0].Success) throw new FormatException($"not a model line: {line}");
        var inv = CultureInfo.InvariantCulture;
        return (int.Parse(g[2].Value, inv), int.Parse(g[1].Value, inv), double.Parse(g[3].Value, inv), int.Parse(g[4].Value, inv));
    }

    private static void Exec(string exe, string arguments, string? openBlasCore, Action<string> onLine)
    {
        var psi = new ProcessStartInfo(exe, arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.Environment.Remove("OPENBLAS_CORETYPE");
        if (openBlasCore is not null)
        {
            // One thread for OpenBLAS's own pool too: torch.set_num_threads(1) does not reach it, and its second thread would
            // fight the other process for a core when both run at once.
            psi.Environment["OPENBLAS_CORETYPE"] = openBlasCore;
            psi.Environment["OPENBLAS_NUM_THREADS"] = "1";
            psi.Environment["OMP_NUM_THREADS"] = "1";
        }
        using var p = Process.Start(psi)!;
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine(e.Data); };
        p.BeginErrorReadLine();
        string? line;
        while ((line = p.StandardOutput.ReadLine()) is not null) onLine(line);
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{exe} {arguments} exited with {p.ExitCode}");
    }
}
