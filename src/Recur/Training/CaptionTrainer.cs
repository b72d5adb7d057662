using Recur.Data;
using Recur.Data.Scenes;
using Recur.IO;
using Recur.Models;
using Recur.Models.Captioning;
using Recur.Tasks;

namespace Recur.Training;

/// <summary>What a caption run needs beyond <see cref="TrainOptions"/>: the captioner's own sizes and the scenes.</summary>
public sealed record CaptionSettings
{
    /// <summary>Width <c>K</c> of the attention MLP.</summary>
    public int AttentionDim { get; init; } = 128;

    /// <summary>Weight of the doubly stochastic regulariser.</summary>
    public float DoublyStochastic { get; init; } = 0.001f;

    /// <summary>Weight of the attention entropy penalty (<see cref="CaptionerConfig.AttentionEntropy"/>).</summary>
    public float AttentionEntropy { get; init; }

    /// <summary>The steps the entropy penalty counts (<see cref="CaptionerConfig.AttentionEntropyOn"/>).</summary>
    public string AttentionEntropyOn { get; init; } = "all";

    /// <summary>Max pooling over the encoder's grid (3: 21 x 21 to 7 x 7 for an 84 x 84 scene).</summary>
    public int GridPool { get; init; } = 3;

    /// <summary>Longest caption in words.</summary>
    public int MaxWords { get; init; } = 12;

    /// <summary>Label smoothing of the training loss (<see cref="CaptionerConfig.LabelSmoothing"/>).</summary>
    public float LabelSmoothing { get; init; }

    /// <summary>Dropout on the image features in training (<see cref="CaptionerConfig.FeatureDropout"/>).</summary>
    public float FeatureDropout { get; init; }

    /// <summary>Dropout on the attended context in training (<see cref="CaptionerConfig.ContextDropout"/>).</summary>
    public float ContextDropout { get; init; }

    /// <summary>The attention captioner's initial state (<see cref="CaptionerConfig.InitialState"/>).</summary>
    public string InitialState { get; init; } = "image";

    /// <summary>conv or fc (<see cref="SceneEncoder.Features"/>).</summary>
    public string Features { get; init; } = "conv";

    /// <summary>Append each location's row and column to its features (<see cref="SceneEncoder.Coordinates"/>).</summary>
    public bool Coordinates { get; init; }

    /// <summary>The class words read the image context only (<see cref="CaptionerConfig.SingularWords"/>; attention only).</summary>
    public bool VisualWords { get; init; }

    /// <summary>The scenes to draw.</summary>
    public SceneOptions Scenes { get; init; } = new();
}

/// <summary>
/// <c>recur caption train</c>: a captioner (<see cref="TrainOptions.Model"/> <c>rnn</c>, <c>lstm</c> or <c>attention</c>,
/// <c>--hidden</c>, <c>--embed</c>) on <see cref="CaptionTask"/> on the one <see cref="Trainer"/>, over the features of a
/// frozen <see cref="SceneEncoder"/>. The last <see cref="TrainOptions.ValFrac"/> of the training scenes are held out
/// for validation. Features are computed before the clock starts.
/// </summary>
public static class CaptionTrainer
{
    /// <summary>The captioner the options describe.</summary>
    public static CaptionerConfig ModelConfig(TrainOptions o, CaptionSettings s, int vocab, int gridRows, int gridCols, int featureDim)
    {
        ArgumentNullException.ThrowIfNull(o);
        ArgumentNullException.ThrowIfNull(s);
        return new CaptionerConfig
        {
            Kind = o.Model, Vocab = vocab, Embed = o.Embed, Hidden = o.Hidden, GridRows = gridRows, GridCols = gridCols,
            FeatureDim = featureDim, AttentionDim = s.AttentionDim, DoublyStochastic = s.DoublyStochastic, AttentionEntropy = s.AttentionEntropy, AttentionEntropyOn = s.AttentionEntropyOn, MaxWords = s.MaxWords,
            LabelSmoothing = s.LabelSmoothing, InitialState = s.InitialState, FeatureDropout = s.FeatureDropout, ContextDropout = s.ContextDropout,
        };
    }

