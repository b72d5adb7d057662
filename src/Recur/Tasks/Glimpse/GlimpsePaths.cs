using Recur.Imaging;
using Recur.Models.Glimpse;
using Recur.Plotting;

namespace Recur.Tasks.Glimpse;

/// <summary>
/// Pictures of glimpse paths: the grey canvas enlarged <c>zoom</c> times, and for each glimpse <c>t</c> (in its own colour) the
/// squares the retina's scales cover (side <c>g 2^s</c> around the centre pixel, exactly as <see cref="GlimpseSensor"/> reads them),
/// a line from the previous glimpse's centre, and the number <c>t</c> (1 first) at the centre on a black tag.
/// </summary>
public static class GlimpsePaths
{
    /// <summary>The glimpses' colours, R, G, B, in order (the ninth glimpse takes the first colour again).</summary>
    public static IReadOnlyList<(byte R, byte G, byte B)> Colours { get; } =
        [(255, 40, 40), (255, 150, 0), (240, 230, 0), (40, 220, 60), (0, 210, 230), (60, 110, 255), (200, 60, 255), (255, 100, 180)];

    /// <summary>The colour of glimpse <paramref name="t"/> (0 first).</summary>
    public static (byte R, byte G, byte B) Colour(int t) => Colours[t % Colours.Count];

    /// <summary>
    /// The path picture of one canvas <paramref name="image"/> <c>(S, S)</c> in [0, 1] whose glimpses were at
    /// <paramref name="locations"/> <c>(T, 2)</c> (<c>l_x, l_y</c> in [-1, 1]), with a retina of <paramref name="scales"/> patches of
    /// <paramref name="patch"/> pixels; an RGB image <c>zoom S</c> pixels square.
    /// </summary>
    public static PixelImage Render(ReadOnlySpan<float> image, int side, ReadOnlySpan<float> locations, int patch, int scales, int zoom = 3)
    {
        Guard.Length(image.Length, side * side, nameof(image));
        if (locations.Length % 2 != 0) throw new ArgumentException($"locations hold (x, y) pairs, got {locations.Length} values.", nameof(locations));
        if (zoom is < 1 or > 16) throw new ArgumentOutOfRangeException(nameof(zoom), zoom, "zoom must be in 1..16.");
        int W = side * zoom;
        var px = new byte[W * W * 3];
        for (int y = 0; y < W; y++)
            for (int x = 0; x < W; x++)
                px.AsSpan(3 * (y * W + x), 3).Fill((byte)MathF.Round(Math.Clamp(image[y / zoom * side + x / zoom], 0f, 1f) * 255f));
        int T = locations.Length / 2;
        var centres = new (int X, int Y)[T];
        for (int t = 0; t < T; t++)
        {
            int cx = GlimpseSensor.Centre(locations[2 * t], side), cy = GlimpseSensor.Centre(locations[2 * t + 1], side);
            centres[t] = (cx * zoom + zoom / 2, cy * zoom + zoom / 2);
            var colour = Colour(t);
            for (int s = 0; s < scales; s++)
            {
                int n = patch << s, x0 = (cx - n / 2) * zoom, y0 = (cy - n / 2) * zoom;
                Rectangle(px, W, x0, y0, x0 + n * zoom - 1, y0 + n * zoom - 1, colour);
            }
            if (t > 0) Line(px, W, centres[t - 1], centres[t], colour);
        }
        for (int t = 0; t < T; t++) Tag(px, W, centres[t], (t + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), Colour(t));
        return new PixelImage(W, W, 3, px);
    }

    /// <summary>
    /// The retina's view of one glimpse, <paramref name="glimpse"/> <c>(k, g, g)</c>: its scales side by side (scale 0 first), each
    /// enlarged <paramref name="zoom"/> times, 2 blue pixels apart.
    /// </summary>
    public static PixelImage Retina(ReadOnlySpan<float> glimpse, int scales, int patch, int zoom = 4)
    {
        Guard.Length(glimpse.Length, scales * patch * patch, nameof(glimpse));
        int cell = patch * zoom, W = scales * (cell + 2) - 2, H = cell;
        var px = new byte[W * H * 3];
        for (int i = 0; i < W * H; i++) { px[3 * i] = 60; px[3 * i + 1] = 90; px[3 * i + 2] = 200; }
        for (int s = 0; s < scales; s++)
            for (int y = 0; y < cell; y++)
                for (int x = 0; x < cell; x++)
                {
                    float v = Math.Clamp(glimpse[(s * patch + y / zoom) * patch + x / zoom], 0f, 1f);
                    px.AsSpan(3 * (y * W + s * (cell + 2) + x), 3).Fill((byte)MathF.Round(v * 255f));
                }
        return new PixelImage(W, H, 3, px);
    }

