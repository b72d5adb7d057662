using System.Globalization;
using Recur.Data;
using Recur.IO;
using Recur.Models.G2p;
using Recur.Models.Seq2Seq;
using Recur.Nn;
using Recur.Training;

namespace Recur.Tasks;

/// <summary>Grapheme-to-phoneme conversion on the trainer (<c>recur g2p train</c>): batches of (word, pronunciation) pairs; evaluation reports the validation loss and the greedy word error rate on the validation words.</summary>
public sealed class G2pTask : ITrainingTask
{
    private readonly EpochOrder _batches;
    private readonly Action<string, CheckpointProgress> _writeModel;

    public G2pTask(TrainOptions options, Seq2SeqModel model, G2pDataset train, G2pDataset validation, Action<string, CheckpointProgress> writeModel, DataInfo data)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(train);
        Options = options; Model = model; Train = train; Validation = validation; Data = data; _writeModel = writeModel;
        _batches = new EpochOrder(train.Pairs.Count, options.BatchSize, options.Seed);
    }

    public const string TaskName = "g2p";
    public string Name => TaskName;
    public TrainOptions Options { get; }
    public Seq2SeqModel Model { get; }
    public G2pDataset Train { get; }
    public G2pDataset Validation { get; }
    public DataInfo Data { get; }
    public ParameterStore Store => Model.Store;
    public int Threads { get => Model.Threads; set => Model.Threads = value; }
    public int BatchesPerEpoch => _batches.BatchesPerEpoch;
    public double EpochProgress => _batches.EpochProgress;
    public long ItemsPerStep => Options.BatchSize;
    public string ItemName => "word";
    public string LossUnit => "nats/phone";
    public bool HasValidation => Validation.Pairs.Count > 0;

    public double TrainStep(Rng rng) => Model.TrainStep(Train.Batch(_batches.Next()), rng);

    public TaskMetrics Evaluate()
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
        return new TaskMetrics(n == 0 ? double.NaN : loss / n, new Dictionary<string, double> { ["wer"] = score.Wer, ["per"] = score.Per });
    }

    public void SaveState(IDictionary<string, IntegerArray> integers, IDictionary<string, Tensor> tensors) => _batches.Save(integers);

    public void LoadState(TrainingState state, string path) => _batches.Load(state, path);

    public void WriteModel(string directory, CheckpointProgress progress) => _writeModel(directory, progress);

    public string Describe()
    {
        var c = Model.Config;
        return string.Create(CultureInfo.InvariantCulture,
            $"g2p: letters ({c.SourceVocab}) -> BiLSTM {c.Hidden} x {c.Layers} -> LSTM {c.DecoderHidden} decoder, attention {c.Attention} -> phonemes ({c.TargetVocab}); {Store.Count:N0} parameters; train {Train.Words.Count:N0} words ({Train.Pairs.Count:N0} pronunciations) / val {Validation.Words.Count:N0}; batch {Options.BatchSize}");
    }

    public string? Preview(ulong seed)
    {
        if (Validation.Words.Count == 0) return null;
        string w = Validation.Words[(int)(seed % (ulong)Validation.Words.Count)];
        return $"{w}: {string.Join(' ', G2pScore.Pronounce(Model, [w], Validation.Symbols)[0])}";
    }
}
