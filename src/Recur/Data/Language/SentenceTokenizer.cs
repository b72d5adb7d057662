using System.Text.RegularExpressions;

namespace Recur.Data.Language;

/// <summary>
/// Splits a sentence into tokens the way the Brown corpus writes them: runs of letters and digits (with inner
/// apostrophes, hyphens and periods, so <c>Atlanta's</c>, <c>term-end</c>, <c>U.S</c> stay whole), and punctuation apart
/// (<c>``</c>, <c>''</c>, <c>--</c> and <c>...</c> as single tokens).
/// </summary>
public static partial class SentenceTokenizer
{
    [GeneratedRegex(@"[\p{L}\p{N}]+(?:['’.\-][\p{L}\p{N}]+)*|``|''|--|\.\.\.|[^\s\p{L}\p{N}]")]
    private static partial Regex Token();

    /// <summary>The tokens of <paramref name="text"/>.</summary>
    public static IReadOnlyList<string> Tokenize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return [.. Token().Matches(text).Select(m => m.Value)];
    }
}
