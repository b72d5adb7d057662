using System.Globalization;
using Recur.Data.Scenes;
using Recur.IO;
using Recur.Models.Glimpse;
using Recur.Nn;
using Recur.Training;

namespace Recur.Tasks.Glimpse;

/// <summary>
/// DRAM on the trainer (<c>recur glimpse train --model dram</c>): batches of training scenes (<see cref="EpochTask"/>: an order
/// of the training scenes shuffled from the seed and the epoch, the last partial batch skipped), each step the model's hybrid loss
/// (<see cref="DeepRecurrentAttentionModel.Loss(ReadOnlySpan{int})"/>) with the location noise from the trainer's stream, so a
/// resumed run draws the same. Evaluation scores the scenes it was given (<see cref="DramScore.Of"/>): the loss, and
/// <c>error</c> (1 - sequence accuracy; it chooses best/), <c>sequence_accuracy</c>, <c>object_accuracy</c>,
/// <c>count_accuracy</c> and <c>pixels_read</c>.
/// </summary>
public sealed class DramTask : EpochTask
{
    /// <summary>The figure that chooses best/: the fraction of the scenes not read exactly.</summary>
    public const string ErrorMetric = "error";

    private readonly Tensor _x;      // (B, H W) the batch's scenes
    private readonly int[] _targets; // (B, S)

    /// <summary>
    /// The task: <paramref name="model"/> trained on <paramref name="train"/>, evaluated on <paramref name="validation"/> (the test
    /// scenes for a test score); <paramref name="writeModel"/> writes the model's checkpoint files.
    /// </summary>
    public DramTask(TrainOptions options, DeepRecurrentAttentionModel model, SceneSplit train, SceneSplit validation, DataInfo data,
        Action<string, CheckpointProgress> writeModel)
        : base(options, Checked(options, model, train, validation), writeModel, data)
    {
        Model = model; Train = train; Validation = validation;
        _x = new Tensor(options.BatchSize, model.Config.Width * model.Config.Height);
        _targets = new int[options.BatchSize * model.Config.Slots];
    }

    private static int Checked(TrainOptions options, DeepRecurrentAttentionModel model, SceneSplit train, SceneSplit validation)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(validation);
        if (train.Scenes.Count < options.BatchSize)
            throw new ArgumentException($"the training split has {train.Scenes.Count} scene(s), fewer than --batch-size {options.BatchSize}.");
        return train.Scenes.Count;
    }

    /// <inheritdoc/>
    public override string Name => DramCheckpoint.TaskName;

    /// <summary>The model.</summary>
    public DeepRecurrentAttentionModel Model { get; }

    /// <summary>Training scenes.</summary>
    public SceneSplit Train { get; }

    /// <summary>The scenes <see cref="Evaluate"/> scores.</summary>
    public SceneSplit Validation { get; }

    /// <inheritdoc/>
    public override ParameterStore Store => Model.Store;

    /// <inheritdoc/>
    public override int Threads { get => Model.Threads; set => Model.Threads = value; }

    /// <inheritdoc/>
    public override string ItemName => "scene";

    /// <inheritdoc/>
    public override string LossUnit => "nats";

    /// <inheritdoc/>
    public override bool HasValidation => Validation.Scenes.Count > 0;

    /// <inheritdoc/>
    public override string BestBy => ErrorMetric;

    /// <inheritdoc/>
    public override double TrainStep(Rng rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        int B = Options.BatchSize;
        DramBatch.Fill(Train, Batches.Next(), Model.Config, _x.Data, _targets);
        Model.Forward(_x, Model.Noise(rng, B));
        var loss = Model.Loss(_targets);
        Store.ZeroGrad();
        Model.Backward();
        return loss.Total;
    }

    /// <inheritdoc/>
    public override TaskMetrics Evaluate()
    {
        var s = DramScore.Of(Model, Validation);
        return new TaskMetrics(s.Loss, new Dictionary<string, double>
        {
            [ErrorMetric] = s.Error, ["sequence_accuracy"] = s.SequenceAccuracy, ["object_accuracy"] = s.ObjectAccuracy,
            ["count_accuracy"] = s.CountAccuracy, ["pixels_read"] = s.PixelsRead,
        });
    }

    /// <inheritdoc/>
    public override string Describe()
    {
        var c = Model.Config;
        long values = (long)c.Steps * c.GlimpseSize;
        int pixels = c.Width * c.Height;
        return string.Create(CultureInfo.InvariantCulture,
            $"{DramSummary.Of(c)}; {Store.Count:N0} parameters; reads {values:N0} values of {pixels:N0} pixels ({100.0 * values / pixels:F1} %) "
            + $"and a {c.Height / c.ContextPool}x{c.Width / c.ContextPool} context; train {Train.Scenes.Count:N0} scenes / val "
            + $"{Validation.Scenes.Count:N0} ({Validation.Name}); batch {Options.BatchSize}");
    }
}

/// <summary>A DRAM model in a few words.</summary>
public static class DramSummary
{
    /// <summary>The architecture of <paramref name="c"/> in one line.</summary>
    public static string Of(DramConfig c)
    {
        ArgumentNullException.ThrowIfNull(c);
        string into = c.ReinforceIntoLower ? ", REINFORCE into r1" : "";
        string each = c.GlimpsesPerObject == 1 ? "1 glimpse" : $"{c.GlimpsesPerObject} glimpses";
        return string.Create(CultureInfo.InvariantCulture,
            $"DRAM: {c.Objects} objects + end, {each} each ({c.Steps} in all) of {c.Scales} scale(s) of {c.Patch}x{c.Patch} "
            + $"(widest {c.WidestPatch} px), glimpse network {c.GlimpseHidden} + {c.LocationHidden} -> {c.GlimpseOut}, r1 {c.LowerHidden}, "
            + $"r2 {c.UpperHidden}, context /{c.ContextPool}, σ {c.Sigma}{into}");
    }
}
