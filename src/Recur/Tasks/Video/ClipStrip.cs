using Recur.Data;
using Recur.Data.Video;
using Recur.Imaging;

namespace Recur.Tasks.Video;

/// <summary>
/// A clip as one grey image: its frames side by side, left to right in time, <c>64 T</c> pixels wide and 64 high
/// (how <c>recur video data</c> writes clips and how <c>recur video RUN CLIP.png</c> reads them).
/// </summary>
public static class ClipStrip
{
    /// <summary>The strip of <paramref name="clip"/> drawn from <paramref name="images"/>.</summary>
    public static PixelImage Of(VideoClip clip, LabeledImages images)
    {
        ArgumentNullException.ThrowIfNull(clip);
        int side = clip.Side, T = clip.Frames, width = side * T;
        var pixels = new byte[width * side];
        var frame = new byte[side * side];
        for (int t = 0; t < T; t++)
        {
            clip.Render(images, t, frame);
            for (int r = 0; r < side; r++) frame.AsSpan(r * side, side).CopyTo(pixels.AsSpan(r * width + t * side, side));
        }
        return new PixelImage(width, side, 1, pixels);
    }

    /// <summary>
    /// The frames of a grey strip (<c>(T, side * side)</c> bytes each); an <see cref="ArgumentException"/> naming the sizes when the
    /// image is not <paramref name="side"/> high and a whole number of frames wide.
    /// </summary>
    public static IReadOnlyList<byte[]> Frames(PixelImage strip, int side = VideoClip.DefaultSide)
    {
        ArgumentNullException.ThrowIfNull(strip);
        if (strip.Channels != 1) throw new ArgumentException("the strip must be grey (one channel).");
        if (strip.Height != side || strip.Width % side != 0 || strip.Width == 0)
            throw new ArgumentException($"a clip is a strip of {side}x{side} frames side by side ({side} pixels high, {side} x T wide); "
                + $"this image is {strip.Width}x{strip.Height}.");
        int T = strip.Width / side;
        var frames = new byte[T][];
        for (int t = 0; t < T; t++)
        {
            frames[t] = new byte[side * side];
            for (int r = 0; r < side; r++) strip.Pixels.AsSpan(r * strip.Width + t * side, side).CopyTo(frames[t].AsSpan(r * side, side));
        }
        return frames;
    }
}
