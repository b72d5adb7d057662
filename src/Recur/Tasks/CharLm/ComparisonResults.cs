using Recur.Training;

namespace Recur.Tasks.CharLm;

/// <summary>One evaluation of one model in a <see cref="ModelComparison"/>: a point of its validation curve.</summary>
/// <param name="Iteration">Updates done.</param>
/// <param name="Tokens">Characters trained on so far (<c>Iteration × batch × seq-length</c>).</param>
/// <param name="TrainSeconds">Seconds spent in training steps so far (forward, backward, clipping, optimizer step; evaluations excluded).</param>
/// <param name="WallSeconds">Wall-clock seconds of the run so far, evaluations included (at the end of this evaluation).</param>
/// <param name="ValLoss">Validation loss, nats per character.</param>
public readonly record struct CurvePoint(long Iteration, long Tokens, double TrainSeconds, double WallSeconds, double ValLoss);

/// <summary>What one model of a <see cref="ModelComparison"/> measured.</summary>
public sealed record ModelRun
{
    /// <summary>The cell's registered name (<c>--models</c>).</summary>
    public required string Model { get; init; }

    /// <summary>The options this model trained with: the shared ones, its cell, its <c>--embed</c> and its <c>--eval-every</c>.</summary>
    public required TrainOptions Options { get; init; }

    /// <summary>Trainable parameters (embedding, recurrent layers and output layer).</summary>
    public required long Parameters { get; init; }

    /// <summary>Updates done.</summary>
    public required long Iterations { get; init; }

    /// <summary>Characters trained on (<c>Iterations × batch × seq-length</c>).</summary>
    public required long Tokens { get; init; }

    /// <summary>Seconds spent in training steps (evaluations excluded).</summary>
    public required double TrainSeconds { get; init; }

    /// <summary>Wall-clock seconds of the whole run, evaluations included (what <c>--minutes</c> limits).</summary>
    public required double WallSeconds { get; init; }

    /// <summary>Seconds spent in evaluations.</summary>
    public required double EvalSeconds { get; init; }

    /// <summary>Training throughput: <see cref="Tokens"/> / <see cref="TrainSeconds"/> (0 when nothing was trained).</summary>
    public required double TokensPerSecond { get; init; }

    /// <summary>Characters sampled to time the sampler (0: not timed).</summary>
    public required int SampleChars { get; init; }

    /// <summary>Microseconds per sampled character: batch 1, one thread, after training (NaN when not timed).</summary>
    public required double SampleMicrosPerChar { get; init; }

    /// <summary>The timed sample (from the final weights, or their average under <c>--ema</c>).</summary>
    public required string Sample { get; init; }

    /// <summary>Lowest validation loss, nats per character (NaN without evaluations).</summary>
    public required double BestValLoss { get; init; }

    /// <summary>Every evaluation, in order.</summary>
    public required IReadOnlyList<CurvePoint> Curve { get; init; }

    /// <summary>How the run ended.</summary>
    public required TrainResult Result { get; init; }
}

/// <summary>The text a <see cref="ModelComparison"/> trained on.</summary>
/// <param name="Source">Where it came from (a path or <c>embedded:tinyshakespeare.txt</c>).</param>
/// <param name="Characters">Characters in the text.</param>
/// <param name="Vocabulary">Distinct characters.</param>
/// <param name="Train">Characters in the training split.</param>
/// <param name="Val">Characters in the validation split.</param>
/// <param name="Test">Characters in the test split.</param>
public sealed record ComparisonData(string Source, long Characters, int Vocabulary, long Train, long Val, long Test);

/// <summary>Everything a <see cref="ModelComparison"/> measured, in the order the models ran.</summary>
/// <param name="Runs">One entry per model that ran.</param>
/// <param name="Options">The shared options (before each model's cell, embedding width and evaluation rhythm).</param>
/// <param name="Data">The text.</param>
/// <param name="Cancelled">True when Ctrl-C stopped the comparison (the last run is partial; later models did not run).</param>
/// <param name="Started">When the comparison started (local time).</param>
public sealed record ComparisonResult(IReadOnlyList<ModelRun> Runs, TrainOptions Options, ComparisonData Data, bool Cancelled, DateTime Started);

/// <summary>
/// Receives progress from <see cref="ModelComparison.Run"/>. Every method does nothing by default; override the
/// ones you need. Designed for inheritance.
/// </summary>
public abstract class ComparisonMonitor
{
    /// <summary>
    /// Model <paramref name="index"/> (0-based) of <paramref name="count"/> is about to train with <paramref name="options"/>
    /// (its evaluation rhythm already chosen). Returns the monitor of its training, or null.
    /// </summary>
    public virtual TrainingMonitor? OnModelStart(int index, int count, TrainOptions options) => null;

    /// <summary>Model <paramref name="index"/> has trained and its sampler has been timed.</summary>
    public virtual void OnModelDone(int index, int count, ModelRun run) { }
}
