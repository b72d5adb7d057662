namespace Recur.Data.Video;

/// <summary>
/// One object of a clip: a Fashion-MNIST image of class <see cref="Class"/> whose top-left corner is at
/// <c>(X[t], Y[t])</c> in frame <c>t</c> (pixels; negative or past the frame's side when it is partly or wholly outside).
/// </summary>
/// <param name="Class">The Fashion-MNIST class id, 0..9.</param>
/// <param name="Image">Index of the image in the split it was drawn from.</param>
/// <param name="X">Column of the image's left edge in each frame, <c>(T)</c>.</param>
/// <param name="Y">Row of the image's top edge in each frame, <c>(T)</c>.</param>
/// <param name="Actor">True for the objects the action is about; false for a distractor that bounces about the frame.</param>
public sealed record ClipObject(int Class, int Image, int[] X, int[] Y, bool Actor);

/// <summary>
/// A clip of moving Fashion-MNIST objects (Srivastava et al. 2015's Moving MNIST, with clothes): <see cref="Frames"/>
/// frames of <see cref="Side"/> x <see cref="Side"/> grey pixels, each object's 28 x 28 image pasted where it is
/// (overlaps take the brighter pixel), with the clip's <see cref="Action"/>.
/// </summary>
public sealed record VideoClip(VideoAction Action, IReadOnlyList<ClipObject> Objects, int Frames, int Side = VideoClip.DefaultSide)
{
    /// <summary>Pixels per side of a frame.</summary>
    public const int DefaultSide = 64;

    /// <summary>Pixels per side of an object (a Fashion-MNIST image).</summary>
    public const int ObjectSize = 28;

    /// <summary>
    /// The share of an object's ink (the sum of its pixel values) that must lie inside the frame for the object to count
    /// as visible in it (the per-frame labels).
    /// </summary>
    public const double VisibleInk = 0.5;

    /// <summary>The actors' classes, in the order the action names them (left one first).</summary>
    public IReadOnlyList<int> ActorClasses => [.. Objects.Where(o => o.Actor).Select(o => o.Class)];

    /// <summary>The same clip played backwards: the reversed action (<see cref="VideoActions.Reverse"/>).</summary>
    public VideoClip Reversed() => this with
    {
        Action = VideoActions.Reverse(Action),
        Objects = [.. Objects.Select(o => o with { X = [.. o.X.Reverse()], Y = [.. o.Y.Reverse()] })],
    };

    /// <summary>
    /// Draws frame <paramref name="t"/> into <paramref name="frame"/> (<c>(Side, Side)</c>, row-major) as values in
    /// <c>[0, 1]</c> (byte / 255), from <paramref name="images"/>, the split the objects were drawn from.
    /// </summary>
    public void Render(LabeledImages images, int t, Span<float> frame)
    {
        var bytes = new byte[Side * Side];
        Render(images, t, bytes);
        for (int i = 0; i < bytes.Length; i++) frame[i] = bytes[i] / 255f;
    }

    /// <summary>Draws frame <paramref name="t"/> into <paramref name="frame"/> (<c>(Side, Side)</c> bytes, row-major).</summary>
    public void Render(LabeledImages images, int t, Span<byte> frame)
    {
        CheckImages(images);
        if ((uint)t >= (uint)Frames) throw new ArgumentOutOfRangeException(nameof(t), t, $"the clip has {Frames} frames.");
        if (frame.Length != Side * Side) throw new ArgumentException($"a frame is {Side}x{Side} = {Side * Side} pixels, got {frame.Length}.");
        frame.Clear();
        foreach (var o in Objects)
        {
            var src = images.Image(o.Image);
            for (int r = 0; r < ObjectSize; r++)
            {
                int y = o.Y[t] + r;
                if ((uint)y >= (uint)Side) continue;
                for (int c = 0; c < ObjectSize; c++)
                {
                    int x = o.X[t] + c;
                    if ((uint)x >= (uint)Side) continue;
                    byte v = src[r * ObjectSize + c];
                    if (v > frame[y * Side + x]) frame[y * Side + x] = v;
                }
            }
        }
    }

    /// <summary>
    /// The per-frame labels: <c>visible[t * classes + k]</c> is true when an object of class <c>k</c> has at least
    /// <see cref="VisibleInk"/> of its ink inside frame <c>t</c>; <c>(T, classes)</c>.
    /// </summary>
    public bool[] Visible(LabeledImages images)
    {
        CheckImages(images);
        int classes = images.ClassCount;
        var visible = new bool[Frames * classes];
        foreach (var o in Objects)
        {
            var src = images.Image(o.Image);
            long total = 0;
            foreach (byte v in src) total += v;
            for (int t = 0; t < Frames; t++)
            {
                long inside = 0;
                for (int r = 0; r < ObjectSize; r++)
                {
                    if ((uint)(o.Y[t] + r) >= (uint)Side) continue;
                    for (int c = 0; c < ObjectSize; c++)
                        if ((uint)(o.X[t] + c) < (uint)Side) inside += src[r * ObjectSize + c];
                }
                if (total > 0 && inside >= VisibleInk * total) visible[t * classes + o.Class] = true;
            }
        }
        return visible;
    }

    private void CheckImages(LabeledImages images)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.Rows != ObjectSize || images.Cols != ObjectSize)
            throw new ArgumentException($"clip objects are {ObjectSize}x{ObjectSize}; the images are {images.Rows}x{images.Cols}.");
    }
}
