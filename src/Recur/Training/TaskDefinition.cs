using Recur.IO;

namespace Recur.Training;

/// <summary>What a registry of tasks knows of each (<see cref="TaskDefinition{TData, TSettings, TSaved}"/>), without its types.</summary>
public interface ITaskDefinition
{
    /// <summary>The task's name: the command word, the run folder's suffix and config.json's <c>"task"</c>.</summary>
    string Name { get; }

    /// <summary>config.json's <c>"format"</c> for this task.</summary>
    string Format { get; }

    /// <summary>One line for <c>recur --help</c>.</summary>
    string Summary { get; }

    /// <summary>Loads a checkpoint of this task (its model with weights and what the run recorded).</summary>
    SavedRun LoadRun(string runOrCheckpointDir, CheckpointKind prefer = CheckpointKind.Best);

    /// <summary>Hands the definition, with its types, to <paramref name="visitor"/> (how code that knows only the registry runs a task).</summary>
    TResult Accept<TResult>(ITaskVisitor<TResult> visitor);
}

/// <summary>Code that runs any task of the registry: it is handed the definition with its types.</summary>
public interface ITaskVisitor<out TResult>
{
    /// <summary>Runs on <paramref name="task"/>.</summary>
    TResult Visit<TData, TSettings, TSaved>(TaskDefinition<TData, TSettings, TSaved> task) where TSaved : SavedRun where TSettings : class, new();
}

/// <summary>
/// One task, defined once: its name, its checkpoint format, how it builds a new model from the options and its data,
/// and how it wraps a model and its data as an <see cref="ITrainingTask"/>. Everything else every task shares is
/// written here once: a new run initialised from the seed, a resumed run (options that cannot change refused, the data
/// checked against the run's record, weights and state restored, the run folder kept), and the checkpoint files
/// (<see cref="CheckpointFormat{TSaved}"/>). The trainer (<see cref="Trainer"/>) knows only <see cref="ITrainingTask"/>.
/// </summary>
/// <typeparam name="TData">The task's data as loaded (a corpus, a dictionary, images).</typeparam>
/// <typeparam name="TSettings">The task's own options (declared once with flag, default, range and help as <see cref="OptionSpec{T}"/>).</typeparam>
/// <typeparam name="TSaved">The task's saved run: its model and the tables it needs.</typeparam>
public abstract class TaskDefinition<TData, TSettings, TSaved> : ITaskDefinition where TSaved : SavedRun where TSettings : class, new()
{
    /// <inheritdoc/>
    public SavedRun LoadRun(string runOrCheckpointDir, CheckpointKind prefer = CheckpointKind.Best) => Checkpoint.Load(runOrCheckpointDir, prefer);

    /// <inheritdoc/>
    public string Format => Checkpoint.Format;

    /// <inheritdoc/>
    public virtual string Summary => $"the {Name} task: train, eval RUN";

    /// <inheritdoc/>
    public TResult Accept<TResult>(ITaskVisitor<TResult> visitor)
    {
        ArgumentNullException.ThrowIfNull(visitor);
        return visitor.Visit(this);
    }

    /// <summary>
    /// Scores <paramref name="saved"/> on the validation split of <paramref name="data"/> as its training evaluated it: the
    /// loss and the task's own metrics (among them the <see cref="ITrainingTask.BestBy"/> figure that chose <c>best/</c>), with the
    /// run's recorded options (or the task's recipe).
    /// </summary>
    public (TaskMetrics Metrics, string LossUnit) ScoreValidation(TSaved saved, TData data, int threads = 0)
    {
        ArgumentNullException.ThrowIfNull(saved);
        var options = RecordedOptions(saved) with { Threads = threads };
        var task = NewTask(saved, data, options, DataOf(data, saved.Data?.Source ?? ""), (_, _) => { });
        task.Threads = options.EffectiveThreads;
        if (!task.HasValidation)
            throw new ArgumentException($"the run holds out no validation data (--val-frac {options.ValFrac}); there is nothing to score.");
        return (task.Evaluate(), task.LossUnit);
    }

