using System.Text;

namespace Recur.Analysis.Gallery;

/// <summary>
/// Where C statements end, over the lexical layer of <see cref="CSyntax"/>: a block ends at its matching <c>}</c>; an
/// <c>if</c>, <c>for</c>, <c>while</c> or <c>switch</c> at the end of the statement after its parenthesis (an <c>if</c>'s
/// <c>else</c> branch included); a <c>do</c> at the <c>;</c> after its <c>while (...)</c>; any other statement at its first
/// <c>;</c> outside brackets.
/// </summary>
internal sealed class CStatements(IReadOnlyList<Rune> text, CSyntax syntax, int maxNesting)
{
    private readonly int _n = text.Count;

    /// <summary>True when <paramref name="word"/> starts at <paramref name="p"/> in code as a whole word.</summary>
    public bool IsKeyword(int p, string word)
    {
        if (p < 0 || p + word.Length > _n || p > 0 && IsIdentifier(p - 1)) return false;
        for (int k = 0; k < word.Length; k++)
            if (!syntax.IsCode[p + k] || text[p + k].Value != word[k]) return false;
        return p + word.Length == _n || !IsIdentifier(p + word.Length);
    }

    /// <summary>True when only blanks and a <c>#</c> stand before <paramref name="p"/> on its line (a preprocessor directive).</summary>
    public bool IsPreprocessor(int p)
    {
        for (int q = p - 1; q >= 0; q--)
        {
            int c = text[q].Value;
            if (c == '\n') return false;
            if (c == '#') return true;
            if (c is not (' ' or '\t')) return false;
        }
        return false;
    }

    /// <summary>The first code character at or after <paramref name="p"/> that is not a blank, or -1.</summary>
    public int NextCode(int p)
    {
        for (int q = Math.Max(0, p); q < _n; q++)
            if (syntax.IsCode[q] && !Rune.IsWhiteSpace(text[q])) return q;
        return -1;
    }

    /// <summary>
    /// The index of the last character (<c>}</c> or <c>;</c>) of the statement starting at or after <paramref name="p"/>, or the
    /// text's length when it does not end.
    /// </summary>
    public int StatementEnd(int p, int nesting)
    {
        int q = NextCode(p);
        if (q < 0) return _n;
        if (text[q].Value == '{') return syntax.Match[q] < 0 ? _n : syntax.Match[q];
        if (nesting >= maxNesting) return ToSemicolon(q);
        foreach (var word in (string[])["if", "for", "while", "switch"])
        {
            if (!IsKeyword(q, word)) continue;
            int open = NextCode(q + word.Length);
            if (open < 0 || text[open].Value != '(') return ToSemicolon(q);
            int close = syntax.Match[open];
            if (close < 0) return _n;
            int end = StatementEnd(close + 1, nesting + 1);
            if (word == "if" && end < _n && NextCode(end + 1) is int e && e >= 0 && IsKeyword(e, "else")) end = StatementEnd(e + 4, nesting + 1);
            return end;
        }
        if (IsKeyword(q, "do"))
        {
            int body = StatementEnd(q + 2, nesting + 1);
            return body >= _n ? _n : ToSemicolon(body + 1);
        }
        return ToSemicolon(q);
    }

    /// <summary>The first <c>;</c> at or after <paramref name="p"/> outside brackets (or an unmatched closing bracket), or the text's length.</summary>
    private int ToSemicolon(int p)
    {
        for (int q = p; q < _n; q++)
        {
            if (!syntax.IsCode[q]) continue;
            int c = text[q].Value;
            if (c is '(' or '[' or '{')
            {
                if (syntax.Match[q] < 0) return _n;
                q = syntax.Match[q];
            }
            else if (c is ';' or ')' or ']' or '}') return q;
        }
        return _n;
    }

    private bool IsIdentifier(int p)
    {
        int c = text[p].Value;
        return c == '_' || c < 128 && char.IsAsciiLetterOrDigit((char)c);
    }
}
