using System.Globalization;
using Recur.IO;
using Recur.Models.Seq2Seq;
using Recur.Nn;
using Recur.Training;

namespace Recur.Tasks.Translate;

/// <summary>
/// English-to-French translation on the trainer (<c>recur translate train</c>): batches of pairs (with
/// <see cref="TrainOptions.Bucket"/>, of like length); evaluation reports the validation loss per target symbol, the
/// greedy BLEU and chrF on the validation pairs and their placeholder error rate, and <c>best/</c> follows the BLEU
/// (<see cref="BestBy"/>: <c>100 - BLEU</c>, as the trainer keeps the lowest figure).
/// </summary>
public sealed class TranslateTask : EpochTask
{
    public TranslateTask(TrainOptions options, ISeq2SeqModel model, TranslationDataset train, TranslationDataset validation,
        Action<string, CheckpointProgress> writeModel, DataInfo data, string architecture, int catalogues)
        : base(options, train?.Pairs.Count ?? 0, writeModel, data, train?.Lengths)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(validation);
        Model = model; Train = train!; Validation = validation; Architecture = architecture; Catalogues = catalogues;
    }

    public const string TaskName = "translate";

    /// <summary>The figure that keeps <c>best/</c>: 100 minus the greedy validation BLEU.</summary>
    public const string BleuGapMetric = "bleu_gap";

    /// <summary>Pairs per batch when the validation loss is computed.</summary>
    public const int LossBatch = 64;

    public ISeq2SeqModel Model { get; }
    public TranslationDataset Train { get; }
    public TranslationDataset Validation { get; }
    public string Architecture { get; }
    public int Catalogues { get; }
    public override string Name => TaskName;
    public override ParameterStore Store => Model.Store;
    public override int Threads { get => Model.Threads; set => Model.Threads = value; }
    public override string ItemName => "pair";
    public override string LossUnit => "nats/symbol";
    public override bool HasValidation => Validation.Pairs.Count > 0;
    public override string BestBy => BleuGapMetric;

    public override double TrainStep(Rng rng) => Model.TrainStep(Train.Batch(Batches.Next()), rng);

    public override TaskMetrics Evaluate()
    {
        double loss = 0;
        long symbols = 0;
        for (int start = 0; start < Validation.Pairs.Count; start += LossBatch)
        {
            int count = Math.Min(LossBatch, Validation.Pairs.Count - start);
            var batch = Validation.Batch([.. Enumerable.Range(start, count)]);
            long n = Enumerable.Range(start, count).Sum(i => (long)Validation.Targets[i].Length + 1);
            loss += Model.Loss(batch) * n;
            symbols += n;
        }
        var outputs = Translator.Translate(Model, Validation.Vocabulary, Validation.Sources);
        var score = TranslationScore.Of("greedy", Validation.Pairs, [.. outputs.Select(o => o.Text)], [.. outputs.Select(o => o.InventedSlots)]);
        return new TaskMetrics(symbols == 0 ? double.NaN : loss / symbols, new Dictionary<string, double>
        {
            [BleuGapMetric] = 100 - score.Bleu, ["bleu"] = score.Bleu, ["chrf"] = score.ChrF, ["placeholder_errors"] = score.PlaceholderErrorRate,
        });
    }

    public override string Describe()
    {
        var m = Model;
        return string.Create(CultureInfo.InvariantCulture,
            $"translate ({Architecture}): English ({m.SourceVocab:N0} symbols) -> {TranslationModels.Describe(m)} "
            + $"-> French ({m.TargetVocab:N0} symbols); {Store.Count:N0} parameters; {Catalogues} catalogues; "
            + $"train {Train.Pairs.Count:N0} pairs ({Train.LeftOut:N0} left out, target over {m.MaxTarget} symbols) / val {Validation.Pairs.Count:N0}; "
            + $"batch {Options.BatchSize}");
    }

    public override string? Preview(ulong seed)
    {
        if (Validation.Pairs.Count == 0) return null;
        int i = (int)(seed % (ulong)Validation.Pairs.Count);
        return $"{Validation.Pairs[i].Source} -> {Translator.Translate(Model, Validation.Vocabulary, [Validation.Sources[i]])[0].Text}";
    }
}
