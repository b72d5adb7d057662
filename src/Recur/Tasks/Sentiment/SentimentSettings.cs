using System.Globalization;
using Recur.Data.Language;
using Recur.Training;

namespace Recur.Tasks.Sentiment;

/// <summary>What a sentiment run needs beyond <see cref="TrainOptions"/>, each option declared once in <see cref="Specs"/>.</summary>
public sealed record SentimentSettings
{
    /// <summary>Tokens read of each review: the first this many.</summary>
    public int MaxTokens { get; init; } = 400;

    /// <summary>A training word joins the vocabulary when seen at least this many times.</summary>
    public int MinCount { get; init; } = 5;

    /// <summary><c>max</c> or <c>mean</c> pooling of the BiLSTM's outputs over time.</summary>
    public string Pooling { get; init; } = "max";

    /// <summary>The split's seed (mixed into each text's hash).</summary>
    public ulong SplitSeed { get; init; } = 1;

    private const string Group = "sentiment";

    /// <summary>The task's own options: flag, default (this record's), range and help.</summary>
    public static IReadOnlyList<OptionSpec<SentimentSettings>> Specs { get; } =
    [
        SettingSpecs.Int<SentimentSettings>("max-tokens", "N", Group, "tokens read of each review (the first N)", 1, 1 << 16,
            s => s.MaxTokens, (s, v) => s with { MaxTokens = SettingSpecs.I(v) }),
        SettingSpecs.Int<SentimentSettings>("min-count", "N", Group, "training words seen fewer times are <unk>", 1, 1 << 20,
            s => s.MinCount, (s, v) => s with { MinCount = SettingSpecs.I(v) }),
        SettingSpecs.Choice<SentimentSettings>("pooling", Group, "max or mean of the BiLSTM's outputs over the review", ["max", "mean"],
            s => s.Pooling, (s, v) => s with { Pooling = (string)v }),
        SettingSpecs.Int<SentimentSettings>("split-seed", "S", Group, "the split 90/5/5 by a hash of each text", 0, long.MaxValue,
            s => s.SplitSeed, (s, v) => s with { SplitSeed = (ulong)Convert.ToInt64(v, CultureInfo.InvariantCulture) }),
    ];
}

/// <summary>The three sides of a sentiment run: 90 % train, 5 % validation, 5 % test, by <see cref="ImdbReviews.SplitOf"/>.</summary>
public sealed record SentimentSplits(IReadOnlyList<Review> Train, IReadOnlyList<Review> Validation, IReadOnlyList<Review> Test)
{
    /// <summary>The reviews split under <paramref name="seed"/>, each side in file order.</summary>
    public static SentimentSplits Of(IReadOnlyList<Review> reviews, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(reviews);
        var sides = new[] { new List<Review>(), new List<Review>(), new List<Review>() };
        foreach (var r in reviews) sides[ImdbReviews.SplitOf(r.Text, seed)].Add(r);
        return new SentimentSplits(sides[0], sides[1], sides[2]);
    }

    /// <summary>The reviews of split <paramref name="name"/> (<c>train</c>, <c>validation</c>, <c>test</c>).</summary>
    public IReadOnlyList<Review> this[string name] => name switch
    {
        "train" => Train,
        "validation" => Validation,
        "test" => Test,
        _ => throw new ArgumentException($"split must be train, validation or test, got '{name}'.", nameof(name)),
    };
}
