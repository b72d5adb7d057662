using Recur.Data.Dialog;
using Recur.Data.Scenes;
using Recur.Models;
using Recur.Models.Captioning;
using Recur.Models.Dialog;
using Recur.Tasks.Scenes;
using Recur.Training;

namespace Recur.Tasks.Dialog;

/// <summary>What a dialog run needs beyond <see cref="TrainOptions"/>, each option declared once in <see cref="Specs"/>.</summary>
public sealed record DialogSettings : ISceneSettings
{
    /// <summary>The history encoder (<see cref="DialogConfig.HistoryKinds"/>).</summary>
    public string History { get; init; } = "hre";

    /// <summary>Attention hops over the image.</summary>
    public int Hops { get; init; } = 2;

    /// <summary>Width of the attention MLP.</summary>
    public int AttentionDim { get; init; } = 128;

    /// <summary>Width of the joint representation.</summary>
    public int Fusion { get; init; } = 256;

    /// <summary>The question(+history)-only model (no image).</summary>
    public bool Blind { get; init; }

    /// <summary>Score the class-name answers from the attended image alone (<see cref="DialogConfig.VisualAnswers"/>).</summary>
    public bool VisualAnswers { get; init; } = true;

    /// <summary>Rounds per dialog.</summary>
    public int Rounds { get; init; } = DialogGenerator.DefaultRounds;

    /// <summary>Dialogs drawn about each scene.</summary>
    public int DialogsPerScene { get; init; } = 1;

    /// <summary>Max pooling over the encoder's grid.</summary>
    public int GridPool { get; init; } = 3;

    /// <summary>conv or fc (<see cref="SceneEncoder.Features"/>).</summary>
    public string Features { get; init; } = "fc";

    /// <summary>Append each location's row and column to its features (<see cref="SceneEncoder.Coordinates"/>).</summary>
    public bool Coordinates { get; init; } = true;

    /// <summary>The scenes to draw.</summary>
    public SceneOptions Scenes { get; init; } = new();

    /// <summary>The trained convolutional classifier a new run encodes the scenes with (the command's <c>--encoder</c>).</summary>
    public ConvNet? Encoder { get; init; }

    private const string Group = "dialog";

    /// <summary>The task's own options: flag, default (this record's), range and help.</summary>
    public static IReadOnlyList<OptionSpec<DialogSettings>> Specs { get; } =
    [
        SettingSpecs.Choice<DialogSettings>("history", Group,
            "the history encoder: hre (an LSTM over the earlier rounds' question and answer), memory (attention over them), "
            + "none (each round alone, as VQA)", DialogConfig.HistoryKinds, s => s.History, (s, v) => s with { History = (string)v }),
        SettingSpecs.Int<DialogSettings>("hops", "N", Group, "attention hops over the image (2: the second reads what the first found)", 1, 2,
            s => s.Hops, (s, v) => s with { Hops = SettingSpecs.I(v) }),
        SettingSpecs.Flag<DialogSettings>("blind", Group, "the question(+history)-only model: no image", s => s.Blind, (s, v) => s with { Blind = (bool)v }),
        SettingSpecs.Flag<DialogSettings>("visual-answers", Group,
            "score the class-name answers from the attended image alone (W_v z), not from the joint representation (--blind ignores it)",
            s => s.VisualAnswers, (s, v) => s with { VisualAnswers = (bool)v }),
        SettingSpecs.Int<DialogSettings>("attention-dim", "K", Group, "attention MLP width", 1, 16384,
            s => s.AttentionDim, (s, v) => s with { AttentionDim = SettingSpecs.I(v) }),
        SettingSpecs.Int<DialogSettings>("fusion", "F", Group, "joint representation width", 1, 16384,
            s => s.Fusion, (s, v) => s with { Fusion = SettingSpecs.I(v) }),
        SettingSpecs.Int<DialogSettings>("rounds", "R", Group, "rounds per dialog", 1, 64,
            s => s.Rounds, (s, v) => s with { Rounds = SettingSpecs.I(v) }),
        SettingSpecs.Int<DialogSettings>("dialogs", "N", Group, "dialogs per scene", 1, 100,
            s => s.DialogsPerScene, (s, v) => s with { DialogsPerScene = SettingSpecs.I(v) }),
        .. SceneRuns.Specs<DialogSettings>((s, v) => s with { GridPool = v }, (s, v) => s with { Coordinates = v }, (s, v) => s with { Features = v },
            (s, v) => s with { Scenes = v }),
    ];
}
