using System.Globalization;
using Recur.Data;
using Recur.Data.Scenes;
using Recur.IO;
using Recur.Models.Captioning;
using Recur.Nn;
using Recur.Training;

namespace Recur.Tasks;

/// <summary>
/// Image captioning on the trainer (<c>recur caption train</c>): each step takes the next batch of training scenes
/// (<see cref="EpochOrder"/>), their
/// feature grids from the frozen encoder and their canonical captions, and trains the captioner by teacher forcing.
/// Evaluation reports the validation loss per word and the exact-match rate of greedy captions on the validation scenes
/// (the caption read back by <see cref="CaptionParser"/> is exactly true of the scene).
/// </summary>
public sealed class CaptionTask : ITrainingTask
{
    private readonly EpochOrder _batches;
    private readonly int[] _captions;
    private readonly Tensor _x;

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
        _batches = new EpochOrder(train.Count, options.BatchSize, options.Seed);
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
    public int BatchesPerEpoch => _batches.BatchesPerEpoch;

    /// <inheritdoc/>
    public double EpochProgress => _batches.EpochProgress;

    /// <inheritdoc/>
    public long ItemsPerStep => Options.BatchSize;

    /// <inheritdoc/>
    public string ItemName => "img";

    /// <inheritdoc/>
    public string LossUnit => "nats/word";

    /// <inheritdoc/>
    public bool HasValidation => Validation.Count > 0;

    /// <summary>The next batch: (epoch, batch within the epoch).</summary>
    public StreamPosition Position { get => _batches.Position; set => _batches.Position = value; }

    /// <inheritdoc/>
    public double TrainStep(Rng rng)
    {
        Train.Fill(_batches.Next(), _x, _captions);
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
    public void SaveState(IDictionary<string, IntegerArray> integers, IDictionary<string, Tensor> tensors) => _batches.Save(integers);

    /// <inheritdoc/>
    public void LoadState(TrainingState state, string path) => _batches.Load(state, path);

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
