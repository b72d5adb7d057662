using Recur.Data;
using Recur.Data.Scenes;
using Recur.Data.Video;
using Recur.IO;
using Recur.Models.Captioning;
using Recur.Models.Video;
using Recur.Nn.Cells;
using Recur.Tasks.Scenes;
using Recur.Training;

namespace Recur.Tasks.Video;

/// <summary>
/// <c>recur video train</c>: a <see cref="VideoClassifier"/> (<c>--model lstm|gru|rnn</c>, or the baselines
/// <c>average</c> and <c>middle</c>) on <see cref="VideoTask"/>, over the frames' features from a frozen
/// <see cref="SceneEncoder"/> (the convolutional stages of a new run's <see cref="VideoSettings.Encoder"/>, max-pooled by
/// <see cref="VideoSettings.GridPool"/>). The data are Fashion-MNIST's training images: training clips from the first
/// 11/12, validation clips (<see cref="TrainOptions.ValFrac"/> of the training clips' number) from the last 1/12
/// (<see cref="ClipGenerator"/>); the test clips come from the test images, scored by <c>recur video eval RUN --split test</c>.
/// </summary>
public sealed class VideoDefinition : TaskDefinition<LabeledImages, VideoSettings, LoadedVideo>
{
    // Before Instance: the instance's options read it.
    /// <summary>The model choices of <c>--model</c>.</summary>
    public static IReadOnlyList<string> Models { get; } =
        [.. CellRegistry.All.Select(c => c.Name).Where(n => n is "lstm" or "gru" or "rnn"), VideoClassifierConfig.Average, VideoClassifierConfig.Middle];

    /// <summary>The definition.</summary>
    public static VideoDefinition Instance { get; } = new();

    /// <inheritdoc/>
    public override CheckpointFormat<LoadedVideo> Checkpoint => VideoCheckpoint.Instance;

    /// <inheritdoc/>
    public override string Summary => "video of moving Fashion-MNIST objects: per-frame visibility and the clip's action; average/middle baselines";

    /// <summary>
    /// The recipe: an LSTM of 256 over frame projections of 256, Adam 2e-3 with a cosine schedule, clipping at 5, batch 64,
    /// 10 minutes of training after the clips are encoded, no cap on epochs.
    /// </summary>
    public override TrainOptions Defaults { get; } = new()
    {
        Model = "lstm", Hidden = 256, Layers = 1, Optimizer = "adam", LearningRate = 2e-3, LrSchedule = "cosine", LrMin = 2e-5, GradClip = 5,
        BatchSize = 64, ValFrac = 0.05, EvalEvery = 1000, Minutes = 10, MaxEpochs = 0,
    };

    /// <inheritdoc/>
    public override IReadOnlyList<OptionSpec> SharedOptions { get; } = TrainOptionSpecs.All
        .Where(s => s.Flag is not ("embed" or "nonlinearity" or "state-size" or "expand" or "conv-width" or "heads" or "context"
            or "weight-drop" or "highway" or "seq-length" or "test-frac" or "sample-every" or "bucket"))
        .Select(s => s.Flag switch
        {
            "model" => s with { Value = string.Join("|", Models), Choices = Models, AlsoAccepts = null, ChoicesText = null,
                Help = "the recurrence over the frames, or a baseline without one: average (the frames' mean), middle (one frame)" },
            "val-frac" => s with { Help = "validation clips, F x --clips of them, from the last 1/12 of the training images (no training clip uses them)" },
            _ => s,
        }).ToArray();

    /// <inheritdoc/>
    public override IReadOnlyList<OptionSpec<VideoSettings>> Options => VideoSettings.Specs;

    /// <inheritdoc/>
    public override string DefaultData => FashionMnist.DefaultDirectory;

    /// <summary>The Fashion-MNIST training images at <paramref name="path"/>.</summary>
    public override LabeledImages LoadData(string path) => TrainingImages.Load(path);

    /// <summary>The record of the images a run was trained on (their number and a checksum of their labels).</summary>
    public override DataInfo DataOf(LabeledImages data, string source) => TrainingImages.Record(data, source);

    /// <summary>Without <c>--eval-every</c>, a new run evaluates once an epoch of its training clips.</summary>
    protected override int? TrainingExamples(TrainOptions options, VideoSettings settings, LabeledImages data)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return settings.Clips.Train;
    }

    /// <summary>The frame encoder of a new run, or an <see cref="ArgumentException"/> without one.</summary>
    public static SceneEncoder NewEncoder(VideoSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var cnn = settings.Encoder
            ?? throw new ArgumentException("video train needs --encoder CNN_RUN, a run of recur classify --model cnn (or --resume RUN).");
        return new SceneEncoder(cnn, settings.GridPool, features: settings.Features, windowStride: settings.WindowStride, padding: settings.Padding,
            channelMax: settings.ChannelMax);
    }

    /// <inheritdoc/>
    protected override LoadedVideo NewRun(TrainOptions options, VideoSettings settings, LabeledImages data)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(data);
        settings.Clips.Validate();
        var encoder = NewEncoder(settings);
        var config = new VideoClassifierConfig
        {
            Model = options.Model, FeatureDim = encoder.Locations(VideoClip.DefaultSide, VideoClip.DefaultSide) * encoder.FeatureDim,
            Projection = settings.Projection, Hidden = options.Hidden,
            Layers = options.Layers, Dropout = (float)options.Dropout, Actions = VideoActions.Count, Classes = data.ClassCount,
        };
        return new LoadedVideo(new VideoClassifier(config), encoder, settings.Clips);
    }

    /// <inheritdoc/>
    protected override LoadedVideo Rebuild(LoadedVideo saved) => new(new VideoClassifier(saved.Model.Config), saved.Encoder, saved.Clips);

    /// <inheritdoc/>
    protected override void Initialize(LoadedVideo run, TrainOptions options, Rng rng) => run.Model.Reset(rng, options.InitialForgetBias);

    /// <inheritdoc/>
    protected override ITrainingTask NewTask(LoadedVideo run, LabeledImages data, TrainOptions options, DataInfo info, Action<string, CheckpointProgress> write)
    {
        run.Encoder.Network.Threads = options.EffectiveThreads;
        var train = VideoDataset.Encode(run.Encoder, ClipGenerator.Training(data, run.Clips));
        var validation = VideoDataset.Encode(run.Encoder, ClipGenerator.Validation(data, run.Clips, options.ValFrac));
        return new VideoTask(options, run.Model, train, validation, write, info);
    }

    /// <summary>
    /// The clips an eval scores: <c>"validation"</c> (those of the run's <paramref name="valFrac"/>, drawn from the last 1/12
    /// of <paramref name="train"/>) or <c>"test"</c> (from <paramref name="test"/>).
    /// </summary>
    public static ClipSplit EvalSplit(LabeledImages train, LabeledImages test, ClipOptions clips, double valFrac, string split) => split switch
    {
        "validation" => ClipGenerator.Validation(train, clips, valFrac),
        "test" => ClipGenerator.Test(test, clips),
        _ => throw new ArgumentException($"the split is validation or test, not '{split}'.", nameof(split)),
    };
}
