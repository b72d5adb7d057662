using System.Text.RegularExpressions;

namespace Recur.Data.Language;

/// <summary>
/// The words of a review, lower case: runs of letters and digits (with an apostrophe inside, as in <c>don't</c> and
/// <c>costner's</c>), and every other character that is not white space as a token of its own (<c>!</c>, <c>.</c>, <c>*</c>).
/// </summary>
public static partial class ReviewTokenizer
{
    /// <summary>The tokens of <paramref name="text"/>, at most <paramref name="max"/> of them (the first ones).</summary>
    public static IReadOnlyList<string> Tokenize(string text, int max = int.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentOutOfRangeException.ThrowIfNegative(max);
        var tokens = new List<string>();
        for (var m = Token().Match(text); m.Success && tokens.Count < max; m = m.NextMatch()) tokens.Add(m.Value.ToLowerInvariant());
        return tokens;
    }

    [GeneratedRegex(@"[\p{L}\p{N}]+(?:['’][\p{L}\p{N}]+)*|[^\s\p{L}\p{N}]", RegexOptions.CultureInvariant)]
    private static partial Regex Token();
}
