using System.Text;

namespace Recur.Analysis.Gallery;

/// <summary>Where to show a cell: the stretch of text in which its feature varies most.</summary>
public static class ExcerptWindow
{
    /// <summary>
    /// The start of the window of <paramref name="length"/> characters within the first <paramref name="available"/> characters
    /// of <paramref name="text"/> where <paramref name="feature"/> has the largest variance; windows start just after a newline
    /// (at the text's start only when no such window fits), ties go to the earliest. A text no longer than the window gives 0.
    /// A window does not cross a multiple of <paramref name="pieceLength"/> (the pieces a text is cut into, each read from a fresh
    /// state), unless none fits inside a piece.
    /// </summary>
    public static int Choose(IReadOnlyList<Rune> text, ReadOnlySpan<float> feature, int available, int length, int pieceLength = int.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(text);
        available = Math.Min(Math.Min(available, text.Count), feature.Length);
        if (length <= 0 || available <= length) return 0;
        // Prefix sums of the feature and its square (in double), so each window's variance is O(1).
        var sum = new double[available + 1];
        var sq = new double[available + 1];
        for (int p = 0; p < available; p++) { sum[p + 1] = sum[p] + feature[p]; sq[p + 1] = sq[p] + (double)feature[p] * feature[p]; }
        int best = 0;
        double bestVariance = -1;
        for (int start = 1; start + length <= available; start++)
        {
            if (text[start - 1].Value != '\n' || start / pieceLength != (start + length - 1) / pieceLength) continue;
            double mean = (sum[start + length] - sum[start]) / length;
            double variance = (sq[start + length] - sq[start]) / length - mean * mean;
            if (variance > bestVariance + 1e-9) { bestVariance = variance; best = start; }
        }
        return best;
    }
}
