using System.Globalization;
using Recur.Data;
using Recur.Data.Scenes;
using Recur.IO;
using Recur.Models.Captioning;
using Recur.Nn;
using Recur.Training;

namespace Recur.Tasks;

/// <summary>
/// Image captioning on the trainer (<c>recur caption train</c>): each step takes the next batch of training scenes (an
/// epoch visits them in an order shuffled from the seed and the epoch, as <see cref="ClassifyTask.Order"/>), their
/// feature grids from the frozen encoder and their canonical captions, and trains the captioner by teacher forcing.
/// Evaluation reports the validation loss per word and the exact-match rate of greedy captions on the validation scenes
/// (the caption read back by <see cref="CaptionParser"/> is exactly true of the scene).
/// </summary>
public sealed class CaptionTask : ITrainingTask
{
    private readonly int[] _order, _batch, _captions;
    private readonly Tensor _x;
    private int _epoch = -1, _next;

    public CaptionTask(TrainOptions options, ICaptioner model, CaptionDataset train, CaptionDataset validation, Func<string, CheckpointProgress, bool>? writeModel, DataInfo data)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(validation);
        if (train.Count < options.BatchSize) throw new ArgumentException($"{train.Count} training scenes, fewer than --batch-size {options.BatchSize}.");
        if (train.Locations != model.Config.Locations || train.FeatureDim != model.Config.FeatureDim)
            throw new ArgumentException($"the features are {train.Locations} x {train.FeatureDim} but the captioner reads {model.Config.Locations} x {model.Config.FeatureDim}.");
        Options = options; Model = model; Train = train; Validation = validation; Data = data;
        _writeModel = writeModel;
        _order = new int[train.Count];
        _batch = new int[options.BatchSize];
        _captions = new int[options.BatchSize * train.Width];
        _x = new Tensor(options.BatchSize, train.Locations, train.FeatureDim);
    }

    private readonly Func<string, CheckpointProgress, bool>? _writeModel;

    /// <summary>The checkpoint task name.</summary>
    public const string TaskName = "caption";

    /// <inheritdoc/>
    public string Name => TaskName;

    public TrainOptions Options { get; }
    public ICaptioner Model { get; }
    public CaptionDataset Train { get; }
    public CaptionDataset Validation { get; }
    public DataInfo Data { get; }

    /// <inheritdoc/>
    public ParameterStore Store => Model.Store;

    /// <inheritdoc/>
    public int Threads { get => Model.Threads; set => Model.Threads = value; }

    /// <inheritdoc/>
    public int BatchesPerEpoch => Train.Count / Options.BatchSize;

    /// <inheritdoc/>
    public double EpochProgress => Position.Epoch + (double)_next / BatchesPerEpoch;

    /// <inheritdoc/>
    public long ItemsPerStep => Options.BatchSize;

    /// <inheritdoc/>
    public string ItemName => "img";

    /// <inheritdoc/>
    public string LossUnit => "nats/word";

    /// <inheritdoc/>
    public bool HasValidation => Validation.Count > 0;

    /// <summary>The next batch: (epoch, batch within the epoch).</summary>
    public StreamPosition Position
    {
        get => new(_epoch < 0 ? 0 : _epoch, _next);
        set
        {
            if (value.Epoch < 0 || value.Batch < 0 || value.Batch >= BatchesPerEpoch)
                throw new ArgumentOutOfRangeException(nameof(value), value, $"position must have epoch >= 0 and batch in [0, {BatchesPerEpoch}).");
            Shuffle(value.Epoch);
            _next = value.Batch;
        }
    }

    private void Shuffle(int epoch)
    {
        if (_epoch == epoch) return;
        ClassifyTask.Order(_order.Length, Options.Seed, epoch).CopyTo(_order, 0);
        _epoch = epoch;
    }

    /// <inheritdoc/>
    public double TrainStep(Rng rng)
    {
        if (_epoch < 0) Shuffle(0);
        int B = Options.BatchSize;
        _order.AsSpan(_next * B, B).CopyTo(_batch);
        Train.Fill(_batch, _x, _captions);
        if (++_next == BatchesPerEpoch) { Shuffle(_epoch + 1); _next = 0; }
        return Model.TrainStep(_x, _captions, rng).Total;
    }

    /// <inheritdoc/>
    public TaskMetrics Evaluate()
    {
        var (loss, _) = MeanLoss(Model, Validation);
        double exact = ExactMatch(Model, Validation);
        return new TaskMetrics(loss, new Dictionary<string, double> { ["exact_match"] = exact });
    }

    /// <summary>The mean cross-entropy per word (and the regulariser, per batch averaged) over a dataset, in batches of 256.</summary>
    public static (double CrossEntropy, double Regulariser) MeanLoss(ICaptioner model, CaptionDataset set)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(set);
        double ce = 0, reg = 0;
        long words = 0;
        int batches = 0;
        for (int start = 0; start < set.Count; start += 256)
        {
            int n = Math.Min(256, set.Count - start);
            var caps = set.Captions.AsSpan(start * set.Width, n * set.Width).ToArray();
            var l = model.Loss(set.FeaturesOf(start, n), caps);
            ce += l.CrossEntropy * l.Words;
            words += l.Words;
            reg += l.Regulariser;
            batches++;
        }
        return (words == 0 ? double.NaN : ce / words, batches == 0 ? 0 : reg / batches);
    }

    /// <summary>The fraction of scenes whose greedy caption is exactly true of them, decoded in batches of 256.</summary>
    public static double ExactMatch(ICaptioner model, CaptionDataset set)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(set);
        if (set.Count == 0) return double.NaN;
        int right = 0;
        for (int start = 0; start < set.Count; start += 256)
        {
            int n = Math.Min(256, set.Count - start);
            var decoded = CaptionDecoder.Greedy(model, set.FeaturesOf(start, n), set.Vocabulary);
            for (int i = 0; i < n; i++)
                if (CaptionParser.Parse(decoded[i].Text) is { } m && m.IsTrueOf(set.Scenes[start + i])) right++;
        }
        return (double)right / set.Count;
    }

    /// <inheritdoc/>
    public void SaveState(IDictionary<string, IntegerArray> integers, IDictionary<string, Tensor> tensors)
    {
        var p = Position;
        integers["position"] = new IntegerArray([p.Epoch, p.Batch]);
    }

    /// <inheritdoc/>
    public void LoadState(TrainingState state, string path)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (!state.TaskIntegers.TryGetValue("position", out var p) || p.Data.Length != 2 || p.Data[0] < 0 || p.Data[1] < 0 || p.Data[0] > int.MaxValue || p.Data[1] >= BatchesPerEpoch)
            throw new CheckpointFormatException($"{path}: 'position' should be (epoch, batch) with batch below {BatchesPerEpoch}.");
        Position = new StreamPosition((int)p.Data[0], (int)p.Data[1]);
    }

    /// <inheritdoc/>
    public void WriteModel(string directory, CheckpointProgress progress)
    {
        if (_writeModel is null) throw new InvalidOperationException("this caption task was built without a way to write its model.");
        _writeModel(directory, progress);
    }

    /// <inheritdoc/>
    public string Describe()
    {
        var c = Model.Config;
        return string.Create(CultureInfo.InvariantCulture,
            $"{c.Kind} captioner, hidden {c.Hidden}, embed {c.Embed}{(c.Kind == "attention" ? $", attention {c.AttentionDim}" : "")}, over {c.GridRows}x{c.GridCols} locations of {c.FeatureDim} features; {Store.Count:N0} parameters; vocabulary {c.Vocab}; train {Train.Count:N0} / val {Validation.Count:N0} scenes; batch {Options.BatchSize}");
    }

    /// <inheritdoc/>
    public string? Preview(ulong seed)
    {
        if (Validation.Count == 0) return null;
        int i = (int)(seed % (ulong)Validation.Count);
        var d = CaptionDecoder.Greedy(Model, Validation.FeaturesOf(i, 1), Validation.Vocabulary)[0];
        return $"\"{d.Text}\" (reference: \"{CaptionGrammar.Canonical(Validation.Scenes[i])}\")";
    }
}
