namespace Recur.Models.Seq2Seq;

/// <summary>Architecture of a <see cref="Seq2SeqModel"/>; stored in a run's <c>config.json</c> under <c>"model"</c>.</summary>
public sealed record Seq2SeqConfig
{
    /// <summary>The attention choices.</summary>
    public static IReadOnlyList<string> Attentions { get; } = ["bahdanau", "luong", "none"];

    /// <summary>Source symbols (0 = padding, 1 = unknown).</summary>
    public int SourceVocab { get; init; }

    /// <summary>Target symbols (0 = padding, 1 = start, 2 = end).</summary>
    public int TargetVocab { get; init; }

    /// <summary>Symbol vector width, both sides.</summary>
    public int Embed { get; init; } = 64;

    /// <summary>Encoder BiLSTM width per direction; annotations are twice this.</summary>
    public int Hidden { get; init; } = 128;

    /// <summary>Encoder layers.</summary>
    public int Layers { get; init; } = 1;

    /// <summary>Decoder LSTM width.</summary>
    public int DecoderHidden { get; init; } = 256;

    /// <summary>
    /// <c>bahdanau</c> (additive), <c>luong</c> (multiplicative, general) or <c>none</c> (the encoder reaches the
    /// decoder only through its initial state).
    /// </summary>
    public string Attention { get; init; } = "bahdanau";

    /// <summary>Additive attention's MLP width.</summary>
    public int AttentionDim { get; init; } = 128;

    /// <summary>Dropout in training on the source embeddings, between encoder layers and on the head's input <c>[h ; z]</c> (0 = off).</summary>
    public float Dropout { get; init; }

    /// <summary>Label smoothing of the training loss, as PyTorch's <c>CrossEntropyLoss(label_smoothing=)</c>: the target is
    /// 1 - s on the right symbol plus s / V on every symbol (0 = off). The validation loss stays the plain cross-entropy.</summary>
    public float LabelSmoothing { get; init; }

    /// <summary>Longest output in symbols (without start and end).</summary>
    public int MaxTarget { get; init; } = 24;

    /// <summary>Longest input read: a longer one is refused.</summary>
    public int MaxSource { get; init; } = 64;

    /// <summary>True with attention.</summary>
    public bool Attends => Attention != "none";

    /// <summary>Width of the attention's context: the annotations' (or 0 without attention).</summary>
    public int ContextDim => Attends ? 2 * Hidden : 0;

    public void Validate()
    {
        if (!(Dropout >= 0f && Dropout < 1f)) throw new ArgumentException($"dropout must be in [0, 1), got {Dropout}.");
        if (!(LabelSmoothing >= 0f && LabelSmoothing < 1f)) throw new ArgumentException($"label smoothing must be in [0, 1), got {LabelSmoothing}.");
        if (!Attentions.Contains(Attention)) throw new ArgumentException($"attention must be one of {string.Join(", ", Attentions)}, got '{Attention}'.");
        foreach (var (name, v, min, max) in new[] { ("source vocab", SourceVocab, 3, 1 << 20), ("target vocab", TargetVocab, 4, 1 << 20),
            ("embed", Embed, 1, 1 << 14), ("hidden", Hidden, 1, 1 << 14), ("layers", Layers, 1, 16), ("decoder hidden", DecoderHidden, 1, 1 << 14),
            ("attention dim", AttentionDim, 1, 1 << 14), ("max target", MaxTarget, 1, 1024), ("max source", MaxSource, 1, 1 << 16) })
            if (v < min || v > max) throw new ArgumentException($"{name} must be in [{min}, {max}], got {v}.");
    }
}
