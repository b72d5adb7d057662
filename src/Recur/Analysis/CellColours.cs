namespace Recur.Analysis;

/// <summary>
/// How the cell pages colour text by a cell's activation, as the figures of Karpathy, Johnson and Fei-Fei (2015) do: each
/// character's background is blue for a negative value and red for a positive one, its opacity <c>min(1, |v| / m)</c>, where
/// <c>m</c> is 1 for <c>h</c> and the gates (their range is fixed: [-1, 1] and [0, 1]) and the largest <c>|c|</c> in the shown
/// text for the LSTM cell state. Shared by <see cref="CellsReport"/> and the gallery page.
/// </summary>
public static class CellColours
{
    /// <summary>
    /// JavaScript functions: <c>cellColour(v, m)</c> (the background for value <c>v</c> at full scale <c>m</c>),
    /// <c>cellScale(kind, largest)</c> (<c>m</c> for a recorded kind), <c>shownChar(c)</c> (a newline shown as ↵ then a line
    /// break) and <c>escChar(c)</c> (HTML-escaped).
    /// </summary>
    public const string Script = """
        function cellColour(v, m) {
          var a = Math.min(1, Math.abs(v) / m).toFixed(3);
          return v < 0 ? 'rgba(40,90,230,' + a + ')' : 'rgba(230,50,30,' + a + ')';
        }
        function cellScale(kind, largest) { return kind === 'c' ? (largest > 0 ? largest : 1) : 1; }
        function shownChar(c) { return c === '\n' ? '\u21b5\n' : c; }
        function escChar(c) { return c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '&' ? '&amp;' : c; }

        """;

    /// <summary>The colour legend, as an HTML paragraph.</summary>
    public const string Legend = "<p class=\"legend\">Colour: <span style=\"background:rgba(40,90,230,0.8);color:#fff\">&nbsp;negative&nbsp;</span> "
        + "<span style=\"background:rgba(230,50,30,0.8);color:#fff\">&nbsp;positive&nbsp;</span>, intensity by magnitude "
        + "(h and gates on their fixed range [-1, 1] / [0, 1]; c relative to the cell's largest |c| in the shown text). "
        + "Hover a character for its value.</p>\n";
}
