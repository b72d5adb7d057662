using System.Text;

namespace Recur.Analysis.Gallery;

/// <summary>
/// The lexical layer of C, as the gallery's C features need it: where comments (<c>/* */</c>, <c>//</c>), string literals and
/// character literals are, and which characters are code. Escapes (<c>\"</c>, <c>\'</c>, <c>\\</c>) do not close a literal; an
/// unescaped newline ends an unclosed one; <c>"/*/"</c> does not close a comment. Preprocessor lines are code like any other.
/// </summary>
public sealed class CSyntax
{
    private CSyntax(bool[] code, float[] inString, float[] inComment, int[] match)
    {
        IsCode = code; InString = inString; InComment = inComment; Match = match;
    }

    /// <summary>Per character: true when it is part of code, false inside a comment or a literal, delimiters included.</summary>
    public bool[] IsCode { get; }

    /// <summary>
    /// Per character, the state after reading it: 1 inside a string literal, from its opening quote (already inside) up to the
    /// closing quote (already outside), else 0.
    /// </summary>
    public float[] InString { get; }

    /// <summary>
    /// Per character, the state after reading it: 1 inside a comment, from the <c>*</c> of <c>/*</c> (or the second <c>/</c>
    /// of <c>//</c>; a lone <c>/</c> could be division) up to the closing <c>/</c> or the newline (already outside), else 0.
    /// </summary>
    public float[] InComment { get; }

    /// <summary>For each code bracket <c>( ) [ ] { }</c>, the index of its partner; -1 for an unmatched one and for every other character.</summary>
    public int[] Match { get; }

    /// <summary>The lexical layer of <paramref name="text"/>.</summary>
    public static CSyntax Of(IReadOnlyList<Rune> text)
    {
        ArgumentNullException.ThrowIfNull(text);
        int n = text.Count;
        var code = new bool[n];
        var inString = new float[n];
        var inComment = new float[n];
        int p = 0;
        while (p < n)
        {
            int c = text[p].Value, next = p + 1 < n ? text[p + 1].Value : -1;
            if (c == '/' && next == '*')
            {
                int end = p + 2; // the closing '/' of "*/", whose '*' is not the opening one
                while (end < n && !(text[end].Value == '/' && text[end - 1].Value == '*' && end - 1 > p + 1)) end++;
                for (int q = p + 1; q < Math.Min(end, n); q++) inComment[q] = 1;
                p = end + 1;
            }
            else if (c == '/' && next == '/')
            {
                int end = p + 2;
                while (end < n && text[end].Value != '\n') end++;
                for (int q = p + 1; q < end; q++) inComment[q] = 1;
                p = end; // the newline is code
            }
            else if (c is '"' or '\'')
            {
                int end = p + 1;
                bool escaped = false;
                while (end < n)
                {
                    int d = text[end].Value;
                    if (d == '\n' && !escaped) break;
                    if (d == c && !escaped) break;
                    escaped = !escaped && d == '\\';
                    end++;
                }
                if (c == '"') for (int q = p; q < Math.Min(end, n); q++) inString[q] = 1;
                p = end < n && text[end].Value == c ? end + 1 : end; // a closing quote belongs to the literal; a newline is code
            }
            else
            {
                code[p] = true;
                p++;
            }
        }
        return new CSyntax(code, inString, inComment, MatchBrackets(text, code));
    }

    private static int[] MatchBrackets(IReadOnlyList<Rune> text, bool[] code)
    {
        var match = new int[text.Count];
        Array.Fill(match, -1);
        var open = new Dictionary<int, Stack<int>> { ['('] = new(), ['['] = new(), ['{'] = new() };
        for (int p = 0; p < text.Count; p++)
        {
            if (!code[p]) continue;
            int c = text[p].Value;
            if (open.TryGetValue(c, out var stack)) stack.Push(p);
            else if (c is ')' or ']' or '}')
            {
                var s = open[c == ')' ? '(' : c == ']' ? '[' : '{'];
                if (s.Count == 0) continue;
                int o = s.Pop();
                match[o] = p; match[p] = o;
            }
        }
        return match;
    }
}
