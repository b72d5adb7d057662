using System.Text;
using Recur.Analysis;
using Recur.Analysis.Gallery;
using Xunit;

namespace Recur.Tests.Analysis;

/// <summary>
/// The gallery's feature extractors on snippets worked by hand: each expected mask is written under its snippet, one digit a
/// character (the state after reading that character).
/// </summary>
public sealed class GalleryFeaturesTests
{
    private static Rune[] R(string s) => s.EnumerateRunes().ToArray();

    /// <summary>A mask of 0/1 digits (or depths 0-9) as floats.</summary>
    private static float[] M(string digits) => [.. digits.Where(char.IsAsciiDigit).Select(c => (float)(c - '0'))];

    private static void Same(string text, string expected, float[] actual)
    {
        var want = M(expected);
        Assert.Equal(text.Length, want.Length); // the hand-written mask covers the snippet
        Assert.Equal(want, actual);
    }

    [Fact]
    public void LinePositionCountsTheLineReadSoFar()
    {
        Assert.Equal([1f, 2f, 0f, 1f], LineFeatures.LinePosition(R("ab\nc")));
    }

    [Fact]
    public void SpeakerNameIsTheLineAfterABlankLineUpToItsColon()
    {
        const string s = "A B:\nhi:\n\nCo:\nx\n";
        Same(s, "1110 00000 0 1100 00", ProseFeatures.SpeakerName(R(s)));
    }

    [Fact]
    public void ProseQuoteRunsFromItsOpeningMarkToBeforeItsClosingOne()
    {
        const string s = "a \"hi\" b\n";
        Same(s, "00 111 0 00 0", ProseFeatures.InQuote(R(s)));
        const string curly = "\u201Cno\u201D x";
        Same(curly, "1110 00", ProseFeatures.InQuote(R(curly)));
    }

    [Fact]
    public void AnUnclosedProseQuoteEndsAtABlankLineOrAPercentLine()
    {
        const string blank = "\"a\nb\n\nc\"d";
        Same(blank, "111 11 0 01 1", ProseFeatures.InQuote(R(blank)));  // the newline of the empty line closes it; c's mark opens
        const string fortune = "\"5'\n%\nx";
        Same(fortune, "1111 10 0", ProseFeatures.InQuote(R(fortune)));
        const string percentInLine = "\"a%\nb";
        Same(percentInLine, "1111 1", ProseFeatures.InQuote(R(percentInLine)));  // '%' with more on its line is text
    }

    [Fact]
    public void CQuoteDepthAndIfStatementSkipCharacterLiteralsAndStrings()
    {
        // The '"' character literal opens no string; the '}' inside "}" closes no block; the if runs from its 'i' to the '}'
        // that closes its block (already outside).
        const string s = "x='\"';if(p){q(\"}\");}z;";
        var c = CSyntax.Of(R(s));
        Same(s, "00000 000000000 110000 00", c.InString);
        Same(s, "00000 000000111 111110 00", CFeatures.CodeDepth(R(s), c));
        Same(s, "00000 011111111 111110 00", CFeatures.InIfStatement(R(s), c));
        Assert.All(c.InComment, v => Assert.Equal(0f, v));
    }

    [Fact]
    public void IfStatementsNestElseAndSkipCommentsPreprocessorAndLongerNames()
    {
        const string s = "/* if (a) { */\n#if (B)\nif (c) if (d) e(); else f(); g;\nelif (h) i;";
        var c = CSyntax.Of(R(s));
        // The outer if guards "if (d) e(); else f();" (the else binds to the inner if) and ends at that ';'.
        Same(s, "00000000000000 0" + "00000000" + "11111111111111111111111111100000" + "00000000000",
            CFeatures.InIfStatement(R(s), c));
        Same(s, "01111111111110 0" + "00000000" + "00000000000000000000000000000000" + "00000000000", c.InComment);
        Assert.All(CFeatures.CodeDepth(R(s), c), v => Assert.Equal(0f, v)); // the '{' is in the comment
    }

