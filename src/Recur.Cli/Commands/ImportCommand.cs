using System.Diagnostics;
using Recur.Export.PyTorch;
using Recur.IO;
using Recur.Tasks;
using Recur.Training;

namespace Recur.Cli.Commands;

/// <summary>
/// <c>recur import DIR|FILE.safetensors --into RUN</c>: weights (and optimizer state) trained in PyTorch back as a Recur run
/// that sample, eval, cells, gradflow, ... accept; the written run is loaded by its task's format before it is kept.
/// </summary>
internal sealed class ImportCommand : ICommand
{
    public string Name => "import";
    public string Summary => "bring weights (and optimizer state) trained in PyTorch back as a Recur run (from recur export --pytorch)";
    public string Usage => """
        usage: recur import DIR --into RUN [--force]
               recur import FILE.safetensors --into RUN

        DIR: a package 'recur export RUN --pytorch DIR' wrote, after its train.py or not (or train.py's --out folder). RUN
        becomes a run folder whose latest/ and best/ hold the package's weights, and its training state (the optimizer's
        moments and step, the data position and carried state, the loss history) where the package carries it, so
        'recur train --resume RUN' continues it; metrics.jsonl gets the PyTorch iterations. RUN must not hold a
        checkpoint already, unless --force.

        FILE.safetensors: weights with Recur's names and shapes (a PyTorch state dict saved as safetensors) into an
        existing RUN: its latest/ and best/ take them, with RUN's config and no training state (continue with
        --init-from). Every name and shape is checked by loading the result as the run's task does.
        """;

    public int Run(Args args)
    {
        string? into = args.String("into");
        bool force = args.Flag("force");
        args.ThrowOnUnused(1);
        if (args.Positional.Count == 0 || into is null) throw new CliException("usage: recur import DIR|FILE.safetensors --into RUN");
        string source = args.Positional[0];
        var clock = Stopwatch.StartNew();
        bool file = File.Exists(source);
        if (!file && !Directory.Exists(source)) throw new CliException($"{source}: no such package folder or safetensors file.");
        string? own = null;
        if (file)
        {
            try { own = CheckpointFiles.Resolve(into, CheckpointKind.Latest); }
            catch (Exception e) when (e is CheckpointFormatException or DirectoryNotFoundException)
            {
                throw new CliException($"{into}: importing a bare weights file needs an existing run of the same model ({e.Message})");
            }
        }
        else if (!force && HasCheckpoint(into))
            throw new CliException($"{into}: already holds a checkpoint; name a new folder, or add --force to replace it.");

        PyTorchImportResult r = null!;
        string latest = Path.Combine(into, CheckpointFiles.FolderName(CheckpointKind.Latest));
        string staged = Path.Combine(into, ".import.staged");
        try
        {
            Directory.CreateDirectory(into);
            if (Directory.Exists(staged)) Directory.Delete(staged, recursive: true);
            Directory.CreateDirectory(staged);
            r = file ? PyTorchImport.FromWeights(source, own!, staged) : PyTorchImport.FromPackage(source, staged);
            Check(staged, r.Task);
            foreach (var kind in new[] { CheckpointKind.Latest, CheckpointKind.Best })
                CheckpointFolder.Write(Path.Combine(into, CheckpointFiles.FolderName(kind)), tmp =>
                {
                    foreach (string f in Directory.GetFiles(staged)) File.Copy(f, Path.Combine(tmp, Path.GetFileName(f)));
                });
        }
        finally
        {
            if (Directory.Exists(staged)) Directory.Delete(staged, recursive: true);
        }
        if (!file) AppendMetrics(source, into);
        Console.WriteLine($"imported {source} into {latest} and best/: a {r.Task} run at iteration {r.Iteration}"
            + $"{(r.HasState ? ", with its training state" : ", weights only")} ({clock.Elapsed.TotalSeconds:F2} s)");
        return 0;
    }

    private static bool HasCheckpoint(string run) => Directory.Exists(run)
        && (File.Exists(Path.Combine(run, CheckpointFiles.ConfigFile)) || Directory.Exists(Path.Combine(run, "latest"))
            || Directory.Exists(Path.Combine(run, "best")));

    /// <summary>Loads the staged checkpoint as its task does (every name and shape) and reads its state against the model.</summary>
    private static void Check(string staged, string task)
    {
        var definition = TaskRegistry.Find(task)
            ?? throw new CliException($"the package's task {task} is not one this Recur knows ({TaskRegistry.NamesText}).");
        var saved = definition.LoadRun(staged);
        string state = Path.Combine(staged, CheckpointFiles.StateFile);
        if (File.Exists(state)) TrainingState.Read(state, saved.Trained.Count);
    }

    /// <summary>Appends the package's metrics.jsonl (the PyTorch iterations) to the run's.</summary>
    private static void AppendMetrics(string package, string run)
    {
        string from = Path.Combine(package, "metrics.jsonl");
        if (File.Exists(from)) File.AppendAllText(Path.Combine(run, "metrics.jsonl"), File.ReadAllText(from));
    }
}
