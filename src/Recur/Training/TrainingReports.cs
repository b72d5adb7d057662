namespace Recur.Training;

/// <summary>Why <see cref="Trainer.Run"/> returned.</summary>
public enum StopReason
{
    /// <summary>Reached <see cref="TrainOptions.MaxIters"/>.</summary>
    MaxIters,

    /// <summary>Reached <see cref="TrainOptions.MaxEpochs"/>.</summary>
    MaxEpochs,

    /// <summary>The wall-clock budget <see cref="TrainOptions.Minutes"/> ran out.</summary>
    TimeBudget,

    /// <summary>Cancelled (Ctrl-C): <c>latest</c> was saved without a final evaluation.</summary>
    Cancelled,

    /// <summary>The loss or the gradient norm became NaN or infinite; nothing was saved after it.</summary>
    NonFinite,

    /// <summary>
    /// <see cref="TrainOptions.Patience"/> evaluations in a row brought no new best validation figure (the task's
    /// <see cref="ITrainingTask.BestBy"/>; early stopping).
    /// </summary>
    EarlyStop,

    /// <summary>The run folder could not be written (a full disk, a read-only folder); the last good checkpoint is kept.</summary>
    SaveFailed,
}

/// <summary>One training iteration, as reported to a <see cref="TrainingMonitor"/>.</summary>
/// <param name="Iteration">Updates done, counting this one (1-based, over the whole run).</param>
/// <param name="Epoch">Fractional epochs done after this update.</param>
/// <param name="Loss">This iteration's mean cross-entropy, nats per character.</param>
/// <param name="SmoothLoss">Exponential moving average of the loss (0.98, bias-corrected), for display.</param>
/// <param name="LearningRate">The learning rate this update used.</param>
/// <param name="GradNorm">Global L2 norm of the gradient before clipping.</param>
/// <param name="TokensPerSecond">Training throughput of this invocation (evaluation time excluded).</param>
/// <param name="ElapsedSeconds">Wall-clock time of this invocation.</param>
/// <param name="Progress">Fraction of the nearest stopping limit reached, in [0, 1].</param>
/// <param name="EtaSeconds">Estimated seconds to that limit, or NaN when unknown.</param>
/// <param name="TotalIterations">Estimated iteration at which the run stops, or 0 when unknown.</param>
public readonly record struct IterationReport(
    long Iteration, double Epoch, double Loss, double SmoothLoss, double LearningRate, double GradNorm,
    double TokensPerSecond, double ElapsedSeconds, double Progress, double EtaSeconds, long TotalIterations);

/// <summary>One evaluation on the validation split.</summary>
/// <param name="Iteration">Updates done.</param>
/// <param name="Epoch">Fractional epochs done.</param>
/// <param name="ValLoss">Validation loss, nats per character.</param>
/// <param name="TrainLoss">Mean training loss since the previous evaluation (NaN when none).</param>
/// <param name="IsBest">The best evaluation so far by the task's <see cref="ITrainingTask.BestBy"/> figure (saved as <c>best</c>).</param>
/// <param name="Seconds">Time the evaluation took.</param>
public readonly record struct EvaluationReport(long Iteration, double Epoch, double ValLoss, double TrainLoss, bool IsBest, double Seconds)
{
    /// <summary>The task's other metrics of this evaluation (accuracy, ...).</summary>
    public IReadOnlyDictionary<string, double> Metrics { get; init; } = new Dictionary<string, double>();

    /// <summary>The validation loss in bits per character, <c>ValLoss / ln 2</c>.</summary>
    public double ValBitsPerChar => ValLoss / Math.Log(2);
}

/// <summary>What a run ended with.</summary>
/// <param name="Reason">Why it stopped.</param>
/// <param name="Iteration">Updates done in total.</param>
/// <param name="Epoch">Fractional epochs done.</param>
/// <param name="LastValLoss">Validation loss of the last evaluation (NaN when none).</param>
/// <param name="BestValLoss">Validation loss of the run's best evaluation, the one <c>best/</c> holds (NaN when none).</param>
/// <param name="Seconds">Wall-clock time of this invocation.</param>
/// <param name="Message">A one-line explanation, e.g. where the loss became NaN and what was kept.</param>
public sealed record TrainResult(StopReason Reason, long Iteration, double Epoch, double LastValLoss, double BestValLoss, double Seconds, string Message)
{
    /// <summary>A one-line advice for the user (e.g. the overfitting hint), or null.</summary>
    public string? Hint { get; init; }

    /// <summary>The validation figure that chose the best evaluation (<see cref="ITrainingTask.BestBy"/>).</summary>
    public string BestBy { get; init; } = TaskMetrics.LossName;

    /// <summary>The <see cref="BestBy"/> figure of the best evaluation (NaN when none; the loss when it chooses).</summary>
    public double BestValue { get; init; } = double.NaN;
}

/// <summary>
/// Receives progress from <see cref="Trainer.Run"/>. Every method does nothing by default;
/// override the ones you need (the CLI draws its progress bar here). Designed for inheritance.
/// </summary>
public abstract class TrainingMonitor
{
    /// <summary>Training is about to start (or continue) at <see cref="Trainer.Iteration"/>.</summary>
    public virtual void OnStart(Trainer trainer) { }

    /// <summary>An iteration finished.</summary>
    public virtual void OnIteration(Trainer trainer, in IterationReport report) { }

    /// <summary>An evaluation finished (before its checkpoint is written).</summary>
    public virtual void OnEvaluation(Trainer trainer, in EvaluationReport report) { }

    /// <summary>A checkpoint folder was written.</summary>
    public virtual void OnCheckpoint(Trainer trainer, string directory) { }

    /// <summary><see cref="TrainOptions.SampleEvery"/> iterations passed; the task's preview shows one.</summary>
    public virtual void OnSampleDue(Trainer trainer) { }

    /// <summary>The run stopped.</summary>
    public virtual void OnStop(Trainer trainer, TrainResult result) { }
}
