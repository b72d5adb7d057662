using System.Text;

namespace Recur.Data.Language;

/// <summary>
/// One entry of the CMU dictionary: a word (lower case), its part of speech as the dictionary gives it (often
/// <c>nil</c>), and its ARPAbet phonemes with stress digits on the vowels (<c>R EH1 K ER0 D</c>).
/// </summary>
public sealed record Pronunciation(string Word, string Pos, IReadOnlyList<string> Phones);

/// <summary>
/// The CMU pronouncing dictionary in the Festival lexicon format Debian's <c>festlex-cmu</c> ships
/// (<c>/usr/share/festival/dicts/cmu/cmudict-0.4.out</c>): a header line <c>MNCL</c>, then one entry a line,
/// <c>("record" n (((r eh) 1) ((k er d) 0)))</c>: the word, a part of speech, and the syllables, each its phones and its
/// stress. The stress of a syllable goes on its vowel, giving the usual ARPAbet (<c>R EH1 K ER0 D</c>); Festival's
/// reduced vowel <c>ax</c> is CMUdict's <c>AH</c>. A damaged line is refused with its number.
/// </summary>
public static class CmuLexicon
{
    /// <summary>Where Debian's <c>festlex-cmu</c> puts the dictionary.</summary>
    public const string DefaultPath = "/usr/share/festival/dicts/cmu/cmudict-0.4.out";

    private static readonly HashSet<string> Vowels = ["aa", "ae", "ah", "ao", "aw", "ax", "ay", "eh", "er", "ey", "ih", "iy", "ow", "oy", "uh", "uw"];

    private static readonly HashSet<string> Consonants =
        ["b", "ch", "d", "dh", "f", "g", "hh", "jh", "k", "l", "m", "n", "ng", "p", "r", "s", "sh", "t", "th", "v", "w", "y", "z", "zh"];

    /// <summary>Every phoneme symbol with stress: the 15 vowels with 0, 1 and 2, then the 24 consonants.</summary>
    public static IReadOnlyList<string> PhoneSymbols { get; } =
        [.. Vowels.Where(v => v != "ax").Order(StringComparer.Ordinal).SelectMany(v => new[] { 0, 1, 2 }.Select(s => v.ToUpperInvariant() + s)),
            .. Consonants.Order(StringComparer.Ordinal).Select(c => c.ToUpperInvariant())];

    /// <summary>Reads the dictionary at <paramref name="path"/>.</summary>
    public static IReadOnlyList<Pronunciation> Load(string path = DefaultPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
            throw new FileNotFoundException(
                $"CMU dictionary {path} not found. Install it with 'sudo apt-get install festlex-cmu' (it goes to {DefaultPath}), or pass the file.", path);
        using var reader = new StreamReader(path, Encoding.Latin1);
        return Parse(reader, path);
    }

    /// <summary>Reads entries from <paramref name="reader"/>; <paramref name="source"/> names it in messages.</summary>
    public static IReadOnlyList<Pronunciation> Parse(TextReader reader, string source = "<text>")
    {
        ArgumentNullException.ThrowIfNull(reader);
        var list = new List<Pronunciation>();
        int lineNo = 0;
        string? line;
        while ((line = reader.ReadLine()) is not null)
        {
            lineNo++;
            if (line.Length > 10_000) throw new CorpusFormatException($"{source}:{lineNo}: a line of {line.Length:N0} characters is not a dictionary entry.");
            var t = line.Trim();
            if (t.Length == 0 || (lineNo == 1 && t == "MNCL") || t.StartsWith(';')) continue;
            list.Add(ParseEntry(t, source, lineNo));
        }
        return list;
    }

