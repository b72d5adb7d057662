using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Recur.Data;

/// <summary>
/// A character vocabulary over Unicode scalar values (<see cref="Rune"/>s, so characters outside the
/// Basic Multilingual Plane are one token, never two surrogates). Token <c>i</c> is the <c>i</c>-th
/// character; built from text the characters are sorted by code point, so the same text always
/// gives the same ids (char-rnn sorts the same way). Encoding maps each character of a text to its
/// id (<c>ids[t] = index(text[t])</c>); decoding is the inverse.
/// </summary>
public sealed class Vocabulary
{
    private readonly Rune[] _runes;
    private readonly int[] _bmp;                    // code point < _bmp.Length -> id or -1
    private readonly Dictionary<int, int> _astral;  // code point >= 0x10000 -> id

    /// <summary>A vocabulary whose token <c>i</c> is <c>runes[i]</c>, in the given order (no duplicates).</summary>
    public Vocabulary(IEnumerable<Rune> runes)
    {
        ArgumentNullException.ThrowIfNull(runes);
        _runes = runes.ToArray();
        if (_runes.Length == 0) throw new ArgumentException("a vocabulary needs at least one character.", nameof(runes));
        int maxBmp = -1;
        foreach (var r in _runes)
            if (r.Value < 0x10000) maxBmp = Math.Max(maxBmp, r.Value);
        _bmp = new int[maxBmp + 1];
        _bmp.AsSpan().Fill(-1);
        _astral = [];
        for (int i = 0; i < _runes.Length; i++)
        {
            int v = _runes[i].Value;
            bool dup = v < 0x10000 ? _bmp[v] >= 0 : _astral.ContainsKey(v);
            if (dup) throw new ArgumentException($"character {UnseenInput.Describe(_runes[i])} appears twice in the vocabulary.", nameof(runes));
            if (v < 0x10000) _bmp[v] = i; else _astral[v] = i;
        }
    }

