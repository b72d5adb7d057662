using System.Globalization;
using Recur.Data.Glimpse;
using Recur.IO;
using Recur.Nn;
using Recur.Training;

namespace Recur.Tasks.Glimpse;

/// <summary>
/// Glimpses on the trainer (<c>recur glimpse train</c>): batches of training canvases (<see cref="EpochTask"/>: an order of the
/// training objects shuffled from the seed and the epoch, the last partial batch skipped), each canvas drawn afresh for its epoch
/// (<see cref="ClutteredSplit"/>), the model's own loss (<see cref="IClutterClassifier.TrainStep"/>, its random draws from the
/// trainer's stream, so a resumed run draws the same). Evaluation scores the fixed validation canvases
/// (<see cref="GlimpseScore.Of"/>): the cross-entropy as the loss, and <c>error</c> (which chooses best/), <c>accuracy</c> and
/// <c>pixels_read</c>.
/// </summary>
public sealed class GlimpseTask : EpochTask
{
    /// <summary>The task's name: the command word, the run folder's suffix and config.json's <c>"task"</c>.</summary>
    public const string TaskName = "glimpse";

    /// <summary>The figure that chooses best/: the validation error.</summary>
    public const string ErrorMetric = "error";

    private readonly Tensor _x;     // (B, S S) the batch's canvases
    private readonly int[] _labels; // (B)

    /// <summary>
    /// The task: <paramref name="model"/> trained on <paramref name="train"/>, evaluated on <paramref name="validation"/> (the test
    /// canvases for a test score); <paramref name="writeModel"/> writes the model's checkpoint files.
    /// </summary>
    public GlimpseTask(TrainOptions options, IClutterClassifier model, ClutteredSplit train, ClutteredSplit validation, DataInfo data,
        Action<string, CheckpointProgress> writeModel)
        : base(options, Checked(options, model, train, validation), writeModel, data)
    {
        Model = model; Train = train; Validation = validation;
        _x = new Tensor(options.BatchSize, train.Pixels);
        _labels = new int[options.BatchSize];
    }

    private static int Checked(TrainOptions options, IClutterClassifier model, ClutteredSplit train, ClutteredSplit validation)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(validation);
        CheckSize(model, train);
        CheckSize(model, validation);
        if (train.Count < options.BatchSize)
            throw new ArgumentException($"the training split has {train.Count} object(s), fewer than --batch-size {options.BatchSize}.");
        return train.Count;
    }

    /// <summary>Refuses canvases of another side than the model's.</summary>
    internal static void CheckSize(IClutterClassifier model, ClutteredSplit split)
    {
        if (split.Options.Size != model.Side)
            throw new ArgumentException($"the {split.Name} canvases are {split.Options.Size}x{split.Options.Size}, the model reads {model.Side}x{model.Side}.");
    }

    /// <inheritdoc/>
    public override string Name => TaskName;

    /// <summary>The model.</summary>
    public IClutterClassifier Model { get; }

    /// <summary>Training canvases.</summary>
    public ClutteredSplit Train { get; }

    /// <summary>The canvases <see cref="Evaluate"/> scores.</summary>
    public ClutteredSplit Validation { get; }

    /// <inheritdoc/>
    public override ParameterStore Store => Model.Store;

    /// <inheritdoc/>
    public override int Threads { get => Model.Threads; set => Model.Threads = value; }

    /// <inheritdoc/>
    public override string ItemName => "img";

    /// <inheritdoc/>
    public override string LossUnit => "nats";

    /// <inheritdoc/>
    public override bool HasValidation => Validation.Count > 0;

    /// <inheritdoc/>
    public override string BestBy => ErrorMetric;

    /// <inheritdoc/>
    public override double TrainStep(Rng rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        int epoch = Batches.Position.Epoch;
        Train.Fill(Batches.Next(), epoch, _x.Data, _labels);
        return Model.TrainStep(_x, _labels, rng);
    }

    /// <inheritdoc/>
    public override TaskMetrics Evaluate()
    {
        var s = GlimpseScore.Of(Model, Validation);
        return new TaskMetrics(s.Loss, new Dictionary<string, double>
        {
            [ErrorMetric] = s.Error, ["accuracy"] = s.Accuracy, ["pixels_read"] = s.PixelsRead,
        });
    }

    /// <inheritdoc/>
    public override string Describe()
    {
        var o = Train.Options;
        return string.Create(CultureInfo.InvariantCulture,
            $"{Model.Summary}; {Store.Count:N0} parameters; reads {Model.ValuesRead:N0} values of {Train.Pixels:N0} pixels "
            + $"({100.0 * Model.ValuesRead / Train.Pixels:F2} %); {o.Size}x{o.Size} canvases, {o.Clutter} clutter pieces; "
            + $"train {Train.Count:N0} objects an epoch (fresh canvases each epoch) / val {Validation.Count:N0} canvases; batch {Options.BatchSize}");
    }
}
