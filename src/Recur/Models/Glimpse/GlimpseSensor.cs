namespace Recur.Models.Glimpse;

/// <summary>
/// The retina-like glimpse sensor <c>ρ(x, l)</c> of Mnih et al. 2014: <c>k</c> square patches centred at the location
/// <c>l = (l_x, l_y) ∈ [-1, 1]²</c>, the first <c>g x g</c> pixels, each next one twice as wide, every patch average-pooled
/// (area averaging over <c>2^s x 2^s</c> blocks) down to <c>g x g</c>, pixels outside the image read as 0. Not
/// differentiable in <c>l</c> (the paper trains the locations by REINFORCE).
/// <para>
/// Pixel mapping, for an image of <c>W</c> columns and <c>H</c> rows (pixel <c>(r, c)</c> covers <c>[c, c+1) x [r, r+1)</c>):
/// <c>l_x</c> picks the column and <c>l_y</c> the row; the centre pixel is <c>c_x = ⌊(l_x + 1) / 2 · W⌋</c>,
/// <c>c_y = ⌊(l_y + 1) / 2 · H⌋</c> (computed in double), so <c>l = (0, 0)</c> is pixel <c>(⌊H/2⌋, ⌊W/2⌋)</c> and
/// <c>(-1, -1)</c> the top-left pixel <c>(0, 0)</c>. The patch of scale <c>s</c> is <c>S = g 2^s</c> wide and covers columns
/// <c>c_x - ⌊S/2⌋ .. c_x - ⌊S/2⌋ + S - 1</c> and the same rows around <c>c_y</c>. Its pooled value <c>(p, q)</c> is the mean
/// of the <c>2^s x 2^s</c> block at patch rows <c>p 2^s ..</c>, columns <c>q 2^s ..</c>.
/// </para>
/// The output of one image is <c>(k, g, g)</c> row-major, scale 0 first: <c>k g²</c> values.
/// </summary>
public static class GlimpseSensor
{
    /// <summary>The centre pixel index along an axis of <paramref name="size"/> pixels: <c>⌊(l + 1) / 2 · size⌋</c>.</summary>
    public static int Centre(float l, int size)
    {
        double c = 0.5 * ((double)l + 1.0) * size;
        if (double.IsNaN(c)) throw new ArgumentException($"location is NaN (axis of {size} pixels).", nameof(l));
        return (int)Math.Floor(Math.Clamp(c, -(1 << 26), 1 << 26));
    }

    /// <summary>
    /// Reads the glimpse of one image <paramref name="image"/> <c>(H, W)</c> at <c>(lx, ly)</c> into <paramref name="glimpse"/>
    /// <c>(k, g, g)</c>.
    /// </summary>
    public static void Read(ReadOnlySpan<float> image, int height, int width, float lx, float ly, int patch, int scales, Span<float> glimpse)
    {
        Guard.Length(image.Length, height * width, nameof(image));
        Guard.Length(glimpse.Length, scales * patch * patch, nameof(glimpse));
        int cx = Centre(lx, width), cy = Centre(ly, height);
        for (int s = 0; s < scales; s++)
        {
            int f = 1 << s, side = patch * f, x0 = cx - side / 2, y0 = cy - side / 2;
            float inv = 1f / (f * f);
            var outS = glimpse.Slice(s * patch * patch, patch * patch);
            for (int p = 0; p < patch; p++)
            {
                int r0 = y0 + p * f, rLo = Math.Max(r0, 0), rHi = Math.Min(r0 + f, height);
                for (int q = 0; q < patch; q++)
                {
                    int c0 = x0 + q * f, cLo = Math.Max(c0, 0), cHi = Math.Min(c0 + f, width);
                    float sum = 0f;
                    for (int r = rLo; r < rHi; r++)
                        for (int c = cLo; c < cHi; c++) sum += image[r * width + c];
                    outS[p * patch + q] = sum * inv;
                }
            }
        }
    }
}
