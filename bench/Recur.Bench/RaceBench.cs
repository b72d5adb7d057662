using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Recur.Analysis;
using Recur.Plotting;
using Recur.Training;

namespace Recur.Bench;

/// <summary>
/// The equal-time race: `recur train` with its defaults on tiny-shakespeare and the same model and
/// training in PyTorch (bench/race_ref.py), each for the same wall-clock budget, one after the other;
/// both validation curves against wall-clock seconds in one PNG.
/// </summary>
internal static class RaceBench
{
    public static int Run(string[] args)
    {
        double minutes = 5;
        string png = "race.png";
        for (int i = 0; i < args.Length - 1; i++)
        {
            if (args[i] == "--minutes") minutes = double.Parse(args[i + 1], CultureInfo.InvariantCulture);
            if (args[i] == "--png") png = args[i + 1];
        }
        string root = LstmStepBench.FindRepoRoot();
        string cli = Path.Combine(root, "src", "Recur.Cli", "bin", "Release", "net10.0", "Recur.Cli.dll");
        if (!File.Exists(cli)) { Console.Error.WriteLine($"build the CLI first: dotnet build -c Release src/Recur.Cli ({cli} not found)"); return 2; }
        string text = Path.Combine(root, "src", "Recur", "Data", "tinyshakespeare.txt");
        string outDir = Path.Combine(Path.GetTempPath(), "recur-race-" + Environment.ProcessId);
        string m = minutes.ToString(CultureInfo.InvariantCulture);

        Console.WriteLine($"Recur: recur train --minutes {m} (defaults: 2-layer LSTM 256, embed 32, batch 32 x seq 64, Adam 3e-3, clip 5)");
        Exec("dotnet", $"\"{cli}\" train --minutes {m} --eval-every 400 --sample-length 0 --out \"{outDir}\"", null, _ => { });
        var recur = File.ReadLines(Path.Combine(outDir, "metrics.jsonl"))
            .Select(l => JsonDocument.Parse(l).RootElement)
            .Where(e => e.GetProperty("type").GetString() == "val")
            .Select(e => (S: e.GetProperty("elapsed_s").GetDouble(), V: e.GetProperty("val_loss").GetDouble())).ToList();

        Console.WriteLine($"PyTorch: bench/race_ref.py --minutes {m} (1 thread, OpenBLAS Haswell kernels: its fastest setting here)");
        var torch = new List<(double S, double V)>();
        Exec("/usr/bin/python3", $"\"{Path.Combine(root, "bench", "race_ref.py")}\" --text \"{text}\" --minutes {m} --threads 1", "Haswell", line =>
        {
            if (!line.StartsWith('{')) return;
            var e = JsonDocument.Parse(line).RootElement;
            torch.Add((e.GetProperty("elapsed_s").GetDouble(), e.GetProperty("val_loss").GetDouble()));
        });

        Console.WriteLine();
        Console.WriteLine("| | evaluations | val loss at the end of the budget | best val loss |");
        Console.WriteLine("|---|---|---|---|");
        Console.WriteLine($"| Recur | {recur.Count} | {recur[^1].V:F4} | {recur.Min(p => p.V):F4} |");
        Console.WriteLine($"| PyTorch 1.13 | {torch.Count} | {torch[^1].V:F4} | {torch.Min(p => p.V):F4} |");

        var plot = new LinePlot(900, 520) { Title = $"Validation loss, equal wall-clock budget ({m} min)", XLabel = "wall-clock seconds",
            YLabel = "val loss (nats/char)" };
        plot.AddLine("Recur", recur.Select(p => p.S).ToArray(), recur.Select(p => p.V).ToArray());
        plot.AddLine("PyTorch 1.13", torch.Select(p => p.S).ToArray(), torch.Select(p => p.V).ToArray());
        plot.SavePng(png);
        Console.WriteLine($"plot: {png}");
        return 0;
    }

    private static void Exec(string exe, string arguments, string? openBlasCore, Action<string> onLine)
    {
        var psi = new ProcessStartInfo(exe, arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.Environment.Remove("OPENBLAS_CORETYPE");
        if (openBlasCore is not null) psi.Environment["OPENBLAS_CORETYPE"] = openBlasCore;
        using var p = Process.Start(psi)!;
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine(e.Data); };
        p.BeginErrorReadLine();
        string? line;
        while ((line = p.StandardOutput.ReadLine()) is not null) onLine(line);
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{exe} {arguments} exited with {p.ExitCode}");
    }
}