    /// <summary>The training and validation datasets of the scenes drawn from <paramref name="train"/> (features from <paramref name="encoder"/>).</summary>
    public static (CaptionDataset Train, CaptionDataset Validation) Datasets(SceneEncoder encoder, LabeledImages train, SceneOptions scenes,
        CaptionVocabulary vocabulary, int maxWords, double valFrac, int threads)
    {
        var (tr, features) = SceneRuns.TrainingScenes(encoder, train, scenes, threads);
        var all = new CaptionDataset(features, tr.Scenes, vocabulary, maxWords);
        int nVal = SceneRuns.ValidationCount(all.Count, valFrac);
        return (all.Slice(0, all.Count - nVal), all.Slice(all.Count - nVal, nVal));
    }

    /// <summary>A new run from <paramref name="encoder"/> (a trained convolutional classifier) over the Fashion-MNIST training images.</summary>
    public static Trainer Create(TrainOptions options, CaptionSettings settings, ConvNet encoder, LabeledImages train, string source)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(settings);
        options.Validate();
        if (!CaptionerConfig.Kinds.Contains(options.Model)) throw new ArgumentException($"--model must be one of {string.Join(", ", CaptionerConfig.Kinds)} for captioning, got '{options.Model}'.");
        var sceneEncoder = new SceneEncoder(encoder, settings.GridPool, settings.Coordinates, settings.Features);
        return Build(options, settings.Scenes, sceneEncoder, train, source, config: null, settings, state: null, saved: null);
    }

    /// <summary>Continues the run saved in <paramref name="checkpoint"/> (its <c>latest/</c>) over the same images.</summary>
    public static Trainer Resume(LoadedCaptioner checkpoint, LabeledImages train, TrainOptions options)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        ArgumentNullException.ThrowIfNull(options);
        var state = TaskRuns.ResumeState(checkpoint.Training, options, checkpoint.Directory, checkpoint.StatePath, checkpoint.Model.Store.Count);
        var trainer = Build(options, checkpoint.Scenes, checkpoint.Encoder, train, checkpoint.Data?.Source ?? "", checkpoint.Model.Config, null, state, checkpoint);
        if (checkpoint.RunDirectory is not null) trainer.OutputDirectory = checkpoint.RunDirectory;
        return trainer;
    }

    private static Trainer Build(TrainOptions options, SceneOptions scenes, SceneEncoder encoder, LabeledImages train, string source,
        CaptionerConfig? config, CaptionSettings? settings, TrainingState? state, LoadedCaptioner? saved)
    {
        var vocab = saved?.Vocabulary ?? CaptionVocabulary.Grammar();
        int maxWords = config?.MaxWords ?? settings!.MaxWords;
        var (tr, val) = Datasets(encoder, train, scenes, vocab, maxWords, options.ValFrac, options.EffectiveThreads);
        if (config is null)
        {
            config = ModelConfig(options, settings!, vocab.Count, encoder.Grid(84, 84).Rows, encoder.Grid(84, 84).Cols, encoder.FeatureDim);
            if (settings!.VisualWords)
                config = config with { SingularWords = [.. CaptionGrammar.Singular.Select(vocab.Id)], PluralWords = [.. CaptionGrammar.Plural.Select(vocab.Id)] };
        }
        var model = Captioners.Create(config);
        var rng = new Rng(options.Seed);
        model.Reset(rng);
        var data = SceneRuns.DataOf(train, source);
        if (saved is not null)
        {
            SceneRuns.CheckSameData(saved.Data, data);
            saved.Model.Store.Values.AsSpan(0, model.Store.Count).CopyTo(model.Store.Values);
        }
        var task = new CaptionTask(options, model, tr, val, (dir, progress) => CaptionCheckpoint.WriteModelFiles(dir, model, vocab, encoder, scenes, options, progress, data), data,
            coordinates: encoder.CoordinateCount);
        return TaskRuns.Start(task, options, rng, state, saved?.Model.Store.Values, saved?.StatePath);
    }
}
