using System.Globalization;
using Recur.Data;
using Recur.Data.Scenes;
using Recur.IO;
using Recur.Models.Vqa;
using Recur.Nn;
using Recur.Training;

namespace Recur.Tasks.Vqa;

/// <summary>
/// Visual question answering on the trainer (<c>recur vqa train</c>): batches of questions (<see cref="EpochOrder"/>)
/// with their scenes' features; evaluation reports the validation loss and accuracy.
/// </summary>
public sealed class VqaTask : EpochTask
{
    private readonly Tensor _x;
    private readonly int[] _q, _c, _a;
    private readonly List<int[]> _memberOrders = [];                           // members 2 .. M: this epoch's order of each
    private readonly List<(Tensor, int[], int[], int[])> _memberBatches = [];  // members 2 .. M: each one's batch
    private int _memberEpoch = -1;
    public VqaTask(TrainOptions options, VqaModel model, VqaDataset train, VqaDataset validation, Action<string, CheckpointProgress> writeModel, DataInfo data)
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
        _q = new int[B * SceneQuestions.MaxWords]; _c = new int[B * 4]; _a = new int[B];
    }
    public VqaModel Model { get; }
    public VqaDataset Train { get; }
    public VqaDataset Validation { get; }
    public override string Name => VqaCheckpoint.TaskName;
    public override ParameterStore Store => Model.Store;
    public override int Threads { get => Model.Threads; set => Model.Threads = value; }
    public override string ItemName => "q";
    public override string LossUnit => "nats";
    public override bool HasValidation => Validation.Count > 0;

    public override double TrainStep(Rng rng)
    {
        var at = Batches.Position;
        Train.Fill(Batches.Next(), _x, _q, _c, _a);
        if (Model.Config.Members == 1) return Model.TrainStep(_x, _q, _c, _a).Loss;
        return Model.TrainStep([(_x, _q, _c, _a), .. Enumerable.Range(1, Model.Config.Members - 1).Select(m => MemberBatch(m, at))]);
    }

    /// <summary>
    /// Member <paramref name="m"/>'s batch at <paramref name="at"/>: batch <c>at.Batch</c> of the epoch's order drawn from a seed
    /// of the member's own (the first member's is the run's), so that each member visits the questions in an order of its own
    /// while the run's position alone says where every member is.
    /// </summary>
    private (Tensor, int[], int[], int[]) MemberBatch(int m, StreamPosition at)
    {
        int B = Options.BatchSize;
        if (_memberEpoch != at.Epoch || _memberOrders.Count == 0)
        {
            _memberOrders.Clear();
            for (int k = 1; k < Model.Config.Members; k++)
                _memberOrders.Add(EpochOrder.Order(Train.Count, Options.Seed + 0x6D656D626572UL * (ulong)k, at.Epoch)); // "member"
            _memberEpoch = at.Epoch;
        }
        while (_memberBatches.Count < m) // (B, L, D) features, (B, MaxWords) questions, (B, 4) choices, (B) answers
            _memberBatches.Add((new Tensor(B, Train.Locations, Train.FeatureDim), new int[B * SceneQuestions.MaxWords], new int[B * 4], new int[B]));
        var (x, q, c, a) = _memberBatches[m - 1];
        Train.Fill(_memberOrders[m - 1].AsSpan(at.Batch * B, B), x, q, c, a);
        return (x, q, c, a);
    }

    /// <summary>The validation figure that chooses <c>best/</c>: the share of questions answered wrong (1 - accuracy), the task's figure.</summary>
    public const string ErrorMetric = "error";

    /// <inheritdoc/>
    public override string BestBy => ErrorMetric;

    public override TaskMetrics Evaluate()
    {
        var s = VqaScore.Of(Model, Validation);
        return new TaskMetrics(s.Loss, new Dictionary<string, double> { [ErrorMetric] = 1 - s.Accuracy, ["accuracy"] = s.Accuracy });
    }

    public override string Describe()
    {
        var c = Model.Config;
        return string.Create(CultureInfo.InvariantCulture,
            $"{(c.Blind ? "question-only (blind) " : "")}VQA{(c.Members > 1 ? $", an ensemble of {c.Members} networks" : "")}: LSTM {c.Hidden} over questions"
            + $"{(c.Blind ? "" : $", attention {c.AttentionDim} over {c.GridRows}x{c.GridCols} locations of {c.FeatureDim} features")}, "
            + $"fusion {c.Fusion}; {Store.Count:N0} parameters; train {Train.Count:N0} / val {Validation.Count:N0} questions; batch {Options.BatchSize}");
    }
}