    /// <summary>
    /// The training task of <paramref name="saved"/> over <paramref name="data"/> with its recorded options (its splits and
    /// batches, as <c>train --resume</c> builds them), to read its training examples (the PyTorch export's training sets).
    /// </summary>
    public ITrainingTask TrainingTask(TSaved saved, TData data)
    {
        ArgumentNullException.ThrowIfNull(saved);
        return NewTask(saved, data, RecordedOptions(saved), DataOf(data, saved.Data?.Source ?? ""), (_, _) => { });
    }

    /// <summary>The options <paramref name="saved"/> was trained with (its splits among them), or the task's recipe where it records none.</summary>
    public TrainOptions RecordedOptions(TSaved saved)
    {
        ArgumentNullException.ThrowIfNull(saved);
        return saved.Training ?? Defaults;
    }

    /// <summary>
    /// Scores <paramref name="saved"/> on the test split of <paramref name="data"/> with the metrics of
    /// <see cref="ScoreValidation"/>; throws <see cref="ArgumentException"/> when the task's data has no test split
    /// (<see cref="NewTestTask"/> gives none).
    /// </summary>
    public (TaskMetrics Metrics, string LossUnit) ScoreTest(TSaved saved, TData data, int threads = 0)
    {
        ArgumentNullException.ThrowIfNull(saved);
        var options = RecordedOptions(saved) with { Threads = threads };
        var task = NewTestTask(saved, data, options, DataOf(data, saved.Data?.Source ?? ""))
            ?? throw new ArgumentException($"the {Name} task's data has no test split; score --split validation.");
        task.Threads = options.EffectiveThreads;
        return (task.Evaluate(), task.LossUnit);
    }

    /// <summary>
    /// The task over <paramref name="run"/> whose evaluation (<see cref="ITrainingTask.Evaluate"/>) scores the test split of
    /// <paramref name="data"/> in place of the validation split, or null (the default) when the task's data has no test split.
    /// </summary>
    protected virtual ITrainingTask? NewTestTask(TSaved run, TData data, TrainOptions options, DataInfo info) => null;

    /// <summary>The task's name: the command word (<c>recur tag</c>), the run folder's suffix and config.json's <c>"task"</c>.</summary>
    public string Name => Checkpoint.Task;

    /// <summary>The task's recipe: its training options when the command line gives none.</summary>
    public abstract TrainOptions Defaults { get; }

    /// <summary>The shared training options (<see cref="TrainOptionSpecs.Declared"/>) that apply to this task.</summary>
    public abstract IReadOnlyList<OptionSpec> SharedOptions { get; }

    /// <summary>The task's own options, each declared once; their defaults are a new <typeparamref name="TSettings"/>'s.</summary>
    public abstract IReadOnlyList<OptionSpec<TSettings>> Options { get; }

    /// <summary>Where the task's data is when no path is given.</summary>
    public abstract string DefaultData { get; }

    /// <summary>Reads the task's data from <paramref name="path"/> (IO and format errors say what was wrong).</summary>
    public abstract TData LoadData(string path);

    /// <summary>How a run records where its data came from (by default the full path), so that a resume finds it again.</summary>
    public virtual string SourceOf(string path) => Path.GetFullPath(path);

    /// <summary>
    /// The examples a new run over <paramref name="data"/> trains on in one epoch (after the validation split is held out),
    /// or null when its epochs are not counted in examples.
    /// </summary>
    protected virtual int? TrainingExamples(TrainOptions options, TSettings settings, TData data) => null;

    /// <summary>Of <paramref name="examples"/>, those left for training when the last <paramref name="valFrac"/> are held out.</summary>
    protected static int HeldOutRest(int examples, double valFrac) => examples - (int)Math.Round(examples * valFrac);

