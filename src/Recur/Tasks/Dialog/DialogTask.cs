using System.Globalization;
using Recur.Data;
using Recur.Data.Dialog;
using Recur.IO;
using Recur.Models.Dialog;
using Recur.Nn;
using Recur.Training;

namespace Recur.Tasks.Dialog;

/// <summary>
/// Visual dialog on the trainer (<c>recur dialog train</c>): batches of dialogs (<see cref="EpochOrder"/>) with their scenes'
/// features, every round answered; evaluation reports the validation loss, accuracy, and accuracy on the rounds that need the
/// history.
/// </summary>
public sealed class DialogTask : EpochTask
{
    private readonly Tensor _x;     // (B, L, D) the batch's scenes' features
    private readonly int[] _q, _a;  // (B, R, T) question tokens; (B, R) answers

    public DialogTask(TrainOptions options, DialogModel model, DialogDataset train, DialogDataset validation, Action<string, CheckpointProgress> writeModel,
        DataInfo data)
        : base(options, train?.Count ?? 0, writeModel, data)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(validation);
        if (train.Locations != model.Config.Locations || train.FeatureDim != model.Config.FeatureDim)
            throw new ArgumentException($"the features are {train.Locations} x {train.FeatureDim} "
                + $"but the model reads {model.Config.Locations} x {model.Config.FeatureDim}.");
        Model = model; Train = train; Validation = validation;
        int B = options.BatchSize;
        _x = new Tensor(B, train.Locations, train.FeatureDim);
        _q = new int[B * train.Rounds * DialogWords.MaxWords];
        _a = new int[B * train.Rounds];
    }

    public DialogModel Model { get; }
    public DialogDataset Train { get; }
    public DialogDataset Validation { get; }
    public override string Name => DialogCheckpoint.TaskName;
    public override ParameterStore Store => Model.Store;
    public override int Threads { get => Model.Threads; set => Model.Threads = value; }
    public override string ItemName => "dlg";
    public override string LossUnit => "nats";
    public override bool HasValidation => Validation.Count > 0;

    /// <summary>The validation figure that chooses <c>best/</c>: the share of rounds answered wrong (1 - accuracy), the task's figure.</summary>
    public const string ErrorMetric = "error";

    /// <inheritdoc/>
    public override string BestBy => ErrorMetric;

    public override double TrainStep(Rng rng)
    {
        Train.Fill(Batches.Next(), _x, _q, _a);
        return Model.TrainStep(_x, _q, _a).Loss;
    }

    public override TaskMetrics Evaluate()
    {
        var s = DialogScore.Of(Model, Validation);
        var extra = new Dictionary<string, double> { [ErrorMetric] = 1 - s.Accuracy, ["accuracy"] = s.Accuracy };
        if (s.NeedsHistory.Total > 0) extra["history_accuracy"] = s.HistoryAccuracy;
        return new TaskMetrics(s.Loss, extra);
    }

    public override string Describe()
    {
        var c = Model.Config;
        int needing = Train.Dialogs.Sum(d => d.Rounds.Count(r => r.NeedsHistory));
        return string.Create(CultureInfo.InvariantCulture,
            $"{(c.Blind ? "question-only (blind) " : "")}visual dialog: LSTM {c.Hidden} over questions, history {c.History}"
            + $"{(c.Blind ? "" : $", {c.Hops} attention hop(s) {c.AttentionDim} over {c.GridRows}x{c.GridCols} locations of {c.FeatureDim} features")}, "
            + $"fusion {c.Fusion}; {Store.Count:N0} parameters; train {Train.Count:N0} dialogs of {Train.Rounds} rounds "
            + $"({(double)needing / Math.Max(1, Train.Count * Train.Rounds):P0} need the history) / val {Validation.Count:N0}; batch {Options.BatchSize}");
    }
}
