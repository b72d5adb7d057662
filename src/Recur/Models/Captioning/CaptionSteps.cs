using Recur.Nn;

namespace Recur.Models.Captioning;

/// <summary>Teacher forcing's time-major view of a batch of encoded captions <c>(B, W)</c>, <c>W = MaxWords + 2</c>.</summary>
internal static class CaptionSteps
{
    /// <summary>Steps needed by the batch: the latest <c>&lt;END&gt;</c> position (the input at step t is id t, the target id t + 1).</summary>
    public static int Steps(ReadOnlySpan<int> captions, int batch, int width)
    {
        if (batch < 1 || captions.Length != batch * width) throw new ArgumentException($"captions hold {captions.Length} ids, not {batch} x {width}.");
        int steps = 1;
        for (int b = 0; b < batch; b++)
        {
            var row = captions.Slice(b * width, width);
            if (row[0] != CaptionVocabulary.Start) throw new ArgumentException($"caption {b} does not begin with <START>.");
            int end = row.IndexOf(CaptionVocabulary.End);
            if (end < 1) throw new ArgumentException($"caption {b} has no <END>.");
            steps = Math.Max(steps, end);
        }
        return steps;
    }

    /// <summary>
    /// Inputs <c>(T, B)</c>: id t of each caption; targets <c>(T, B)</c>: id t + 1, with <c>&lt;NULL&gt;</c> replaced by
    /// the ignore index. Returns the number of targets that count.
    /// </summary>
    public static int Split(ReadOnlySpan<int> captions, int batch, int width, int steps, Span<int> inputs, Span<int> targets)
    {
        int words = 0;
        for (int t = 0; t < steps; t++)
            for (int b = 0; b < batch; b++)
            {
                inputs[t * batch + b] = captions[b * width + t];
                int y = captions[b * width + t + 1];
                targets[t * batch + b] = y == CaptionVocabulary.Null ? SoftmaxCrossEntropy.DefaultIgnoreIndex : y;
                if (y != CaptionVocabulary.Null) words++;
            }
        return words;
    }
}
