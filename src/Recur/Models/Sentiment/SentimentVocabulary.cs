using Recur.Data.Language;

namespace Recur.Models.Sentiment;

/// <summary>
/// The words a sentiment classifier knows: the tokens (<see cref="ReviewTokenizer"/>, lower case) of the training reviews
/// seen at least <c>minCount</c> times, in ordinal order after id 0 (padding) and id 1 (<c>&lt;unk&gt;</c>, any other word).
/// </summary>
public sealed class SentimentVocabulary
{
    public const int Pad = 0, Unknown = 1;
    private readonly Dictionary<string, int> _ids;

    /// <summary>The table from its list (padding and unknown first).</summary>
    public SentimentVocabulary(IReadOnlyList<string> words)
    {
        ArgumentNullException.ThrowIfNull(words);
        if (words.Count < 3) throw new ArgumentException("a sentiment vocabulary needs padding, unknown and at least one word.");
        Words = words;
        _ids = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < words.Count; i++) if (!_ids.TryAdd(words[i], i)) throw new ArgumentException($"word '{words[i]}' appears twice.");
    }

    /// <summary>Builds the table from the first <paramref name="maxTokens"/> tokens of each of <paramref name="train"/>.</summary>
    public static SentimentVocabulary Build(IEnumerable<string> train, int minCount, int maxTokens)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentOutOfRangeException.ThrowIfLessThan(minCount, 1);
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var text in train)
            foreach (var w in ReviewTokenizer.Tokenize(text, maxTokens)) counts[w] = counts.GetValueOrDefault(w) + 1;
        var words = counts.Where(kv => kv.Value >= minCount).Select(kv => kv.Key).Order(StringComparer.Ordinal).ToList();
        if (words.Count == 0) throw new ArgumentException($"no training word occurs {minCount} times: there is nothing to learn from.");
        return new SentimentVocabulary(["<pad>", "<unk>", .. words]);
    }

    /// <summary>Every entry, padding and unknown first.</summary>
    public IReadOnlyList<string> Words { get; }

    /// <summary>The id of <paramref name="word"/> (a token, lower case), or <see cref="Unknown"/>.</summary>
    public int Id(string word) => _ids.TryGetValue(word, out int id) ? id : Unknown;

    /// <summary>The ids of the first <paramref name="maxTokens"/> tokens of <paramref name="text"/>.</summary>
    public int[] Encode(string text, int maxTokens) => [.. ReviewTokenizer.Tokenize(text, maxTokens).Select(Id)];
}
