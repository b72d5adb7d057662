namespace Recur.Models.Sentiment;

/// <summary>Architecture of a <see cref="SentimentClassifier"/>; stored in a run's <c>config.json</c> under <c>"model"</c>.</summary>
public sealed record SentimentConfig
{
    /// <summary>Word types (0 = padding, 1 = unknown).</summary>
    public int Words { get; init; }

    /// <summary>Word vector width.</summary>
    public int Embed { get; init; } = 128;

    /// <summary>Width of each direction of the BiLSTM.</summary>
    public int Hidden { get; init; } = 128;

    /// <summary>Stacked BiLSTM layers.</summary>
    public int Layers { get; init; } = 1;

    /// <summary>Dropout on the BiLSTM's input and on the pooled vector in training.</summary>
    public float Dropout { get; init; }

    /// <summary>How the BiLSTM's outputs over time become one vector: <c>max</c> or <c>mean</c> (over the review's own steps).</summary>
    public string Pooling { get; init; } = "max";

    /// <summary>Tokens read of a review: the first this many.</summary>
    public int MaxTokens { get; init; } = 400;

    /// <summary>Classes: negative (0) and positive (1).</summary>
    public const int Classes = 2;

    /// <summary>Checks every field.</summary>
    public void Validate()
    {
        foreach (var (name, v, min, max) in new[] { ("words", Words, 3, 1 << 22), ("embed", Embed, 1, 1 << 14), ("hidden", Hidden, 1, 1 << 14),
            ("layers", Layers, 1, 16), ("max tokens", MaxTokens, 1, 1 << 16) })
            if (v < min || v > max) throw new ArgumentException($"{name} must be in [{min}, {max}], got {v}.");
        if (!(Dropout >= 0f && Dropout < 1f)) throw new ArgumentException($"dropout must be in [0, 1), got {Dropout}.");
        if (Pooling is not ("max" or "mean")) throw new ArgumentException($"pooling must be max or mean, got '{Pooling}'.");
    }
}
