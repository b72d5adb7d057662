using System.Globalization;
using Recur.IO;
using Recur.Models.Sentiment;
using Recur.Nn;
using Recur.Training;

namespace Recur.Tasks.Sentiment;

/// <summary>
/// Sentiment classification on the trainer (<c>recur sentiment train</c>): batches of reviews of like length
/// (<see cref="EpochOrder"/> with <c>--bucket</c>); evaluation reports the validation loss, accuracy and error, and the
/// error chooses <c>best/</c> (<see cref="BestBy"/>).
/// </summary>
public sealed class SentimentTask : EpochTask
{
    public SentimentTask(TrainOptions options, SentimentClassifier model, SentimentDataset train, SentimentDataset validation,
        Action<string, CheckpointProgress> writeModel, DataInfo data)
        : base(options, train?.Count ?? 0, writeModel, data, train?.Lengths)
    {
        ArgumentNullException.ThrowIfNull(model);
        Model = model; Train = train!; Validation = validation;
    }

    public const string TaskName = "sentiment";

    /// <summary>The name of the validation error among the metrics, the figure that keeps <c>best/</c>.</summary>
    public const string ErrorMetric = "error";

    public SentimentClassifier Model { get; }
    public SentimentDataset Train { get; }
    public SentimentDataset Validation { get; }
    public override string Name => TaskName;
    public override ParameterStore Store => Model.Store;
    public override int Threads { get => Model.Threads; set => Model.Threads = value; }
    public override string ItemName => "review";
    public override string LossUnit => "nats/review";
    public override bool HasValidation => Validation.Count > 0;

    /// <summary><c>best/</c> follows the validation error (ties: the lower loss), the figure eval reports.</summary>
    public override string BestBy => ErrorMetric;

    public override double TrainStep(Rng rng) => Model.TrainStep(Train.Batch(Batches.Next()), rng);

    public override TaskMetrics Evaluate()
    {
        var (s, _) = SentimentScore.Of(Model, Validation);
        return new TaskMetrics(s.Loss, new Dictionary<string, double> { [ErrorMetric] = s.Error, ["accuracy"] = s.Accuracy });
    }

    public override string Describe()
    {
        var c = Model.Config;
        return string.Create(CultureInfo.InvariantCulture,
            $"sentiment: words {c.Words:N0} x {c.Embed} -> BiLSTM {c.Hidden} x {c.Layers} -> {c.Pooling} pooling -> 2 classes; "
                + $"{Store.Count:N0} parameters; train {Train.Count:N0} reviews ({Train.Tokens:N0} tokens, the first {c.MaxTokens} of each) / val "
                + $"{Validation.Count:N0}; batch {Options.BatchSize}");
    }
}
