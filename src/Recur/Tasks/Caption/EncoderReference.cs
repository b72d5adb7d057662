using Recur.Data.Scenes;

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
}