    /// <summary>One entry line.</summary>
    public static Pronunciation ParseEntry(string line, string source, int lineNo)
    {
        ArgumentNullException.ThrowIfNull(line);
        CorpusFormatException Bad(string why) => new($"{source}:{lineNo}: {why}: {(line.Length <= 60 ? line : line[..60] + "...")}");
        if (!line.StartsWith("(\"", StringComparison.Ordinal) || !line.EndsWith("))", StringComparison.Ordinal))
            throw Bad("not an entry (\"word\" pos (syllables))");
        int close = line.IndexOf('"', 2);
        if (close <= 2) throw Bad("no word");
        string word = line[2..close].ToLowerInvariant();
        int pos0 = close + 2;
        int space = line.IndexOf(' ', pos0);
        if (close + 1 >= line.Length || line[close + 1] != ' ' || space < 0) throw Bad("no part of speech");
        string pos = line[pos0..space];
        string rest = line[(space + 1)..^1].Trim(); // "(((r eh) 1) ((k er d) 0))"
        if (!rest.StartsWith('(') || !rest.EndsWith(')')) throw Bad("no syllable list");
        rest = rest[1..^1].Trim();
        var phones = new List<string>();
        int i = 0;
        while (i < rest.Length)
        {
            if (rest[i] == ' ') { i++; continue; }
            // ((p p p) s)
            if (!rest.AsSpan(i).StartsWith("((")) throw Bad("a syllable is not ((phones) stress)");
            int end = rest.IndexOf(')', i + 2);
            int stop = end < 0 ? -1 : rest.IndexOf(')', end + 1);
            if (end < 0 || stop < 0) throw Bad("an unclosed syllable");
            var syllable = rest[(i + 2)..end].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            string stressText = rest[(end + 1)..stop].Trim();
            if (stressText is not ("0" or "1" or "2")) throw Bad($"stress '{stressText}' is not 0, 1 or 2");
            int vowels = 0;
            foreach (var p in syllable)
            {
                if (Vowels.Contains(p)) { phones.Add((p == "ax" ? "AH" : p.ToUpperInvariant()) + stressText); vowels++; }
                else if (Consonants.Contains(p)) phones.Add(p.ToUpperInvariant());
                else throw Bad($"unknown phone '{p}'");
            }
            if (syllable.Length == 0) throw Bad("an empty syllable");
            i = stop + 1;
        }
        if (phones.Count == 0) throw Bad("no phones");
        if (word.Length == 0) throw Bad("an empty word");
        return new Pronunciation(word, pos, phones);
    }

    /// <summary>Every word's pronunciations (distinct), words in first-seen order.</summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<IReadOnlyList<string>>> ByWord(IEnumerable<Pronunciation> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var d = new Dictionary<string, List<IReadOnlyList<string>>>(StringComparer.Ordinal);
        foreach (var e in entries)
        {
            if (!d.TryGetValue(e.Word, out var list)) d[e.Word] = list = [];
            if (!list.Any(p => p.SequenceEqual(e.Phones))) list.Add(e.Phones);
        }
        return d.ToDictionary(k => k.Key, k => (IReadOnlyList<IReadOnlyList<string>>)k.Value, StringComparer.Ordinal);
    }

    /// <summary>
    /// Words split 90/5/5 into training, validation and test by a shuffle from <paramref name="seed"/> (every
    /// pronunciation of a word goes with it).
    /// </summary>
    public static (IReadOnlyList<string> Train, IReadOnlyList<string> Validation, IReadOnlyList<string> Test) Split(IEnumerable<string> words, ulong seed = 1)
    {
        ArgumentNullException.ThrowIfNull(words);
        var w = words.Order(StringComparer.Ordinal).ToArray();
        var rng = new Rng(seed ^ 0x434D55UL);
        for (int i = w.Length - 1; i > 0; i--) { int j = rng.NextInt(i + 1); (w[i], w[j]) = (w[j], w[i]); }
        int nVal = (int)Math.Round(w.Length * 0.05), nTest = (int)Math.Round(w.Length * 0.05);
        return (w[(nTest + nVal)..], w[nTest..(nTest + nVal)], w[..nTest]);
    }
}
