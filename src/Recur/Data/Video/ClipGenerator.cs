using Recur.Data.Scenes;

namespace Recur.Data.Video;

/// <summary>Which clips to draw: frame count and side, split sizes, seed.</summary>
public sealed record ClipOptions
{
    /// <summary>Frames per clip (16 to 20 in the issue; 8 to 64 accepted).</summary>
    public int Frames { get; init; } = 16;

    /// <summary>Training clips (from the training part of Fashion-MNIST's training images).</summary>
    public int Train { get; init; } = 5_000;

    /// <summary>Test clips (from Fashion-MNIST's test images).</summary>
    public int Test { get; init; } = 1_000;

    /// <summary>Everything drawn follows from it.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>Checks the counts.</summary>
    public void Validate()
    {
        if (Frames is < 8 or > 64) throw new ArgumentException($"frames must be in [8, 64], got {Frames}.");
        if (Train < 0 || Test < 0) throw new ArgumentException("clip counts must be non-negative.");
    }
}

/// <summary>Clips drawn from one image split, with that split (clips refer to its images by index).</summary>
public sealed record ClipSplit(string Name, LabeledImages Images, IReadOnlyList<VideoClip> Clips);

/// <summary>
/// Clips of moving Fashion-MNIST objects, drawn deterministically from a seed: one of the six
/// <see cref="VideoAction"/>s, uniform, done by one actor (two for approach and separate) of uniform classes, and half
/// the time a distractor that bounces about at 1 to 2.5 pixels a frame, so a clip shows 1 to 3 objects. The frame has
/// two bands, rows 0-31 and 32-63: the actors move along one (chosen at random; at most 2 rows of drift), the distractor
/// in the other, so objects never cover each other and each frame's classes can be told. The actors move in straight
/// lines: entering from the left, an actor starts wholly outside (its left edge at -28 to -24) and ends inside (8 to 36);
/// two approaching actors start partly outside on opposite sides and end side by side in the middle, 0 to 4 pixels
/// apart. The reversed actions (leaves, separate) are the forward actions' clips played backwards, distractors included,
/// so each pair's frames have one distribution.
/// <para>
/// Splits as the scenes': training clips use only the training images before <see cref="SceneImages.ValidationStart"/>,
/// validation clips only those after it, test clips only the test images; each from its own stream of the seed.
/// </para>
/// </summary>
public static class ClipGenerator
{
    private const ulong TrainStream = 0x564944545241494EUL; // "VIDTRAIN"
    private const ulong ValidationStream = 0x564944564C494400UL; // "VIDVLID"
    private const ulong TestStream = 0x5649445445535400UL; // "VIDTEST"

