namespace Recur.Models.Captioning;

/// <summary>
/// Architecture of a captioner; stored in a run's <c>config.json</c> under <c>"model"</c>. The image arrives as a grid
/// of <see cref="GridRows"/> x <see cref="GridCols"/> = <c>L</c> locations of <see cref="FeatureDim"/> features.
/// </summary>
public sealed record CaptionerConfig
{
    /// <summary>The three captioners.</summary>
    public static IReadOnlyList<string> Kinds { get; } = ["rnn", "lstm", "attention"];

    /// <summary>
    /// <c>rnn</c>: the lectures' vanilla RNN with the image inside the recurrence, <c>h = tanh(W_xh x + W_hh h + W_ih v)</c>;
    /// <c>lstm</c>: an LSTM whose initial state is a linear map of the image; <c>attention</c>: Show, Attend and Tell.
    /// </summary>
    public string Kind { get; init; } = "attention";

    /// <summary>Tokens <c>V</c> (the vocabulary, specials included).</summary>
    public int Vocab { get; init; }

    /// <summary>Word embedding width <c>E</c>.</summary>
    public int Embed { get; init; } = 64;

    /// <summary>Recurrent width <c>H</c>.</summary>
    public int Hidden { get; init; } = 256;

    /// <summary>Rows of the feature grid.</summary>
    public int GridRows { get; init; } = 7;

    /// <summary>Columns of the feature grid.</summary>
    public int GridCols { get; init; } = 7;

    /// <summary>Features per location <c>D</c>.</summary>
    public int FeatureDim { get; init; } = 64;

    /// <summary>Width <c>K</c> of the attention MLP (attention only).</summary>
    public int AttentionDim { get; init; } = 128;

    /// <summary>
    /// Weight <c>λ</c> of Show, Attend and Tell's doubly stochastic regulariser <c>λ/B Σ_b Σ_i (1 - Σ_t α_bti)²</c>, added
    /// to the mean cross-entropy per word (attention only; 0 = off).
    /// </summary>
    public float DoublyStochastic { get; init; } = 0.001f;

    /// <summary>
    /// Weight <c>γ</c> of an attention entropy penalty <c>γ/B Σ_b Σ_t H(α_bt)</c>, <c>H(α) = -Σ_i α_i ln α_i</c>, added to
    /// the loss (attention only; 0 = off): it asks each word to look at few locations, so that a word whose class the
    /// decoder could read from a blur of several cells has to find its object's cell instead.
    /// </summary>
    public float AttentionEntropy { get; init; }

    /// <summary>
    /// The steps <see cref="AttentionEntropy"/> counts: <c>all</c>, or <c>objects</c>, only the steps that write a class
    /// word (<see cref="SingularWords"/>, <see cref="PluralWords"/>), so that the words between (counts, relations) may
    /// look at several objects at once.
    /// </summary>
    public string AttentionEntropyOn { get; init; } = "all";

    /// <summary>
    /// Label smoothing <c>ε</c> of the training loss (PyTorch's <c>label_smoothing</c>): the target puts <c>ε/V</c> on every
    /// word, which bounds how sure the decoder may grow that a word never follows another; 0 = off. Validation and the
    /// scores use the plain cross-entropy.
    /// </summary>
    public float LabelSmoothing { get; init; }

    /// <summary>
    /// Dropout on the image features in training (not on the location coordinates): each feature of each location is
    /// zeroed with this probability and the rest scaled by <c>1/(1-p)</c>, as the encoder's own classifier was trained
    /// on its fully connected features; the frozen encoder gives the training scenes' features the same every epoch,
    /// and this keeps the captioner from fitting them exactly. 0 = off; evaluation never drops.
    /// </summary>
    public float FeatureDropout { get; init; }

    /// <summary>
    /// Dropout on the attended context <c>z_t</c> in training (attention only): the LSTM's input and the head read the
    /// context with each feature zeroed with this probability and the rest scaled by <c>1/(1-p)</c>, while the attention
    /// itself scores the clean features (unlike <see cref="FeatureDropout"/>, which also blurs what the attention looks
    /// at). 0 = off; evaluation never drops.
    /// </summary>
    public float ContextDropout { get; init; }

    /// <summary>
    /// The attention captioner's initial state: <c>image</c>, a linear map of the mean annotation (Show, Attend and Tell),
    /// or <c>zero</c>, so that the decoder learns of the image only through what it attends to.
    /// </summary>
    public string InitialState { get; init; } = "image";

    /// <summary>
    /// The ids of the singular class words whose logits read the image context only (the attention captioner's
    /// <see cref="VisualWords"/>); empty = a plain head.
    /// </summary>
    public int[] SingularWords { get; init; } = [];

    /// <summary>The plural class words, as <see cref="SingularWords"/>.</summary>
    public int[] PluralWords { get; init; } = [];

    /// <summary>The attention modes of the attention captioner.</summary>
    public static IReadOnlyList<string> AttentionModes { get; } = ["soft", "hard"];

    /// <summary>
    /// <c>soft</c>: the context is the expectation <c>ẑ_t = Σ_i α_ti a_i</c> (Show, Attend and Tell's deterministic attention);
    /// <c>hard</c>: in training the context is one location's features <c>a_{s_t}</c>, <c>s_t ~ Multinoulli(α_t)</c>, trained by
    /// REINFORCE (<see cref="HardAttention"/>); checkpoints from before the option read as soft.
    /// </summary>
    public string Attention { get; init; } = "soft";

    /// <summary>Hard attention: the weight <c>λ_r</c> of the REINFORCE term (1 = the unbiased gradient of the bound).</summary>
    public float ReinforceWeight { get; init; } = 1f;

