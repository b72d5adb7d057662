using Recur.Data;
using Recur.Imaging;
using Recur.Models.Draw;

namespace Recur.Tasks.Draw;

/// <summary>
/// Pictures of DRAW at work: a strip per image, one row per image and one column per step, each cell the canvas
/// <c>σ(c_t)</c> after step <c>t</c> (0 black, 1 white, as Fashion-MNIST's ink); for reconstructions a last column, set
/// apart by a wider gap, shows the binarised image itself. Cells are <see cref="Gap"/> pixels apart on blue (so that a grey
/// canvas, <c>σ(0) = 0.5</c>, still shows its edges).
/// </summary>
public static class DrawStrips
{
    /// <summary>Pixels between cells (and around the picture).</summary>
    public const int Gap = 2;

    /// <summary>The colour of the gaps, R, G, B.</summary>
    private static ReadOnlySpan<byte> GapColour => [60, 90, 200];

    /// <summary>The most pixels a strip may have.</summary>
    private const long MaxPixels = 1L << 25;

    /// <summary>
    /// The picture's size for <paramref name="steps"/> columns of <paramref name="images"/> rows of <paramref name="height"/> x
    /// <paramref name="width"/> images scaled <paramref name="scale"/> times, with or without the target column: the width is
    /// <c>Gap + T (w + Gap)</c> plus <c>3 Gap + w</c> for the target, the height <c>Gap + N (h + Gap)</c>, <c>w, h</c> scaled.
    /// </summary>
    public static (int Width, int Height) Size(int steps, int images, int height, int width, int scale, bool target)
    {
        Guard.Positive(steps, nameof(steps));
        Guard.Positive(images, nameof(images));
        Guard.Positive(height, nameof(height));
        Guard.Positive(width, nameof(width));
        if (scale is < 1 or > 16) throw new ArgumentOutOfRangeException(nameof(scale), scale, $"scale must be in 1..16, got {scale}.");
        long cw = (long)width * scale, ch = (long)height * scale;
        long w = Gap + steps * (cw + Gap) + (target ? 3 * Gap + cw : 0), h = Gap + images * (ch + Gap);
        if (w * h > MaxPixels)
            throw new ArgumentException($"a strip of {images} image(s) x {steps} step(s) at scale {scale} is {w}x{h} pixels, more than {MaxPixels}; "
                + "draw fewer images or a smaller scale.");
        return ((int)w, (int)h);
    }

    /// <summary>
    /// The strip of <paramref name="canvases"/> <c>(T, N, height, width)</c> in [0, 1] (<see cref="DrawModel.Canvases"/>), scaled
    /// <paramref name="scale"/> times; <paramref name="targets"/> <c>(N, height * width)</c>, when given, adds the images themselves
    /// as the last column. Returns an RGB image (write it with <see cref="Plotting.Png"/>).
    /// </summary>
    public static PixelImage Render(Tensor canvases, Tensor? targets = null, int scale = 2)
    {
        ArgumentNullException.ThrowIfNull(canvases);
        Guard.Rank(canvases, nameof(canvases), 4, "(steps, images, height, width)");
        int T = canvases.Shape[0], N = canvases.Shape[1], H = canvases.Shape[2], W = canvases.Shape[3];
        if (targets is not null) Guard.Shape(targets, nameof(targets), N, H * W);
        var (width, height) = Size(T, N, H, W, scale, targets is not null);
        var px = new byte[width * height * 3];
        for (int i = 0; i < px.Length; i += 3) GapColour.CopyTo(px.AsSpan(i, 3));
        int cw = W * scale, ch = H * scale;
        for (int n = 0; n < N; n++)
        {
            int y0 = Gap + n * (ch + Gap);
            for (int t = 0; t < T; t++)
                Paint(px, width, Gap + t * (cw + Gap), y0, canvases.Data.AsSpan((t * N + n) * H * W, H * W), H, W, scale);
            if (targets is not null) Paint(px, width, Gap + T * (cw + Gap) + 2 * Gap, y0, targets.Data.AsSpan(n * H * W, H * W), H, W, scale);
        }
        return new PixelImage(width, height, 3, px);
    }

    private static void Paint(byte[] px, int stride, int x0, int y0, ReadOnlySpan<float> image, int rows, int cols, int scale)
    {
        for (int y = 0; y < rows * scale; y++)
            for (int x = 0; x < cols * scale; x++)
            {
                float v = Math.Clamp(image[y / scale * cols + x / scale], 0f, 1f);
                byte grey = (byte)MathF.Round(v * 255f);
                px.AsSpan(3 * ((y0 + y) * stride + x0 + x), 3).Fill(grey);
            }
    }

    /// <summary>
    /// The reconstructions of the first <paramref name="count"/> images of <paramref name="set"/> (all, if fewer), binarised, with the
    /// noise of <see cref="DrawBound.NoiseSeed"/>: the canvases <c>(T, n, height, width)</c> and the images <c>(n, height * width)</c>.
    /// </summary>
    public static (Tensor Canvases, Tensor Images) Reconstructions(DrawModel model, LabeledImages set, int count)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(set);
        Guard.Positive(count, nameof(count));
        DrawTask.CheckSize(model.Config, set);
        int n = Math.Min(count, set.Count);
        if (n == 0) throw new ArgumentException($"{set.Source} has no images to reconstruct.", nameof(set));
        var x = new Tensor(n, model.Config.Pixels);
        DrawData.Binarize(set, Enumerable.Range(0, n).ToArray(), x.Data);
        return (model.Reconstruct(x, new Rng(DrawBound.NoiseSeed)), x);
    }
}
