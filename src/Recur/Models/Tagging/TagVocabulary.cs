using System.Text;
using Recur.Data.Language;

namespace Recur.Models.Tagging;

/// <summary>
/// The tagger's symbol tables: word types (lower-cased, seen at least <c>minCount</c> times in training), the characters
/// of the training words (case kept), and the tags. Id 0 pads and id 1 stands for anything unknown in the word and
/// character tables.
/// </summary>
public sealed class TagVocabulary
{
    public const int Pad = 0, Unknown = 1;
    private readonly Dictionary<string, int> _words, _tags;
    private readonly Dictionary<int, int> _chars;

    /// <summary>Tables from their lists (each starting with the padding and unknown entries for words and characters).</summary>
    public TagVocabulary(IReadOnlyList<string> words, IReadOnlyList<string> chars, IReadOnlyList<string> tags, string tagset)
    {
        ArgumentNullException.ThrowIfNull(words);
        ArgumentNullException.ThrowIfNull(chars);
        ArgumentNullException.ThrowIfNull(tags);
        if (words.Count < 3 || chars.Count < 3 || tags.Count < 2)
            throw new ArgumentException("a tag vocabulary needs padding, unknown and at least one word and character, and two tags.");
        Words = words; Chars = chars; Tags = tags; Tagset = tagset;
        _words = Index(words, "word");
        _tags = Index(tags, "tag");
        _chars = new Dictionary<int, int>();
        for (int i = 2; i < chars.Count; i++)
        {
            if (chars[i].EnumerateRunes().Count() != 1) throw new ArgumentException($"character entry {i} '{chars[i]}' is not one character.");
            if (!_chars.TryAdd(chars[i].EnumerateRunes().First().Value, i)) throw new ArgumentException($"character '{chars[i]}' appears twice.");
        }
    }

    private static Dictionary<string, int> Index(IReadOnlyList<string> list, string what)
    {
        var d = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < list.Count; i++) if (!d.TryAdd(list[i], i)) throw new ArgumentException($"{what} '{list[i]}' appears twice.");
        return d;
    }

    /// <summary>
    /// Builds the tables: words of <paramref name="train"/> seen at least <paramref name="minCount"/> times, their
    /// characters, and every tag of <paramref name="allTags"/>.
    /// </summary>
    public static TagVocabulary Build(IEnumerable<TaggedSentence> train, IEnumerable<string> allTags, string tagset, int minCount = 2)
    {
        ArgumentNullException.ThrowIfNull(train);
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        var chars = new SortedSet<int>();
        foreach (var s in train)
            foreach (var w in s.Words)
            {
                string k = w.ToLowerInvariant();
                counts[k] = counts.GetValueOrDefault(k) + 1;
                foreach (var r in w.EnumerateRunes()) chars.Add(r.Value);
            }
        var words = counts.Where(kv => kv.Value >= minCount).Select(kv => kv.Key).Order(StringComparer.Ordinal);
        return new TagVocabulary(["<pad>", "<unk>", .. words], ["<pad>", "<unk>", .. chars.Select(c => char.ConvertFromUtf32(c))],
            [.. allTags.Distinct().Order(StringComparer.Ordinal)], tagset);
    }

    public IReadOnlyList<string> Words { get; }
    public IReadOnlyList<string> Chars { get; }
    public IReadOnlyList<string> Tags { get; }

    /// <summary><c>universal</c> or <c>fine</c>.</summary>
    public string Tagset { get; }

    /// <summary>How many characters the character BiLSTM reads (those of the training words; not padding nor unknown).</summary>
    public int CharacterCount => Chars.Count - 2;

    /// <summary>
    /// True when <paramref name="r"/> is one of the training words' characters. Any other is read as the unknown
    /// character, whose vector training never updated; a word of known characters the model never saw is fine.
    /// </summary>
    public bool KnowsCharacter(Rune r) => _chars.ContainsKey(r.Value);

    /// <summary>The word's id (lower-cased), or <see cref="Unknown"/>.</summary>
    public int Word(string word) => _words.TryGetValue(word.ToLowerInvariant(), out int id) ? id : Unknown;

    /// <summary>The tag's id, or -1.</summary>
    public int Tag(string tag) => _tags.TryGetValue(tag, out int id) ? id : -1;

    /// <summary>The tag of a corpus tag in this vocabulary's tagset.</summary>
    public string Map(string brownTag) => Tagset == "universal" ? BrownCorpus.Universal(brownTag) : BrownCorpus.Fine(brownTag);

    /// <summary>
    /// The character ids the tagger reads of <paramref name="word"/>: all of them up to <paramref name="max"/>; a longer
    /// word keeps its first <c>max - max/3</c> and its last <c>max/3</c> characters (prefixes and suffixes carry the part of speech).
    /// </summary>
    public int[] CharIds(string word, int max)
    {
        ArgumentNullException.ThrowIfNull(word);
        var runes = word.EnumerateRunes().Select(r => _chars.TryGetValue(r.Value, out int id) ? id : Unknown).ToArray();
        if (runes.Length == 0) return [Unknown];
        if (runes.Length <= max) return runes;
        int tail = max / 3;
        return [.. runes[..(max - tail)], .. runes[^tail..]];
    }
}
