using Recur.Data.Language;
using Recur.Training;

namespace Recur.Tasks.Tag;

/// <summary>What a tagging run needs beyond <see cref="TrainOptions"/>, each option declared once in <see cref="Specs"/>.</summary>
public sealed record TagSettings
{
    /// <summary><c>universal</c> (12 tags) or <c>fine</c> (the corpus's own, without the title/headline/citation suffixes).</summary>
    public string Tagset { get; init; } = "universal";

    /// <summary>Width of the character embedding.</summary>
    public int CharEmbed { get; init; } = 16;

    /// <summary>Width of the character BiLSTM per direction.</summary>
    public int CharHidden { get; init; } = 32;

    /// <summary>Characters read of each word.</summary>
    public int MaxWordChars { get; init; } = 24;

    /// <summary>The document split's seed.</summary>
    public ulong SplitSeed { get; init; } = 1;

    private const string Group = "tagging";

    /// <summary>The task's own options: flag, default (this record's), range and help.</summary>
    public static IReadOnlyList<OptionSpec<TagSettings>> Specs { get; } =
    [
        SettingSpecs.Choice<TagSettings>("tagset", Group, "universal (12 tags) or fine (the corpus's own, without -tl, -hl, -nc)", ["universal", "fine"],
            s => s.Tagset, (s, v) => s with { Tagset = (string)v }),
        SettingSpecs.Int<TagSettings>("char-hidden", "N", Group, "character BiLSTM width per direction", 1, 4096,
            s => s.CharHidden, (s, v) => s with { CharHidden = SettingSpecs.I(v) }),
        SettingSpecs.Int<TagSettings>("split-seed", "S", Group, "the document split 80/10/10", 0, long.MaxValue,
            s => s.SplitSeed, (s, v) => s with { SplitSeed = (ulong)Convert.ToInt64(v, System.Globalization.CultureInfo.InvariantCulture) }),
    ];
}

/// <summary>The three document splits of a tagging run, as sentences.</summary>
public sealed record TagSplits(IReadOnlyList<TaggedSentence> Train, IReadOnlyList<TaggedSentence> Validation, IReadOnlyList<TaggedSentence> Test)
{
    /// <summary>The Brown corpus split by document 80/10/10 from <paramref name="seed"/>.</summary>
    public static TagSplits Of(IReadOnlyList<BrownDocument> documents, ulong seed)
    {
        var (tr, val, test) = BrownCorpus.Split(documents, seed);
        static TaggedSentence[] All(IEnumerable<BrownDocument> d) => [.. d.SelectMany(x => x.Sentences)];
        return new TagSplits(All(tr), All(val), All(test));
    }

    /// <summary>The sentences of split <paramref name="name"/> (<c>train</c>, <c>validation</c>, <c>test</c>).</summary>
    public IReadOnlyList<TaggedSentence> this[string name] => name switch
    {
        "train" => Train,
        "validation" => Validation,
        "test" => Test,
        _ => throw new ArgumentException($"split must be train, validation or test, got '{name}'.", nameof(name)),
    };

    /// <summary>The training word types, lower case.</summary>
    public IReadOnlySet<string> SeenWords() => Train.SelectMany(s => s.Words).Select(w => w.ToLowerInvariant()).ToHashSet(StringComparer.Ordinal);
}
