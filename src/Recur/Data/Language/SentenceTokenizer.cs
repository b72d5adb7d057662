using System.Globalization;
using System.Text.RegularExpressions;

namespace Recur.Data.Language;

/// <summary>
/// Splits a sentence into tokens the way the Brown corpus writes them: runs of letters and digits (with inner
/// apostrophes, hyphens and periods, so <c>Atlanta's</c>, <c>term-end</c>, <c>U.S</c> stay whole), and punctuation apart
/// (<c>``</c>, <c>''</c>, <c>--</c> and <c>...</c> as single tokens). A token is made of whole text elements: an emoji
/// (two UTF-16 halves, perhaps with a skin tone or joined to others) or a letter with its combining accent is never split.
/// </summary>
public static partial class SentenceTokenizer
{
    [GeneratedRegex(@"[\p{L}\p{N}]+(?:['’.\-][\p{L}\p{N}]+)*|``|''|--|\.\.\.|[^\s\p{L}\p{N}]")]
    private static partial Regex Token();

    /// <summary>The tokens of <paramref name="text"/>.</summary>
    public static IReadOnlyList<string> Tokenize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        // The pattern reads UTF-16 units: widen each match to the text elements it touches, then join the matches that overlap.
        var starts = new List<int>();
        for (int i = 0; i < text.Length; i += StringInfo.GetNextTextElementLength(text, i)) starts.Add(i);
        starts.Add(text.Length);
        var tokens = new List<string>();
        int from = -1, to = -1;
        foreach (Match m in Token().Matches(text))
        {
            int s = starts[Floor(starts, m.Index)], e = starts[Ceiling(starts, m.Index + m.Length)];
            if (s < to) { to = Math.Max(to, e); continue; }
            if (from >= 0) tokens.Add(text[from..to]);
            (from, to) = (s, e);
        }
        if (from >= 0) tokens.Add(text[from..to]);
        return tokens;
    }

    private static int Floor(List<int> sorted, int x)
    {
        int i = sorted.BinarySearch(x);
        return i >= 0 ? i : ~i - 1;
    }

    private static int Ceiling(List<int> sorted, int x)
    {
        int i = sorted.BinarySearch(x);
        return i >= 0 ? i : ~i;
    }
}
