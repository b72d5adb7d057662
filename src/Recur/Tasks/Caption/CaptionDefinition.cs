using Recur.Data;
using Recur.Data.Scenes;
using Recur.IO;
using Recur.Models.Captioning;
using Recur.Tasks.Scenes;
using Recur.Training;

namespace Recur.Tasks.Caption;

/// <summary>
/// <c>recur caption train</c>: a captioner (<see cref="TrainOptions.Model"/> <c>rnn</c>, <c>lstm</c> or <c>attention</c>,
/// <c>--hidden</c>, <c>--embed</c>) on <see cref="CaptionTask"/>, over the features of a frozen <see cref="SceneEncoder"/>
/// (a new run's <see cref="CaptionSettings.Encoder"/>, copied into its checkpoints). The data are the Fashion-MNIST
/// training images the scenes are drawn from: the training scenes from the first part, and validation scenes
/// (<see cref="TrainOptions.ValFrac"/> of the training scenes' number, seen and held-out compositions) from the images
/// no training scene uses (<see cref="SceneGenerator.Validation"/>). Features are computed before the clock starts.
/// </summary>
public sealed class CaptionDefinition : SceneTaskDefinition<CaptionSettings, LoadedCaptioner>
{
    /// <summary>The definition.</summary>
    public static CaptionDefinition Instance { get; } = new();

    /// <inheritdoc/>
    public override CheckpointFormat<LoadedCaptioner> Checkpoint => CaptionCheckpoint.Instance;

    /// <summary>
    /// The recipe: Show, Attend and Tell (batch 64) with a moving average of the weights (0.999), trained for 45 minutes
    /// (the default encoder's time included when this run trains it), no cap on epochs; with <see cref="CaptionSettings"/>'
    /// defaults (fc features with coordinates, visual words, feature dropout 0.5, label smoothing 0.1, zero initial state,
    /// 50,000 scenes). docs/CAPTIONING.md has the measurements behind each part.
    /// </summary>
    public override TrainOptions Defaults { get; } = SceneRecipe with { Model = "attention", BatchSize = 64, Ema = 0.999, Minutes = 45, MaxEpochs = 0 };

    /// <inheritdoc/>
    public override IReadOnlyList<OptionSpec> SharedOptions { get; } = SceneTrainOptions
        .Select(s => s.Flag == "model"
            ? s with { Value = string.Join("|", CaptionerConfig.Kinds), Help = "the captioner: rnn, lstm or attention (Show, Attend and Tell)" } : s)
        .ToArray();

    /// <inheritdoc/>
    public override IReadOnlyList<OptionSpec<CaptionSettings>> Options => CaptionSettings.Specs;

    /// <summary>The captioner the options describe.</summary>
    public static CaptionerConfig ModelConfig(TrainOptions o, CaptionSettings s, int vocab, int gridRows, int gridCols, int featureDim)
    {
        ArgumentNullException.ThrowIfNull(o);
        ArgumentNullException.ThrowIfNull(s);
        return new CaptionerConfig
        {
            Kind = o.Model, Vocab = vocab, Embed = o.Embed, Hidden = o.Hidden, GridRows = gridRows, GridCols = gridCols, FeatureDim = featureDim,
            AttentionDim = s.AttentionDim, DoublyStochastic = s.DoublyStochastic, AttentionEntropy = s.AttentionEntropy,
            AttentionEntropyOn = s.AttentionEntropyOn, MaxWords = s.MaxWords, LabelSmoothing = s.LabelSmoothing, InitialState = s.InitialState,
            FeatureDropout = s.FeatureDropout, ContextDropout = s.ContextDropout,
            Attention = s.Attention, ReinforceWeight = s.ReinforceWeight, HardEntropy = s.HardEntropy, BaselineDecay = s.BaselineDecay,
            ExpectedProbability = s.ExpectedProbability, HardDecoding = s.HardDecoding,
        };
    }

    /// <summary>
    /// The training and validation datasets of the scenes drawn from <paramref name="train"/> (features from <paramref name="encoder"/>):
    /// every training scene, and both validation splits together (<see cref="SceneRuns.ValidationScenes"/>).
    /// </summary>
    public static (CaptionDataset Train, CaptionDataset Validation) Datasets(SceneEncoder encoder, LabeledImages train, SceneOptions scenes,
        CaptionVocabulary vocabulary, int maxWords, double valFrac, int threads)
    {
        var (tr, features) = SceneRuns.TrainingScenes(encoder, train, scenes, threads);
        var (seen, held, valFeatures) = SceneRuns.ValidationScenes(encoder, train, scenes, valFrac, threads);
        return (new CaptionDataset(features, tr.Scenes, vocabulary, maxWords),
            new CaptionDataset(valFeatures, [.. seen.Scenes, .. held.Scenes], vocabulary, maxWords));
    }

    /// <inheritdoc/>
    protected override LoadedCaptioner NewRun(TrainOptions options, CaptionSettings settings, LabeledImages data)
    {
        if (!CaptionerConfig.Kinds.Contains(options.Model))
            throw new ArgumentException($"--model must be one of {string.Join(", ", CaptionerConfig.Kinds)} for captioning, got '{options.Model}'.");
        settings = settings.ForModel(options.Model);
        settings.Validate(options.Model);
        var encoder = SceneRuns.NewEncoder(settings, "caption train");
        var vocab = CaptionVocabulary.Grammar();
        var (rows, cols) = encoder.Grid(84, 84);
        var config = ModelConfig(options, settings, vocab.Count, rows, cols, encoder.FeatureDim);
        if (settings.VisualWords)
            config = config with { SingularWords = [.. CaptionGrammar.Singular.Select(vocab.Id)], PluralWords = [.. CaptionGrammar.Plural.Select(vocab.Id)] };
        return new LoadedCaptioner(Captioners.Create(config), vocab, encoder, settings.Scenes);
    }

    /// <inheritdoc/>
    protected override LoadedCaptioner Rebuild(LoadedCaptioner saved)
        => new(Captioners.Create(saved.Model.Config), saved.Vocabulary, saved.Encoder, saved.Scenes);

    /// <inheritdoc/>
    protected override void Initialize(LoadedCaptioner run, TrainOptions options, Rng rng) => run.Model.Reset(rng);

    /// <inheritdoc/>
    protected override ITrainingTask NewTask(LoadedCaptioner run, LabeledImages data, TrainOptions options, DataInfo info,
        Action<string, CheckpointProgress> write)
    {
        var (tr, val) = Datasets(run.Encoder, data, run.Scenes, run.Vocabulary, run.Model.Config.MaxWords, options.ValFrac, options.EffectiveThreads);
        return new CaptionTask(options, run.Model, tr, val, write, info, coordinates: run.Encoder.CoordinateCount);
    }
}