    [Fact]
    public void CStringsKeepEscapesAndEndAtAnUnescapedNewline()
    {
        const string s = "a = \"x\\\"}\" // c \"\n{b";
        var c = CSyntax.Of(R(s));
        Same(s, "0000 11111 0 0000000 0 00", c.InString);
        Same(s, "0000 00000 0 0011111 0 00", c.InComment);
        Same(s, "0000 00000 0 0000000 0 11", CFeatures.CodeDepth(R(s), c));
        const string open = "\"ab\nc\"";
        Same(open, "111 0 01", CSyntax.Of(R(open)).InString);
    }

    [Fact]
    public void LatexMathOpensAndClosesOnEveryDelimiter()
    {
        const string s = "a $x$ b \\$ $$y$$ \\(z\\) \\[w\\]";
        Same(s, "00110 000 00 01110 0 0 01110 0 01110", LatexFeatures.Of(R(s)).InMath);
    }

    [Fact]
    public void LatexEnvironmentsGroupsCommentsAndQuotes()
    {
        const string s = "\\begin{a}{x\\{}% $\\end{a}\n``q'' \\end{a}";
        var f = LatexFeatures.Of(R(s));
        Same(s, "000000001 11111 1111111111 1 11111 11111110", f.EnvironmentDepth);
        Same(s, "000000110 11110 0000000000 0 00000 00000110", f.GroupDepth);
        Same(s, "000000000 00000 1111111111 0 00000 00000000", f.InComment);
        Same(s, "000000000 00000 0000000000 0 01110 00000000", f.InQuote);
        Assert.All(f.InMath, v => Assert.Equal(0f, v)); // the '$' is in the comment
    }

    [Fact]
    public void ABlankLineEndsInlineMathAndVerbIsLiteral()
    {
        const string s = "$a\n\nb \\verb|$| c";
        Same(s, "111 0 00 000000000 0", LatexFeatures.Of(R(s)).InMath);
    }

    [Fact]
    public void EachKindHasItsNamedFeatures()
    {
        var text = R("if (a) { \"q\" }\n");
        Assert.Equal(["line_position", "speaker_name"], GalleryFeatures.For(TextKind.Play, text).Select(f => f.Name));
        Assert.Equal(["in_quote", "in_if_statement", "code_depth", "in_comment", "line_position"],
            GalleryFeatures.For(TextKind.C, text).Select(f => f.Name));
        Assert.Equal(["in_math", "environment_depth", "in_quote", "group_depth", "in_comment", "line_position"],
            GalleryFeatures.For(TextKind.Latex, text).Select(f => f.Name));
        Assert.Equal(["in_quote", "line_position"], GalleryFeatures.For(TextKind.Prose, text).Select(f => f.Name));
        Assert.All(GalleryFeatures.For(TextKind.C, text), f => Assert.Equal(text.Length, f.Values.Length));
    }
}

public sealed class ExcerptWindowTests
{
    [Fact]
    public void TheWindowStartsOnALineWhereTheFeatureVariesMost()
    {
        // Lines start at 3, 6 and 9; a window of 3 fits at 3 and 6 (not 9: it would end past the 11 characters).
        // Variance at 3: of 0, 0, 0 = 0; at 6: of 1, 0, 1 = 2/3 - 4/9 = 2/9. So 6.
        var text = "aa\nbb\ncc\ndd".EnumerateRunes().ToArray();
        float[] feature = [0, 0, 0, 0, 0, 0, 1, 0, 1, 1, 1];
        Assert.Equal(6, ExcerptWindow.Choose(text, feature, text.Length, 3));
        Assert.Equal(3, ExcerptWindow.Choose(text, new float[11], text.Length, 3));  // a flat feature: the first line start
        Assert.Equal(3, ExcerptWindow.Choose(text, feature, 8, 3));                  // only the first 8 characters are available
        Assert.Equal(0, ExcerptWindow.Choose("abcdef".EnumerateRunes().ToArray(), new float[6], 6, 3)); // no line start: the text's start
        Assert.Equal(0, ExcerptWindow.Choose(text, feature, text.Length, 20));      // shorter than the window
        Assert.Equal(3, ExcerptWindow.Choose(text, feature, text.Length, 3, pieceLength: 8)); // 6..8 would cross into the second piece
    }
}
