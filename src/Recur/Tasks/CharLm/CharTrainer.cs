using System.Globalization;
using Recur.Data;
using Recur.IO;
using Recur.Models;
using Recur.Tasks;

using Recur.Training;

namespace Recur.Tasks.CharLm;

/// <summary>
/// <c>recur train</c>: the character LM (<see cref="CharLmTask"/>) on the one <see cref="Trainer"/>. Builds the model
/// (initialised from <see cref="TrainOptions.Seed"/>, or from given weights), the task and the trainer, and resumes
/// runs, checking that the resumed settings and text are the run's.
/// </summary>
public sealed class CharTrainer
{
    /// <summary>
    /// A new run over <paramref name="tokens"/> (the whole text encoded with <paramref name="vocabulary"/>;
    /// it is split into train/val/test by the options' fractions). The model is initialised from
    /// <see cref="TrainOptions.Seed"/>, or takes <paramref name="initialWeights"/> (same architecture).
    /// Throws <see cref="ArgumentException"/> with a message naming the option for invalid options or
    /// text too short for the batch.
    /// </summary>
    public CharTrainer(TrainOptions options, Vocabulary vocabulary, int[] tokens, CharModel? initialWeights = null, string? dataSource = null)
        : this(options, vocabulary, tokens, dataSource, state: null, statePath: null, init: initialWeights)
    {
    }