    /// <summary>
    /// The options a new run uses over <paramref name="data"/>: <paramref name="options"/>, evaluating once an epoch where the
    /// command line gave no <c>--eval-every</c> (<paramref name="given"/> tells which flags it gave).
    /// </summary>
    public TrainOptions ForData(TrainOptions options, TSettings settings, TData data, Func<string, bool> given)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(given);
        return given("eval-every") || TrainingExamples(options, settings, data) is not int n ? options
            : options with { EvalEvery = Math.Max(1, n / options.BatchSize) };
    }

    /// <summary>The task's checkpoint format.</summary>
    public abstract CheckpointFormat<TSaved> Checkpoint { get; }

    /// <summary>
    /// A new model (weights not yet initialised) with its tables, as <paramref name="options"/> and
    /// <paramref name="settings"/> describe it for <paramref name="data"/>. Throws <see cref="ArgumentException"/> for
    /// settings the task refuses.
    /// </summary>
    protected abstract TSaved NewRun(TrainOptions options, TSettings settings, TData data);

    /// <summary>
    /// A model of the same architecture and tables as <paramref name="saved"/>, with fresh weights (a resume leaves the loaded
    /// run as it is).
    /// </summary>
    protected abstract TSaved Rebuild(TSaved saved);

    /// <summary>Initialises the model's weights from <paramref name="rng"/> (PyTorch's initialisation).</summary>
    protected abstract void Initialize(TSaved run, TrainOptions options, Rng rng);

    /// <summary>For a new run: weights <paramref name="settings"/> give in place of the initialisation (e.g. another run's).</summary>
    protected virtual void StartFrom(TSaved run, TSettings settings) { }

    /// <summary>The record of <paramref name="data"/> a checkpoint keeps (its size and checksum), checked on resume.</summary>
    public abstract DataInfo DataOf(TData data, string source);

    /// <summary>
    /// The training task over <paramref name="run"/> and <paramref name="data"/> (its splits, batches and evaluation);
    /// <paramref name="write"/> writes the model's checkpoint files.
    /// </summary>
    protected abstract ITrainingTask NewTask(TSaved run, TData data, TrainOptions options, DataInfo info, Action<string, CheckpointProgress> write);

    /// <summary>A new run over <paramref name="data"/>, its model initialised from <see cref="TrainOptions.Seed"/>.</summary>
    public Trainer Create(TrainOptions options, TSettings settings, TData data, string source)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(settings);
        options.Validate();
        return Start(NewRun(options, settings, data), data, source, options, state: null, saved: null, settings);
    }

    /// <summary>
    /// Continues the run saved in <paramref name="saved"/> (its <c>latest/</c>) over the same data: options a resumed run
    /// cannot change are refused, and with unchanged options the continuation is bit-identical to the uninterrupted run.
    /// </summary>
    public Trainer Resume(TSaved saved, TData data, TrainOptions options)
    {
        ArgumentNullException.ThrowIfNull(saved);
        ArgumentNullException.ThrowIfNull(options);
        if (saved.Training is null)
            throw new CheckpointFormatException($"{saved.Directory}: config.json records no training options, so the run cannot be resumed.");
        var diffs = TrainOptions.ResumeConflicts(saved.Training, options);
        if (diffs.Count > 0) throw new ArgumentException($"cannot resume with different settings: {string.Join("; ", diffs)}.");
        options.Validate();
        var state = TrainingState.Read(saved.StatePath, saved.Trained.Count);
        var trainer = Start(Rebuild(saved), data, saved.Data?.Source ?? "", options, state, saved);
        if (saved.RunDirectory is not null) trainer.OutputDirectory = saved.RunDirectory;
        return trainer;
    }

    /// <summary>
    /// The trainer of <paramref name="run"/>: a new run is initialised from the seed (or from the weights the settings give);
    /// a resumed one takes the saved weights, and the trainer restores the rest from <paramref name="state"/> (the random
    /// stream, the optimizer, the raw weights under an average, whose start is the saved weights).
    /// </summary>
    private Trainer Start(TSaved run, TData data, string source, TrainOptions options, TrainingState? state, TSaved? saved, TSettings? settings = null)
    {
        var rng = new Rng(options.Seed);
        if (saved is null)
        {
            Initialize(run, options, rng);
            if (settings is not null) StartFrom(run, settings);
        }
        var info = DataOf(data, source);
        if (saved?.Data is { } d && (d.Characters != info.Characters || d.Checksum != info.Checksum))
            throw new ArgumentException($"the data ({info.Characters} items) is not the one this run was trained on ({d.Source}, {d.Characters}); "
                + "resume with the same data.");
        for (int k = 0; saved is not null && k < run.Stores.Count; k++)
            saved.Stores[k].Store.Values.AsSpan(0, run.Stores[k].Store.Count).CopyTo(run.Stores[k].Store.Values);
        var task = NewTask(run, data, options, info, (dir, progress) => Checkpoint.Write(dir, run, options, progress, info));
        var trainer = new Trainer(task, options, rng, state);
        if (state is not null) task.LoadState(state, saved!.StatePath);
        return trainer;
    }
}
