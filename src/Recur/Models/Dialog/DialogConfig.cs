namespace Recur.Models.Dialog;

/// <summary>Architecture of a <see cref="DialogModel"/>; stored in a run's <c>config.json</c> under <c>"model"</c>.</summary>
public sealed record DialogConfig
{
    /// <summary>The history encoders: none (each round alone, as VQA), hre (hierarchical), memory (a memory network).</summary>
    public static IReadOnlyList<string> HistoryKinds { get; } = ["none", "hre", "memory"];

    /// <summary>Question tokens <c>V</c> (specials included).</summary>
    public int Vocab { get; init; }

    /// <summary>Answers <c>A</c>.</summary>
    public int Answers { get; init; }

    /// <summary>Word and answer vector width <c>E</c>.</summary>
    public int Embed { get; init; } = 64;

    /// <summary>Question encoder (LSTM) width <c>H</c>; also the history's and the query's.</summary>
    public int Hidden { get; init; } = 256;

    /// <summary>Rows of the image's feature grid.</summary>
    public int GridRows { get; init; } = 3;

    /// <summary>Columns of the feature grid.</summary>
    public int GridCols { get; init; } = 3;

    /// <summary>Features per location <c>D</c>.</summary>
    public int FeatureDim { get; init; } = 64;

    /// <summary>Attention MLP width <c>K</c>.</summary>
    public int AttentionDim { get; init; } = 128;

    /// <summary>Width <c>F</c> of the joint representation that scores the answers.</summary>
    public int Fusion { get; init; } = 256;

    /// <summary>One of <see cref="HistoryKinds"/>.</summary>
    public string History { get; init; } = "hre";

    /// <summary>Attention hops over the image: 1, or 2 (the second query reads what the first found: "above it" after finding "it").</summary>
    public int Hops { get; init; } = 2;

    /// <summary>The question(+history)-only model: no image at all.</summary>
    public bool Blind { get; init; }

    /// <summary>Answers scored from the last attended context alone (<c>W_v z + b_v</c>, VQA's visual answers): the class words.</summary>
    public int[] VisualAnswers { get; init; } = [];

    /// <summary>Question length in tokens (questions are left-padded to it).</summary>
    public int MaxWords { get; init; } = 7;

    /// <summary>Locations <c>L</c>.</summary>
    public int Locations => GridRows * GridCols;

    /// <summary>True when the model reads the dialog's earlier rounds.</summary>
    public bool HasHistory => History != "none";

    /// <summary>Checks every field.</summary>
    public void Validate()
    {
        foreach (var (name, v, min, max) in new[] { ("vocab", Vocab, 5, 1 << 20), ("answers", Answers, 2, 1 << 20), ("embed", Embed, 1, 1 << 14),
            ("hidden", Hidden, 1, 1 << 14), ("grid rows", GridRows, 1, 1024), ("grid cols", GridCols, 1, 1024), ("feature dim", FeatureDim, 1, 1 << 14),
            ("attention dim", AttentionDim, 1, 1 << 14), ("fusion", Fusion, 1, 1 << 14), ("max words", MaxWords, 1, 1024), ("hops", Hops, 1, 2) })
            if (v < min || v > max) throw new ArgumentException($"{name} must be in [{min}, {max}], got {v}.");
        if (!HistoryKinds.Contains(History)) throw new ArgumentException($"history must be one of {string.Join(", ", HistoryKinds)}, got '{History}'.");
        if (VisualAnswers is null || VisualAnswers.Any(a => a < 0 || a >= Answers) || VisualAnswers.Distinct().Count() != VisualAnswers.Length)
            throw new ArgumentException($"visual answers must be distinct answer ids in [0, {Answers}).");
        if (Blind && VisualAnswers.Length > 0) throw new ArgumentException("the question-only model has no image to read visual answers from.");
    }
}
