using Recur.Data;
using Recur.Data.Dialog;
using Recur.Data.Scenes;
using Recur.IO;
using Recur.Models.Captioning;
using Recur.Models.Dialog;
using Recur.Tasks.Scenes;
using Recur.Training;

namespace Recur.Tasks.Dialog;

/// <summary>
/// <c>recur dialog train</c>: a <see cref="DialogModel"/> on <see cref="DialogTask"/>, over the features of a frozen
/// <see cref="SceneEncoder"/> (a new run's <see cref="DialogSettings.Encoder"/>). Validation holds the dialogs about the
/// validation scenes (<see cref="TrainOptions.ValFrac"/> of the training scenes' number, seen and held-out compositions),
/// drawn from the images no training scene uses (<see cref="SceneGenerator.Validation"/>).
/// </summary>
public sealed class DialogDefinition : SceneTaskDefinition<DialogSettings, LoadedDialog>
{
    /// <summary>The definition.</summary>
    public static DialogDefinition Instance { get; } = new();

    /// <inheritdoc/>
    public override CheckpointFormat<LoadedDialog> Checkpoint => DialogCheckpoint.Instance;

    /// <summary>
    /// The recipe: an LSTM question encoder, the HRE history, two attention hops over the fc features with coordinates and
    /// visual answers (<see cref="DialogSettings"/>' defaults), batches of 32 dialogs, 15 minutes of its own (a default encoder
    /// this run trains comes before them), no cap on epochs.
    /// </summary>
    public override TrainOptions Defaults { get; } = SceneRecipe with { Model = "lstm", BatchSize = 32, Minutes = 15, MaxEpochs = 0 };

    /// <inheritdoc/>
    public override string Summary => "visual dialog on the scenes: train, eval RUN";

    /// <inheritdoc/>
    public override IReadOnlyList<OptionSpec> SharedOptions { get; } = SceneTrainOptions.Where(s => s.Flag != "model").ToArray();

    /// <inheritdoc/>
    public override IReadOnlyList<OptionSpec<DialogSettings>> Options => DialogSettings.Specs;

    /// <summary>A run evaluates once an epoch of its training dialogs.</summary>
    protected override int ExamplesPerScene(DialogSettings settings) => settings.DialogsPerScene;

    /// <inheritdoc/>
    protected override LoadedDialog NewRun(TrainOptions options, DialogSettings settings, LabeledImages data)
    {
        var encoder = SceneRuns.NewEncoder(settings, "dialog train");
        var (rows, cols) = encoder.Grid(84, 84);
        var answers = DialogWords.Answers;
        var config = new DialogConfig
        {
            Vocab = DialogDataset.QuestionVocabulary().Count, Answers = answers.Count, Embed = options.Embed, Hidden = options.Hidden,
            GridRows = rows, GridCols = cols, FeatureDim = encoder.FeatureDim, AttentionDim = settings.AttentionDim, Fusion = settings.Fusion,
            History = settings.History, Hops = settings.Hops, Blind = settings.Blind, MaxWords = DialogWords.MaxWords,
            VisualAnswers = settings.VisualAnswers && !settings.Blind
                ? [.. Enumerable.Range(0, answers.Count).Where(a => CaptionGrammar.Singular.Contains(answers[a]))] : [],
        };
        return new LoadedDialog(new DialogModel(config), encoder, settings.Scenes, settings.Rounds, settings.DialogsPerScene);
    }

    /// <inheritdoc/>
    protected override LoadedDialog Rebuild(LoadedDialog saved) => saved with { Model = new DialogModel(saved.Model.Config) };

    /// <inheritdoc/>
    protected override void Initialize(LoadedDialog run, TrainOptions options, Rng rng) => run.Model.Reset(rng);

    /// <inheritdoc/>
    protected override ITrainingTask NewTask(LoadedDialog run, LabeledImages data, TrainOptions options, DataInfo info,
        Action<string, CheckpointProgress> write)
    {
        var (split, features) = SceneRuns.TrainingScenes(run.Encoder, data, run.Scenes, options.EffectiveThreads);
        var (seen, held, valFeatures) = SceneRuns.ValidationScenes(run.Encoder, data, run.Scenes, options.ValFrac, options.EffectiveThreads);
        var train = DialogSets.Of(features, [split], run.Rounds, run.DialogsPerScene, run.Scenes.Seed);
        var validation = DialogSets.Of(valFeatures, [seen, held], run.Rounds, run.DialogsPerScene, run.Scenes.Seed);
        return new DialogTask(options, run.Model, train, validation, write, info);
    }
}
