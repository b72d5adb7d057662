using System.Collections.Concurrent;
using System.Text;

namespace Recur.Data.Translation;

/// <summary>
/// Byte-pair encoding (Sennrich et al. 2016) over characters: an ordered list of merges, each joining two adjacent
/// symbols into one. A word starts as its characters (Unicode scalar values); <see cref="Segment"/> applies the merges
/// by rank (the earliest-learned pair present first, every occurrence of it left to right) until none applies.
/// <see cref="Learn"/> learns them from word counts: each step joins the most frequent adjacent pair (ties: the
/// ordinally smaller left symbol, then right symbol), until the count is reached or no pair occurs twice.
/// </summary>
public sealed class BpeMerges
{
    private readonly Dictionary<(string, string), int> _rank;
    private readonly ConcurrentDictionary<string, string[]> _cache = new(StringComparer.Ordinal);

    public BpeMerges(IReadOnlyList<(string Left, string Right)> merges)
    {
        ArgumentNullException.ThrowIfNull(merges);
        Merges = merges;
        _rank = new Dictionary<(string, string), int>(merges.Count);
        for (int i = 0; i < merges.Count; i++)
        {
            var (l, r) = merges[i];
            if (string.IsNullOrEmpty(l) || string.IsNullOrEmpty(r)) throw new ArgumentException($"merge {i} has an empty side.", nameof(merges));
            _rank.TryAdd((l, r), i);
        }
    }

    /// <summary>The merges in the order they were learned (and are applied).</summary>
    public IReadOnlyList<(string Left, string Right)> Merges { get; }

    /// <summary>The characters of <paramref name="word"/>, one string per Unicode scalar value (a lone surrogate is one too).</summary>
    public static string[] Characters(string word)
    {
        ArgumentNullException.ThrowIfNull(word);
        var list = new List<string>(word.Length);
        for (int i = 0; i < word.Length;)
        {
            int n = Rune.TryGetRuneAt(word, i, out var r) ? r.Utf16SequenceLength : 1;
            list.Add(word.Substring(i, n));
            i += n;
        }
        return [.. list];
    }

    /// <summary>The symbols of <paramref name="word"/> after the merges.</summary>
    public IReadOnlyList<string> Segment(string word)
    {
        ArgumentNullException.ThrowIfNull(word);
        if (_cache.TryGetValue(word, out var done)) return done;
        var symbols = new List<string>(Characters(word));
        while (symbols.Count > 1)
        {
            int best = int.MaxValue;
            (string, string) pair = default;
            for (int i = 0; i + 1 < symbols.Count; i++)
                if (_rank.TryGetValue((symbols[i], symbols[i + 1]), out int r) && r < best) { best = r; pair = (symbols[i], symbols[i + 1]); }
            if (best == int.MaxValue) break;
            var merged = new List<string>(symbols.Count);
            for (int i = 0; i < symbols.Count; i++)
            {
                if (i + 1 < symbols.Count && symbols[i] == pair.Item1 && symbols[i + 1] == pair.Item2) { merged.Add(pair.Item1 + pair.Item2); i++; }
                else merged.Add(symbols[i]);
            }
            symbols = merged;
        }
        var result = symbols.ToArray();
        if (_cache.Count < 1 << 20) _cache.TryAdd(word, result);
        return result;
    }

    /// <summary>
    /// Learns at most <paramref name="merges"/> merges from <paramref name="words"/> (each word with how often it occurs),
    /// stopping early when no adjacent pair occurs at least <paramref name="minCount"/> times.
    /// </summary>
    public static BpeMerges Learn(IEnumerable<KeyValuePair<string, long>> words, int merges, long minCount = 2)
    {
        ArgumentNullException.ThrowIfNull(words);
        ArgumentOutOfRangeException.ThrowIfNegative(merges);
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        var texts = new List<string>();
        int Id(string s)
        {
            if (!ids.TryGetValue(s, out int id)) { id = texts.Count; ids[s] = id; texts.Add(s); }
            return id;
        }
        var seqs = new List<int[]>();
        var counts = new List<long>();
        foreach (var (word, count) in words.OrderBy(w => w.Key, StringComparer.Ordinal))
        {
            if (count <= 0 || word.Length == 0) continue;
            seqs.Add([.. Characters(word).Select(Id)]);
            counts.Add(count);
        }
        var pairs = new Dictionary<long, long>();
        var where = new Dictionary<long, HashSet<int>>();
        static long Key(int a, int b) => ((long)a << 32) | (uint)b;
        void Count(int w, int sign)
        {
            var s = seqs[w];
            for (int i = 0; i + 1 < s.Length; i++)
            {
                long k = Key(s[i], s[i + 1]);
                pairs[k] = pairs.GetValueOrDefault(k) + sign * counts[w];
                if (sign > 0)
                {
                    if (!where.TryGetValue(k, out var set)) where[k] = set = [];
                    set.Add(w);
                }
            }
        }
        for (int w = 0; w < seqs.Count; w++) Count(w, +1);
        var learned = new List<(string, string)>();
        while (learned.Count < merges)
        {
            long bestKey = -1, bestCount = 0;
            foreach (var (k, c) in pairs)
            {
                if (c < bestCount || c == 0) continue;
                if (c > bestCount || Before(k, bestKey)) { bestKey = k; bestCount = c; }
            }
            if (bestKey < 0 || bestCount < minCount) break;
            int a = (int)(bestKey >> 32), b = (int)(uint)bestKey;
            int joined = Id(texts[a] + texts[b]);
            learned.Add((texts[a], texts[b]));
            foreach (int w in where[bestKey].ToArray())
            {
                var s = seqs[w];
                if (!Contains(s, a, b)) continue;
                Count(w, -1);
                var merged = new List<int>(s.Length);
                for (int i = 0; i < s.Length; i++)
                {
                    if (i + 1 < s.Length && s[i] == a && s[i + 1] == b) { merged.Add(joined); i++; }
                    else merged.Add(s[i]);
                }
                seqs[w] = [.. merged];
                Count(w, +1);
            }
            pairs.Remove(bestKey);
            where.Remove(bestKey);
        }
        return new BpeMerges(learned);

        bool Before(long k, long other)
        {
            if (other < 0) return true;
            int c = string.CompareOrdinal(texts[(int)(k >> 32)], texts[(int)(other >> 32)]);
            return c != 0 ? c < 0 : string.CompareOrdinal(texts[(int)(uint)k], texts[(int)(uint)other]) < 0;
        }
    }

    private static bool Contains(int[] s, int a, int b)
    {
        for (int i = 0; i + 1 < s.Length; i++) if (s[i] == a && s[i + 1] == b) return true;
        return false;
    }
}
