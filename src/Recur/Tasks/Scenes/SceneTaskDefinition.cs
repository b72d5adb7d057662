using Recur.Data;
using Recur.Data.Scenes;
using Recur.IO;
using Recur.Training;

namespace Recur.Tasks.Scenes;

/// <summary>
/// What the tasks on scenes (captioning, VQA) define alike: their data are the Fashion-MNIST training images the scenes
/// are drawn from (recorded by their labels' checksum; training scenes from the first part, validation scenes from the
/// rest, <see cref="SceneImages"/>), their shared options, their recipe's common part, and a run that evaluates once an
/// epoch of its training examples (<see cref="ExamplesPerScene"/> per scene).
/// </summary>
public abstract class SceneTaskDefinition<TSettings, TSaved> : TaskDefinition<LabeledImages, TSettings, TSaved>
    where TSettings : class, ISceneSettings, new() where TSaved : SavedRun
{
    /// <summary>What <c>--val-frac</c> means for the runs on scenes (<see cref="SceneGenerator.Validation"/>).</summary>
    public const string ValFracHelp = "validation scenes, F x --scenes of them, half seen and half held-out compositions, "
        + "from the last 1/12 of the training images (no training scene uses them)";

    /// <summary>The shared options of the runs on scenes (VQA takes them without <c>--model</c>).</summary>
    public static IReadOnlyList<OptionSpec> SceneTrainOptions { get; } = TrainOptionSpecs.All
        .Where(s => s.Flag is not ("layers" or "dropout" or "nonlinearity" or "state-size" or "expand" or "conv-width" or "heads" or "context"
            or "weight-drop" or "highway" or "seq-length" or "test-frac" or "sample-every"))
        .Select(s => s.Flag == "val-frac" ? s with { Help = ValFracHelp } : s).ToArray();

    /// <summary>The common part of the scene tasks' recipes.</summary>
    protected static TrainOptions SceneRecipe { get; } = new()
    {
        Hidden = 256, Embed = 64, Optimizer = "adam", LearningRate = 2e-3, LrSchedule = "cosine", LrMin = 2e-5, GradClip = 5, MaxEpochs = 10,
        ValFrac = 0.05, EvalEvery = 1000,
    };

    /// <inheritdoc/>
    public override string DefaultData => FashionMnist.DefaultDirectory;

    /// <summary>The Fashion-MNIST training images at <paramref name="path"/>.</summary>
    public override LabeledImages LoadData(string path) => TrainingImages.Load(path);

    /// <summary>The record of the images a run was trained on (their number and a checksum of their labels).</summary>
    public override DataInfo DataOf(LabeledImages data, string source) => TrainingImages.Record(data, source);

    /// <summary>Training examples per scene (a caption; VQA's questions per scene).</summary>
    protected virtual int ExamplesPerScene(TSettings settings) => 1;

    /// <summary>Without <c>--eval-every</c>, a new run evaluates once an epoch of its training examples (every training scene's).</summary>
    protected override int? TrainingExamples(TrainOptions options, TSettings settings, LabeledImages data)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return settings.Scenes.Train * ExamplesPerScene(settings);
    }
}
