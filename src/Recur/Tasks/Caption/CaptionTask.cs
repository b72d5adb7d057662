using System.Globalization;
using Recur.Data;
using Recur.Data.Scenes;
using Recur.IO;
using Recur.Models.Captioning;
using Recur.Nn;
using Recur.Training;

namespace Recur.Tasks.Caption;

/// <summary>
/// Image captioning on the trainer (<c>recur caption train</c>): each step takes the next batch of training scenes
/// (<see cref="EpochOrder"/>), their
/// feature grids from the frozen encoder and their canonical captions, and trains the captioner by teacher forcing.
/// Evaluation reports the validation loss per word and the exact-match rate of greedy captions on the validation scenes
/// (the caption read back by <see cref="CaptionParser"/> is exactly true of the scene).
/// </summary>
public sealed class CaptionTask : EpochTask
{
    private readonly int[] _captions;
    private readonly Tensor _x;     // (B, L, D) the batch's features
    private readonly int _coordinates;

    /// <summary>
    /// A task over <paramref name="train"/>; the last <paramref name="coordinates"/> features of each location are its
    /// position (<see cref="SceneEncoder.Coordinates"/>), which <see cref="CaptionerConfig.FeatureDropout"/> leaves alone.
    /// </summary>
    public CaptionTask(TrainOptions options, ICaptioner model, CaptionDataset train, CaptionDataset validation, Action<string, CheckpointProgress> writeModel,
        DataInfo data, int coordinates = 0)
        : base(options, train?.Count ?? 0, writeModel, data)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(validation);
        if (train.Locations != model.Config.Locations || train.FeatureDim != model.Config.FeatureDim)
            throw new ArgumentException($"the features are {train.Locations} x {train.FeatureDim} "
                + $"but the captioner reads {model.Config.Locations} x {model.Config.FeatureDim}.");
        Model = model; Train = train; Validation = validation;
        _captions = new int[options.BatchSize * train.Width];
        _x = new Tensor(options.BatchSize, train.Locations, train.FeatureDim);
        if (coordinates < 0 || coordinates > train.FeatureDim)
            throw new ArgumentOutOfRangeException(nameof(coordinates), coordinates, $"a location has {train.FeatureDim} features.");
        _coordinates = coordinates;
    }

    /// <summary>The checkpoint task name.</summary>
    public const string TaskName = "caption";

    public ICaptioner Model { get; }
    public CaptionDataset Train { get; }
    public CaptionDataset Validation { get; }
    public override string Name => TaskName;
    public override ParameterStore Store => Model.Store;
    public override int Threads { get => Model.Threads; set => Model.Threads = value; }
    public override string ItemName => "img";
    public override string LossUnit => "nats/word";
    public override bool HasValidation => Validation.Count > 0;

    /// <inheritdoc/>
    public override double TrainStep(Rng rng)
    {
        Train.Fill(Batches.Next(), _x, _captions);
        DropFeatures(_x.Span, Train.FeatureDim, _coordinates, Model.Config.FeatureDropout, rng);
        return Model.TrainStep(_x, _captions, rng).Total;
    }

    /// <summary>
    /// Inverted dropout with probability <paramref name="p"/> on <paramref name="features"/> <c>(rows, D)</c>, every
    /// row's first <c>D - coordinates</c> features (the last <paramref name="coordinates"/> are left as they are): each is
    /// zeroed or scaled by <c>1/(1-p)</c>, the mask drawn from <paramref name="rng"/> row by row.
    /// </summary>
    public static void DropFeatures(Span<float> features, int featureDim, int coordinates, float p, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        if (featureDim < 1 || coordinates < 0 || coordinates > featureDim || features.Length % featureDim != 0)
            throw new ArgumentException($"{features.Length} features are not rows of {featureDim} with {coordinates} coordinates.");
        if (!(p >= 0f && p < 1f)) throw new ArgumentOutOfRangeException(nameof(p), p, "dropout must be in [0, 1).");
        if (p == 0f) return;
        var keep = new float[featureDim - coordinates]; // one row's mask
        for (int r = 0; r < features.Length / featureDim; r++)
        {
            Dropout.MakeMask(rng, p, keep);
            var f = features.Slice(r * featureDim, keep.Length);
            System.Numerics.Tensors.TensorPrimitives.Multiply(f, keep, f);
        }
    }

    /// <summary>The checkpoint state's name of hard attention's baseline: <c>(value, updates)</c> as two integers (the value's float bits).</summary>
    public const string BaselineStateName = "hard_attention.baseline";

    /// <summary>The batch position and, for hard attention, the REINFORCE baseline, bit for bit.</summary>
    public override void SaveState(IDictionary<string, IntegerArray> integers, IDictionary<string, Tensor> tensors)
    {
        base.SaveState(integers, tensors);
        if (Model is AttentionCaptioner { Config.Attention: "hard" } m)
            integers[BaselineStateName] = new IntegerArray([BitConverter.SingleToInt32Bits(m.Baseline.Value), m.Baseline.Updates]);
    }

    /// <inheritdoc/>
    public override void LoadState(TrainingState state, string path)
    {
        ArgumentNullException.ThrowIfNull(state);
        base.LoadState(state, path);
        if (Model is not AttentionCaptioner { Config.Attention: "hard" } m) return;
        if (!state.TaskIntegers.TryGetValue(BaselineStateName, out var saved) || saved.Data.Length != 2 || saved.Data[1] < 0
            || saved.Data[0] < int.MinValue || saved.Data[0] > int.MaxValue || !float.IsFinite(BitConverter.Int32BitsToSingle((int)saved.Data[0])))
            throw new CheckpointFormatException($"{path}: '{BaselineStateName}' (the hard attention baseline) is missing or malformed.");
        m.Baseline = new ReinforceBaseline(BitConverter.Int32BitsToSingle((int)saved.Data[0]), saved.Data[1]);
    }

    /// <inheritdoc/>
    public override TaskMetrics Evaluate()
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
    public override string Describe()
    {
        var c = Model.Config;
        string attention = c.Kind == "attention" ? $", attention {c.AttentionDim}{(c.Attention == "hard" ? " (hard)" : "")}" : "";
        return string.Create(CultureInfo.InvariantCulture,
            $"{c.Kind} captioner, hidden {c.Hidden}, embed {c.Embed}{attention}, "
            + $"over {c.GridRows}x{c.GridCols} locations of {c.FeatureDim} features; {Store.Count:N0} parameters; vocabulary {c.Vocab}; "
            + $"train {Train.Count:N0} / val {Validation.Count:N0} scenes; batch {Options.BatchSize}");
    }

    /// <inheritdoc/>
    public override string? Preview(ulong seed)
    {
        if (Validation.Count == 0) return null;
        int i = (int)(seed % (ulong)Validation.Count);
        var d = CaptionDecoder.Greedy(Model, Validation.FeaturesOf(i, 1), Validation.Vocabulary)[0];
        return $"\"{d.Text}\" (reference: \"{CaptionGrammar.Canonical(Validation.Scenes[i])}\")";
    }
}
