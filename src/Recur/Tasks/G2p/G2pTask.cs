using System.Globalization;
using Recur.Data;
using Recur.IO;
using Recur.Models.Seq2Seq;
using Recur.Nn;
using Recur.Training;

namespace Recur.Tasks.G2p;

/// <summary>
/// Grapheme-to-phoneme conversion on the trainer (<c>recur g2p train</c>): batches of (word, pronunciation) pairs (with
/// <see cref="TrainOptions.Bucket"/>, of similar letters + phonemes); evaluation reports the validation loss and the greedy
/// word and phoneme error rates on the validation words, and the word error rate chooses (<see cref="BestBy"/>).
/// </summary>
public sealed class G2pTask : EpochTask
{
    public G2pTask(TrainOptions options, ISeq2SeqModel model, G2pDataset train, G2pDataset validation, Action<string, CheckpointProgress> writeModel,
        DataInfo data)
        : base(options, train?.Pairs.Count ?? 0, writeModel, data, train?.Pairs.Select(p => p.Word.Length + p.Phones.Count).ToArray())
    {
        ArgumentNullException.ThrowIfNull(model);
        Model = model; Train = train!; Validation = validation;
    }

    public const string TaskName = "g2p";

    public ISeq2SeqModel Model { get; }
    public G2pDataset Train { get; }
    public G2pDataset Validation { get; }
    public override string Name => TaskName;
    public override ParameterStore Store => Model.Store;
    public override int Threads { get => Model.Threads; set => Model.Threads = value; }
    public override string ItemName => "word";
    public override string LossUnit => "nats/phone";
    public override bool HasValidation => Validation.Pairs.Count > 0;

    /// <summary>The name of the word error rate among the metrics, the figure that keeps <c>best/</c>.</summary>
    public const string WerMetric = "wer";

    /// <summary><c>best/</c> and early stopping follow the validation word error rate (ties: the lower loss), the figure eval reports.</summary>
    public override string BestBy => WerMetric;

    public override double TrainStep(Rng rng) => Model.TrainStep(Train.Batch(Batches.Next()), rng);

    public override TaskMetrics Evaluate()
    {
        double loss = 0;
        int n = 0;
        for (int start = 0; start < Validation.Pairs.Count; start += 256)
        {
            int count = Math.Min(256, Validation.Pairs.Count - start);
            loss += Model.Loss(Validation.Batch([.. Enumerable.Range(start, count)])) * count;
            n += count;
        }
        var (score, _) = G2pScore.Of(Model, Validation.Words, Validation.Lexicon, Validation.Symbols);
        return new TaskMetrics(n == 0 ? double.NaN : loss / n, new Dictionary<string, double> { [WerMetric] = score.Wer, ["per"] = score.Per });
    }

    public override string Describe()
    {
        return string.Create(CultureInfo.InvariantCulture,
            $"g2p: letters ({Model.SourceVocab}) -> {G2pModels.Describe(Model)} "
            + $"-> phonemes ({Model.TargetVocab}); {Store.Count:N0} parameters; train {Train.Words.Count:N0} words ({Train.Pairs.Count:N0} pronunciations) "
            + $"/ val {Validation.Words.Count:N0}; batch {Options.BatchSize}");
    }

    public override string? Preview(ulong seed)
    {
        if (Validation.Words.Count == 0) return null;
        string w = Validation.Words[(int)(seed % (ulong)Validation.Words.Count)];
        return $"{w}: {string.Join(' ', G2pScore.Pronounce(Model, [w], Validation.Symbols)[0])}";
    }
}