    /// <summary>
    /// <paramref name="pictures"/> (RGB) in rows of <paramref name="columns"/>, each cell as large as the largest picture,
    /// <paramref name="gap"/> pixels of dark grey around and between them.
    /// </summary>
    public static PixelImage Grid(IReadOnlyList<PixelImage> pictures, int columns, int gap = 4)
    {
        ArgumentNullException.ThrowIfNull(pictures);
        if (pictures.Count == 0) throw new ArgumentException("there are no pictures to lay out.", nameof(pictures));
        Guard.Positive(columns, nameof(columns));
        int cw = pictures.Max(p => p.Width), ch = pictures.Max(p => p.Height), cols = Math.Min(columns, pictures.Count);
        int rows = (pictures.Count + cols - 1) / cols, W = gap + cols * (cw + gap), H = gap + rows * (ch + gap);
        var px = new byte[W * H * 3];
        px.AsSpan().Fill(40);
        for (int i = 0; i < pictures.Count; i++)
        {
            var p = pictures[i];
            if (p.Channels != 3) throw new ArgumentException($"picture {i} has {p.Channels} channels, not RGB.", nameof(pictures));
            int x0 = gap + i % cols * (cw + gap), y0 = gap + i / cols * (ch + gap);
            for (int y = 0; y < p.Height; y++) p.Pixels.AsSpan(3 * y * p.Width, 3 * p.Width).CopyTo(px.AsSpan(3 * ((y0 + y) * W + x0)));
        }
        return new PixelImage(W, H, 3, px);
    }

    private static void Plot(byte[] px, int W, int x, int y, (byte R, byte G, byte B) c)
    {
        if ((uint)x >= (uint)W || (uint)y >= (uint)(px.Length / 3 / W)) return;
        int i = 3 * (y * W + x);
        (px[i], px[i + 1], px[i + 2]) = c;
    }

    private static void Rectangle(byte[] px, int W, int x0, int y0, int x1, int y1, (byte, byte, byte) c)
    {
        for (int x = x0; x <= x1; x++) { Plot(px, W, x, y0, c); Plot(px, W, x, y1, c); }
        for (int y = y0; y <= y1; y++) { Plot(px, W, x0, y, c); Plot(px, W, x1, y, c); }
    }

    /// <summary>Bresenham's line, two pixels thick.</summary>
    private static void Line(byte[] px, int W, (int X, int Y) a, (int X, int Y) b, (byte, byte, byte) c)
    {
        int dx = Math.Abs(b.X - a.X), dy = -Math.Abs(b.Y - a.Y), sx = a.X < b.X ? 1 : -1, sy = a.Y < b.Y ? 1 : -1, err = dx + dy;
        int x = a.X, y = a.Y;
        while (true)
        {
            Plot(px, W, x, y, c);
            Plot(px, W, x + 1, y, c);
            if (x == b.X && y == b.Y) break;
            int e2 = 2 * err;
            if (e2 >= dy) { err += dy; x += sx; }
            if (e2 <= dx) { err += dx; y += sy; }
        }
    }

    /// <summary>The glimpse's number at twice the font's size, on a black tag centred at <paramref name="at"/>.</summary>
    private static void Tag(byte[] px, int W, (int X, int Y) at, string text, (byte, byte, byte) c)
    {
        int w = 2 * PlotFont.Measure(text, 1), h = 2 * PlotFont.GlyphHeight, x0 = at.X - w / 2, y0 = at.Y - h / 2;
        for (int y = y0 - 2; y < y0 + h + 2; y++)
            for (int x = x0 - 2; x < x0 + w + 2; x++) Plot(px, W, x, y, (0, 0, 0));
        PlotFont.Draw(text, 0, 0, (x, y) =>
        {
            for (int dy = 0; dy < 2; dy++)
                for (int dx = 0; dx < 2; dx++) Plot(px, W, x0 + 2 * x + dx, y0 + 2 * y + dy, c);
        });
    }
}
