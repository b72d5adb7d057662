using Recur.Data;
using Recur.Data.Scenes;
using Recur.IO;
using Recur.Models.Glimpse;
using Recur.Tasks.Scenes;
using Recur.Training;

namespace Recur.Tasks.Glimpse;

/// <summary>
/// <c>recur glimpse train --model dram</c>: the deep recurrent attention model (Ba, Mnih and Kavukcuoglu 2015) reading every
/// object of the captioning scenes in reading order, then the end symbol, on <see cref="DramTask"/>. The scenes are those of
/// the captioner under the project's protocol (<see cref="SceneGenerator"/>): training scenes from the first 11/12 of the
/// training images, validation scenes (<see cref="TrainOptions.ValFrac"/> of their number, seen and held-out compositions
/// together) from the rest, test scenes (<c>--split test</c>, both test splits together) from the test images.
/// </summary>
public sealed class DramDefinition : TaskDefinition<GlimpseData, DramSettings, LoadedDram>
{
    /// <summary>The <c>--model</c> word.</summary>
    public const string ModelName = "dram";

    /// <summary>The definition.</summary>
    public static DramDefinition Instance { get; } = new();

    /// <inheritdoc/>
    public override CheckpointFormat<LoadedDram> Checkpoint => DramCheckpoint.Instance;

    /// <inheritdoc/>
    public override string Summary => "DRAM (recur glimpse train --model dram): every object of a scene read in order by glimpses";

    /// <summary>
    /// The recipe: Adam at 1e-3, batches of 32, the gradient clipped to norm 5, r1 of 128, validation scenes 5 % of the training
    /// scenes' number, 15 minutes, evaluated once an epoch. Not tuned on validation.
    /// </summary>
    public override TrainOptions Defaults { get; } = new()
    {
        Model = ModelName, Hidden = 128, Layers = 1, BatchSize = 32, Optimizer = "adam", LearningRate = 1e-3, GradClip = 5,
        ClipMode = "norm", MaxEpochs = 0, Minutes = 15, ValFrac = 0.05, EvalEvery = 1000,
    };

    /// <summary>The shared options without those of other models.</summary>
    public override IReadOnlyList<OptionSpec> SharedOptions { get; } = TrainOptionSpecs.All
        .Where(s => s.Flag is not ("nonlinearity" or "layers" or "embed" or "dropout" or "weight-drop" or "state-size" or "expand"
            or "conv-width" or "heads" or "context" or "highway" or "forget-bias" or "seq-length" or "test-frac" or "sample-every" or "bucket"))
        .Select(s => s.Flag switch
        {
            "model" => s with { Value = ModelName, Choices = [ModelName], AlsoAccepts = null, ChoicesText = null,
                Help = "dram: every object of the captioning scenes read in order (recur glimpse train --model dram)" },
            "hidden" => s with { Help = "the lower LSTM r1's width (it reads the glimpses and classifies)" },
            "val-frac" => s with { Help = "validation scenes: this fraction of --scenes, from the training images no training scene uses" },
            _ => s,
        }).ToArray();

    /// <inheritdoc/>
    public override IReadOnlyList<OptionSpec<DramSettings>> Options => DramSettings.Specs;

    /// <inheritdoc/>
    public override string DefaultData => FashionMnist.DefaultDirectory;

    /// <summary>Fashion-MNIST's training and test images.</summary>
    public override GlimpseData LoadData(string path) => GlimpseDefinition.Instance.LoadData(path);

    /// <summary>The record of the training images a run used (their number and a checksum of their labels).</summary>
    public override DataInfo DataOf(GlimpseData data, string source)
    {
        ArgumentNullException.ThrowIfNull(data);
        return TrainingImages.Record(data.Train, source);
    }

    /// <summary>Without <c>--eval-every</c>, a new run evaluates once an epoch (every training scene once).</summary>
    protected override int? TrainingExamples(TrainOptions options, DramSettings settings, GlimpseData data)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return settings.Scenes;
    }

    /// <inheritdoc/>
    protected override LoadedDram NewRun(TrainOptions options, DramSettings settings, GlimpseData data)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(settings);
        if (options.Model != ModelName) throw new ArgumentException($"--model must be {ModelName} for DRAM, got '{options.Model}'.");
        var scenes = settings.ToScenes();
        scenes.Validate();
        return new LoadedDram(new DeepRecurrentAttentionModel(settings.ToConfig(options.Hidden)), scenes);
    }

    /// <inheritdoc/>
    protected override LoadedDram Rebuild(LoadedDram saved)
    {
        ArgumentNullException.ThrowIfNull(saved);
        return new LoadedDram(new DeepRecurrentAttentionModel(saved.Model.Config), saved.Scenes);
    }

    /// <inheritdoc/>
    protected override void Initialize(LoadedDram run, TrainOptions options, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(run);
        run.Model.Reset(rng);
    }

    /// <inheritdoc/>
    protected override ITrainingTask NewTask(LoadedDram run, GlimpseData data, TrainOptions options, DataInfo info, Action<string, CheckpointProgress> write)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        var train = SceneGenerator.Training(data.Train, run.Scenes);
        return new DramTask(options, run.Model, train, Split(data, run.Scenes, options.ValFrac, "validation"), info, write);
    }

    /// <summary>The task whose evaluation scores the test scenes (<c>--split test</c>).</summary>
    protected override ITrainingTask? NewTestTask(LoadedDram run, GlimpseData data, TrainOptions options, DataInfo info)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        var train = SceneGenerator.Training(data.Train, run.Scenes);
        return new DramTask(options, run.Model, train, Split(data, run.Scenes, options.ValFrac, "test"), info, (_, _) => { });
    }

    /// <summary>
    /// The scenes an evaluation of <paramref name="split"/> scores (<see cref="SceneRuns.EvalSplits"/>): the seen compositions'
    /// scenes, then the held-out ones', as one split named <paramref name="split"/>.
    /// </summary>
    public static SceneSplit Split(GlimpseData data, SceneOptions scenes, double valFrac, string split)
    {
        ArgumentNullException.ThrowIfNull(data);
        var (seen, held) = split == "validation" ? SceneGenerator.Validation(data.Train, scenes, valFrac)
            : SceneRuns.EvalSplits(data.Train, data.Test, scenes, valFrac, split);
        return new SceneSplit(split, seen.Images, [.. seen.Scenes, .. held.Scenes]);
    }
}
