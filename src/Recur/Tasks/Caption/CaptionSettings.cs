using Recur.Data.Scenes;
using Recur.Models;
using Recur.Models.Captioning;
using Recur.Tasks.Scenes;
using Recur.Training;

namespace Recur.Tasks.Caption;

/// <summary>
/// What a caption run needs beyond <see cref="TrainOptions"/>: the captioner's own sizes and the scenes, each option
/// declared once in <see cref="Specs"/>.
/// </summary>
public sealed record CaptionSettings : ISceneSettings
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
    public float LabelSmoothing { get; init; } = 0.1f;

    /// <summary>Dropout on the image features in training (<see cref="CaptionerConfig.FeatureDropout"/>).</summary>
    public float FeatureDropout { get; init; } = 0.5f;

    /// <summary>Dropout on the attended context in training (<see cref="CaptionerConfig.ContextDropout"/>).</summary>
    public float ContextDropout { get; init; }

    /// <summary>The attention captioner's initial state (<see cref="CaptionerConfig.InitialState"/>).</summary>
    public string InitialState { get; init; } = "zero";

    /// <summary>Soft or hard attention (<see cref="CaptionerConfig.Attention"/>).</summary>
    public string Attention { get; init; } = "soft";

    /// <summary>Hard attention: the REINFORCE weight <c>λ_r</c> (<see cref="CaptionerConfig.ReinforceWeight"/>).</summary>
    public float ReinforceWeight { get; init; } = 1f;

    /// <summary>Hard attention: the entropy bonus <c>λ_e</c> (<see cref="CaptionerConfig.HardEntropy"/>).</summary>
    public float HardEntropy { get; init; } = 0.01f;

    /// <summary>Hard attention: the baseline's decay (<see cref="CaptionerConfig.BaselineDecay"/>).</summary>
    public float BaselineDecay { get; init; } = 0.9f;

    /// <summary>Hard attention: the probability of the expected context per caption (<see cref="CaptionerConfig.ExpectedProbability"/>).</summary>
    public float ExpectedProbability { get; init; } = 0.5f;

    /// <summary>Hard attention outside training: argmax or expected (<see cref="CaptionerConfig.HardDecoding"/>).</summary>
    public string HardDecoding { get; init; } = "argmax";

    /// <summary>The options that only hard attention reads.</summary>
    public static IReadOnlyList<string> HardFlags { get; } = ["reinforce-weight", "hard-entropy", "baseline-decay", "expected-probability", "hard-decoding"];

    /// <summary>conv or fc (<see cref="SceneEncoder.Features"/>).</summary>
    public string Features { get; init; } = "fc";

    /// <summary>Append each location's row and column to its features (<see cref="SceneEncoder.Coordinates"/>).</summary>
    public bool Coordinates { get; init; } = true;

    /// <summary>The class words read the image context only (<see cref="CaptionerConfig.SingularWords"/>; attention only).</summary>
    public bool VisualWords { get; init; } = true;

    /// <summary>The scenes to draw: 50,000 training scenes.</summary>
    public SceneOptions Scenes { get; init; } = new() { Train = 50_000 };

    /// <summary>The trained convolutional classifier a new run encodes the scenes with (the command's <c>--encoder</c>).</summary>
    public ConvNet? Encoder { get; init; }

    private const string Group = "captioning";

    /// <summary>The task's own options: flag, default (this record's), range and help.</summary>
    public static IReadOnlyList<OptionSpec<CaptionSettings>> Specs { get; } =
    [
        SettingSpecs.Int<CaptionSettings>("attention-dim", "K", Group, "attention MLP width", 1, 16384,
            s => s.AttentionDim, (s, v) => s with { AttentionDim = SettingSpecs.I(v) }),
        SettingSpecs.Real<CaptionSettings>("doubly-stochastic", "L", Group, "weight of the doubly stochastic attention regulariser", 0, 1e6,
            s => s.DoublyStochastic, (s, v) => s with { DoublyStochastic = (float)SettingSpecs.D(v) }),
        SettingSpecs.Real<CaptionSettings>("attention-entropy", "G", Group,
            "attention: weight of a penalty on each word's attention entropy, which asks every word to look at few locations", 0, 1e6,
            s => s.AttentionEntropy, (s, v) => s with { AttentionEntropy = (float)SettingSpecs.D(v) }),
        SettingSpecs.Choice<CaptionSettings>("attention-entropy-on", Group,
            "all steps, or objects: only the steps that write a class word (needs --visual-words)", ["all", "objects"],
            s => s.AttentionEntropyOn, (s, v) => s with { AttentionEntropyOn = (string)v }),
        SettingSpecs.Choice<CaptionSettings>("attention", Group,
            "attention captioner: soft (the expected context) or hard (one sampled location per word, REINFORCE, as Show, Attend and Tell 4.1)",
            CaptionerConfig.AttentionModes, s => s.Attention, (s, v) => s with { Attention = (string)v }),
        SettingSpecs.Real<CaptionSettings>("reinforce-weight", "R", Group, "hard attention: weight of the REINFORCE term (1: unbiased)", 0, 1e6,
            s => s.ReinforceWeight, (s, v) => s with { ReinforceWeight = (float)SettingSpecs.D(v) }),
        SettingSpecs.Real<CaptionSettings>("hard-entropy", "E", Group,
            "hard attention: weight of the entropy bonus of the sampled captions' attention (maximised, unlike --attention-entropy)", 0, 1e6,
            s => s.HardEntropy, (s, v) => s with { HardEntropy = (float)SettingSpecs.D(v) }),
        SettingSpecs.Real<CaptionSettings>("baseline-decay", "D", Group, "hard attention: decay of the moving-average REINFORCE baseline", 0, 1,
            s => s.BaselineDecay, (s, v) => s with { BaselineDecay = (float)SettingSpecs.D(v) }),
        SettingSpecs.Real<CaptionSettings>("expected-probability", "P", Group,
            "hard attention: probability that a training caption reads the expected (soft) context instead of sampled locations", 0, 1,
            s => s.ExpectedProbability, (s, v) => s with { ExpectedProbability = (float)SettingSpecs.D(v) }),
        SettingSpecs.Choice<CaptionSettings>("hard-decoding", Group,
            "hard attention outside training (validation, captions): the most probable location's context, or the expected one",
            CaptionerConfig.HardDecodings, s => s.HardDecoding, (s, v) => s with { HardDecoding = (string)v }),
        SettingSpecs.Real<CaptionSettings>("label-smoothing", "E", Group, "label smoothing of the training loss, as PyTorch's", 0, 0.999,
            s => s.LabelSmoothing, (s, v) => s with { LabelSmoothing = (float)SettingSpecs.D(v) }),
        SettingSpecs.Real<CaptionSettings>("feature-dropout", "P", Group,
            "dropout on the image features in training (not the coordinates), as the encoder's classifier had on its fc features", 0, 0.99,
            s => s.FeatureDropout, (s, v) => s with { FeatureDropout = (float)SettingSpecs.D(v) }),
        SettingSpecs.Real<CaptionSettings>("context-dropout", "P", Group,
            "attention: dropout on the attended context z in training; the attention itself scores the clean features", 0, 0.99,
            s => s.ContextDropout, (s, v) => s with { ContextDropout = (float)SettingSpecs.D(v) }),
        SettingSpecs.Choice<CaptionSettings>("initial-state", Group,
            "attention: image (a map of the mean annotation, as Show, Attend and Tell) or zero (the decoder sees the image only through its attention)",
            ["image", "zero"], s => s.InitialState, (s, v) => s with { InitialState = (string)v }),
        SettingSpecs.Flag<CaptionSettings>("visual-words", Group,
            "attention: the class words' scores read the attended image only; the state adds one shared offset (singular, plural)",
            s => s.VisualWords, (s, v) => s with { VisualWords = (bool)v }),
        SettingSpecs.Int<CaptionSettings>("max-words", "N", Group, "longest caption in words", 1, 1024,
            s => s.MaxWords, (s, v) => s with { MaxWords = SettingSpecs.I(v) }),
        .. SceneRuns.Specs<CaptionSettings>((s, v) => s with { GridPool = v }, (s, v) => s with { Coordinates = v }, (s, v) => s with { Features = v },
            (s, v) => s with { Scenes = v }),
    ];

    /// <summary>
    /// These settings for a captioner of kind <paramref name="model"/>: rnn and lstm have no attention, so the attention-only
    /// options they were not given on the command line (<paramref name="given"/>) are turned off; one that was given is kept,
    /// for <see cref="Validate(string)"/> to refuse.
    /// </summary>
    public CaptionSettings ForModel(string model, Func<string, bool> given)
    {
        ArgumentNullException.ThrowIfNull(given);
        if (model == "attention") return this;
        return this with
        {
            VisualWords = given("visual-words") && VisualWords,
            AttentionEntropy = given("attention-entropy") ? AttentionEntropy : 0,
            AttentionEntropyOn = given("attention-entropy-on") ? AttentionEntropyOn : "all",
            ContextDropout = given("context-dropout") ? ContextDropout : 0,
        };
    }

    /// <summary>
    /// <see cref="ForModel(string, Func{string, bool})"/> for a caller without a command line: an option counts as given when
    /// it differs from its default.
    /// </summary>
    public CaptionSettings ForModel(string model)
    {
        var defaults = new CaptionSettings();
        return ForModel(model, flag => Specs.First(s => s.Flag == flag) is var spec && !Equals(spec.Get(this), spec.Get(defaults)));
    }

    /// <summary>
    /// <see cref="Validate(string)"/>, and the hard-attention options given on the command line (<paramref name="given"/>) without
    /// <c>--attention hard</c>, which would do nothing, refused.
    /// </summary>
    public void Validate(string model, Func<string, bool> given)
    {
        ArgumentNullException.ThrowIfNull(given);
        Validate(model);
        if (Attention != "hard" && HardFlags.FirstOrDefault(given) is { } flag)
            throw new ArgumentException($"--{flag} applies to hard attention: add --attention hard (the attention is {Attention}).");
    }

    /// <summary>Throws <see cref="ArgumentException"/> for settings that do not go together with <paramref name="model"/>.</summary>
    public void Validate(string model)
    {
        if (Attention == "hard" && model != "attention")
            throw new ArgumentException($"--attention hard needs --model attention, not {model}: the {model} captioner has no attention.");
        if (AttentionEntropyOn == "objects" && !VisualWords)
            throw new ArgumentException("--attention-entropy-on objects needs --visual-words, which name the object words.");
        if ((AttentionEntropy > 0 || ContextDropout > 0 || VisualWords) && model != "attention")
            throw new ArgumentException($"--attention-entropy, --context-dropout and --visual-words need --model attention, not {model}.");
    }
}
