using Recur.Data;
using Recur.Data.Glimpse;
using Recur.IO;
using Recur.Models;
using Recur.Models.Glimpse;
using Recur.Tasks.Scenes;
using Recur.Training;

namespace Recur.Tasks.Glimpse;

/// <summary>
/// <c>recur glimpse train</c>: the recurrent attention model (Mnih et al. 2014; <c>--model ram</c>) or a CNN over the whole image
/// (<c>--model cnn</c>) on cluttered translated Fashion-MNIST (<see cref="ClutteredSplit"/>), on <see cref="GlimpseTask"/>.
/// Training canvases are made of the first 11/12 of the training images, validation canvases of the last 1/12 (the split
/// <c>recur classify</c> uses), test canvases of the test images (<c>--split test</c>).
/// </summary>
public sealed class GlimpseDefinition : TaskDefinition<GlimpseData, GlimpseSettings, LoadedGlimpse>
{
    // Before Instance: the instance's options read it.
    /// <summary>The model choices of <c>--model</c>.</summary>
    public static IReadOnlyList<string> Models { get; } = [RamClassifier.Name, CnnClassifier.Name];

    /// <summary>The definition.</summary>
    public static GlimpseDefinition Instance { get; } = new();

    /// <inheritdoc/>
    public override CheckpointFormat<LoadedGlimpse> Checkpoint => GlimpseCheckpoint.Instance;

    /// <inheritdoc/>
    public override string Summary => "glimpses: the recurrent attention model (or a CNN baseline) on cluttered Fashion-MNIST; data, train, eval, RUN IMAGE";

    /// <summary>
    /// The recipe: Adam at 1e-3, batches of 64, the gradient clipped to norm 5, an LSTM core of 256, for a 15-minute budget with no
    /// cap on epochs, evaluated once an epoch. Not yet tuned on validation.
    /// </summary>
    public override TrainOptions Defaults { get; } = new()
    {
        Model = RamClassifier.Name, Hidden = 256, Layers = 1, BatchSize = 64, Optimizer = "adam", LearningRate = 1e-3, GradClip = 5,
        ClipMode = "norm", MaxEpochs = 0, Minutes = 15, ValFrac = FashionMnist.ValidationFraction, EvalEvery = 1000,
    };

    /// <summary>The shared options without those of other models; the validation split is fixed (the last 1/12 of the training images).</summary>
    public override IReadOnlyList<OptionSpec> SharedOptions { get; } = TrainOptionSpecs.All
        .Where(s => s.Flag is not ("nonlinearity" or "layers" or "embed" or "dropout" or "weight-drop" or "state-size" or "expand"
            or "conv-width" or "heads" or "context" or "highway" or "forget-bias" or "seq-length" or "val-frac" or "test-frac"
            or "sample-every" or "bucket"))
        .Select(s => s.Flag switch
        {
            "model" => s with { Value = string.Join("|", Models), Choices = Models, AlsoAccepts = null, ChoicesText = null,
                Help = "ram: the recurrent attention model, a few glimpses; cnn: a convolutional network over every pixel (the baseline)" },
            "hidden" => s with { Help = "the attention model's LSTM core width (the CNN's sizes are its own options)" },
            _ => s,
        }).ToArray();

    /// <inheritdoc/>
    public override IReadOnlyList<OptionSpec<GlimpseSettings>> Options => GlimpseSettings.Specs;

    /// <inheritdoc/>
    public override string DefaultData => FashionMnist.DefaultDirectory;

    /// <summary>Fashion-MNIST's training and test images.</summary>
    public override GlimpseData LoadData(string path)
    {
        try
        {
            var (train, test) = FashionMnist.Load(path);
            return new GlimpseData(train, test);
        }
        catch (IdxFormatException e) { throw new InvalidDataException(e.Message, e); }
    }

    /// <summary>The record of the training images a run used (their number and a checksum of their labels).</summary>
    public override DataInfo DataOf(GlimpseData data, string source)
    {
        ArgumentNullException.ThrowIfNull(data);
        return TrainingImages.Record(data.Train, source);
    }

    /// <summary>Without <c>--eval-every</c>, a new run evaluates once an epoch (every training object once).</summary>
    protected override int? TrainingExamples(TrainOptions options, GlimpseSettings settings, GlimpseData data)
    {
        ArgumentNullException.ThrowIfNull(data);
        return Data.Scenes.SceneImages.ValidationStart(data.Train.Count);
    }

    /// <summary>The model <paramref name="options"/> and <paramref name="settings"/> describe: <c>--model ram</c> or <c>cnn</c>.</summary>
    public static IClutterClassifier NewModel(TrainOptions options, GlimpseSettings settings)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(settings);
        return options.Model switch
        {
            RamClassifier.Name => new RamClassifier(new RecurrentAttentionModel(settings.ToRam(options.Hidden))),
            CnnClassifier.Name => new CnnClassifier(new ConvNet(settings.ToCnn())),
            _ => throw new ArgumentException($"--model must be {string.Join(" or ", Models)} for the glimpse task, got '{options.Model}'."),
        };
    }

    /// <inheritdoc/>
    protected override LoadedGlimpse NewRun(TrainOptions options, GlimpseSettings settings, GlimpseData data)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var clutter = settings.ToClutter();
        clutter.Validate();
        return new LoadedGlimpse(NewModel(options, settings), clutter);
    }

    /// <inheritdoc/>
    protected override LoadedGlimpse Rebuild(LoadedGlimpse saved)
    {
        ArgumentNullException.ThrowIfNull(saved);
        IClutterClassifier model = saved.Model switch
        {
            RamClassifier r => new RamClassifier(new RecurrentAttentionModel(r.Model.Config)),
            CnnClassifier c => new CnnClassifier(new ConvNet(c.Net.Config)),
            _ => throw new ArgumentException($"unknown glimpse model {saved.Model.GetType().Name}."),
        };
        return new LoadedGlimpse(model, saved.Clutter);
    }

    /// <inheritdoc/>
    protected override void Initialize(LoadedGlimpse run, TrainOptions options, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(run);
        run.Model.Reset(rng);
    }

    /// <inheritdoc/>
    protected override ITrainingTask NewTask(LoadedGlimpse run, GlimpseData data, TrainOptions options, DataInfo info, Action<string, CheckpointProgress> write)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(data);
        var train = ClutteredSplit.Training(data.Train, run.Clutter);
        return new GlimpseTask(options, run.Model, train, ClutteredSplit.Validation(data.Train, run.Clutter), info, write);
    }

    /// <summary>The task whose evaluation scores the test canvases (<c>--split test</c>).</summary>
    protected override ITrainingTask? NewTestTask(LoadedGlimpse run, GlimpseData data, TrainOptions options, DataInfo info)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(data);
        var train = ClutteredSplit.Training(data.Train, run.Clutter);
        return new GlimpseTask(options, run.Model, train, ClutteredSplit.Test(data.Test, run.Clutter), info, (_, _) => { });
    }
}
