using Recur.IO;
using Recur.Nn;

namespace Recur.Training;

/// <summary>
/// What a <see cref="Trainer"/> needs from a task (a model, its data, its loss and its metrics): the next
/// training batch through forward, loss and backward; evaluation to named metrics; the task's part of a
/// checkpoint; a sample or prediction for reports. A task knows nothing of run folders, schedules or
/// consoles; the trainer owns the loop, clipping, the optimizer, schedules, weight averaging, budgets,
/// evaluation cadence, checkpoints, metrics, plots, exact resume, Ctrl-C and the NaN stop.
/// </summary>
public interface ITrainingTask
{
    /// <summary>The task's name in config.json (<c>char-lm</c>, <c>classify</c>, ...).</summary>
    string Name { get; }

    /// <summary>All parameters and gradients of the model.</summary>
    ParameterStore Store { get; }

    /// <summary>Threads for the model's products (results do not depend on it).</summary>
    int Threads { get; set; }

    /// <summary>Training batches per epoch.</summary>
    int BatchesPerEpoch { get; }

    /// <summary>Fractional epochs done (from the data position).</summary>
    double EpochProgress { get; }

    /// <summary>Items (tokens, images) per training step, for throughput figures.</summary>
    long ItemsPerStep { get; }

    /// <summary>The unit of <see cref="ItemsPerStep"/> for progress lines: "tok", "img".</summary>
    string ItemName { get; }

    /// <summary>The unit of the loss for plots and messages ("nats/char", "nats").</summary>
    string LossUnit { get; }

    /// <summary>
    /// Takes the next training batch, runs forward, the mean loss and backward: gradients are zeroed first
    /// and left in <see cref="Store"/>. Dropout and similar draws come from <paramref name="rng"/>. Returns
    /// the loss (a non-finite value stops the run without saving).
    /// </summary>
    double TrainStep(Rng rng);

    /// <summary>True when the task holds out a validation split to evaluate on.</summary>
    bool HasValidation { get; }

    /// <summary>
    /// Scores the model's current weights on the validation split without touching the training state:
    /// <see cref="TaskMetrics.Loss"/> and named extra metrics; <see cref="BestBy"/> names the one that chooses.
    /// </summary>
    TaskMetrics Evaluate();

    /// <summary>
    /// The validation figure that chooses, lower being better: <see cref="TaskMetrics.LossName"/> (the loss) or the name of one of
    /// <see cref="Evaluate"/>'s extra metrics (g2p's <c>wer</c>). It picks <c>best/</c>, counts <see cref="TrainOptions.Patience"/>
    /// and is the "best" of progress lines and summaries; a tie goes to the lower loss.
    /// </summary>
    string BestBy { get; }

    /// <summary>Adds the task's own resume state (data position, carried state) to a checkpoint's state file.</summary>
    void SaveState(IDictionary<string, IntegerArray> integers, IDictionary<string, Tensor> tensors);

    /// <summary>Restores what <see cref="SaveState"/> wrote; throws <see cref="CheckpointFormatException"/> when it does not fit.</summary>
    void LoadState(TrainingState state, string path);

    /// <summary>
    /// Writes the model's files (config.json with the task's name and section, model.safetensors) into
    /// <paramref name="directory"/>, a checkpoint folder being built (the trainer adds state.safetensors and swaps it in).
    /// </summary>
    void WriteModel(string directory, CheckpointProgress progress);

    /// <summary>One line for the start of a run: the model, its size and the data (e.g. <c>lstm hidden 128 x 1 layer(s), ...</c>).</summary>
    string Describe();

    /// <summary>A short sample or prediction for reports (a line of generated text, a predicted label), or null.</summary>
    string? Preview(ulong seed);
}

/// <summary>An evaluation: the loss and any other named metrics (accuracy, ...); <see cref="ITrainingTask.BestBy"/> names the one that chooses.</summary>
public sealed record TaskMetrics(double Loss, IReadOnlyDictionary<string, double> Extra)
{
    /// <summary>The name of the loss as a choosing figure (<see cref="ITrainingTask.BestBy"/>).</summary>
    public const string LossName = "loss";

    /// <summary>A loss with no other metrics.</summary>
    public TaskMetrics(double loss) : this(loss, new Dictionary<string, double>()) { }

    /// <summary>The figure named <paramref name="name"/>: the loss for <see cref="LossName"/>, else that extra metric.</summary>
    public double Figure(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name == LossName) return Loss;
        return Extra.TryGetValue(name, out double v) ? v
            : throw new ArgumentException($"the evaluation has no metric '{name}' (it has {string.Join(", ", Extra.Keys.Prepend(LossName))}).", nameof(name));
    }
}
