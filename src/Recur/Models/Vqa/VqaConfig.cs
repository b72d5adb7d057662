namespace Recur.Models.Vqa;

/// <summary>Architecture of a <see cref="VqaModel"/>; stored in a run's <c>config.json</c> under <c>"model"</c>.</summary>
public sealed record VqaConfig
{
    /// <summary>Question tokens <c>V</c> (specials included).</summary>
    public int Vocab { get; init; }

    /// <summary>Answers <c>A</c>.</summary>
    public int Answers { get; init; }

    /// <summary>Word vector width <c>E</c>.</summary>
    public int Embed { get; init; } = 64;

    /// <summary>Question encoder (LSTM) width <c>H</c>.</summary>
    public int Hidden { get; init; } = 256;

    /// <summary>Rows of the image's feature grid.</summary>
    public int GridRows { get; init; } = 7;

    /// <summary>Columns of the feature grid.</summary>
    public int GridCols { get; init; } = 7;

    /// <summary>Features per location <c>D</c>.</summary>
    public int FeatureDim { get; init; } = 64;

    /// <summary>Attention MLP width <c>K</c>.</summary>
    public int AttentionDim { get; init; } = 128;

    /// <summary>Width <c>F</c> of the joint question-image representation.</summary>
    public int Fusion { get; init; } = 256;

    /// <summary>The question-only baseline: no image at all.</summary>
    public bool Blind { get; init; }

    /// <summary>
    /// Answers scored from the attended image alone, <c>W_v z + b_v</c> (<c>visual</c>), instead of from the joint
    /// representation: the class names, so that which class is named rests on what is there, not on which classes the
    /// question's words have been seen with (the captioner's visual words, for answers). Empty: every answer from <c>f</c>.
    /// </summary>
    public int[] VisualAnswers { get; init; } = [];

    /// <summary>
    /// Where each location's class probabilities start among its features (the encoder's <c>fc-probs</c>), with
    /// <see cref="ClassCountWidth"/>.
    /// </summary>
    public int ClassCountOffset { get; init; }

    /// <summary>
    /// Classes <c>K</c> whose probabilities, summed over the locations, join the attended context: <c>[z ; Σ_i p_i]</c>
    /// <c>(D + K)</c>, how many of each class the encoder sees in the whole image, which no softmax-weighted context can
    /// say (Zhang et al. 2018: attention normalises counts away). 0: none.
    /// </summary>
    public int ClassCountWidth { get; init; }

    /// <summary>
    /// Answers scored by counting (needs <see cref="ClassCountWidth"/>): the question picks a class, <c>c = softmax(W_c q + b_c)</c>
    /// <c>(K)</c> (<c>count_query</c>), its count is <c>n = c · Σ_i p_i</c>, and these answers' scores are
    /// <c>W_n [n ; n²] + b_n</c> (<c>count</c>), in place of the head's: a quadratic in <c>n</c> per answer, which can peak
    /// at its own number. How many of a class are there rests on the encoder's reading of each object, not on which
    /// classes were seen together. Empty: none.
    /// </summary>
    public int[] CountAnswers { get; init; } = [];

    /// <summary>
    /// The class counts weigh each location by a learned presence, <c>Σ_i σ(w · f_i + b) p_i</c> (<c>presence</c>; needs
    /// <see cref="ClassCountWidth"/>), instead of summing every location's probabilities, empty ones included
    /// (<see cref="ClassCounts"/>).
    /// </summary>
    public bool Presence { get; init; }

    /// <summary>
    /// Networks in the model: 1, or an ensemble of that many, trained side by side, whose choice probabilities are averaged
    /// (<see cref="VqaModel"/>).
    /// </summary>
    public int Members { get; init; } = 1;

    /// <summary>Width of what the answer head reads of the image: the context and the class counts.</summary>
    public int ContextDim => FeatureDim + ClassCountWidth;

    /// <summary>Question length in tokens (questions are left-padded to it).</summary>
    public int MaxWords { get; init; } = 8;

    /// <summary>Locations <c>L</c>.</summary>
    public int Locations => GridRows * GridCols;

    /// <summary>Checks every field.</summary>
    public void Validate()
    {
        foreach (var (name, v, min, max) in new[] { ("vocab", Vocab, 5, 1 << 20), ("answers", Answers, 2, 1 << 20), ("embed", Embed, 1, 1 << 14),
            ("hidden", Hidden, 1, 1 << 14), ("grid rows", GridRows, 1, 1024), ("grid cols", GridCols, 1, 1024), ("feature dim", FeatureDim, 1, 1 << 14),
            ("attention dim", AttentionDim, 1, 1 << 14), ("fusion", Fusion, 1, 1 << 14), ("max words", MaxWords, 1, 1024), ("members", Members, 1, 64) })
            if (v < min || v > max) throw new ArgumentException($"{name} must be in [{min}, {max}], got {v}.");
        if (VisualAnswers is null || VisualAnswers.Any(a => a < 0 || a >= Answers) || VisualAnswers.Distinct().Count() != VisualAnswers.Length)
            throw new ArgumentException($"visual answers must be distinct answer ids in [0, {Answers}).");
        if (Blind && VisualAnswers.Length > 0) throw new ArgumentException("the question-only baseline has no image to read visual answers from.");
        if (CountAnswers is null || CountAnswers.Any(a => a < 0 || a >= Answers) || CountAnswers.Distinct().Count() != CountAnswers.Length
            || CountAnswers.Intersect(VisualAnswers).Any() || (CountAnswers.Length > 0 && ClassCountWidth == 0))
            throw new ArgumentException($"count answers must be distinct answer ids in [0, {Answers}), none a visual answer, and need class counts.");
        if (Presence && ClassCountWidth == 0) throw new ArgumentException("presence weighs the class counts: it needs class counts.");
        if (ClassCountWidth < 0 || ClassCountOffset < 0 || (ClassCountWidth > 0 && (Blind || ClassCountOffset + ClassCountWidth > FeatureDim)))
            throw new ArgumentException($"class counts [{ClassCountOffset}, {ClassCountOffset + ClassCountWidth}) must lie within the {FeatureDim} "
                + "features of an image the model reads.");
    }
}
