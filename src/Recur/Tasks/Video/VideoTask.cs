using System.Globalization;
using Recur.IO;
using Recur.Models.Video;
using Recur.Nn;
using Recur.Training;

namespace Recur.Tasks.Video;

/// <summary>
/// Video on the trainer (<c>recur video train</c>): batches of clips (<see cref="EpochOrder"/>) with their frames'
/// features; evaluation reports the loss, the action accuracy and the per-frame visibility F1 of the validation clips.
/// </summary>
public sealed class VideoTask : EpochTask
{
    private readonly Tensor _x;      // (T, B, F)
    private readonly int[] _actions; // (B)
    private readonly float[] _visible; // (T, B, C)

    /// <summary>A task over encoded training and validation clips.</summary>
    public VideoTask(TrainOptions options, VideoClassifier model, VideoDataset train, VideoDataset validation, Action<string, CheckpointProgress> writeModel,
        DataInfo data)
        : base(options, train?.Count ?? 0, writeModel, data)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(validation);
        if (train.FeatureDim != model.Config.FeatureDim || train.Classes != model.Config.Classes)
            throw new ArgumentException($"the clips have {train.FeatureDim} features and {train.Classes} classes a frame "
                + $"but the model reads {model.Config.FeatureDim} and {model.Config.Classes}.");
        Model = model; Train = train; Validation = validation;
        int B = options.BatchSize;
        _x = new Tensor(train.Frames, B, train.FeatureDim);
        _actions = new int[B];
        _visible = new float[train.Frames * B * train.Classes];
    }

    /// <summary>The model.</summary>
    public VideoClassifier Model { get; }

    /// <summary>The training clips.</summary>
    public VideoDataset Train { get; }

    /// <summary>The validation clips.</summary>
    public VideoDataset Validation { get; }

    public override string Name => VideoCheckpoint.TaskName;
    public override ParameterStore Store => Model.Store;
    public override int Threads { get => Model.Threads; set => Model.Threads = value; }
    public override string ItemName => "clip";
    public override string LossUnit => "nats";
    public override bool HasValidation => Validation.Count > 0;

    public override double TrainStep(Rng rng)
    {
        Train.Fill(Batches.Next(), _x, _actions, _visible);
        return Model.TrainStep(_x, _actions, _visible, rng).Loss;
    }

    public override TaskMetrics Evaluate()
    {
        var s = VideoScore.Of(Model, Validation);
        return new TaskMetrics(s.Loss, new Dictionary<string, double> { ["action_accuracy"] = s.ActionAccuracy, ["visible_f1"] = s.VisibleF1 });
    }

    public override string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"video: {Model.Summary}; {Store.Count:N0} parameters; {Train.Frames} frames of {Train.FeatureDim} features; "
        + $"train {Train.Count:N0} / val {Validation.Count:N0} clips; batch {Options.BatchSize}");
}
