namespace Recur.Nn.Vision;

/// <summary>
/// Training-time augmentation of a batch of images <c>(B, C, H, W)</c>, as torchvision's
/// <c>RandomHorizontalFlip</c> and <c>RandomCrop(padding=S)</c> do: each image, independently, is mirrored left to
/// right with probability one half (when <c>flip</c>), then moved by <c>dy, dx</c> pixels drawn uniformly from
/// <c>[-S, S]</c> (when <c>shift</c> <c>S &gt; 0</c>), what comes in from outside the image being zero. All channels of
/// an image move together. Draws come from the run's generator in a fixed order (flip, then <c>dy</c>, then <c>dx</c>,
/// image by image, each only when enabled), so a resumed run augments exactly as the straight run.
/// </summary>
public static class ImageAugment
{
    /// <summary>
    /// Augments <paramref name="x"/> <c>(B, C, H, W)</c> in place: output pixel <c>(y, x)</c> is the (mirrored) input's
    /// pixel <c>(y - dy, x - dx)</c>, or 0 outside it. Returns how many images were changed.
    /// </summary>
    public static int Apply(Span<float> x, int batch, int channels, int height, int width, bool flip, int shift, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        if (batch < 0 || channels < 1 || height < 1 || width < 1) throw new ArgumentException($"bad batch shape ({batch}, {channels}, {height}, {width}).");
        if ((long)batch * channels * height * width != x.Length)
            throw new ArgumentException($"x has {x.Length} values, not {batch} x {channels} x {height} x {width}.");
        if (shift < 0) throw new ArgumentOutOfRangeException(nameof(shift), shift, "the shift must be at least 0.");
        if (!flip && shift == 0) return 0;
        int plane = height * width, changed = 0;
        var scratch = new float[plane];
        for (int b = 0; b < batch; b++)
        {
            bool mirror = flip && rng.NextDouble() < 0.5;
            int dy = shift > 0 ? rng.NextInt(2 * shift + 1) - shift : 0;
            int dx = shift > 0 ? rng.NextInt(2 * shift + 1) - shift : 0;
            if (!mirror && dy == 0 && dx == 0) continue;
            changed++;
            for (int c = 0; c < channels; c++)
            {
                var p = x.Slice((b * channels + c) * plane, plane);
                p.CopyTo(scratch);
                Move(scratch, p, height, width, mirror, dy, dx);
            }
        }
        return changed;
    }

    /// <summary>One plane: <paramref name="dst"/>(y, x) = mirrored <paramref name="src"/>(y - dy, x - dx), 0 outside.</summary>
    private static void Move(ReadOnlySpan<float> src, Span<float> dst, int height, int width, bool mirror, int dy, int dx)
    {
        for (int y = 0; y < height; y++)
        {
            var row = dst.Slice(y * width, width);
            int sy = y - dy;
            if (sy < 0 || sy >= height) { row.Clear(); continue; }
            var from = src.Slice(sy * width, width);
            for (int xo = 0; xo < width; xo++)
            {
                int sx = xo - dx;
                row[xo] = sx < 0 || sx >= width ? 0f : from[mirror ? width - 1 - sx : sx];
            }
        }
    }
}

/// <summary>What <see cref="ImageAugment"/> does to training images: left-right flips, shifts of up to <paramref name="Shift"/> pixels.</summary>
public sealed record ImageAugmentation(bool Flip = false, int Shift = 0)
{
    /// <summary>No augmentation.</summary>
    public static ImageAugmentation None { get; } = new();

    /// <summary>True when the images are changed at all.</summary>
    public bool Any => Flip || Shift > 0;
}
