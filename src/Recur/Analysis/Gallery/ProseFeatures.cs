using System.Text;

namespace Recur.Analysis.Gallery;

/// <summary>Features of a play's text laid out as tiny-shakespeare is: a speaker's name on a line of its own after a blank line.</summary>
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
}