    /// <summary>
    /// The vocabulary of the distinct characters in <paramref name="text"/>, sorted by code point.
    /// Throws if the text is empty or holds a lone UTF-16 surrogate (not a Unicode character).
    /// </summary>
    public static Vocabulary FromText(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length == 0) throw new ArgumentException("cannot build a vocabulary from empty text.", nameof(text));
        var seenBmp = new bool[0x10000];
        var astral = new HashSet<int>();
        for (int i = 0; i < text.Length;)
        {
            char c = text[i];
            if (!char.IsSurrogate(c)) { seenBmp[c] = true; i++; continue; }
            if (Rune.DecodeFromUtf16(text.AsSpan(i), out Rune r, out int used) != OperationStatus.Done)
                throw new ArgumentException($"text has a lone UTF-16 surrogate U+{(int)c:X4} at char index {i}; it is not valid Unicode.", nameof(text));
            astral.Add(r.Value);
            i += used;
        }
        var list = new List<Rune>();
        for (int v = 0; v < seenBmp.Length; v++) if (seenBmp[v]) list.Add(new Rune(v));
        foreach (int v in astral.Order()) list.Add(new Rune(v));
        return new Vocabulary(list);
    }

    /// <summary>Number of tokens <c>V</c>.</summary>
    public int Count => _runes.Length;

    /// <summary>The characters in id order.</summary>
    public IReadOnlyList<Rune> Runes => _runes;

    /// <summary>The character with id <paramref name="id"/>.</summary>
    public Rune this[int id] => (uint)id < (uint)_runes.Length
        ? _runes[id]
        : throw new ArgumentOutOfRangeException(nameof(id), id, $"id {id} is outside the vocabulary of {Count} characters.");

    /// <summary>The id of <paramref name="r"/>, or false when it is not in the vocabulary.</summary>
    public bool TryGetId(Rune r, out int id)
    {
        int v = r.Value;
        if (v < _bmp.Length) { id = _bmp[v]; return id >= 0; }
        if (v >= 0x10000 && _astral.TryGetValue(v, out id)) return true;
        id = -1;
        return false;
    }

    /// <summary>True when <paramref name="r"/> is in the vocabulary.</summary>
    public bool Contains(Rune r) => TryGetId(r, out _);

    /// <summary>
    /// The ids of the characters of <paramref name="text"/>, one per Unicode scalar value. Throws
    /// <see cref="UnknownCharactersException"/> listing every character not in the vocabulary.
    /// </summary>
    public int[] Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new int[text.Length];
        int n = 0;
        List<Rune>? unknown = null;
        Dictionary<int, (int Count, int First)>? info = null;
        for (int i = 0; i < text.Length;)
        {
            char c = text[i];
            Rune r;
            int used = 1;
            if (!char.IsSurrogate(c))
            {
                if (c < _bmp.Length && _bmp[c] >= 0) { ids[n++] = _bmp[c]; i++; continue; }
                r = new Rune(c);
            }
            else if (Rune.DecodeFromUtf16(text.AsSpan(i), out r, out used) != OperationStatus.Done)
            {
                throw new ArgumentException($"text has a lone UTF-16 surrogate U+{(int)c:X4} at char index {i}; it is not valid Unicode.", nameof(text));
            }
            if (TryGetId(r, out int id)) ids[n++] = id;
            else
            {
                unknown ??= [];
                info ??= [];
                if (info.TryGetValue(r.Value, out var ci)) info[r.Value] = (ci.Count + 1, ci.First);
                else { info[r.Value] = (1, i); unknown.Add(r); }
            }
            i += used;
        }
        if (unknown is not null)
            throw new UnknownCharactersException(unknown, unknown.Select(u => info![u.Value].Count).ToArray(),
                unknown.Select(u => info![u.Value].First).ToArray(), UnseenInput.Message(null, text, Contains, $"the vocabulary of {Count} characters")!);
        return n == ids.Length ? ids : ids[..n];
    }

    /// <summary>The text whose characters have ids <paramref name="ids"/>.</summary>
    public string Decode(ReadOnlySpan<int> ids)
    {
        var sb = new StringBuilder(ids.Length);
        Span<char> buf = stackalloc char[2];
        for (int t = 0; t < ids.Length; t++)
        {
            int id = ids[t];
            if ((uint)id >= (uint)_runes.Length)
                throw new ArgumentOutOfRangeException(nameof(ids), id, $"id {id} at position {t} is outside the vocabulary of {Count} characters.");
            int w = _runes[id].EncodeToUtf16(buf);
            sb.Append(buf[..w]);
        }
        return sb.ToString();
    }

    /// <summary>The vocabulary as a JSON array of one-character strings in id order, e.g. <c>["\n"," ","!"]</c>.</summary>
    public string ToJsonArray()
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartArray();
            foreach (var r in _runes) w.WriteStringValue(r.ToString());
            w.WriteEndArray();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>
    /// Reads what <see cref="ToJsonArray"/> wrote. Throws <see cref="FormatException"/> when the JSON is
    /// not an array of strings that are each exactly one Unicode character, or repeats one.
    /// </summary>
    public static Vocabulary FromJson(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        var runes = new List<Rune>();
        var seen = new HashSet<int>();
        try
        {
            using var doc = JsonDocument.Parse(json);
            if (doc.RootElement.ValueKind != JsonValueKind.Array)
                throw new FormatException($"vocabulary JSON must be an array of one-character strings, found {doc.RootElement.ValueKind}.");
            int i = 0;
            foreach (var e in doc.RootElement.EnumerateArray())
            {
                if (e.ValueKind != JsonValueKind.String)
                    throw new FormatException($"vocabulary entry {i} is {e.ValueKind}, expected a one-character string.");
                string s = e.GetString()!;
                if (Rune.DecodeFromUtf16(s, out Rune r, out int used) != OperationStatus.Done || used != s.Length)
                    throw new FormatException($"vocabulary entry {i} is \"{s}\" ({s.Length} UTF-16 units), expected exactly one Unicode character.");
                if (!seen.Add(r.Value))
                    throw new FormatException($"vocabulary entry {i} repeats character {UnseenInput.Describe(r)}.");
                runes.Add(r);
                i++;
            }
        }
        catch (JsonException e)
        {
            throw new FormatException($"vocabulary is not valid JSON: {e.Message}", e);
        }
        catch (InvalidOperationException e) // a string escape that is not valid UTF-16, such as a lone surrogate
        {
            throw new FormatException($"vocabulary holds an invalid string: {e.Message}", e);
        }
        if (runes.Count == 0) throw new FormatException("vocabulary JSON array is empty.");
        return new Vocabulary(runes);
    }

    /// <summary>True when both vocabularies hold the same characters in the same order.</summary>
    public bool SameAs(Vocabulary other) => other is not null && _runes.AsSpan().SequenceEqual(other._runes);
}

/// <summary>
/// Text given to <see cref="Vocabulary.Encode"/> has characters the vocabulary does not hold (for
/// example sampling with a prime text the model never saw). Lists each one, how often it occurs and
/// where first; the message is <see cref="UnseenInput.Message"/>'s.
/// </summary>
public sealed class UnknownCharactersException : Exception
{
    /// <summary>The unknown characters, in order of first appearance.</summary>
    public IReadOnlyList<Rune> Characters { get; }

    /// <summary>How many times each unknown character occurs.</summary>
    public IReadOnlyList<int> Counts { get; }

    /// <summary>The UTF-16 index where each unknown character first occurs.</summary>
    public IReadOnlyList<int> FirstIndices { get; }

    internal UnknownCharactersException(IReadOnlyList<Rune> characters, IReadOnlyList<int> counts, IReadOnlyList<int> first, string message)
        : base(message)
    {
        Characters = characters;
        Counts = counts;
        FirstIndices = first;
    }
}
