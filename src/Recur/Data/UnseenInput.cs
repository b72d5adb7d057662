using System.Buffers;
using System.Globalization;
using System.Text;
using Recur.Imaging;

namespace Recur.Data;

/// <summary>
/// Input a trained model never saw, put in one line: characters outside its vocabulary or alphabet (named as
/// <c>'é' (U+00E9)</c>, with where they first occur), and images unlike the ones it was trained on (another size, or
/// blank). Text is read in whole characters (Unicode scalar values, <see cref="Rune"/>s), never half a surrogate pair;
/// a position counts those characters from 1, and in text of several lines is a line and a column.
/// </summary>
public static class UnseenInput
{
    /// <summary>The unseen characters named beyond the first, before "and N more".</summary>
    public const int Named = 5;

    /// <summary>
    /// A character as readers want to see it in a message: <c>'é' (U+00E9)</c>, <c>'\n' (U+000A)</c>, <c>U+200B</c> (invisible),
    /// <c>'◌́' (U+0301)</c> (a combining mark, on a dotted circle).
    /// </summary>
    public static string Describe(Rune r)
    {
        string shown = r.Value switch
        {
            '\n' => "\\n", '\r' => "\\r", '\t' => "\\t", 0 => "\\0",
            _ => Rune.IsControl(r) || Rune.GetUnicodeCategory(r) is UnicodeCategory.Format ? ""
                : Rune.GetUnicodeCategory(r) is UnicodeCategory.NonSpacingMark or UnicodeCategory.EnclosingMark or UnicodeCategory.SpacingCombiningMark
                    ? "\u25CC" + r // a combining mark shown on a dotted circle, as the Unicode charts do
                    : r.ToString(),
        };
        return shown.Length > 0 ? $"'{shown}' (U+{r.Value:X4})" : $"U+{r.Value:X4}";
    }

    /// <summary>
    /// The text elements (user-perceived characters, extended grapheme clusters) of <paramref name="text"/>: an emoji with
    /// its skin tone or a letter with its combining accent is one element, never split.
    /// </summary>
    public static IReadOnlyList<string> TextElements(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var list = new List<string>();
        for (int i = 0; i < text.Length;)
        {
            int n = StringInfo.GetNextTextElementLength(text, i);
            list.Add(text.Substring(i, n));
            i += n;
        }
        return list;
    }

    /// <summary>
    /// <paramref name="text"/> in quotes for a message, cut after <paramref name="max"/> text elements (never inside
    /// one) with <c>...</c>.
    /// </summary>
    public static string Quote(string text, int max = 40)
    {
        ArgumentNullException.ThrowIfNull(text);
        var elements = TextElements(text);
        return elements.Count <= max ? $"'{text}'" : $"'{string.Concat(elements.Take(max))}...'";
    }

    /// <summary>
    /// The line naming the characters of <paramref name="text"/> that <paramref name="known"/> refuses (a lone surrogate,
    /// half a character, is always refused), or null when there are none: the first with where it is and, for a
    /// character that recurs, how often; then up to <see cref="Named"/> others. <paramref name="what"/> (when not null)
    /// leads the line; <paramref name="vocabulary"/> says what the characters are not in ("the model's vocabulary of 65
    /// characters").
    /// </summary>
    public static string? Message(string? what, string text, Func<Rune, bool> known, string vocabulary)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(known);
        bool lines = text.Contains('\n');
        var order = new List<int>();
        var seen = new Dictionary<int, (int Count, string Where)>();
        int position = 0, line = 1, column = 0;
        for (int i = 0; i < text.Length;)
        {
            position++;
            column++;
            bool whole = Rune.DecodeFromUtf16(text.AsSpan(i), out Rune r, out int used) == OperationStatus.Done;
            int value = whole ? r.Value : text[i];
            if (!whole) used = 1;
            if (!whole || !known(r))
            {
                if (seen.TryGetValue(value, out var s)) seen[value] = (s.Count + 1, s.Where);
                else
                {
                    seen[value] = (1, lines ? $"line {line}, column {column}" : $"position {position}");
                    order.Add(value);
                }
            }
            if (whole && r.Value == '\n') { line++; column = 0; }
            i += used;
        }
        if (order.Count == 0) return null;
        string Name(int v) => Rune.IsValid(v) ? Describe(new Rune(v)) : $"half a character (a lone UTF-16 surrogate U+{v:X4})";
        string Times(int v) => seen[v].Count > 1 ? $" ({seen[v].Count:N0} times in all)" : "";
        var sb = new StringBuilder();
        if (what is not null) sb.Append(what).Append(": ");
        int first = order[0];
        sb.Append(Rune.IsValid(first) ? "character " : "").Append(Name(first)).Append(" at ").Append(seen[first].Where).Append(Times(first));
        sb.Append(" is not in ").Append(vocabulary);
        if (order.Count > 1)
        {
            sb.Append($"; nor {(order.Count == 2 ? "is" : "are")} ");
            sb.AppendJoin(", ", order.Skip(1).Take(Named).Select(v => $"{Name(v)} at {seen[v].Where}{Times(v)}"));
            if (order.Count - 1 > Named) sb.Append($" and {order.Count - 1 - Named:N0} more");
        }
        sb.Append(order.Count == 1 ? ". The model never saw it." : ". The model never saw them.");
        return sb.ToString();
    }

    /// <summary>
    /// Throws <see cref="UnseenInputException"/> with <see cref="Message"/>'s line when <paramref name="text"/> has a
    /// character the model never saw.
    /// </summary>
    public static void CheckText(string? what, string text, Func<Rune, bool> known, string vocabulary)
    {
        if (Message(what, text, known, vocabulary) is { } message) throw new UnseenInputException(message);
    }

    /// <summary>
    /// Throws <see cref="UnseenInputException"/> when <paramref name="image"/> (named <paramref name="name"/>) is blank
    /// (every byte the same) or, unless <paramref name="anySize"/>, is not <paramref name="width"/> x <paramref name="height"/>,
    /// the size of the model's training images (<paramref name="trainedOn"/>, such as "scenes (1 to 4 objects on black)");
    /// <paramref name="hint"/> ends the size line (how to go on).
    /// </summary>
    public static void CheckImage(string name, PixelImage image, int width, int height, bool anySize, string trainedOn, string hint)
    {
        ArgumentNullException.ThrowIfNull(image);
        byte v = image.Pixels[0];
        if (image.Pixels.AsSpan().IndexOfAnyExcept(v) < 0)
            throw new UnseenInputException($"{name} is blank (every pixel {v}): there is nothing in it to describe, and the model's training "
                + $"{trainedOn} never were.");
        if (!anySize && (image.Width != width || image.Height != height))
            throw new UnseenInputException($"{name} is {image.Width}x{image.Height}; the model reads {width}x{height} images, the size of its "
                + $"training {trainedOn}; {hint}");
    }
}
