using System.Text;

namespace Recur.Analysis.Gallery;

/// <summary>
/// Features of LaTeX source, each the state after reading its character, read in one pass as TeX reads: a backslash starts a
/// control sequence (a word of letters, or one other character, so <c>\$</c>, <c>\%</c>, <c>\{</c> and <c>\\</c> open and
/// close nothing); <c>%</c> comments out the rest of its line; <c>\verb</c> takes its delimited argument literally. Verbatim
/// environments are read as LaTeX (their examples usually are LaTeX).
/// </summary>
public sealed class LatexFeatures
{
    private LatexFeatures(int n)
    {
        InMath = new float[n]; EnvironmentDepth = new float[n]; InQuote = new float[n]; GroupDepth = new float[n]; InComment = new float[n];
    }

    /// <summary>
    /// 1 inside mathematics: from an opening <c>$</c>, <c>$$</c>, <c>\(</c> or <c>\[</c> (both characters of <c>$$</c> and the
    /// bracket of <c>\(</c> already inside) to the closing one (already outside). A blank line ends inline mathematics, as TeX
    /// refuses a paragraph break there (so one stray <c>$</c> cannot invert the rest of a document).
    /// </summary>
    public float[] InMath { get; }

    /// <summary>
    /// The depth of <c>\begin{...}</c> ... <c>\end{...}</c> nesting: one deeper from the <c>}</c> that closes the name after
    /// <c>\begin</c>, one shallower from the <c>}</c> after <c>\end</c> (never below 0).
    /// </summary>
    public float[] EnvironmentDepth { get; }

    /// <summary>
    /// 1 inside a TeX quotation: from the second backquote of <c>``</c> to the second apostrophe of <c>''</c> (already outside);
    /// a blank line ends it.
    /// </summary>
    public float[] InQuote { get; }

    /// <summary>The depth of <c>{ }</c> groups (escaped braces do not count; never below 0).</summary>
    public float[] GroupDepth { get; }

    /// <summary>1 from an unescaped <c>%</c> (already inside) to the end of its line (the newline is outside).</summary>
    public float[] InComment { get; }

    /// <summary>Reads <paramref name="text"/>.</summary>
    public static LatexFeatures Of(IReadOnlyList<Rune> text)
    {
        ArgumentNullException.ThrowIfNull(text);
        int n = text.Count;
        var f = new LatexFeatures(n);
        bool inlineMath = false, displayMath = false, quote = false;
        int group = 0, env = 0, pendingEnv = -1, envDelta = 0;
        bool blankLine = true; // only blanks since the line's start
        int Char(int q) => q >= 0 && q < n ? text[q].Value : -1;
        void Set(int q, bool comment)
        {
            f.InMath[q] = inlineMath || displayMath ? 1 : 0;
            f.EnvironmentDepth[q] = env;
            f.InQuote[q] = quote ? 1 : 0;
            f.GroupDepth[q] = group;
            f.InComment[q] = comment ? 1 : 0;
        }
        int p = 0;
        while (p < n)
        {
            int c = text[p].Value;
            if (c == '\n')
            {
                if (blankLine) { inlineMath = false; quote = false; } // a blank line ends the paragraph
                Set(p++, false);
                blankLine = true;
                continue;
            }
            if (c is not (' ' or '\t' or '\r')) blankLine = false;
            if (c == '%')
            {
                while (p < n && text[p].Value != '\n') Set(p++, true);
                continue;
            }
            if (c == '\\' && p + 1 < n)
            {
                int d = text[p + 1].Value;
                if (d < 128 && char.IsAsciiLetter((char)d))
                {
                    int start = p++;
                    while (p < n && text[p].Value < 128 && char.IsAsciiLetter((char)text[p].Value)) p++;
                    for (int q = start; q < p; q++) Set(q, false);
                    string word = string.Concat(Enumerable.Range(start + 1, p - start - 1).Select(q => text[q].ToString()));
                    if (word == "verb") p = Verbatim(p);
                    else if (word is "begin" or "end" && NameClose(p) is int close and >= 0) { pendingEnv = close; envDelta = word == "begin" ? 1 : -1; }
                    continue;
                }
                Set(p, false); // the backslash: nothing has changed yet
                if (d == '(') inlineMath = true;
                else if (d == '[') displayMath = true;
                else if (d is ')' or ']') { inlineMath = false; displayMath = false; }
                Set(p + 1, false);
                if (d == '\n') blankLine = true;
                p += 2;
                continue;
            }
            if (c == '$' && Char(p + 1) == '$')
            {
                displayMath = !displayMath;
                inlineMath = false;
                Set(p, false); Set(p + 1, false);
                p += 2;
                continue;
            }
            if (c == '$') { if (!displayMath) inlineMath = !inlineMath; }
            else if (c == '{') group++;
            else if (c == '}') group = Math.Max(0, group - 1);
            else if (c == '`' && Char(p - 1) == '`' && Char(p - 2) != '\\') quote = true;
            else if (c == '\'' && Char(p - 1) == '\'' && quote) quote = false;
            if (p == pendingEnv) { env = Math.Max(0, env + envDelta); pendingEnv = -1; }
            Set(p++, false);
        }
        return f;

        // \verb's argument: the delimiter after "\verb" or "\verb*" and everything up to its next occurrence on the line.
        int Verbatim(int q)
        {
            int start = q;
            if (Char(q) == '*') q++;
            int delimiter = Char(q);
            if (delimiter < 0 || delimiter == '\n' || delimiter == ' ') return start;
            int end = q + 1;
            while (end < n && text[end].Value != delimiter && text[end].Value != '\n') end++;
            int stop = end < n && text[end].Value == delimiter ? end + 1 : end;
            for (int k = start; k < stop; k++) Set(k, false);
            return stop;
        }

        // The index of the '}' closing "{name}" right after \begin or \end (blanks allowed before '{'), or -1.
        int NameClose(int q)
        {
            while (Char(q) is ' ' or '\t') q++;
            if (Char(q) != '{') return -1;
            for (int k = q + 1; k < n && k < q + 80; k++)
            {
                int c = text[k].Value;
                if (c == '}') return k;
                if (c is '{' or '\\' or '\n' or '%') return -1;
            }
            return -1;
        }
    }
}
