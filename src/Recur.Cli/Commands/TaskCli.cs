using System.Globalization;
using Recur.IO;
using Recur.Training;

namespace Recur.Cli.Commands;

/// <summary>
/// The flow every task's <c>train</c> command shares, written once over a <see cref="TaskDefinition{TData, TSettings, TSaved}"/>:
/// the shared and the task's own options (declared once), a new run or a resumed one, the progress, how it ended.
/// </summary>
internal static class TaskCli
{
    /// <summary>
    /// The split an eval scores: <c>--split validation</c> (the default: what chooses checkpoints, recipes and ensembles) or
    /// <c>--split test</c> (scored once, for the figure that is published).
    /// </summary>
    public static string Split(Args args) => args.Choice("split", "validation", "validation", "test");

    /// <summary>The usage lines of a task's own options and of the shared options it takes, with their defaults.</summary>
    /// <remarks><paramref name="notes"/> adds a note to a shared option's default, keyed by flag.</remarks>
    public static string OptionsUsage<TData, TSettings, TSaved>(TaskDefinition<TData, TSettings, TSaved> task,
        IReadOnlyDictionary<string, string>? notes = null)
        where TSaved : SavedRun where TSettings : class, new()
        => (task.Options.Count > 0 ? TrainingOptionsCli.Usage(new TSettings(), task.Options) : "")
            + "run\n"
            + "  --out DIR                 run folder (default runs/YYYYMMDD-HHMMSS-" + task.Name + ")\n"
            + "  --resume DIR              continue a run exactly from DIR's latest/\n"
            + "  --print-every N           when output is not a terminal: a progress line every N iterations (default 100)\n"
            + TrainingOptionsCli.Usage(task.Defaults, task.SharedOptions, notes);

