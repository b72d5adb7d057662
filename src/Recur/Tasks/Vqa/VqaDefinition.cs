using Recur.Data;
using Recur.Data.Scenes;
using Recur.IO;
using Recur.Models.Captioning;
using Recur.Models.Vqa;
using Recur.Tasks.Scenes;
using Recur.Training;

namespace Recur.Tasks.Vqa;

/// <summary>
/// <c>recur vqa train</c>: a <see cref="VqaModel"/> (<c>--hidden</c> for the question LSTM, <c>--embed</c>) on
/// <see cref="VqaTask"/>, over the features of a frozen <see cref="SceneEncoder"/> (a new run's
/// <see cref="VqaSettings.Encoder"/>). Validation asks the questions about validation scenes (<see cref="TrainOptions.ValFrac"/>
/// of the training scenes' number, seen and held-out compositions) drawn from the images no training scene uses
/// (<see cref="SceneGenerator.Validation"/>).
/// </summary>
public sealed class VqaDefinition : SceneTaskDefinition<VqaSettings, LoadedVqa>
{
    /// <summary>The definition.</summary>
    public static VqaDefinition Instance { get; } = new();

    /// <inheritdoc/>
    public override CheckpointFormat<LoadedVqa> Checkpoint => VqaCheckpoint.Instance;

    /// <summary>
    /// The recipe: an LSTM question encoder with attention over the image (batch 128), 15 minutes of its own (a default encoder
    /// this run trains comes before them), no cap on epochs; with <see cref="VqaSettings"/>' defaults (fc-probs features with
    /// coordinates, visual answers, class counts, three members). docs/CAPTIONING.md has the measurements.
    /// </summary>
    public override TrainOptions Defaults { get; } = SceneRecipe with { Model = "lstm", BatchSize = 128, Minutes = 15, MaxEpochs = 0 };

    /// <inheritdoc/>
    public override IReadOnlyList<OptionSpec> SharedOptions { get; } = SceneTrainOptions.Where(s => s.Flag != "model").ToArray();

    /// <inheritdoc/>
    public override IReadOnlyList<OptionSpec<VqaSettings>> Options => VqaSettings.Specs;

    /// <summary>A run evaluates once an epoch of its training questions.</summary>
    protected override int ExamplesPerScene(VqaSettings settings) => settings.QuestionsPerScene;

    /// <inheritdoc/>
    protected override LoadedVqa NewRun(TrainOptions options, VqaSettings settings, LabeledImages data)
    {
        var encoder = SceneRuns.NewEncoder(settings, "vqa train");
        var (countOffset, countWidth) = settings.ClassCounts && !settings.Blind ? encoder.ProbabilityChannels : (0, 0);
        if (settings.ClassCounts && !settings.Blind && countWidth == 0)
            throw new ArgumentException($"--class-counts (on by default) sums the encoder's class probabilities: it needs --features fc-probs "
                + $"(the default), not {settings.Features}; add --class-counts false to read {settings.Features} features without them.");
        var (rows, cols) = encoder.Grid(84, 84);
        var answers = SceneQuestions.Answers;
        var config = new VqaConfig
        {
            Vocab = VqaDataset.QuestionVocabulary().Count, Answers = answers.Count, Embed = options.Embed, Hidden = options.Hidden,
            GridRows = rows, GridCols = cols, FeatureDim = encoder.FeatureDim, AttentionDim = settings.AttentionDim, Fusion = settings.Fusion,
            Blind = settings.Blind, MaxWords = SceneQuestions.MaxWords, Members = settings.Members,
            ClassCountOffset = countOffset, ClassCountWidth = countWidth,
            Presence = settings.Presence && countWidth > 0,
            CountAnswers = settings.Counting && countWidth > 0
                ? [.. Enumerable.Range(0, answers.Count).Where(a => SceneQuestions.CountWords.Contains(answers[a]))] : [],
            VisualAnswers = settings.VisualAnswers && !settings.Blind
                ? [.. Enumerable.Range(0, answers.Count).Where(a => CaptionGrammar.Singular.Contains(answers[a]))] : [],
        };
        return new LoadedVqa(new VqaModel(config), encoder, settings.Scenes, settings.QuestionsPerScene);
    }

    /// <inheritdoc/>
    protected override LoadedVqa Rebuild(LoadedVqa saved) => new(new VqaModel(saved.Model.Config), saved.Encoder, saved.Scenes, saved.QuestionsPerScene);

    /// <inheritdoc/>
    protected override void Initialize(LoadedVqa run, TrainOptions options, Rng rng) => run.Model.Reset(rng);

    /// <inheritdoc/>
    protected override ITrainingTask NewTask(LoadedVqa run, LabeledImages data, TrainOptions options, DataInfo info, Action<string, CheckpointProgress> write)
    {
        var (split, features) = SceneRuns.TrainingScenes(run.Encoder, data, run.Scenes, options.EffectiveThreads);
        var (seen, held, valFeatures) = SceneRuns.ValidationScenes(run.Encoder, data, run.Scenes, options.ValFrac, options.EffectiveThreads);
        var train = VqaQuestions.Of(features, [split], run.QuestionsPerScene, run.Scenes.Seed);
        var validation = VqaQuestions.Of(valFeatures, [seen, held], run.QuestionsPerScene, run.Scenes.Seed);
        return new VqaTask(options, run.Model, train, validation, write, info);
    }
}
