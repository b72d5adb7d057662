using Recur.Data.Scenes;

namespace Recur.Models.Captioning;

/// <summary>
/// What the encoder's own classifier makes of a split's scenes: each object's image goes through the whole
/// <see cref="ConvNet"/> (classifier layer included) on its own, and a scene counts when every object gets its class.
/// A captioner names each object through the same encoder's features, so this is the reference its exact-match rate
/// is read against: the share of scenes the encoder recognises in full.
/// </summary>
public static class EncoderReference
{
    /// <summary>The fraction of <paramref name="split"/>'s scenes whose every object <paramref name="network"/> classifies right (NaN for none).</summary>
    public static double AllObjectsRecognised(ConvNet network, SceneSplit split)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(split);
        if (split.Scenes.Count == 0) return double.NaN;
        var predicted = Predictions(network, split);
        int right = split.Scenes.Count(s => s.Items.All(it => predicted[it.Image] == it.Class));
        return (double)right / split.Scenes.Count;
    }

    /// <summary>The classifier's class for every image the split's scenes use (by image index; -1 for the others).</summary>
    private static int[] Predictions(ConvNet network, SceneSplit split)
    {
        var images = split.Images;
        int[] used = [.. split.Scenes.SelectMany(s => s.Items).Select(it => it.Image).Distinct().Order()];
        var predicted = new int[images.Count];
        Array.Fill(predicted, -1);
        const int chunk = 256;
        var x = network.NewInput(images, chunk); // (chunk, 1, 28, 28)
        for (int start = 0; start < used.Length; start += chunk)
        {
            int n = Math.Min(chunk, used.Length - start);
            var batch = n == chunk ? x : network.NewInput(images, n);
            network.FillInput(images, used.AsSpan(start, n), batch);
            var logits = network.Forward(batch); // (n, Classes)
            int k = network.Classes;
            for (int i = 0; i < n; i++)
            {
                var row = logits.Span.Slice(i * k, k);
                int best = 0;
                for (int c = 1; c < k; c++) if (row[c] > row[best]) best = c;
                predicted[used[start + i]] = best;
            }
        }
        return predicted;
    }
}
