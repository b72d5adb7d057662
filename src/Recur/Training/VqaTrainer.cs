using Recur.Data;
using Recur.Data.Scenes;
using Recur.IO;
using Recur.Models;
using Recur.Models.Captioning;
using Recur.Models.Vqa;
using Recur.Tasks;

namespace Recur.Training;

/// <summary>What a VQA run needs beyond <see cref="TrainOptions"/>.</summary>
public sealed record VqaSettings
{
    public int AttentionDim { get; init; } = 128;
    public int Fusion { get; init; } = 256;
    public bool Blind { get; init; }

    /// <summary>Score the class-name answers from the attended image alone (<see cref="VqaConfig.VisualAnswers"/>).</summary>
    public bool VisualAnswers { get; init; }
    public int GridPool { get; init; } = 3;
    /// <summary>conv or fc (<see cref="SceneEncoder.Features"/>).</summary>
    public string Features { get; init; } = "conv";

    /// <summary>Append each location's row and column to its features (<see cref="SceneEncoder.Coordinates"/>).</summary>
    public bool Coordinates { get; init; }
    public int QuestionsPerScene { get; init; } = 2;
    public SceneOptions Scenes { get; init; } = new();
}

/// <summary>
/// <c>recur vqa train</c>: a <see cref="VqaModel"/> (<c>--hidden</c> for the question LSTM, <c>--embed</c>) on
/// <see cref="VqaTask"/> on the one <see cref="Trainer"/>, over the features of a frozen <see cref="SceneEncoder"/>. The
/// questions about the last <see cref="TrainOptions.ValFrac"/> of the training scenes are held out for validation.
/// </summary>
public static class VqaTrainer
{
    /// <summary>A new run over <paramref name="encoder"/> (a trained convolutional classifier).</summary>
    public static Trainer Create(TrainOptions options, VqaSettings settings, ConvNet encoder, LabeledImages train, string source)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(settings);
        options.Validate();
        var sceneEncoder = new SceneEncoder(encoder, settings.GridPool, settings.Coordinates, settings.Features);
        var (rows, cols) = sceneEncoder.Grid(84, 84);
        var config = new VqaConfig
        {
            Vocab = VqaDataset.QuestionVocabulary().Count, Answers = SceneQuestions.Answers.Count, Embed = options.Embed, Hidden = options.Hidden,
            GridRows = rows, GridCols = cols, FeatureDim = sceneEncoder.FeatureDim, AttentionDim = settings.AttentionDim, Fusion = settings.Fusion,
            Blind = settings.Blind, MaxWords = SceneQuestions.MaxWords,
            VisualAnswers = settings.VisualAnswers ? [.. Enumerable.Range(0, SceneQuestions.Answers.Count).Where(a => Data.Scenes.CaptionGrammar.Singular.Contains(SceneQuestions.Answers[a]))] : [],
        };
        return Build(options, config, sceneEncoder, settings.Scenes, settings.QuestionsPerScene, train, source, null, null);
    }

    /// <summary>Continues the run saved in <paramref name="checkpoint"/> (its <c>latest/</c>) over the same images.</summary>
    public static Trainer Resume(LoadedVqa checkpoint, LabeledImages train, TrainOptions options)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        ArgumentNullException.ThrowIfNull(options);
        var state = TaskRuns.ResumeState(checkpoint.Training, options, checkpoint.Directory, checkpoint.StatePath, checkpoint.Model.Store.Count);
        var trainer = Build(options, checkpoint.Model.Config, checkpoint.Encoder, checkpoint.Scenes, checkpoint.QuestionsPerScene, train, checkpoint.Data?.Source ?? "", state, checkpoint);
        if (checkpoint.RunDirectory is not null) trainer.OutputDirectory = checkpoint.RunDirectory;
        return trainer;
    }

    /// <summary>Questions about the scenes of a split: <paramref name="perScene"/> each, drawn from the scenes' seed and the split's name.</summary>
    public static VqaDataset Questions(Tensor features, SceneSplit split, int perScene, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(split);
        ulong salt = 14695981039346656037UL; // FNV-1a of the name: stable across processes, unlike string.GetHashCode
        foreach (char ch in split.Name) salt = (salt ^ ch) * 1099511628211UL;
        return new VqaDataset(features, split.Scenes, perScene, seed * 0x9E3779B97F4A7C15UL ^ salt);
    }

    private static Trainer Build(TrainOptions options, VqaConfig config, SceneEncoder encoder, SceneOptions scenes, int perScene, LabeledImages train, string source,
        TrainingState? state, LoadedVqa? saved)
    {
        var (split, features) = SceneRuns.TrainingScenes(encoder, train, scenes, options.EffectiveThreads);
        var all = Questions(features, split, perScene, scenes.Seed);
        int nVal = SceneRuns.ValidationCount(split.Scenes.Count, options.ValFrac);
        var tr = all.SliceScenes(0, split.Scenes.Count - nVal);
        var val = all.SliceScenes(split.Scenes.Count - nVal, nVal);
        var model = new VqaModel(config);
        var rng = new Rng(options.Seed);
        model.Reset(rng);
        var data = SceneRuns.DataOf(train, source);
        if (saved is not null)
        {
            SceneRuns.CheckSameData(saved.Data, data);
            saved.Model.Store.Values.AsSpan(0, model.Store.Count).CopyTo(model.Store.Values);
        }
        var task = new VqaTask(options, model, tr, val,
            (dir, progress) => VqaCheckpoint.WriteModelFiles(dir, model, encoder, scenes, perScene, options, progress, data), data);
        return TaskRuns.Start(task, options, rng, state, saved?.Model.Store.Values, saved?.StatePath);
    }
}
