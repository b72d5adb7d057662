using Recur.Data.Scenes;
using Recur.Models;
using Recur.Tasks.Classify;

namespace Recur.Tasks.Caption;

/// <summary>
/// What the encoder's own classifier makes of a split's scenes: given its class for each image of the split (each
/// image through the whole network on its own, e.g. <c>Tasks.Classify.ClassifyTask.Score(network, split.Images).Predicted</c>), a
/// scene counts when every object gets its class. A captioner names each object through the same encoder's features,
/// so this is the reference its exact-match rate is read against: the share of scenes the encoder recognises in full.
/// </summary>
public static class EncoderReference
{
    /// <summary>
    /// The fraction of <paramref name="split"/>'s scenes whose every object <paramref name="predicted"/> (by image
    /// index) names right (NaN for none).
    /// </summary>
    public static double AllObjectsRecognised(SceneSplit split, IReadOnlyList<int> predicted)
    {
        ArgumentNullException.ThrowIfNull(split);
        ArgumentNullException.ThrowIfNull(predicted);
        if (predicted.Count != split.Images.Count)
            throw new ArgumentException($"{predicted.Count} predictions for {split.Images.Count} images.", nameof(predicted));
        if (split.Scenes.Count == 0) return double.NaN;
        int right = split.Scenes.Count(s => s.Items.All(it => predicted[it.Image] == it.Class));
        return (double)right / split.Scenes.Count;
    }

    /// <summary>
    /// <paramref name="encoder"/>'s class for each image of <paramref name="split"/> its scenes use (each image through the
    /// whole network on its own), by image index; -1 for the images outside the range its scenes use, which are not scored
    /// (a validation split uses the last 1/12 of the training images only).
    /// </summary>
    public static int[] Predicted(IImageClassifier encoder, SceneSplit split)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentNullException.ThrowIfNull(split);
        var predicted = new int[split.Images.Count];
        Array.Fill(predicted, -1);
        var used = split.Scenes.SelectMany(s => s.Items).Select(i => i.Image).ToArray();
        if (used.Length == 0) return predicted;
        int lo = used.Min(), hi = used.Max();
        ClassifyTask.Score(encoder, split.Images.Slice(lo, hi - lo + 1)).Predicted.CopyTo(predicted, lo);
        return predicted;
    }
}
