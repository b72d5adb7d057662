using Recur.Data.Language;

namespace Recur.Tasks.Tag;

/// <summary>The most-frequent-tag baseline: each word's most frequent training tag, and for a word never seen the most frequent tag of all.</summary>
public static class MostFrequentTag
{
    /// <summary>
    /// Accuracy on <paramref name="test"/> of the baseline learnt from <paramref name="train"/> (tags mapped by
    /// <paramref name="map"/>), overall and on unseen words.
    /// </summary>
    public static (double Accuracy, double UnseenAccuracy) Score(IEnumerable<TaggedSentence> train, IEnumerable<TaggedSentence> test, Func<string, string> map)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(test);
        ArgumentNullException.ThrowIfNull(map);
        var counts = new Dictionary<string, Dictionary<string, int>>(StringComparer.Ordinal);
        var overall = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var s in train)
            for (int i = 0; i < s.Words.Count; i++)
            {
                string w = s.Words[i].ToLowerInvariant(), t = map(s.Tags[i]);
                if (!counts.TryGetValue(w, out var c)) counts[w] = c = new Dictionary<string, int>(StringComparer.Ordinal);
                c[t] = c.GetValueOrDefault(t) + 1;
                overall[t] = overall.GetValueOrDefault(t) + 1;
            }
        string Best(Dictionary<string, int> c) => c.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal).First().Key;
        var best = counts.ToDictionary(kv => kv.Key, kv => Best(kv.Value), StringComparer.Ordinal);
        string fallback = Best(overall);
        long n = 0, right = 0, un = 0, unRight = 0;
        foreach (var s in test)
            for (int i = 0; i < s.Words.Count; i++)
            {
                string w = s.Words[i].ToLowerInvariant(), gold = map(s.Tags[i]);
                bool seen = best.TryGetValue(w, out var guess);
                bool ok = (seen ? guess : fallback) == gold;
                n++; if (ok) right++;
                if (!seen) { un++; if (ok) unRight++; }
            }
        return (n == 0 ? double.NaN : (double)right / n, un == 0 ? double.NaN : (double)unRight / un);
    }
}
