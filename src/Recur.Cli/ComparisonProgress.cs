using System.Globalization;
using Recur.Tasks.CharLm;
using Recur.Training;

namespace Recur.Cli;

/// <summary>
/// <c>recur compare</c>'s progress on the console: a heading per model, <c>recur train</c>'s progress
/// (<see cref="ConsoleProgress"/>, without samples) during its run, and a one-line summary after it.
/// </summary>
internal sealed class ComparisonProgress(TextWriter output, bool live, int printEvery) : ComparisonMonitor
{
    public override TrainingMonitor? OnModelStart(int index, int count, TrainOptions options)
    {
        output.WriteLine();
        output.WriteLine(Inv($"=== [{index + 1}/{count}] {options.Model}: evaluation every {options.EvalEvery:N0} iteration(s) ==="));
        return new ConsoleProgress(output, live, printEvery, sampleLength: 0);
    }

    public override void OnModelDone(int index, int count, ModelRun run)
    {
        string best = double.IsFinite(run.BestValLoss) ? Inv($"best val {run.BestValLoss:F4} nats/char") : "no validation loss";
        string sample = double.IsFinite(run.SampleMicrosPerChar) ? Inv($" | sampling {run.SampleMicrosPerChar:F1} µs/char") : "";
        output.WriteLine(Inv($"{run.Model}: {best} | {run.TokensPerSecond:N0} tok/s training{sample} | ")
            + Inv($"{run.Iterations:N0} iterations, {run.Curve.Count} evaluation(s), {ConsoleProgress.Time(run.WallSeconds)} ({run.Result.Message})"));
        output.Flush();
    }

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
