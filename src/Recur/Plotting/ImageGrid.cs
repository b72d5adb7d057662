namespace Recur.Plotting;

/// <summary>
/// A grid of grey images with a caption under each, rendered in pure C# to RGBA and PNG; made for
/// pictures such as "misclassified examples" (caption <c>"true Shirt\nsaid T-shirt/top"</c>). Cells
/// fill the grid row by row, <c>columns</c> per row, on a white background. Each image is drawn
/// scaled up by nearest neighbour (byte 0 black, 255 white). Captions use the 5x7 plot font in
/// upper case; a <c>'\n'</c> starts a new line and lines wider than the cell are wrapped at spaces.
/// Every cell has the size of the largest image and the longest caption.
/// </summary>
public static class ImageGrid
{
    private const int Margin = 8;
    private const int Gap = 10;
    private const int CaptionGap = 4;
    private const int LineHeight = PlotFont.GlyphHeight + 3;
    private const int MinWrapChars = 16;
    private const int MaxSide = 16384;

    private static readonly Rgba White = new(255, 255, 255);
    private static readonly Rgba Ink = new(0, 0, 0);

    /// <summary>
    /// Renders <paramref name="cells"/> (each <c>Pixels</c> = <c>Rows * Cols</c> grey bytes, row-major,
    /// and a caption, possibly empty) in a grid of <paramref name="columns"/> columns, each image
    /// scaled by <paramref name="scale"/> (1 to 16), and returns the PNG file bytes.
    /// </summary>
    public static byte[] Render(IReadOnlyList<(byte[] Pixels, int Rows, int Cols, string Caption)> cells, int columns, int scale)
    {
        var (rgba, w, h) = RenderRgba(cells, columns, scale);
        return Png.Encode(rgba, w, h);
    }

    /// <summary>Renders as <see cref="Render"/> and writes the PNG to <paramref name="path"/> atomically.</summary>
    public static void Save(string path, IReadOnlyList<(byte[] Pixels, int Rows, int Cols, string Caption)> cells, int columns, int scale)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var (rgba, w, h) = RenderRgba(cells, columns, scale);
        Png.Save(path, rgba, w, h);
    }

    /// <summary>
    /// Renders as <see cref="Render"/> and returns the pixels: <c>Height</c> rows of <c>Width</c>
    /// RGBA pixels, top row first.
    /// </summary>
    public static (byte[] Rgba, int Width, int Height) RenderRgba(
        IReadOnlyList<(byte[] Pixels, int Rows, int Cols, string Caption)> cells, int columns, int scale)
    {
        ArgumentNullException.ThrowIfNull(cells);
        if (cells.Count == 0) throw new ArgumentException("no cells to draw; pass at least one image.", nameof(cells));
        Guard.Positive(columns, nameof(columns));
        if (scale is < 1 or > 16)
            throw new ArgumentOutOfRangeException(nameof(scale), scale, $"scale must be in 1..16, got {scale}.");
        int maxRows = 0, maxCols = 0;
        for (int i = 0; i < cells.Count; i++)
        {
            var (px, r, c, caption) = cells[i];
            if (px is null) throw new ArgumentException($"cell {i} has no pixels.", nameof(cells));
            if (caption is null) throw new ArgumentException($"cell {i} has a null caption; use \"\" for none.", nameof(cells));
            if (r < 1 || c < 1 || r > 4096 || c > 4096)
                throw new ArgumentException($"cell {i} is {r}x{c} pixels; rows and columns must be in 1..4096.", nameof(cells));
            if (px.Length != r * c)
                throw new ArgumentException($"cell {i} has {px.Length} pixels, a {r}x{c} image needs {r * c}.", nameof(cells));
            maxRows = Math.Max(maxRows, r);
            maxCols = Math.Max(maxCols, c);
        }

        int imageW = maxCols * scale, imageH = maxRows * scale;
        int wrapChars = Math.Max(MinWrapChars, (imageW + 1) / PlotFont.Advance);
        var captions = new List<string>[cells.Count];
        int lines = 0, textW = 0;
        for (int i = 0; i < cells.Count; i++)
        {
            captions[i] = Wrap(cells[i].Caption.ToUpperInvariant(), wrapChars);
            lines = Math.Max(lines, captions[i].Count);
            foreach (string l in captions[i]) textW = Math.Max(textW, PlotFont.Measure(l, 1));
        }

        int cellW = Math.Max(imageW, textW);
        int cellH = imageH + (lines == 0 ? 0 : CaptionGap + lines * LineHeight - 3);
        int cols = Math.Min(columns, cells.Count);
        int rows = (cells.Count + cols - 1) / cols;
        long width = 2L * Margin + (long)cols * cellW + (cols - 1L) * Gap;
        long height = 2L * Margin + (long)rows * cellH + (rows - 1L) * Gap;
        if (width > MaxSide || height > MaxSide)
            throw new ArgumentException(
                $"a grid of {rows} x {cols} cells of {cellW}x{cellH} pixels is {width}x{height}, larger than {MaxSide}x{MaxSide}; " +
                "use fewer cells, a smaller scale or shorter captions.", nameof(cells));

        int w = (int)width, h = (int)height;
        var rgba = new byte[w * h * 4];
        Fill(rgba, White);
        for (int i = 0; i < cells.Count; i++)
        {
            var (px, r, c, _) = cells[i];
            int x0 = Margin + i % cols * (cellW + Gap), y0 = Margin + i / cols * (cellH + Gap);
            int ix = x0 + (cellW - c * scale) / 2, iy = y0 + (imageH - r * scale) / 2;
            for (int y = 0; y < r * scale; y++)
            {
                int row = (iy + y) * w;
                int srcRow = y / scale * c;
                for (int x = 0; x < c * scale; x++)
                {
                    byte v = px[srcRow + x / scale];
                    Put(rgba, row + ix + x, new Rgba(v, v, v));
                }
            }
            int ty = y0 + imageH + CaptionGap;
            foreach (string line in captions[i])
            {
                Text(rgba, w, h, line, x0 + (cellW - PlotFont.Measure(line, 1)) / 2, ty, Ink);
                ty += LineHeight;
            }
        }
        return (rgba, w, h);
    }

    /// <summary>Splits at <c>'\n'</c>, then wraps each line at spaces to at most <paramref name="maxChars"/> characters where it can.</summary>
    internal static List<string> Wrap(string caption, int maxChars)
    {
        var result = new List<string>();
        if (caption.Length == 0) return result;
        foreach (string raw in caption.Replace("\r", "", StringComparison.Ordinal).Split('\n'))
        {
            string line = "";
            foreach (string word in raw.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                if (line.Length == 0) line = word;
                else if (line.Length + 1 + word.Length <= maxChars) line += " " + word;
                else { result.Add(line); line = word; }
            }
            result.Add(line);
        }
        return result;
    }

    private static void Fill(byte[] rgba, Rgba c)
    {
        for (int i = 0; i < rgba.Length; i += 4) Put(rgba, i / 4, c);
    }

    private static void Put(byte[] rgba, int pixel, Rgba c)
    {
        int i = pixel * 4;
        rgba[i] = c.R; rgba[i + 1] = c.G; rgba[i + 2] = c.B; rgba[i + 3] = c.A;
    }

    private static void Text(byte[] rgba, int w, int h, string s, int x, int y, Rgba c)
        => PlotFont.Draw(s, x, y, (px, py) => { if ((uint)px < (uint)w && (uint)py < (uint)h) Put(rgba, py * w + px, c); });
}