    private CharTrainer(TrainOptions options, Vocabulary vocabulary, int[] tokens, string? dataSource, TrainingState? state, string? statePath, CharModel? init)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(vocabulary);
        ArgumentNullException.ThrowIfNull(tokens);
        options.Validate();
        var config = options.ToModelConfig(vocabulary.Count);
        var model = new CharModel(config);
        var rng = new Rng(options.Seed);
        model.Reset(rng, options.InitialForgetBias);
        if (init is not null)
        {
            CheckSameArchitecture(init.Config, config, "--init-from");
            init.Store.Values.AsSpan(0, model.Store.Count).CopyTo(model.Store.Values);
        }
        Task = new CharLmTask(options, vocabulary, tokens, model, dataSource);
        // Resuming an averaged run: the checkpoint's weights are the average, the state holds the optimizer's.
        var averageStart = state?.TrainWeights is not null ? init!.Store.Values.AsSpan(0, model.Store.Count) : default;
        Trainer = new Trainer(Task, options, rng, state, averageStart);
        if (state is not null) Task.LoadState(state, statePath!);
    }

    /// <summary>
    /// Continues the run saved in <paramref name="checkpoint"/> (loaded with <see cref="CheckpointKind.Latest"/>)
    /// over the same <paramref name="tokens"/>. <paramref name="options"/> are the run's options with any
    /// changes the caller allows (stopping limits, evaluation rhythm, threads, learning-rate settings);
    /// the architecture, sequence length, batch size, optimizer, split fractions and the text must be the
    /// same. With unchanged options the continuation is bit-identical to the uninterrupted run.
    /// </summary>
    public static CharTrainer Resume(LoadedCheckpoint checkpoint, int[] tokens, TrainOptions options)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        ArgumentNullException.ThrowIfNull(tokens);
        ArgumentNullException.ThrowIfNull(options);
        var saved = checkpoint.Training ?? throw new CheckpointFormatException($"{checkpoint.Directory}: config.json records no training options, so the run cannot be resumed (use --init-from to start from its weights).");
        var diffs = TrainOptions.ResumeConflicts(saved, options);
        if (diffs.Count > 0) throw new ArgumentException($"cannot resume with different settings: {string.Join("; ", diffs)}.");
        if (checkpoint.Data is { } data)
        {
            string sum = CheckpointFiles.TokenChecksum(tokens);
            if (data.Characters != tokens.Length || data.Checksum != sum)
                throw new ArgumentException($"the text ({tokens.Length} characters) is not the one this run was trained on ({data.Source}, {data.Characters} characters); resume with the same file.");
        }
        var state = TrainingState.Read(checkpoint.StatePath, checkpoint.Model.Store.Count);
        var trainer = new CharTrainer(options, checkpoint.Vocabulary, tokens, checkpoint.Data?.Source ?? options.Data, state, checkpoint.StatePath, checkpoint.Model);
        if (checkpoint.RunDirectory is not null) trainer.OutputDirectory = checkpoint.RunDirectory;
        return trainer;
    }

    /// <summary>The task: model, vocabulary, splits and batcher.</summary>
    public CharLmTask Task { get; }

    /// <summary>The loop.</summary>
    public Trainer Trainer { get; }

    /// <summary>The options of this run.</summary>
    public TrainOptions Options => Task.Options;

    /// <summary>The model's characters.</summary>
    public Vocabulary Vocabulary => Task.Vocabulary;

    /// <summary>The model being trained.</summary>
    public CharModel Model => Task.Model;

    /// <summary>The optimizer.</summary>
    public Optimizer Optimizer => Trainer.Optimizer;

    /// <summary>The random stream of the initialisation and of dropout.</summary>
    public Rng Rng => Trainer.Rng;

    /// <summary>The train / validation / test splits.</summary>
    public DataSplits Splits => Task.Splits;

    /// <summary>The training batcher (its position is the next batch).</summary>
    public StreamBatcher Batcher => Task.Batcher;

    /// <summary>The text's source, size and checksum (recorded in checkpoints).</summary>
    public DataInfo Data => Task.Data;

    /// <summary>Run folder for checkpoints, <c>metrics.jsonl</c> and <c>loss.png</c>; null writes nothing.</summary>
    public string? OutputDirectory { get => Trainer.OutputDirectory; set => Trainer.OutputDirectory = value; }

    /// <summary>Updates done so far.</summary>
    public long Iteration => Trainer.Iteration;

    /// <summary>Fractional epochs done.</summary>
    public double Epoch => Trainer.Epoch;

    /// <summary>Every iteration's training loss, nats per character.</summary>
    public IReadOnlyList<double> TrainLosses => Trainer.TrainLosses;

    /// <summary>The iteration of every evaluation.</summary>
    public IReadOnlyList<long> ValIterations => Trainer.ValIterations;

    /// <summary>Every evaluation's validation loss.</summary>
    public IReadOnlyList<double> ValLosses => Trainer.ValLosses;

    /// <summary>The lowest validation loss so far, or NaN.</summary>
    public double BestValLoss => Trainer.BestValLoss;

    /// <summary>Moving average of the training loss, for display.</summary>
    public double SmoothLoss => Trainer.SmoothLoss;

    /// <summary>Training wall-clock time over all invocations, in seconds.</summary>
    public double ElapsedSeconds => Trainer.ElapsedSeconds;

    /// <summary>The learning rate of the next update.</summary>
    public double LearningRate => Trainer.LearningRate;

    /// <summary>The averaged weights (<see cref="TrainOptions.Ema"/>), or null when the run does not average.</summary>
    public WeightAverage? Average => Trainer.Average;

    /// <summary>The name of the per-iteration metrics file in the run folder.</summary>
    public const string MetricsFile = RunFolder.MetricsFile;

    /// <summary>The name of the loss plot in the run folder.</summary>
    public const string PlotFile = RunFolder.PlotFile;

    /// <summary>Trains (see <see cref="Training.Trainer.Run"/>).</summary>
    public TrainResult Run(TrainingMonitor? monitor = null, CancellationToken cancellation = default) => Trainer.Run(monitor, cancellation);

    /// <summary>Everything needed to continue exactly from here.</summary>
    public TrainingState CaptureState() => Trainer.CaptureState();

    /// <inheritdoc cref="Training.Trainer.WithEvaluationWeights"/>
    public T WithEvaluationWeights<T>(Func<T> action) => Trainer.WithEvaluationWeights(action);

    /// <summary>Mean cross-entropy of the model (the average under --ema) on <paramref name="tokens"/>; training state untouched.</summary>
    public double Evaluate(ReadOnlyMemory<int> tokens) => WithEvaluationWeights(() => Task.Evaluate(tokens));

    /// <inheritdoc cref="CharLmTask.Evaluate(CharModel, ReadOnlyMemory{int}, int, int)"/>
    public static double Evaluate(CharModel model, ReadOnlyMemory<int> tokens, int batchSize, int seqLength) => CharLmTask.Evaluate(model, tokens, batchSize, seqLength);

    /// <summary>A sample (see <see cref="CharLmTask.SampleText"/>) from the evaluation weights; training state untouched.</summary>
    public string Sample(int length, double temperature = 1.0, ulong seed = 1, string prime = "")
        => WithEvaluationWeights(() => SampleText(Model, Vocabulary, length, temperature, seed, prime));

    /// <inheritdoc cref="CharLmTask.SampleText"/>
    public static string SampleText(CharModel model, Vocabulary vocabulary, int length, double temperature, ulong seed, string prime = "")
        => CharLmTask.SampleText(model, vocabulary, length, temperature, seed, prime);

    /// <summary>The optimizer named by <see cref="TrainOptions.Optimizer"/> over <paramref name="model"/>'s parameters.</summary>
    public static Optimizer CreateOptimizer(TrainOptions options, CharModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return Training.Trainer.CreateOptimizer(options, model.Store);
    }

    private static void CheckSameArchitecture(CharModelConfig have, CharModelConfig want, string what)
    {
        if (have.Cell != want.Cell || have.Nonlinearity != want.Nonlinearity && want.Cell == "rnn" || have.Hidden != want.Hidden
            || have.Layers != want.Layers || have.Embed != want.Embed || have.VocabSize != want.VocabSize || have.Highway != want.Highway)
            throw new ArgumentException(
                $"{what}: the checkpoint is a {Describe(have)} but this run asks for a {Describe(want)}.");
    }

    /// <summary>A one-phrase description of an architecture, for messages: <c>lstm with hidden 256, 2 layer(s), ...</c>.</summary>
    public static string Describe(CharModelConfig c) =>
        $"{c.Cell}{(c.Cell == "rnn" ? "-" + c.Nonlinearity : "")} with hidden {c.Hidden}, {c.Layers} layer(s){(c.Highway ? " with highways" : "")}, embed {c.Embed}, vocabulary {c.VocabSize}";
}
