using System.Globalization;
using Recur.Training;

namespace Recur.Cli.Commands;

/// <summary>The flow every task's <c>train</c> command shares: a new run or a resumed one, the progress, how it ended.</summary>
internal static class TaskCli
{
    /// <summary>A checkpoint to resume from: its folder, its recorded options and data, and how to continue it over the data at a path.</summary>
    public sealed record Resumable(string Directory, TrainOptions? Training, string? Source, Func<string, TrainOptions, Trainer> Resume);

    /// <summary>
    /// Trains a new run (<paramref name="create"/> over the data at the first path argument, else <paramref name="defaultData"/>)
    /// or resumes one (<paramref name="resume"/>, loaded by <paramref name="load"/>, over its recorded data unless a path is
    /// given), then prints how it ended. Returns the run folder and the data path, or the exit code of an abnormal end.
    /// </summary>
    public static (int? Exit, string Run, string Data) Train(Args args, string command, string name, IEnumerable<OptionSpec> specs,
        string? resume, string? outDir, int printEvery, string lossUnit, string defaultData, Func<string, Resumable> load, Func<string, Trainer> create)
    {
        Trainer trainer;
        string data;
        if (resume is not null)
        {
            var ck = load(resume);
            var saved = ck.Training ?? throw new CliException($"{ck.Directory}: records no training options; it cannot be resumed.");
            var merged = TrainingOptionsCli.Merge(saved, args, specs);
            data = args.Positional.Count > 1 ? args.Positional[1] : ck.Source ?? defaultData;
            try { trainer = ck.Resume(data, merged); }
            catch (ArgumentException e) { throw new CliException(e.Message); }
            if (outDir is not null) trainer.OutputDirectory = outDir;
            trainer.OutputDirectory ??= Path.GetDirectoryName(Path.GetFullPath(ck.Directory));
        }
        else
        {
            data = args.Positional.Count > 1 ? args.Positional[1] : defaultData;
            try { trainer = create(data); }
            catch (ArgumentException e) { throw new CliException(e.Message); }
            trainer.OutputDirectory = outDir ?? RunFolders.Default(name);
        }
        var progress = new ConsoleProgress(Console.Out, ConsoleProgress.IsTerminal, printEvery, sampleLength: 0);
        var result = RunFolders.Run(trainer, progress);
        string run = trainer.OutputDirectory!;
        if (RunFolders.AbnormalExit(result, command, run) is int code) return (code, run, data);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"done: {result.Message} after {result.Iteration} iterations ({result.Epoch:F2} epochs, {ConsoleProgress.Time(result.Seconds)}); best val loss {result.BestValLoss:F4} {lossUnit}"));
        return (null, run, data);
    }
}
