using System.Text;

namespace Recur.Analysis.Gallery;

/// <summary>Features of the line structure of any text (the lectures' line-length cell).</summary>
public static class LineFeatures
{
    /// <summary>
    /// Position in the line: the characters of the current line read so far, 0 after a newline (<c>"ab\nc"</c> gives
    /// 1, 2, 0, 1).
    /// </summary>
    public static float[] LinePosition(IReadOnlyList<Rune> text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var f = new float[text.Count];
        int pos = 0;
        for (int p = 0; p < f.Length; p++)
        {
            pos = text[p].Value == '\n' ? 0 : pos + 1;
            f[p] = pos;
        }
        return f;
    }
}
