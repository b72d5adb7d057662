using System.Text;

namespace Recur.Analysis;

/// <summary>
/// Built-in per-character features for finding interpretable cells (Karpathy, Johnson and Fei-Fei 2015).
/// Every feature describes the state <em>after</em> reading character <c>p</c>, as the hidden state
/// <c>h_p</c> does, so an opening delimiter is already inside and a closing one is already outside.
/// Brackets, quotes and comment markers are scanned as C does: nothing inside a comment or string
/// literal opens or closes anything else.
/// </summary>
public static class CellsFeatures
{
    /// <summary>Feature names, in the order of the rows <see cref="Compute"/> returns.</summary>
    public static readonly IReadOnlyList<string> Names =
    [
        "in_quote", "line_position", "paren_depth", "bracket_depth", "brace_depth", "nesting_depth",
        "in_comment", "in_string", "distance_to_newline",
    ];

    /// <summary>One line per feature, for reports.</summary>
    public static readonly IReadOnlyList<string> Descriptions =
    [
        "inside a quotation: between \" and \" (or \u201c and \u201d), in prose and code alike",
        "position within the line: characters of the current line read so far (0 after a newline)",
        "depth of ( ) nesting, outside comments and strings",
        "depth of [ ] nesting, outside comments and strings",
        "depth of { } nesting, outside comments and strings",
        "total depth of ( ), [ ] and { } nesting",
        "inside a /* */ or // comment",
        "inside a C string literal \"...\" (backslash escapes; ends at an unescaped newline), outside comments",
        "distance to the next newline (characters ahead; the model cannot see it, a cell may predict it)",
    ];

    /// <summary>
    /// Features of every character of <paramref name="text"/> (one entry per rune): returns
    /// <c>[feature][position]</c> with <see cref="Names"/> as the feature order.
    /// </summary>
    public static float[][] Compute(IReadOnlyList<Rune> text)
    {
        ArgumentNullException.ThrowIfNull(text);
        int n = text.Count, F = Names.Count;
        var f = new float[F][];
        for (int i = 0; i < F; i++) f[i] = new float[n];
        bool quote = false, lineComment = false, blockComment = false, str = false, escape = false;
        int paren = 0, bracket = 0, brace = 0, linePos = 0, openStar = -1;
        for (int p = 0; p < n; p++)
        {
            int c = text[p].Value;
            int prev = p > 0 ? text[p - 1].Value : -1;
            // Prose quotation: toggles on straight double quotes, opens/closes on curly ones.
            if (c == '"') quote = !quote;
            else if (c == 0x201C) quote = true;
            else if (c == 0x201D) quote = false;

            if (blockComment)
            {
                if (c == '/' && prev == '*' && p - 1 != openStar) blockComment = false; // "/*/" does not close
            }
            else if (lineComment)
            {
                if (c == '\n') lineComment = false;
            }
            else if (str)
            {
                if (escape) escape = false;
                else if (c == '\\') escape = true;
                else if (c == '"' || c == '\n') str = false;
            }
            else
            {
                switch (c)
                {
                    case '"': str = true; escape = false; break;
                    case '*' when prev == '/': blockComment = true; openStar = p; break;
                    case '/' when prev == '/': lineComment = true; break;
                    case '(': paren++; break;
                    case ')': paren = Math.Max(0, paren - 1); break;
                    case '[': bracket++; break;
                    case ']': bracket = Math.Max(0, bracket - 1); break;
                    case '{': brace++; break;
                    case '}': brace = Math.Max(0, brace - 1); break;
                }
            }
            linePos = c == '\n' ? 0 : linePos + 1;

            f[0][p] = quote ? 1 : 0;
            f[1][p] = linePos;
            f[2][p] = paren;
            f[3][p] = bracket;
            f[4][p] = brace;
            f[5][p] = paren + bracket + brace;
            f[6][p] = lineComment || blockComment ? 1 : 0;
            f[7][p] = str ? 1 : 0;
        }
        int next = n;
        for (int p = n - 1; p >= 0; p--)
        {
            f[8][p] = next - p;
            if (text[p].Value == '\n') next = p;
        }
        return f;
    }
}
