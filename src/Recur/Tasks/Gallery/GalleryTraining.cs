using Recur.Analysis.Gallery;
using Recur.IO;
using Recur.Tasks.CharLm;
using Recur.Training;

namespace Recur.Tasks.Gallery;

/// <summary>
/// Trains one gallery corpus with the char-LM task (<see cref="CharLmDefinition"/>: its model, its one trainer, its checkpoints)
/// up to the last sample iteration, drawing a sample at each sample iteration; a run folder that holds a <c>latest/</c>
/// checkpoint is continued exactly from it, so that a stopped gallery goes on where it was.
/// </summary>
public static class GalleryTraining
{
    /// <summary>
    /// Trains <paramref name="corpus"/> (whose text is <paramref name="data"/>) in <paramref name="folder"/>, reporting to
    /// <paramref name="progress"/> and calling <paramref name="sampled"/> after each sample is written. Returns how training
    /// ended, or null when the run had already reached its last iteration.
    /// </summary>
    public static TrainResult? Train(GalleryCorpus corpus, CharText data, GalleryFolder folder, GalleryOptions options,
        TrainingMonitor? progress, Action sampled, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        ArgumentNullException.ThrowIfNull(folder);
        ArgumentNullException.ThrowIfNull(options);
        var definition = CharLmDefinition.Instance;
        string source = definition.SourceOf(corpus.Source);
        var training = options.TrainingRun with { Data = source };
        Trainer trainer;
        if (Directory.Exists(Path.Combine(folder.RunDirectory, "latest")))
        {
            var saved = CharCheckpoint.Instance.Load(folder.RunDirectory, CheckpointKind.Latest);
            if (saved.Progress?.Iteration >= training.MaxIters) return null;
            trainer = definition.Resume(saved, data, training);
        }
        else
        {
            trainer = definition.Create(training, new CharSettings(), data, source);
            trainer.OutputDirectory = folder.RunDirectory;
        }
        return trainer.Run(new SamplingMonitor(progress, options, folder, sampled), cancellation);
    }

    /// <summary>Passes every report on to the progress display and draws the samples at their iterations.</summary>
    private sealed class SamplingMonitor(TrainingMonitor? inner, GalleryOptions options, GalleryFolder folder, Action sampled) : TrainingMonitor
    {
        public override void OnStart(Trainer trainer) => inner?.OnStart(trainer);

        public override void OnEvaluation(Trainer trainer, in EvaluationReport report) => inner?.OnEvaluation(trainer, report);

        public override void OnCheckpoint(Trainer trainer, string directory) => inner?.OnCheckpoint(trainer, directory);

        public override void OnSampleDue(Trainer trainer) => inner?.OnSampleDue(trainer);

        public override void OnStop(Trainer trainer, TrainResult result) => inner?.OnStop(trainer, result);

        /// <summary>
        /// At a sample iteration: the validation loss and a sample, both with the weights evaluation uses (the moving average
        /// under the recipe's <c>--ema</c>); neither touches the training state, so the run goes on as if they were not drawn.
        /// </summary>
        public override void OnIteration(Trainer trainer, in IterationReport report)
        {
            inner?.OnIteration(trainer, report);
            if (!options.Iterations.Contains(report.Iteration)) return;
            var task = (CharLmTask)trainer.Task;
            double loss = trainer.Evaluate().Loss;
            string text = trainer.WithEvaluationWeights(() =>
                CharLmTask.SampleText(task.Model, task.Vocabulary, options.SampleLength, options.Temperature, options.SampleSeed));
            folder.WriteSample(new GallerySample(report.Iteration, loss, options.Temperature, text));
            sampled();
        }
    }
}
