namespace Recur.Data.Scenes;

/// <summary>
/// Which training images the scenes may use. The Fashion-MNIST training images are cut in two where
/// <c>recur classify</c> cuts them for its own validation (<see cref="FashionMnist.ValidationFraction"/>, the last
/// 1/12): training scenes draw only from the first part, validation scenes only from the rest. So no validation scene
/// shows an image a model was fitted to, nor one the default encoder (a classify run) was trained on. The cut is
/// computed by fraction, so a smaller set of images (the tests' sample) is cut in the same proportion.
/// </summary>
public static class SceneImages
{
    /// <summary>
    /// The first image index of the validation part of <paramref name="count"/> training images: the images before it are
    /// the training scenes', those from it on the validation scenes' (55,000 of 60,000).
    /// </summary>
    public static int ValidationStart(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        return count - (int)Math.Round(count * FashionMnist.ValidationFraction);
    }

    /// <summary>The training scenes' images of <paramref name="train"/>: indices <c>[0, ValidationStart)</c>.</summary>
    public static Range Training(LabeledImages train)
    {
        ArgumentNullException.ThrowIfNull(train);
        return 0..ValidationStart(train.Count);
    }

    /// <summary>The validation scenes' images of <paramref name="train"/>: indices <c>[ValidationStart, Count)</c>.</summary>
    public static Range Validation(LabeledImages train)
    {
        ArgumentNullException.ThrowIfNull(train);
        return ValidationStart(train.Count)..train.Count;
    }

    /// <summary>
    /// How many validation scenes a run of <paramref name="trainScenes"/> training scenes and validation fraction
    /// <paramref name="valFrac"/> draws: <c>round(trainScenes * valFrac)</c>, half of seen compositions (the odd one
    /// too) and half of held-out ones.
    /// </summary>
    public static (int Seen, int HeldOut) ValidationCounts(int trainScenes, double valFrac)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(trainScenes);
        if (!(valFrac >= 0 && valFrac < 1)) throw new ArgumentOutOfRangeException(nameof(valFrac), valFrac, "the validation fraction must be in [0, 1).");
        int n = (int)Math.Round(trainScenes * valFrac);
        return (n - n / 2, n / 2);
    }
}
