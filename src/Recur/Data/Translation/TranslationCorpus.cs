using System.Text;

namespace Recur.Data.Translation;

/// <summary>Which side of the split a source falls on.</summary>
public enum SplitPart
{
    Train,
    Validation,
    Test,
}

/// <summary>
/// The pairs a run trains and is scored on, made from a <see cref="CatalogueSet"/> in three steps.
/// <list type="number">
/// <item>Length: a pair is kept when both sides hold 1 to <c>maxCharacters</c> characters (Unicode scalar values).</item>
/// <item>Deduplication by source: a source seen several times keeps one translation, the one it has most often, ties to
/// the ordinally smallest; the kept pair's context and catalogue are those of its first occurrence with that translation.</item>
/// <item>Split by source: a hash of the source's <see cref="SplitKey"/> (accelerators taken out, lower-cased, whitespace
/// collapsed; FNV-1a over UTF-8, mixed with the seed) sends it to train, validation or test (90/5/5), so a source, and
/// every source that differs from it only by case, accelerator or spacing, is on one side only.</item>
/// </list>
/// Each split is in ordinal order of its sources.
/// </summary>
public sealed class TranslationCorpus
{
    /// <summary>The default bound on either side's length, in characters.</summary>
    public const int DefaultMaxCharacters = 160;

    private TranslationCorpus(IReadOnlyList<TranslationPair> pairs, int raw, int tooLong, int duplicates, int conflicting, ulong seed)
    {
        Pairs = pairs; RawPairs = raw; TooLong = tooLong; Duplicates = duplicates; Conflicting = conflicting; Seed = seed;
        var parts = pairs.Select(p => SplitOf(p.Source, seed)).ToArray();
        Train = [.. pairs.Where((_, i) => parts[i] == SplitPart.Train)];
        Validation = [.. pairs.Where((_, i) => parts[i] == SplitPart.Validation)];
        Test = [.. pairs.Where((_, i) => parts[i] == SplitPart.Test)];
    }

    /// <summary>The pairs after the three steps, in ordinal order of their sources.</summary>
    public IReadOnlyList<TranslationPair> Pairs { get; }

    /// <summary>The pairs the catalogues gave.</summary>
    public int RawPairs { get; }

    /// <summary>Pairs left out for a side longer than the bound (or empty).</summary>
    public int TooLong { get; }

    /// <summary>Pairs left out because their source was already kept.</summary>
    public int Duplicates { get; }

    /// <summary>Kept sources that had more than one distinct translation.</summary>
    public int Conflicting { get; }

    /// <summary>The split's seed.</summary>
    public ulong Seed { get; }

    public IReadOnlyList<TranslationPair> Train { get; }
    public IReadOnlyList<TranslationPair> Validation { get; }
    public IReadOnlyList<TranslationPair> Test { get; }

    /// <summary>The pairs of <paramref name="part"/>.</summary>
    public IReadOnlyList<TranslationPair> Of(SplitPart part) => part switch
    {
        SplitPart.Train => Train,
        SplitPart.Validation => Validation,
        _ => Test,
    };

    /// <summary>
    /// The corpus of <paramref name="pairs"/>: bounded to <paramref name="maxCharacters"/>, deduplicated and split from
    /// <paramref name="seed"/>.
    /// </summary>
    public static TranslationCorpus Build(IReadOnlyList<TranslationPair> pairs, int maxCharacters, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxCharacters, 1);
        int tooLong = 0;
        var bySource = new Dictionary<string, List<TranslationPair>>(StringComparer.Ordinal);
        foreach (var p in pairs)
        {
            if (!Fits(p.Source, maxCharacters) || !Fits(p.Target, maxCharacters)) { tooLong++; continue; }
            if (!bySource.TryGetValue(p.Source, out var list)) bySource[p.Source] = list = [];
            list.Add(p);
        }
        int kept = 0, conflicting = 0;
        var chosen = new List<TranslationPair>(bySource.Count);
        foreach (var (source, list) in bySource.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            var groups = list.GroupBy(p => p.Target, StringComparer.Ordinal).ToList();
            if (groups.Count > 1) conflicting++;
            var best = groups.OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).First();
            chosen.Add(best.First());
            kept++;
        }
        return new TranslationCorpus(chosen, pairs.Count, tooLong, pairs.Count - tooLong - kept, conflicting, seed);
    }

    private static bool Fits(string s, int max)
    {
        if (s.Length == 0) return false;
        if (s.Length <= max) return true;
        int n = 0;
        foreach (var _ in s.EnumerateRunes()) if (++n > max) return false;
        return true;
    }

    /// <summary>The form of a source that decides its side: accelerators taken out, lower case, whitespace runs as one space, trimmed.</summary>
    public static string SplitKey(string source)
    {
        ArgumentNullException.ThrowIfNull(source);
        var sb = new StringBuilder(source.Length);
        var accelerators = Placeholders.Find(source).Where(p => p.Kind == PlaceholderKind.Accelerator).Select(p => p.Start).ToHashSet();
        bool space = false;
        for (int i = 0; i < source.Length; i++)
        {
            if (accelerators.Contains(i)) continue;
            if (char.IsWhiteSpace(source[i])) { space = sb.Length > 0; continue; }
            if (space) sb.Append(' ');
            space = false;
            sb.Append(source[i]);
        }
        return sb.ToString().ToLowerInvariant();
    }

    /// <summary>The side <paramref name="source"/> falls on with <paramref name="seed"/> (90/5/5).</summary>
    public static SplitPart SplitOf(string source, ulong seed)
    {
        ulong h = 14695981039346656037UL ^ (seed * 0x9E3779B97F4A7C15UL);
        foreach (byte b in Encoding.UTF8.GetBytes(SplitKey(source))) h = (h ^ b) * 1099511628211UL;
        h ^= h >> 29;
        ulong bucket = h % 100;
        return bucket < 90 ? SplitPart.Train : bucket < 95 ? SplitPart.Validation : SplitPart.Test;
    }
}
