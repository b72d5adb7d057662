using Recur.Data.Scenes;

namespace Recur.Models.Captioning;

/// <summary>
/// The words a captioner reads and writes, with the CS231n assignment's four special tokens first:
/// <c>&lt;NULL&gt;</c> (0, padding, never a target), <c>&lt;START&gt;</c> (1), <c>&lt;END&gt;</c> (2) and
/// <c>&lt;UNK&gt;</c> (3). A caption of <c>n</c> words is encoded as <c>&lt;START&gt; w1 .. wn &lt;END&gt;</c> padded
/// with <c>&lt;NULL&gt;</c> to <c>MaxWords + 2</c> ids.
/// </summary>
public sealed class CaptionVocabulary
{
    public const int Null = 0, Start = 1, End = 2, Unknown = 3;

    /// <summary>The special tokens, in id order.</summary>
    public static IReadOnlyList<string> Specials { get; } = ["<NULL>", "<START>", "<END>", "<UNK>"];

    private readonly Dictionary<string, int> _ids;

    /// <summary>A vocabulary of <paramref name="words"/>, which must start with <see cref="Specials"/> and hold each word once.</summary>
    public CaptionVocabulary(IReadOnlyList<string> words)
    {
        ArgumentNullException.ThrowIfNull(words);
        if (words.Count < Specials.Count + 1 || !words.Take(Specials.Count).SequenceEqual(Specials))
            throw new ArgumentException($"a caption vocabulary starts with {string.Join(" ", Specials)} and has at least one word.");
        _ids = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < words.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(words[i]) || words[i].Contains(' ')) throw new ArgumentException($"word {i} '{words[i]}' is empty or has a space.");
            if (!_ids.TryAdd(words[i], i)) throw new ArgumentException($"word '{words[i]}' appears twice.");
        }
        Words = [.. words];
    }

    /// <summary>The vocabulary of the scenes' grammar.</summary>
    public static CaptionVocabulary Grammar() => new([.. Specials, .. CaptionGrammar.Words]);

    /// <summary>Every token, by id.</summary>
    public IReadOnlyList<string> Words { get; }

    /// <summary>Number of tokens <c>V</c>.</summary>
    public int Count => Words.Count;

    /// <summary>The id of <paramref name="word"/>, or <see cref="Unknown"/>.</summary>
    public int Id(string word) => _ids.TryGetValue(word, out int id) ? id : Unknown;

    /// <summary>
    /// Writes <c>&lt;START&gt; w1 .. wn &lt;END&gt; &lt;NULL&gt;...</c> for <paramref name="caption"/> into
    /// <paramref name="ids"/> (<c>MaxWords + 2</c> long); throws when the caption has more than <c>ids.Length - 2</c> words.
    /// </summary>
    public void Encode(string caption, Span<int> ids)
    {
        ArgumentNullException.ThrowIfNull(caption);
        var words = caption.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Length > ids.Length - 2) throw new ArgumentException($"'{caption}' has {words.Length} words; at most {ids.Length - 2} fit.");
        ids.Fill(Null);
        ids[0] = Start;
        for (int i = 0; i < words.Length; i++) ids[i + 1] = Id(words[i]);
        ids[words.Length + 1] = End;
    }

    /// <summary>The words of <paramref name="ids"/> up to the first <c>&lt;END&gt;</c>, skipping <c>&lt;START&gt;</c> and <c>&lt;NULL&gt;</c>.</summary>
    public string Decode(ReadOnlySpan<int> ids)
    {
        var words = new List<string>();
        foreach (int id in ids)
        {
            if (id == End) break;
            if (id is Start or Null) continue;
            words.Add((uint)id < (uint)Count ? Words[id] : Specials[Unknown]);
        }
        return string.Join(' ', words);
    }
}
