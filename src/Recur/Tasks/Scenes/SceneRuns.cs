using Recur.Data;
using Recur.Data.Scenes;
using Recur.IO;
using Recur.Models;
using Recur.Models.Captioning;
using Recur.Training;

namespace Recur.Tasks.Scenes;

/// <summary>What the settings of a run on scenes (captioning, VQA) share: the frozen encoder, how its grid is read, the scenes.</summary>
public interface ISceneSettings
{
    /// <summary>The trained convolutional classifier a new run encodes the scenes with (not an option: the command loads it).</summary>
    ConvNet? Encoder { get; }

    /// <summary>Max pooling over the encoder's grid (<see cref="SceneEncoder.GridPool"/>).</summary>
    int GridPool { get; }

    /// <summary>conv or fc (<see cref="SceneEncoder.Features"/>).</summary>
    string Features { get; }

    /// <summary>Append each location's row and column to its features (<see cref="SceneEncoder.Coordinates"/>).</summary>
    bool Coordinates { get; }

    /// <summary>The scenes to draw.</summary>
    SceneOptions Scenes { get; }
}

/// <summary>
/// What the runs on scenes (captioning, VQA) share: their options, drawing and encoding the training and validation scenes, and recording
/// which images they came from.
/// </summary>
public static class SceneRuns
{
    private const string Group = "scenes";

    /// <summary>
    /// The options of <see cref="ISceneSettings"/>: <c>--grid-pool</c>, <c>--coordinates</c>, <c>--features</c> and the scenes
    /// (<c>--scenes</c>, <c>--test-scenes</c>, <c>--heldout-pairs</c>, <c>--scene-seed</c>), each set by the record's own <c>with</c>.
    /// </summary>
    public static IReadOnlyList<OptionSpec<T>> Specs<T>(Func<T, int, T> gridPool, Func<T, bool, T> coordinates, Func<T, string, T> features,
        Func<T, SceneOptions, T> scenes) where T : ISceneSettings
    {
        ArgumentNullException.ThrowIfNull(scenes);
        return
        [
            SettingSpecs.Int<T>("grid-pool", "P", Group, "max pooling over the encoder's grid (3: 84x84 scenes give 7x7 locations)", 1, 16,
                s => s.GridPool, (s, v) => gridPool(s, SettingSpecs.I(v))),
            SettingSpecs.Flag<T>("coordinates", Group, "append each location's row and column in [-1, 1] to its features",
                s => s.Coordinates, (s, v) => coordinates(s, (bool)v)),
            SettingSpecs.Choice<T>("features", Group, "conv: the encoder's last convolutional grid, --grid-pool max-pooled; "
                + "fc: its fully connected layer over each 28x28 cell (3x3 locations)", SceneEncoder.FeatureKinds,
                s => s.Features, (s, v) => features(s, (string)v)),
            SettingSpecs.Int<T>("scenes", "N", Group, "training scenes (validation scenes are --val-frac of N more; see --val-frac)", 1, 10_000_000,
                s => s.Scenes.Train, (s, v) => scenes(s, s.Scenes with { Train = SettingSpecs.I(v) })),
            SettingSpecs.Int<T>("test-scenes", "N", Group, "scenes in each test split, seen and held-out compositions", 0, 10_000_000,
                s => s.Scenes.TestSeen, (s, v) => scenes(s, s.Scenes with { TestSeen = SettingSpecs.I(v), TestHeldOut = SettingSpecs.I(v) })),
            SettingSpecs.Int<T>("heldout-pairs", "K", Group, "class pairs held out of training", 1, 20,
                s => s.Scenes.HeldOutPairs, (s, v) => scenes(s, s.Scenes with { HeldOutPairs = SettingSpecs.I(v) })),
            SettingSpecs.Int<T>("scene-seed", "S", Group, "the scenes' draw", 0, int.MaxValue,
                s => s.Scenes.Seed, (s, v) => scenes(s, s.Scenes with { Seed = (ulong)SettingSpecs.I(v) })),
        ];
    }

    /// <summary>The scene encoder of a new run: <paramref name="settings"/>' encoder read as they say, or an <see cref="ArgumentException"/>.</summary>
    public static SceneEncoder NewEncoder(ISceneSettings settings, string command)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var cnn = settings.Encoder ?? throw new ArgumentException($"{command} needs --encoder CNN_RUN, a run of recur classify --model cnn (or --resume RUN).");
        return new SceneEncoder(cnn, settings.GridPool, settings.Coordinates, settings.Features);
    }

    /// <summary>
    /// The training scenes <paramref name="scenes"/> describes, drawn from the training part of <paramref name="train"/>
    /// (<see cref="SceneGenerator.Training"/>), and their features <c>(N, L, D)</c>.
    /// </summary>
    public static (SceneSplit Split, Tensor Features) TrainingScenes(SceneEncoder encoder, LabeledImages train, SceneOptions scenes, int threads)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        var tr = SceneGenerator.Training(train, scenes);
        encoder.Network.Threads = threads;
        return (tr, encoder.Encode(tr));
    }

    /// <summary>
    /// The validation scenes of a run with validation fraction <paramref name="valFrac"/> (<see cref="SceneGenerator.Validation"/>:
    /// seen compositions and held-out ones, from the images of <paramref name="train"/> no training scene uses) and the
    /// features <c>(N, L, D)</c> of both together, the seen split's scenes first.
    /// </summary>
    public static (SceneSplit Seen, SceneSplit HeldOut, Tensor Features) ValidationScenes(SceneEncoder encoder, LabeledImages train, SceneOptions scenes,
        double valFrac, int threads)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        var (seen, held) = SceneGenerator.Validation(train, scenes, valFrac);
        encoder.Network.Threads = threads;
        return (seen, held, encoder.Encode(new SceneSplit("validation", train, [.. seen.Scenes, .. held.Scenes])));
    }

    /// <summary>
    /// The two splits an eval scores: <c>"validation"</c> (<see cref="SceneGenerator.Validation"/> of the run's
    /// <paramref name="valFrac"/>, the scenes training validated on) or <c>"test"</c> (both test splits, from
    /// <paramref name="test"/>); an <see cref="ArgumentException"/> when the run holds out no validation scenes.
    /// </summary>
    public static (SceneSplit Seen, SceneSplit HeldOut) EvalSplits(LabeledImages train, LabeledImages test, SceneOptions scenes, double valFrac,
        string split)
    {
        ArgumentNullException.ThrowIfNull(scenes);
        switch (split)
        {
            case "validation":
                var (seen, held) = SceneGenerator.Validation(train, scenes, valFrac);
                if (seen.Scenes.Count + held.Scenes.Count == 0)
                    throw new ArgumentException($"the run holds out no validation scenes (--val-frac {valFrac}); score --split test.");
                return (seen, held);
            case "test":
                var (_, testSeen, testHeld, _) = SceneGenerator.Build(train, test, scenes with { Train = 0 });
                return (testSeen, testHeld);
            default:
                throw new ArgumentException($"the split is validation or test, not '{split}'.", nameof(split));
        }
    }
}