    /// <summary>
    /// <c>recur TASK train [DATA] [options]</c> or <c>--resume RUN</c>: trains a new run over the data at the first path argument
    /// (else the task's default data) or continues one over its recorded data (the task's own options are the run's and cannot
    /// change), then prints how it ended. Returns the run folder and the data path, or the exit code of an abnormal end.
    /// <paramref name="settings"/> adjusts the task's options after parsing (a name given elsewhere), or is null.
    /// The data path is positional argument <paramref name="dataArg"/> (after <c>train</c>; 0 for <c>recur classify [DIR]</c>),
    /// and the words before it name the command in messages.
    /// </summary>
    public static (int? Exit, string Run, string Data) Train<TData, TSettings, TSaved>(Args args, TaskDefinition<TData, TSettings, TSaved> task,
        StartHooks<TSettings>? hooks = null, string? runName = null, int positional = 2, int dataArg = 1)
        where TSaved : SavedRun where TSettings : class, new()
    {
        int printEvery = args.Int("print-every", 100, min: 1);
        hooks = (hooks ?? new StartHooks<TSettings>()) with { RunName = _ => runName ?? task.Name };
        var (trainer, data, command) = Start(args, task, hooks, positional, dataArg);
        var progress = new ConsoleProgress(Console.Out, ConsoleProgress.IsTerminal, printEvery, sampleLength: 0);
        var result = RunFolders.Run(trainer, progress);
        string run = trainer.OutputDirectory!;
        if (RunFolders.AbnormalExit(result, command, run) is int code) return (code, run, data);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"done: {result.Message} after {result.Iteration} iterations ({result.Epoch:F2} epochs, {ConsoleProgress.Time(result.Seconds)}); ")
            + Best(result, trainer.Task.LossUnit));
        if (result.Hint is not null) Console.WriteLine("hint: " + result.Hint);
        return (null, run, data);
    }

    /// <summary>The summary's best: its validation loss, and the figure that chose it when that is not the loss.</summary>
    internal static string Best(TrainResult result, string lossUnit) => result.BestBy == TaskMetrics.LossName
        ? string.Create(CultureInfo.InvariantCulture, $"best val loss {result.BestValLoss:F4} {lossUnit}")
        : string.Create(CultureInfo.InvariantCulture, $"best val {result.BestBy} {result.BestValue:F4} (val loss {result.BestValLoss:F4} {lossUnit})");

    /// <summary>What a command changes in <see cref="Start"/>'s flow.</summary>
    internal sealed record StartHooks<TSettings>
    {
        /// <summary>The options a new run starts from, in place of the task's recipe.</summary>
        public TrainOptions? Defaults { get; init; }

        /// <summary>A new run's options after parsing (what depends on other flags), or null.</summary>
        public Func<TrainOptions, TrainOptions>? Options { get; init; }

        /// <summary>The task's own options after parsing (what the command loads itself), or null.</summary>
        public Func<TSettings, TSettings>? Settings { get; init; }

        /// <summary>The default run folder's suffix from the data path, or null for the task's name.</summary>
        public Func<string, string>? RunName { get; init; }
    }

    /// <summary>
    /// The resume flow, written once: a new run over the data at positional argument <paramref name="dataArg"/> (else the
    /// task's default data), or <c>--resume RUN</c> continuing a run over its recorded data, refusing the task's own options
    /// (the run's, in its config.json) and checking the rest against what may change. Reads <c>--out</c> and <c>--resume</c>;
    /// the caller reads its own flags first (<c>--print-every</c> and the like). Returns the trainer, the data path and the
    /// command's name for messages.
    /// </summary>
    public static (Trainer Trainer, string Data, string Command) Start<TData, TSettings, TSaved>(Args args,
        TaskDefinition<TData, TSettings, TSaved> task, StartHooks<TSettings> hooks, int positional = 2, int dataArg = 1)
        where TSaved : SavedRun where TSettings : class, new()
    {
        string command = string.Join(' ', args.Positional.Take(dataArg).Prepend(task.Name));
        var options = TrainingOptionsCli.Read(args, hooks.Defaults ?? task.Defaults, task.SharedOptions);
        var own = TrainingOptionsCli.Apply(new TSettings(), args, task.Options);
        if (hooks.Settings is not null) own = hooks.Settings(own);
        string? outDir = args.String("out"), resume = args.String("resume");
        args.ThrowOnUnused(positional);
        Trainer trainer;
        string data;
        try
        {
            if (resume is not null)
            {
                var given = task.Options.Where(s => args.Has(s.Flag)).Select(s => "--" + s.Flag).ToList();
                if (given.Count > 0)
                    throw new CliException($"{string.Join(", ", given)} {(given.Count == 1 ? "was" : "were")} fixed when {resume} started "
                        + "(it is in its config.json); resume without it, or start a new run.");
                var saved = task.Checkpoint.Load(resume, CheckpointKind.Latest);
                var recorded = saved.Training ?? throw new CliException($"{saved.Directory}: records no training options; it cannot be resumed.");
                var merged = TrainingOptionsCli.Merge(recorded, args, task.SharedOptions);
                data = args.Positional.Count > dataArg ? args.Positional[dataArg] : saved.Data?.Source ?? task.DefaultData;
                trainer = task.Resume(saved, task.LoadData(data), merged);
                if (outDir is not null) trainer.OutputDirectory = outDir;
                trainer.OutputDirectory ??= Path.GetDirectoryName(Path.GetFullPath(saved.Directory));
            }
            else
            {
                if (hooks.Options is not null) options = hooks.Options(options);
                data = args.Positional.Count > dataArg ? args.Positional[dataArg] : task.DefaultData;
                var loaded = task.LoadData(data);
                trainer = task.Create(task.ForData(options, own, loaded, args.Has), own, loaded, task.SourceOf(data));
                trainer.OutputDirectory = outDir ?? RunFolders.Default(hooks.RunName?.Invoke(data) ?? task.Name);
            }
        }
        catch (ArgumentException e) { throw new CliException(e.Message); }
        return (trainer, data, command);
    }
}
