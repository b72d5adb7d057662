namespace Recur.Models.Tagging;

/// <summary>Architecture of a <see cref="Tagger"/>; stored in a run's <c>config.json</c> under <c>"model"</c>.</summary>
public sealed record TaggerConfig
{
    /// <summary>Word types (0 = padding, 1 = unknown).</summary>
    public int Words { get; init; }

    /// <summary>Character types (0 = padding, 1 = unknown).</summary>
    public int Chars { get; init; }

    /// <summary>Tags <c>K</c>.</summary>
    public int Tags { get; init; }

    /// <summary>Word vector width.</summary>
    public int WordEmbed { get; init; } = 64;

    /// <summary>Character vector width.</summary>
    public int CharEmbed { get; init; } = 16;

    /// <summary>Width of each direction of the character BiLSTM; a word's character vector is twice this.</summary>
    public int CharHidden { get; init; } = 32;

    /// <summary>Width of each direction of the sentence BiLSTM.</summary>
    public int Hidden { get; init; } = 128;

    /// <summary>Stacked sentence BiLSTM layers.</summary>
    public int Layers { get; init; } = 1;

    /// <summary>Dropout on the sentence BiLSTM's input and output in training.</summary>
    public float Dropout { get; init; }

    /// <summary>Characters read of a word: longer words keep their first two thirds and last third of this many.</summary>
    public int MaxWordChars { get; init; } = 24;

    /// <summary>Checks every field.</summary>
    public void Validate()
    {
        foreach (var (name, v, min, max) in new[] { ("words", Words, 3, 1 << 22), ("chars", Chars, 3, 1 << 20), ("tags", Tags, 2, 1 << 16),
            ("word embed", WordEmbed, 1, 1 << 14), ("char embed", CharEmbed, 1, 1 << 12), ("char hidden", CharHidden, 1, 1 << 12),
            ("hidden", Hidden, 1, 1 << 14), ("layers", Layers, 1, 16), ("max word chars", MaxWordChars, 2, 1 << 10) })
            if (v < min || v > max) throw new ArgumentException($"{name} must be in [{min}, {max}], got {v}.");
        if (!(Dropout >= 0f && Dropout < 1f)) throw new ArgumentException($"dropout must be in [0, 1), got {Dropout}.");
    }
}
