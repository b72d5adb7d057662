using System.Globalization;
using Recur.Data;
using Recur.IO;
using Recur.Models.Tagging;
using Recur.Nn;
using Recur.Training;

namespace Recur.Tasks.Tag;

/// <summary>How a tagger did on a set of sentences.</summary>
/// <param name="Loss">Mean cross-entropy per token.</param>
/// <param name="Accuracy">Tokens tagged right.</param>
/// <param name="Tokens">Tokens scored.</param>
/// <param name="UnseenAccuracy">Accuracy on the tokens whose word (lower-cased) never occurs in training.</param>
/// <param name="Unseen">Such tokens.</param>
/// <param name="Confusion">Counts <c>[true tag, predicted tag]</c>.</param>
public sealed record TagScore(double Loss, double Accuracy, long Tokens, double UnseenAccuracy, long Unseen, long[,] Confusion)
{
    /// <summary>
    /// Scores <paramref name="model"/> on <paramref name="set"/> in batches of 64 sentences; <paramref name="seen"/>
    /// holds the training words (lower case).
    /// </summary>
    public static TagScore Of(Tagger model, TagDataset set, IReadOnlySet<string> seen)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(set);
        ArgumentNullException.ThrowIfNull(seen);
        int K = model.Config.Tags;
        var gold = new List<int>();
        var predicted = new List<int>();
        var words = new List<string>();
        double loss = 0;
        for (int start = 0; start < set.Count; start += 64)
        {
            int n = Math.Min(64, set.Count - start);
            var idx = Enumerable.Range(start, n).ToArray();
            var batch = set.Batch(idx);
            var logits = model.Forward(batch);
            long count = batch.Lengths.Sum();
            loss += SoftmaxCrossEntropy.Loss<float>(logits.Data, batch.Steps * batch.Batch, K, batch.Targets!) * count;
            for (int t = 0; t < batch.Steps; t++)
                for (int b = 0; b < n; b++)
                {
                    if (t >= batch.Lengths[b]) continue;
                    int row = t * n + b;
                    gold.Add(batch.Targets![row]);
                    predicted.Add(System.Numerics.Tensors.TensorPrimitives.IndexOfMax(logits.Data.AsSpan(row * K, K)));
                    words.Add(set.Sentences[idx[b]].Words[t]);
                }
        }
        return FromPredictions(loss, gold, predicted, words, seen, K);
    }

    /// <summary>
    /// The score of <paramref name="predicted"/> tags against <paramref name="gold"/> ones, one per token, the tokens'
    /// words in <paramref name="words"/>: accuracy, and accuracy on the words (lower-cased) that <paramref name="seen"/>
    /// lacks; <paramref name="totalLoss"/> is the cross-entropy summed over the tokens.
    /// </summary>
    public static TagScore FromPredictions(double totalLoss, IReadOnlyList<int> gold, IReadOnlyList<int> predicted, IReadOnlyList<string> words,
        IReadOnlySet<string> seen, int tags)
    {
        ArgumentNullException.ThrowIfNull(gold);
        ArgumentNullException.ThrowIfNull(predicted);
        ArgumentNullException.ThrowIfNull(words);
        ArgumentNullException.ThrowIfNull(seen);
        if (predicted.Count != gold.Count || words.Count != gold.Count)
            throw new ArgumentException($"{gold.Count} gold tags, {predicted.Count} predicted and {words.Count} words.", nameof(predicted));
        var confusion = new long[tags, tags];
        long tokens = gold.Count, right = 0, unseen = 0, unseenRight = 0;
        for (int i = 0; i < gold.Count; i++)
        {
            confusion[gold[i], predicted[i]]++;
            bool ok = predicted[i] == gold[i];
            if (ok) right++;
            if (!seen.Contains(words[i].ToLowerInvariant())) { unseen++; if (ok) unseenRight++; }
        }
        return new TagScore(tokens == 0 ? double.NaN : totalLoss / tokens, tokens == 0 ? double.NaN : (double)right / tokens, tokens,
            unseen == 0 ? double.NaN : (double)unseenRight / unseen, unseen, confusion);
    }
}

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
