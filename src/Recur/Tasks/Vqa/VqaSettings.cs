using Recur.Data.Scenes;
using Recur.Models;
using Recur.Models.Captioning;
using Recur.Models.Vqa;
using Recur.Tasks.Scenes;
using Recur.Training;

namespace Recur.Tasks.Vqa;

/// <summary>What a VQA run needs beyond <see cref="TrainOptions"/>, each option declared once in <see cref="Specs"/>.</summary>
public sealed record VqaSettings : ISceneSettings
{
    /// <summary>Width of the attention MLP.</summary>
    public int AttentionDim { get; init; } = 128;

    /// <summary>Width of the joint representation.</summary>
    public int Fusion { get; init; } = 256;

    /// <summary>The question-only baseline (no image).</summary>
    public bool Blind { get; init; }

    /// <summary>Score the class-name answers from the attended image alone (<see cref="VqaConfig.VisualAnswers"/>).</summary>
    public bool VisualAnswers { get; init; } = true;

    /// <summary>The encoder's class probabilities summed over the image join the context (<see cref="VqaConfig.ClassCountWidth"/>).</summary>
    public bool ClassCounts { get; init; } = true;

    /// <summary>The class counts weigh each location by a learned presence (<see cref="VqaConfig.Presence"/>; with class counts).</summary>
    public bool Presence { get; init; }

    /// <summary>
    /// The count answers scored by counting the class the question names (<see cref="VqaConfig.CountAnswers"/>; with class counts).
    /// An experiment, off by default: in session 24 its count path settled on "one" for every count question (CAPTIONING.md).
    /// </summary>
    public bool Counting { get; init; }

    /// <summary>
    /// Networks trained side by side, each on the questions in an order of its own, and averaged (<see cref="VqaConfig.Members"/>):
    /// three by default, chosen on validation in session 25 (CAPTIONING.md).
    /// </summary>
    public int Members { get; init; } = 3;

    /// <summary>Max pooling over the encoder's grid.</summary>
    public int GridPool { get; init; } = 3;

    /// <summary>conv, fc, scores or fc-probs (<see cref="SceneEncoder.Features"/>).</summary>
    public string Features { get; init; } = "fc-probs";

    /// <summary>Append each location's row and column to its features (<see cref="SceneEncoder.Coordinates"/>).</summary>
    public bool Coordinates { get; init; } = true;

    /// <summary>Questions drawn about each scene.</summary>
    public int QuestionsPerScene { get; init; } = 2;

    /// <summary>The scenes to draw.</summary>
    public SceneOptions Scenes { get; init; } = new();

    /// <summary>The trained convolutional classifier a new run encodes the scenes with (the command's <c>--encoder</c>).</summary>
    public ConvNet? Encoder { get; init; }

    private const string Group = "vqa";

    /// <summary>The task's own options: flag, default (this record's), range and help.</summary>
    public static IReadOnlyList<OptionSpec<VqaSettings>> Specs { get; } =
    [
        SettingSpecs.Flag<VqaSettings>("blind", Group, "the question-only baseline", s => s.Blind, (s, v) => s with { Blind = (bool)v }),
        SettingSpecs.Flag<VqaSettings>("visual-answers", Group,
            "score the class-name answers from the attended image alone (W_v z), not from the joint representation that also holds the question "
            + "(--blind has no image and ignores it)",
            s => s.VisualAnswers, (s, v) => s with { VisualAnswers = (bool)v }),
        SettingSpecs.Flag<VqaSettings>("class-counts", Group,
            "the answer head also reads the encoder's class probabilities summed over the image (how many of each class it sees; needs --features fc-probs)",
            s => s.ClassCounts, (s, v) => s with { ClassCounts = (bool)v }),
        SettingSpecs.Flag<VqaSettings>("presence", Group,
            "with --class-counts: weigh each location's class probabilities by a learned presence (sigmoid of a linear map of its features) "
            + "before summing them, so that empty locations, which the classifier still reads as some class, count for nothing",
            s => s.Presence, (s, v) => s with { Presence = (bool)v }),
        SettingSpecs.Flag<VqaSettings>("counting", Group,
            "with --class-counts: score the answers one to four from the count of the class the question names (softmax over the classes from "
            + "the question, dotted with the class counts), not from the joint representation",
            s => s.Counting, (s, v) => s with { Counting = (bool)v }),
        SettingSpecs.Int<VqaSettings>("attention-dim", "K", Group, "attention MLP width", 1, 16384,
            s => s.AttentionDim, (s, v) => s with { AttentionDim = SettingSpecs.I(v) }),
        SettingSpecs.Int<VqaSettings>("fusion", "F", Group, "joint representation width", 1, 16384,
            s => s.Fusion, (s, v) => s with { Fusion = SettingSpecs.I(v) }),
        SettingSpecs.Int<VqaSettings>("members", "M", Group,
            "an ensemble of M networks trained side by side on the same batches (each its own initialisation and loss), answering with "
            + "their choice probabilities averaged; validation chooses best/ by the ensemble's error", 1, 64,
            s => s.Members, (s, v) => s with { Members = SettingSpecs.I(v) }),
        SettingSpecs.Int<VqaSettings>("questions", "N", Group, "questions per scene", 1, 1000,
            s => s.QuestionsPerScene, (s, v) => s with { QuestionsPerScene = SettingSpecs.I(v) }),
        .. SceneRuns.Specs<VqaSettings>((s, v) => s with { GridPool = v }, (s, v) => s with { Coordinates = v }, (s, v) => s with { Features = v },
            (s, v) => s with { Scenes = v }),
    ];
}
