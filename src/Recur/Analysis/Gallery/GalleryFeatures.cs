using System.Text;

namespace Recur.Analysis.Gallery;

/// <summary>What kind of text a gallery corpus is, which decides the features its cells are looked for with.</summary>
public enum TextKind
{
    /// <summary>A play laid out as tiny-shakespeare (speaker lines, verse).</summary>
    Play,

    /// <summary>C source.</summary>
    C,

    /// <summary>LaTeX source.</summary>
    Latex,

    /// <summary>Prose with double quotation marks (the fortune cookies: sayings and dialogue, separated by lines of <c>%</c>).</summary>
    Prose,
}

/// <summary>
/// The named features the gallery looks for a cell of, per kind of text (the lectures' cells: quote detection, line length,
/// if statements, code depth; for LaTeX, mathematics and environments). tiny-shakespeare has no double quotation marks, so
/// its quote cell is looked for in C (string literals), LaTeX (<c>``...''</c>) and prose (<c>"..."</c>, as the lectures' War and
/// Peace).
/// </summary>
public static class GalleryFeatures
{
    /// <summary>The features of <paramref name="text"/> read as <paramref name="kind"/>, in the order the page shows them.</summary>
    public static IReadOnlyList<CellFeature> For(TextKind kind, IReadOnlyList<Rune> text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var line = new CellFeature("line_position", "position in the line: characters of the line read so far (0 after a newline)",
            LineFeatures.LinePosition(text));
        switch (kind)
        {
            case TextKind.Play:
                return [line, new CellFeature("speaker_name", "on a speaker's name: a line after a blank line, up to its closing ':'",
                    ProseFeatures.SpeakerName(text))];
            case TextKind.C:
                var c = CSyntax.Of(text);
                return
                [
                    new CellFeature("in_quote", "inside a string literal \"...\" (escapes kept; comments and character literals left out)", c.InString),
                    new CellFeature("in_if_statement", "inside an if statement: from 'if (' through the block or statement it guards",
                        CFeatures.InIfStatement(text, c)),
                    new CellFeature("code_depth", "depth of { } nesting in code", CFeatures.CodeDepth(text, c)),
                    new CellFeature("in_comment", "inside a /* */ or // comment", c.InComment),
                    line,
                ];
            case TextKind.Latex:
                var l = LatexFeatures.Of(text);
                return
                [
                    new CellFeature("in_math", "inside mathematics: $...$, $$...$$, \\(...\\), \\[...\\]", l.InMath),
                    new CellFeature("environment_depth", "depth of \\begin{...} ... \\end{...} nesting", l.EnvironmentDepth),
                    new CellFeature("in_quote", "inside a TeX quotation ``...''", l.InQuote),
                    new CellFeature("group_depth", "depth of { } groups", l.GroupDepth),
                    new CellFeature("in_comment", "inside a % comment", l.InComment),
                    line,
                ];
            case TextKind.Prose:
                return
                [
                    new CellFeature("in_quote", "inside a quotation \"...\" (closed by the next mark, a blank line or a '%' line)",
                        ProseFeatures.InQuote(text)),
                    line,
                ];
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown kind of text.");
        }
    }
}
