using System.Text;

namespace Recur.Analysis.Gallery;

/// <summary>
/// Features of prose: a play's speaker names (laid out as tiny-shakespeare is: a name on a line of its own after a blank line)
/// and quotations.
/// </summary>
public static class ProseFeatures
{
    /// <summary>
    /// 1 on a speaker's name: the characters before the closing <c>':'</c> of a line that ends with <c>':'</c> and starts the
    /// text or follows an empty line (<c>"First Citizen:"</c>); 0 on the colon, the newline and everywhere else. The name is
    /// known from its line's first character, as a reader who saw the blank line before it knows (a label may look ahead).
    /// </summary>
    public static float[] SpeakerName(IReadOnlyList<Rune> text)
    {
        ArgumentNullException.ThrowIfNull(text);
        int n = text.Count;
        var f = new float[n];
        for (int start = 0; start < n;)
        {
            int end = start;
            while (end < n && text[end].Value != '\n') end++;
            bool afterBlank = start <= 1 || text[start - 2].Value == '\n'; // the line before is empty (or there is none)
            if (afterBlank && end > start + 1 && text[end - 1].Value == ':')
                for (int p = start; p < end - 1; p++) f[p] = 1;
            start = end + 1;
        }
        return f;
    }

    /// <summary>
    /// 1 inside a quotation: from its opening mark (a straight <c>"</c> when outside, or <c>“</c>) through the character
    /// before its closing one (the next straight <c>"</c>, or <c>”</c>); 0 on the closing mark. An unclosed quotation ends
    /// at an empty line or at a line that is only <c>%</c> (the fortune files' separator), on that line's newline, so
    /// that a stray mark (an inch, a ditto) costs at most the rest of its paragraph.
    /// </summary>
    public static float[] InQuote(IReadOnlyList<Rune> text)
    {
        ArgumentNullException.ThrowIfNull(text);
        int n = text.Count;
        var f = new float[n];
        bool inside = false;
        for (int p = 0; p < n; p++)
        {
            int c = text[p].Value;
            if (c == '\n' && inside && EndsParagraph(text, p)) inside = false;
            else if (c == '"') inside = !inside;
            else if (c == 0x201C) inside = true;
            else if (c == 0x201D) inside = false;
            f[p] = inside ? 1 : 0;
        }
        return f;
    }

    // True when the newline at p closes an empty line or a line holding only '%'.
    private static bool EndsParagraph(IReadOnlyList<Rune> text, int p)
    {
        if (p == 0 || text[p - 1].Value == '\n') return true;
        return text[p - 1].Value == '%' && (p == 1 || text[p - 2].Value == '\n');
    }
}
