using System.Globalization;
using Recur.Data;
using Recur.IO;
using Recur.Models.Tagging;
using Recur.Nn;
using Recur.Training;

namespace Recur.Tasks.Tag;

/// <summary>
/// Part-of-speech tagging on the trainer (<c>recur tag train</c>): batches of sentences (<see cref="EpochOrder"/>);
/// evaluation reports the validation loss and token accuracy.
/// </summary>
public sealed class TagTask : EpochTask
{
    private readonly long _tokens;

    public TagTask(TrainOptions options, Tagger model, TagDataset train, TagDataset validation, IReadOnlySet<string> seen,
        Action<string, CheckpointProgress> writeModel, DataInfo data)
        : base(options, train?.Count ?? 0, writeModel, data, train?.Sentences.Select(s => s.Words.Count).ToArray())
    {
        ArgumentNullException.ThrowIfNull(model);
        Model = model; Train = train!; Validation = validation; Seen = seen;
        _tokens = train!.Tokens;
    }

    public const string TaskName = "tag";

    public Tagger Model { get; }
    public TagDataset Train { get; }
    public TagDataset Validation { get; }

    /// <summary>Training word types (lower case), for the unseen-word accuracy.</summary>
    public IReadOnlySet<string> Seen { get; }
    public override string Name => TaskName;
    public override ParameterStore Store => Model.Store;
    public override int Threads { get => Model.Threads; set => Model.Threads = value; }

    public override long ItemsPerStep => Math.Max(1, _tokens * Options.BatchSize / Math.Max(1, Train.Count));
    public override string ItemName => "tok";
    public override string LossUnit => "nats/token";
    public override bool HasValidation => Validation.Count > 0;

    public override double TrainStep(Rng rng) => Model.TrainStep(Train.Batch(Batches.Next()), rng);

    public override TaskMetrics Evaluate()
    {
        var s = TagScore.Of(Model, Validation, Seen);
        return new TaskMetrics(s.Loss, new Dictionary<string, double> { ["accuracy"] = s.Accuracy, ["unseen_accuracy"] = s.UnseenAccuracy });
    }

    public override string Describe()
    {
        var c = Model.Config;
        return string.Create(CultureInfo.InvariantCulture,
            $"tagger ({Train.Vocabulary.Tagset} tags, {c.Tags}): words {c.Words:N0} x {c.WordEmbed} + character BiLSTM {c.CharHidden}, sentence BiLSTM "
                + $"{c.Hidden} x {c.Layers}; {Store.Count:N0} parameters; train {Train.Count:N0} sentences ({Train.Tokens:N0} tokens) / val "
                + $"{Validation.Count:N0}; batch {Options.BatchSize}");
    }
}