    /// <summary>
    /// Hard attention: the weight <c>λ_e</c> of the entropy bonus <c>H(α_t)</c> of each sampled caption's steps, which is
    /// maximised (exploration); unlike <see cref="AttentionEntropy"/>, a penalty, which is minimised.
    /// </summary>
    public float HardEntropy { get; init; } = 0.01f;

    /// <summary>Hard attention: the decay <c>d</c> of the moving-average baseline, <c>b ← d b + (1 - d) mean log p(y | s, a)</c>.</summary>
    public float BaselineDecay { get; init; } = 0.9f;

    /// <summary>Hard attention: the probability that a training caption uses the expected (soft) context instead of a sampled location.</summary>
    public float ExpectedProbability { get; init; } = 0.5f;

    /// <summary>The hard-attention modes of evaluation and decoding.</summary>
    public static IReadOnlyList<string> HardDecodings { get; } = ["argmax", "expected"];

    /// <summary>
    /// Hard attention outside training (validation loss, decoding): <c>argmax</c>, the context of the most probable location,
    /// or <c>expected</c>, the soft context; both deterministic.
    /// </summary>
    public string HardDecoding { get; init; } = "argmax";

    /// <summary>Longest caption in words; sequences are <c>MaxWords + 1</c> steps.</summary>
    public int MaxWords { get; init; } = 12;

    /// <summary>Locations <c>L</c>.</summary>
    public int Locations => GridRows * GridCols;

    /// <summary>Checks every field; the message names the field, the value and the accepted range.</summary>
    public void Validate()
    {
        if (!Kinds.Contains(Kind)) throw new ArgumentException($"kind must be one of {string.Join(", ", Kinds)}, got '{Kind}'.");
        if (Vocab is < 5 or > 1 << 20) throw new ArgumentException($"vocab must be in [5, 2^20], got {Vocab}.");
        foreach (var (name, v, max) in new[] { ("embed", Embed, 1 << 14), ("hidden", Hidden, 1 << 14), ("grid rows", GridRows, 1024),
            ("grid cols", GridCols, 1024), ("feature dim", FeatureDim, 1 << 14), ("attention dim", AttentionDim, 1 << 14), ("max words", MaxWords, 1024) })
            if (v < 1 || v > max) throw new ArgumentException($"{name} must be in [1, {max}], got {v}.");
        if (!(DoublyStochastic >= 0f && float.IsFinite(DoublyStochastic)))
            throw new ArgumentException($"the doubly stochastic weight must be finite and non-negative, got {DoublyStochastic}.");
        if (!(AttentionEntropy >= 0f && float.IsFinite(AttentionEntropy)))
            throw new ArgumentException($"the attention entropy weight must be finite and non-negative, got {AttentionEntropy}.");
        if (AttentionEntropy > 0f && Kind != "attention") throw new ArgumentException("the attention entropy penalty needs the attention captioner.");
        if (AttentionEntropyOn is not ("all" or "objects"))
            throw new ArgumentException($"the attention entropy applies to all or objects, got '{AttentionEntropyOn}'.");
        if (AttentionEntropyOn == "objects" && SingularWords.Length == 0)
            throw new ArgumentException("the attention entropy on the object words needs the visual words, which name them.");
        if (!(LabelSmoothing >= 0f && LabelSmoothing < 1f)) throw new ArgumentException($"label smoothing must be in [0, 1), got {LabelSmoothing}.");
        if (!(FeatureDropout >= 0f && FeatureDropout < 1f)) throw new ArgumentException($"feature dropout must be in [0, 1), got {FeatureDropout}.");
        if (!(ContextDropout >= 0f && ContextDropout < 1f)) throw new ArgumentException($"context dropout must be in [0, 1), got {ContextDropout}.");
        if (ContextDropout > 0f && Kind != "attention") throw new ArgumentException("context dropout needs the attention captioner.");
        if (SingularWords.Length > 0 && Kind != "attention") throw new ArgumentException("visual words need the attention captioner.");
        if (SingularWords.Concat(PluralWords).Any(v => v < 0 || v >= Vocab)
            || SingularWords.Concat(PluralWords).Distinct().Count() != SingularWords.Length + PluralWords.Length)
            throw new ArgumentException($"visual word ids must be distinct and in [0, {Vocab}).");
        if (PluralWords.Length > 0 && SingularWords.Length == 0) throw new ArgumentException("plural visual words need singular ones.");
        if (!AttentionModes.Contains(Attention)) throw new ArgumentException($"the attention must be soft or hard, got '{Attention}'.");
        if (Attention == "hard" && Kind != "attention") throw new ArgumentException("hard attention needs the attention captioner.");
        if (!(ReinforceWeight >= 0f && float.IsFinite(ReinforceWeight)))
            throw new ArgumentException($"the REINFORCE weight must be finite and non-negative, got {ReinforceWeight}.");
        if (!(HardEntropy >= 0f && float.IsFinite(HardEntropy)))
            throw new ArgumentException($"the hard attention entropy weight must be finite and non-negative, got {HardEntropy}.");
        if (!(BaselineDecay >= 0f && BaselineDecay <= 1f)) throw new ArgumentException($"the baseline decay must be in [0, 1], got {BaselineDecay}.");
        if (!(ExpectedProbability >= 0f && ExpectedProbability <= 1f))
            throw new ArgumentException($"the expected-context probability must be in [0, 1], got {ExpectedProbability}.");
        if (!HardDecodings.Contains(HardDecoding)) throw new ArgumentException($"hard decoding must be argmax or expected, got '{HardDecoding}'.");
        if (InitialState is not ("image" or "zero")) throw new ArgumentException($"the initial state must be image or zero, got '{InitialState}'.");
    }
}