    /// <summary>The training clips (<c>"train"</c>): images of <paramref name="train"/> before the validation cut only.</summary>
    public static ClipSplit Training(LabeledImages train, ClipOptions options)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return new ClipSplit("train", train, Draw(ByClass(train, SceneImages.Training(train)), options.Train, options.Frames,
            new Rng(options.Seed ^ TrainStream)));
    }

    /// <summary>
    /// The validation clips (<c>"validation"</c>), <c>round(Train * valFrac)</c> of them, from the images of
    /// <paramref name="train"/> that no training clip uses.
    /// </summary>
    public static ClipSplit Validation(LabeledImages train, ClipOptions options, double valFrac)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (!(valFrac >= 0 && valFrac < 1)) throw new ArgumentOutOfRangeException(nameof(valFrac), valFrac, "the validation fraction must be in [0, 1).");
        int count = (int)Math.Round(options.Train * valFrac);
        return new ClipSplit("validation", train, Draw(ByClass(train, SceneImages.Validation(train)), count, options.Frames,
            new Rng(options.Seed ^ ValidationStream)));
    }

    /// <summary>The test clips (<c>"test"</c>), from <paramref name="test"/>.</summary>
    public static ClipSplit Test(LabeledImages test, ClipOptions options)
    {
        ArgumentNullException.ThrowIfNull(test);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return new ClipSplit("test", test, Draw(ByClass(test, ..), options.Test, options.Frames, new Rng(options.Seed ^ TestStream)));
    }

    /// <summary><paramref name="count"/> clips of <paramref name="frames"/> frames from <paramref name="images"/>.</summary>
    public static IReadOnlyList<VideoClip> Draw(LabeledImages images, int count, int frames, Rng rng)
        => Draw(ByClass(images, ..), count, frames, rng);

    private static List<VideoClip> Draw(int[][] byClass, int count, int frames, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        var clips = new List<VideoClip>(count);
        for (int i = 0; i < count; i++)
        {
            var action = VideoActions.All[rng.NextInt(VideoActions.Count)];
            // The forward action of the pair is drawn; its reverse is the same clip played backwards.
            var forward = action is VideoAction.LeavesToLeft or VideoAction.LeavesToRight or VideoAction.Separate ? VideoActions.Reverse(action) : action;
            var clip = Forward(forward, byClass, frames, rng);
            clips.Add(forward == action ? clip : clip.Reversed());
        }
        return clips;
    }

    /// <summary>Rows of the two bands' top edges: the top band's objects span rows 0..31 at most, the bottom band's 32..63.</summary>
    private const int TopBandMax = 4, BottomBandMin = 32;

    private static VideoClip Forward(VideoAction action, int[][] byClass, int frames, Rng rng)
    {
        const int side = VideoClip.DefaultSide, size = VideoClip.ObjectSize, inside = side - size; // positions 0..36 keep an object whole
        bool actorsOnTop = rng.NextInt(2) == 0;
        var objects = new List<ClipObject>();
        switch (action)
        {
            case VideoAction.EntersFromLeft:
                objects.Add(Line(byClass, rng, frames, Between(rng, -size, -24), Between(rng, 8, inside), actorsOnTop));
                break;
            case VideoAction.EntersFromRight:
                objects.Add(Line(byClass, rng, frames, Between(rng, side - 4, side), Between(rng, 0, inside - 8), actorsOnTop));
                break;
            case VideoAction.Approach:
                int gap = Between(rng, 0, 4), left = Between(rng, 0, side - 2 * size - gap);
                objects.Add(Line(byClass, rng, frames, Between(rng, -16, -10), left, actorsOnTop));
                objects.Add(Line(byClass, rng, frames, Between(rng, inside + 10, inside + 16), left + size + gap, actorsOnTop));
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(action), action, "a forward action is drawn.");
        }
        if (rng.NextInt(2) == 1) objects.Add(Bouncing(byClass, rng, frames, inside, !actorsOnTop));
        return new VideoClip(action, objects, frames);
    }

    /// <summary>
    /// An actor moving in a straight line from column <paramref name="x0"/> to <paramref name="x1"/> in its band, drifting
    /// by at most 2 rows.
    /// </summary>
    private static ClipObject Line(int[][] byClass, Rng rng, int frames, int x0, int x1, bool top)
    {
        var (lo, hi) = Band(top);
        int y0 = Between(rng, lo, hi), y1 = Between(rng, Math.Max(lo, y0 - 2), Math.Min(hi, y0 + 2));
        var (cls, image) = Pick(byClass, rng);
        var xs = new int[frames];
        var ys = new int[frames];
        for (int t = 0; t < frames; t++)
        {
            double f = (double)t / (frames - 1);
            xs[t] = (int)Math.Round(x0 + (x1 - x0) * f);
            ys[t] = (int)Math.Round(y0 + (y1 - y0) * f);
        }
        return new ClipObject(cls, image, xs, ys, Actor: true);
    }

    /// <summary>
    /// A distractor in the other band: starts inside the frame and bounces off the frame's sides and its band's edges, 1 to
    /// 2.5 pixels a frame in a random direction.
    /// </summary>
    private static ClipObject Bouncing(int[][] byClass, Rng rng, int frames, int inside, bool top)
    {
        var (cls, image) = Pick(byClass, rng);
        var (lo, hi) = Band(top);
        double x = rng.NextDouble() * inside, y = lo + rng.NextDouble() * (hi - lo);
        double speed = 1 + 1.5 * rng.NextDouble(), angle = 2 * Math.PI * rng.NextDouble();
        double vx = speed * Math.Cos(angle), vy = speed * Math.Sin(angle);
        var xs = new int[frames];
        var ys = new int[frames];
        for (int t = 0; t < frames; t++)
        {
            xs[t] = (int)Math.Round(x);
            ys[t] = (int)Math.Round(y);
            x += vx; y += vy;
            if (x < 0) { x = -x; vx = -vx; } else if (x > inside) { x = 2 * inside - x; vx = -vx; }
            if (y < lo) { y = 2 * lo - y; vy = -vy; } else if (y > hi) { y = 2 * hi - y; vy = -vy; }
        }
        return new ClipObject(cls, image, xs, ys, Actor: false);
    }

    /// <summary>The rows an object's top edge may take in the top or the bottom band.</summary>
    private static (int Lo, int Hi) Band(bool top) => top ? (0, TopBandMax) : (BottomBandMin, VideoClip.DefaultSide - VideoClip.ObjectSize);

    private static (int Class, int Image) Pick(int[][] byClass, Rng rng)
    {
        int cls = rng.NextInt(byClass.Length);
        var pool = byClass[cls];
        if (pool.Length == 0) throw new ArgumentException($"the images hold no example of class {cls}.");
        return (cls, pool[rng.NextInt(pool.Length)]);
    }

    /// <summary>A uniform integer in <c>[lo, hi]</c>.</summary>
    private static int Between(Rng rng, int lo, int hi) => lo + rng.NextInt(hi - lo + 1);

    private static int[][] ByClass(LabeledImages images, Range range)
    {
        ArgumentNullException.ThrowIfNull(images);
        return images.IndicesByClass(range);
    }
}
