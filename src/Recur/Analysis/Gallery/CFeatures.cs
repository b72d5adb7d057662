using System.Text;

namespace Recur.Analysis.Gallery;

/// <summary>
/// Features of C source for the lectures' cells (Karpathy, Johnson and Fei-Fei 2015; Karpathy's "The Unreasonable
/// Effectiveness of Recurrent Neural Networks"): inside a string literal (the quote cell), the depth of brace nesting
/// (the code-depth cell), inside an <c>if</c> statement (the if-statement cell), inside a comment. Each value is the state
/// after reading its character, over the lexical layer of <see cref="CSyntax"/>.
/// </summary>
public static class CFeatures
{
    /// <summary>Deepest nesting of statements followed when finding where an <c>if</c>'s statement ends.</summary>
    private const int MaxStatementNesting = 256;

    /// <summary>
    /// The depth of <c>{ }</c> nesting in code (braces in comments and literals do not count; never below 0): an opening brace
    /// is already one deeper, a closing one already one shallower (<c>"{a{b}}"</c> gives 1, 1, 2, 2, 1, 0).
    /// </summary>
    public static float[] CodeDepth(IReadOnlyList<Rune> text, CSyntax syntax)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(syntax);
        var f = new float[text.Count];
        int depth = 0;
        for (int p = 0; p < f.Length; p++)
        {
            if (syntax.IsCode[p])
            {
                if (text[p].Value == '{') depth++;
                else if (text[p].Value == '}') depth = Math.Max(0, depth - 1);
            }
            f[p] = depth;
        }
        return f;
    }

    /// <summary>
    /// 1 inside an <c>if</c> statement: from the <c>i</c> of the keyword (code, not part of a longer name, not a preprocessor
    /// <c>#if</c>, followed by <c>(</c>) through its condition and the statement it guards, a block <c>{ ... }</c> or a single
    /// statement (which may itself be an <c>if</c>, <c>for</c>, <c>while</c>, <c>switch</c> or <c>do</c> with its own body), up
    /// to the closing <c>}</c> or <c>;</c>, which is already outside. An <c>else</c> branch is not part of it (an <c>else if</c>
    /// starts an <c>if</c> of its own). Nested <c>if</c>s are 1 as well. A statement the text ends inside runs to its end.
    /// </summary>
    public static float[] InIfStatement(IReadOnlyList<Rune> text, CSyntax syntax)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(syntax);
        var scan = new CStatements(text, syntax, MaxStatementNesting);
        int n = text.Count;
        var f = new float[n];
        for (int p = 0; p + 1 < n; p++)
        {
            if (!scan.IsKeyword(p, "if") || scan.IsPreprocessor(p)) continue;
            int open = scan.NextCode(p + 2);
            if (open < 0 || text[open].Value != '(') continue;
            int close = syntax.Match[open];
            int end = close < 0 ? n : scan.StatementEnd(close + 1, 0);
            for (int q = p; q < end; q++) f[q] = 1;
        }
        return f;
    }
}
