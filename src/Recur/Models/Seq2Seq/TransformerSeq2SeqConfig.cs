namespace Recur.Models.Seq2Seq;

/// <summary>Architecture of a <see cref="TransformerSeq2SeqModel"/>; stored in a run's <c>config.json</c> under <c>"model"</c>.</summary>
public sealed record TransformerSeq2SeqConfig
{
    /// <summary>Source symbols (0 = padding, 1 = unknown).</summary>
    public int SourceVocab { get; init; }

    /// <summary>Target symbols (0 = padding, 1 = start, 2 = end).</summary>
    public int TargetVocab { get; init; }

    /// <summary>Model width <c>d_model</c>: embeddings, attention and every residual stream (even, a multiple of the heads).</summary>
    public int DModel { get; init; } = 128;

    /// <summary>Attention heads per attention layer.</summary>
    public int Heads { get; init; } = 4;

    /// <summary>Encoder layers.</summary>
    public int EncoderLayers { get; init; } = 3;

    /// <summary>Decoder layers.</summary>
    public int DecoderLayers { get; init; } = 3;

    /// <summary>Hidden width of each layer's feed-forward network <c>d_ff</c>.</summary>
    public int FeedForward { get; init; } = 512;

    /// <summary>Dropout in training on the embeddings plus positions and on every sub-layer's output before its residual sum (0 = off).</summary>
    public float Dropout { get; init; } = 0.1f;

    /// <summary>Label smoothing of the training loss, as <see cref="Seq2SeqConfig.LabelSmoothing"/> (0 = off).</summary>
    public float LabelSmoothing { get; init; }

    /// <summary>
    /// True: the output projection's weight is the target embedding's (Press and Wolf 2017, as the paper does); false: a
    /// separate <c>head.weight</c>. The output projection has a bias <c>head.bias</c> either way.
    /// </summary>
    public bool TieEmbeddings { get; init; }

    /// <summary>Longest output in symbols (without start and end).</summary>
    public int MaxTarget { get; init; } = 24;

    /// <summary>Longest input read: a longer one is refused.</summary>
    public int MaxSource { get; init; } = 64;

    public void Validate()
    {
        if (!(Dropout >= 0f && Dropout < 1f)) throw new ArgumentException($"dropout must be in [0, 1), got {Dropout}.");
        if (!(LabelSmoothing >= 0f && LabelSmoothing < 1f)) throw new ArgumentException($"label smoothing must be in [0, 1), got {LabelSmoothing}.");
        foreach (var (name, v, min, max) in new[] { ("source vocab", SourceVocab, 3, 1 << 20), ("target vocab", TargetVocab, 4, 1 << 20),
            ("d-model", DModel, 2, 1 << 13), ("heads", Heads, 1, 256), ("encoder layers", EncoderLayers, 1, 48), ("decoder layers", DecoderLayers, 1, 48),
            ("feed-forward", FeedForward, 1, 1 << 16), ("max target", MaxTarget, 1, 1024), ("max source", MaxSource, 1, 1 << 16) })
            if (v < min || v > max) throw new ArgumentException($"{name} must be in [{min}, {max}], got {v}.");
        if (DModel % 2 != 0) throw new ArgumentException($"d-model must be even (sine and cosine positions pair up), got {DModel}.");
        if (DModel % Heads != 0) throw new ArgumentException($"d-model {DModel} is not divisible by {Heads} heads; choose a multiple of the heads.");
    }
}
