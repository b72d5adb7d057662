namespace Recur.Imaging;

/// <summary>
/// An 8-bit image: <see cref="Height"/> rows of <see cref="Width"/> pixels, top row first, each pixel
/// <see cref="Channels"/> bytes (1: grey, 3: R, G, B). What <see cref="PngDecoder"/> returns and
/// <see cref="Plotting.Png"/> writes.
/// </summary>
public sealed class PixelImage
{
    /// <summary>An image over <paramref name="pixels"/> (not copied); throws when the sizes do not agree.</summary>
    public PixelImage(int width, int height, int channels, byte[] pixels)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        Guard.Positive(width, nameof(width));
        Guard.Positive(height, nameof(height));
        if (channels is not (1 or 3)) throw new ArgumentOutOfRangeException(nameof(channels), channels, "channels must be 1 (grey) or 3 (RGB).");
        if ((long)width * height * channels != pixels.Length)
            throw new ArgumentException(
                $"{pixels.Length} bytes for a {width}x{height} image of {channels} channel(s), which needs {(long)width * height * channels}.",
                nameof(pixels));
        Width = width; Height = height; Channels = channels; Pixels = pixels;
    }

    public int Width { get; }
    public int Height { get; }
    public int Channels { get; }

    /// <summary>The pixels, row-major, <see cref="Channels"/> bytes each.</summary>
    public byte[] Pixels { get; }

    /// <summary>
    /// The image in grey: itself when already grey, else the luma of ITU-R BT.601 (<c>0.299 R + 0.587 G + 0.114 B</c>,
    /// rounded), the weights PIL's <c>convert("L")</c> uses.
    /// </summary>
    public PixelImage ToGrey()
    {
        if (Channels == 1) return this;
        var g = new byte[Width * Height];
        for (int i = 0; i < g.Length; i++)
        {
            int r = Pixels[3 * i], gr = Pixels[3 * i + 1], b = Pixels[3 * i + 2];
            g[i] = (byte)((r * 299 + gr * 587 + b * 114 + 500) / 1000);
        }
        return new PixelImage(Width, Height, 1, g);
    }

    /// <summary>
    /// The image scaled to <paramref name="width"/> x <paramref name="height"/> by area averaging: each output pixel
    /// is the mean of the source area it covers, weighted by overlap (a box filter, as PIL's <c>Image.BOX</c>), so
    /// shrinking does not alias and enlarging repeats pixels. The same size returns the image itself.
    /// </summary>
    public PixelImage Resize(int width, int height)
    {
        Guard.Positive(width, nameof(width));
        Guard.Positive(height, nameof(height));
        if (width == Width && height == Height) return this;
        var xs = Weights(Width, width);
        var ys = Weights(Height, height);
        int C = Channels;
        var output = new byte[width * height * C];
        var acc = new double[C];
        for (int oy = 0; oy < height; oy++)
            for (int ox = 0; ox < width; ox++)
            {
                Array.Clear(acc);
                double total = 0;
                foreach (var (sy, wy) in ys[oy])
                    foreach (var (sx, wx) in xs[ox])
                    {
                        double w = wy * wx;
                        total += w;
                        int p = (sy * Width + sx) * C;
                        for (int c = 0; c < C; c++) acc[c] += w * Pixels[p + c];
                    }
                for (int c = 0; c < C; c++)
                    output[(oy * width + ox) * C + c] = (byte)Math.Clamp(Math.Round(acc[c] / total, MidpointRounding.AwayFromZero), 0, 255);
            }
        return new PixelImage(width, height, C, output);
    }

    /// <summary>For each output index, the source indices its interval <c>[o*n/m, (o+1)*n/m)</c> overlaps and by how much.</summary>
    private static List<(int Index, double Weight)>[] Weights(int source, int target)
    {
        var list = new List<(int, double)>[target];
        double scale = (double)source / target;
        for (int o = 0; o < target; o++)
        {
            double lo = o * scale, hi = (o + 1) * scale;
            list[o] = [];
            for (int s = (int)Math.Floor(lo); s < Math.Min(source, (int)Math.Ceiling(hi)); s++)
            {
                double w = Math.Min(hi, s + 1) - Math.Max(lo, s);
                if (w > 1e-12) list[o].Add((s, w));
            }
        }
        return list;
    }
}
