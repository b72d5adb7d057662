using Recur.IO;

namespace Recur.Training;

/// <summary>
/// The steps the trainer factories not yet on <see cref="TaskDefinition{TData, TSettings, TSaved}"/> share
/// (<see cref="ClassifyTrainer"/>, <see cref="G2pTrainer"/>): checking a resume and starting the <see cref="Trainer"/>.
/// </summary>
internal static class TaskRuns
{
    /// <summary>
    /// The state to resume from: throws when the checkpoint records no training options or when <paramref name="options"/>
    /// change what a resumed run cannot change.
    /// </summary>
    public static TrainingState ResumeState(TrainOptions? saved, TrainOptions options, string directory, string statePath, int parameters)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (saved is null) throw new CheckpointFormatException($"{directory}: config.json records no training options, so the run cannot be resumed.");
        var diffs = TrainOptions.ResumeConflicts(saved, options);
        if (diffs.Count > 0) throw new ArgumentException($"cannot resume with different settings: {string.Join("; ", diffs)}.");
        return TrainingState.Read(statePath, parameters);
    }

    /// <summary>
    /// The trainer of <paramref name="task"/>: fresh, or (with <paramref name="state"/>) continuing from the checkpoint
    /// whose weights are <paramref name="savedWeights"/> (the average's start under <c>--ema</c>), the task's own state
    /// restored from <paramref name="statePath"/>.
    /// </summary>
    public static Trainer Start(ITrainingTask task, TrainOptions options, Rng rng, TrainingState? state, float[]? savedWeights, string? statePath)
    {
        ArgumentNullException.ThrowIfNull(task);
        var averageStart = state?.TrainWeights is not null ? savedWeights.AsSpan(0, task.Store.Count) : default;
        var trainer = new Trainer(task, options, rng, state, averageStart);
        if (state is not null) task.LoadState(state, statePath!);
        return trainer;
    }
}
