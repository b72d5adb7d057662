using Recur.IO;
using Recur.Training;

namespace Recur.Cli.Commands;

/// <summary>
/// The scoring flows a task's own command shares, written once: training that ends by scoring <c>best/</c> on validation,
/// and <c>recur TASK eval RUN [DATA] [--split validation|test] [--threads N]</c>. The task gives the threads setter and its
/// report (what it prints and writes to the run's <c>eval.json</c>).
/// </summary>
internal static class TaskEvalCli
{
    /// <summary>
    /// Trains (<see cref="TaskCli.Train"/>), then hands the run's <c>best/</c>, with the threads it trained on, to
    /// <paramref name="report"/> with the data path, the run's <c>eval.json</c> and the split <c>validation</c>.
    /// </summary>
    public static int TrainThenReport<TData, TSettings, TSaved>(Args args, TaskDefinition<TData, TSettings, TSaved> task, Action<TSaved, int> setThreads,
        Action<TSaved, string, string, string> report)
        where TSaved : SavedRun where TSettings : class, new()
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(setThreads);
        ArgumentNullException.ThrowIfNull(report);
        var (exit, run, data) = TaskCli.Train(args, task);
        if (exit is int code) return code;
        var best = task.Checkpoint.Load(run, CheckpointKind.Best);
        setThreads(best, best.Training?.EffectiveThreads ?? 1);
        report(best, data, Path.Combine(run, "eval.json"), "validation");
        return 0;
    }

    /// <summary>
    /// <c>... eval RUN [DATA]</c> with RUN at positional argument <paramref name="offset"/>: loads <paramref name="format"/>'s best
    /// checkpoint of RUN, gives its model the threads (<paramref name="setThreads"/>; all cores by default), and hands it to
    /// <paramref name="report"/> with the data (given, else the run's own, else <paramref name="defaultData"/>), the path of the
    /// run's eval.json and the split. <paramref name="usage"/> is the command line a missing RUN is told to give.
    /// </summary>
    public static int Eval<T>(Args args, int offset, CheckpointFormat<T> format, string usage, string defaultData, Action<T, int> setThreads,
        Action<T, string, string, string> report) where T : SavedRun
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(format);
        ArgumentNullException.ThrowIfNull(setThreads);
        ArgumentNullException.ThrowIfNull(report);
        int threads = args.Int("threads", 0, min: 0, max: 1024);
        string split = TaskCli.Split(args);
        args.ThrowOnUnused(offset + 2);
        if (args.Positional.Count < offset + 1) throw new CliException($"name a run: {usage}.");
        var ck = format.Load(args.Positional[offset], CheckpointKind.Best);
        setThreads(ck, threads > 0 ? threads : Environment.ProcessorCount);
        string data = args.Positional.Count > offset + 1 ? args.Positional[offset + 1] : ck.Data?.Source ?? defaultData;
        report(ck, data, Path.Combine(ck.RunDirectory ?? ck.Directory, "eval.json"), split);
        return 0;
    }
}
