using System.Globalization;

namespace Recur.Plotting;

/// <summary>An 8-bit RGBA colour.</summary>
public readonly record struct Rgba(byte R, byte G, byte B, byte A = 255)
{
    /// <summary>Parses <c>#rrggbb</c> or <c>#rrggbbaa</c>.</summary>
    public static Rgba Parse(string hex)
    {
        ArgumentNullException.ThrowIfNull(hex);
        string h = hex.StartsWith('#') ? hex[1..] : hex;
        if ((h.Length != 6 && h.Length != 8) || !uint.TryParse(h, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out uint v))
            throw new FormatException($"colour '{hex}' is not #rrggbb or #rrggbbaa.");
        if (h.Length == 6) v = (v << 8) | 0xFF;
        return new Rgba((byte)(v >> 24), (byte)(v >> 16), (byte)(v >> 8), (byte)v);
    }
}

/// <summary>
/// A small line and scatter plot rendered in pure C# to an RGBA buffer and saved as PNG: a framed
/// plot area with "nice" ticks (steps of 1, 2 or 5 times a power of ten) and numeric labels, light
/// grid lines, any number of series in distinct colours with a legend, a title, axis labels and an
/// optional log10 y axis. Text uses a 5x7 bitmap font (upper case; numbers like <c>2.5e-3</c>).
/// Non-finite points (and non-positive ones on a log axis) are skipped and break a line.
/// </summary>
public sealed class LinePlot
{
    private static readonly Rgba[] Palette =
    [
        new(0x1f, 0x77, 0xb4), new(0xff, 0x7f, 0x0e), new(0x2c, 0xa0, 0x2c), new(0xd6, 0x27, 0x28),
        new(0x94, 0x67, 0xbd), new(0x8c, 0x56, 0x4b), new(0xe3, 0x77, 0xc2), new(0x7f, 0x7f, 0x7f),
        new(0xbc, 0xbd, 0x22), new(0x17, 0xbe, 0xcf),
    ];

    private static readonly Rgba White = new(255, 255, 255);
    private static readonly Rgba Black = new(0, 0, 0);
    private static readonly Rgba Grid = new(0xE6, 0xE6, 0xE6);

    private sealed record Series(string Name, double[] X, double[] Y, Rgba Color, bool Scatter);

    private readonly List<Series> _series = [];

    /// <summary>A plot of <paramref name="width"/> x <paramref name="height"/> pixels.</summary>
    public LinePlot(int width = 800, int height = 480)
    {
        if (width < 160 || height < 120 || width > 16384 || height > 16384)
            throw new ArgumentOutOfRangeException(nameof(width), $"plot size {width}x{height} must be between 160x120 and 16384x16384.");
        Width = width;
        Height = height;
    }

    /// <summary>Image width in pixels.</summary>
    public int Width { get; }

    /// <summary>Image height in pixels.</summary>
    public int Height { get; }

    /// <summary>Title drawn above the plot (optional).</summary>
    public string? Title { get; set; }

    /// <summary>Label under the x axis (optional).</summary>
    public string? XLabel { get; set; }

    /// <summary>Label left of the y axis, drawn vertically (optional).</summary>
    public string? YLabel { get; set; }

    /// <summary>Plot y on a log10 scale; points with y &lt;= 0 are skipped.</summary>
    public bool LogY { get; set; }

    /// <summary>Draw the legend (default true when any series has a name).</summary>
    public bool ShowLegend { get; set; } = true;

    /// <summary>Fixed x range (null: fit the data).</summary>
    public double? XMin { get; set; }

    /// <inheritdoc cref="XMin"/>
    public double? XMax { get; set; }

    /// <summary>Fixed y range in data units (null: fit the data).</summary>
    public double? YMin { get; set; }

    /// <inheritdoc cref="YMin"/>
    public double? YMax { get; set; }

    /// <summary>Number of series added.</summary>
    public int SeriesCount => _series.Count;

    /// <summary>Adds a line through the points <c>(x[i], y[i])</c>.</summary>
    public LinePlot AddLine(string name, ReadOnlySpan<double> x, ReadOnlySpan<double> y, Rgba? color = null)
        => Add(name, x, y, color, scatter: false);

    /// <summary>Adds a line through <c>(i, y[i])</c>.</summary>
    public LinePlot AddLine(string name, ReadOnlySpan<double> y, Rgba? color = null)
    {
        var x = new double[y.Length];
        for (int i = 0; i < x.Length; i++) x[i] = i;
        return Add(name, x, y, color, scatter: false);
    }

    /// <summary>Adds unconnected markers at <c>(x[i], y[i])</c>.</summary>
    public LinePlot AddScatter(string name, ReadOnlySpan<double> x, ReadOnlySpan<double> y, Rgba? color = null)
        => Add(name, x, y, color, scatter: true);

    private LinePlot Add(string name, ReadOnlySpan<double> x, ReadOnlySpan<double> y, Rgba? color, bool scatter)
    {
        ArgumentNullException.ThrowIfNull(name);
        Guard.Length(y.Length, x.Length, "y");
        _series.Add(new Series(name, x.ToArray(), y.ToArray(), color ?? Palette[_series.Count % Palette.Length], scatter));
        return this;
    }

    /// <summary>Encodes the rendered plot as PNG bytes.</summary>
    public byte[] ToPng() => Png.Encode(Render(), Width, Height);

    /// <summary>Renders and writes the plot as a PNG file (atomically).</summary>
    public void SavePng(string path) => Png.Save(path, Render(), Width, Height);

    /// <summary>Renders the plot: <c>Height</c> rows of <c>Width</c> RGBA pixels, top row first.</summary>
    public byte[] Render()
    {
        var c = new Canvas(Width, Height);
        c.Fill(White);

        int left = 64 + (YLabel is null ? 0 : 14), right = 20;
        int top = Title is null ? 20 : 40, bottom = 36 + (XLabel is null ? 0 : 16);
        int px0 = left, px1 = Width - 1 - right, py0 = top, py1 = Height - 1 - bottom;

        double Ty(double v) => LogY ? Math.Log10(v) : v;
        bool Ok(double x, double y) => double.IsFinite(x) && double.IsFinite(y) && (!LogY || y > 0);

        double xmin = double.PositiveInfinity, xmax = double.NegativeInfinity, ymin = double.PositiveInfinity, ymax = double.NegativeInfinity;
        foreach (var s in _series)
            for (int i = 0; i < s.X.Length; i++)
            {
                if (!Ok(s.X[i], s.Y[i])) continue;
                xmin = Math.Min(xmin, s.X[i]); xmax = Math.Max(xmax, s.X[i]);
                double ty = Ty(s.Y[i]);
                ymin = Math.Min(ymin, ty); ymax = Math.Max(ymax, ty);
            }
        if (XMin is double a) xmin = a;
        if (XMax is double b) xmax = b;
        if (YMin is double cmin && (!LogY || cmin > 0)) ymin = Ty(cmin);
        if (YMax is double cmax && (!LogY || cmax > 0)) ymax = Ty(cmax);
        (xmin, xmax) = Widen(xmin, xmax, pad: 0);
        (ymin, ymax) = Widen(ymin, ymax, pad: YMin is null && YMax is null ? 0.05 : 0);

        double Sx(double x) => px0 + (x - xmin) / (xmax - xmin) * (px1 - px0);
        double Sy(double y) => py1 - (Ty(y) - ymin) / (ymax - ymin) * (py1 - py0);

        // Grid, ticks and labels.
        int xTarget = Math.Max(2, (px1 - px0) / 90), yTarget = Math.Max(2, (py1 - py0) / 50);
        double xStep = TickStep(xmin, xmax, xTarget), yStep = TickStep(ymin, ymax, yTarget);
        foreach (double t in NiceTicks(xmin, xmax, xTarget))
        {
            int x = (int)Math.Round(px0 + (t - xmin) / (xmax - xmin) * (px1 - px0));
            c.VLine(x, py0 + 1, py1 - 1, Grid);
            c.VLine(x, py1, py1 + 4, Black);
            string label = FormatTick(t, xStep);
            c.Text(label, x - PlotFont.Measure(label, 1) / 2, py1 + 8, 1, Black);
        }
        var yTicks = LogY ? LogTicks(ymin, ymax, yTarget) : NiceTicks(ymin, ymax, yTarget).Select(v => (v, FormatTick(v, yStep))).ToList();
        foreach (var (t, label) in yTicks)
        {
            int y = (int)Math.Round(py1 - (t - ymin) / (ymax - ymin) * (py1 - py0));
            c.HLine(px0 + 1, px1 - 1, y, Grid);
            c.HLine(px0 - 4, px0, y, Black);
            c.Text(label, px0 - 7 - PlotFont.Measure(label, 1), y - 3, 1, Black);
        }

        // Series, clipped to the plot area.
        var clip = (px0 + 1, py0 + 1, px1 - 1, py1 - 1);
        foreach (var s in _series)
        {
            bool havePrev = false;
            double lx = 0, ly = 0;
            for (int i = 0; i < s.X.Length; i++)
            {
                if (!Ok(s.X[i], s.Y[i])) { havePrev = false; continue; }
                double x = Sx(s.X[i]), y = Sy(s.Y[i]);
                if (s.Scatter) c.Marker(x, y, s.Color, clip);
                else if (havePrev) c.Line(lx, ly, x, y, s.Color, clip);
                else if (i + 1 >= s.X.Length || !Ok(s.X[i + 1], s.Y[i + 1])) c.Marker(x, y, s.Color, clip); // isolated point
                (lx, ly, havePrev) = (x, y, true);
            }
        }

        // Frame.
        c.HLine(px0, px1, py0, Black); c.HLine(px0, px1, py1, Black);
        c.VLine(px0, py0, py1, Black); c.VLine(px1, py0, py1, Black);

        if (Title is not null)
        {
            string t = Title.ToUpperInvariant();
            c.Text(t, (Width - PlotFont.Measure(t, 2)) / 2, 12, 2, Black);
        }
        if (XLabel is not null)
        {
            string t = XLabel.ToUpperInvariant();
            c.Text(t, (px0 + px1 - PlotFont.Measure(t, 1)) / 2, Height - 14, 1, Black);
        }
        if (YLabel is not null)
        {
            string t = YLabel.ToUpperInvariant();
            c.TextUp(t, 6, (py0 + py1 + PlotFont.Measure(t, 1)) / 2, Black);
        }

        var named = _series.Where(s => s.Name.Length > 0).ToList();
        if (ShowLegend && named.Count > 0)
        {
            int textW = named.Max(s => PlotFont.Measure(s.Name.ToUpperInvariant(), 1));
            int boxW = textW + 36, boxH = named.Count * 14 + 8;
            int bx1 = px1 - 8, bx0 = Math.Max(px0 + 2, bx1 - boxW), by0 = py0 + 8;
            c.Rect(bx0, by0, bx1, by0 + boxH, White);
            c.HLine(bx0, bx1, by0, Black); c.HLine(bx0, bx1, by0 + boxH, Black);
            c.VLine(bx0, by0, by0 + boxH, Black); c.VLine(bx1, by0, by0 + boxH, Black);
            for (int i = 0; i < named.Count; i++)
            {
                int y = by0 + 8 + i * 14;
                var full = (0, 0, Width - 1, Height - 1);
                if (named[i].Scatter) c.Marker(bx0 + 14, y + 3, named[i].Color, full);
                else c.Line(bx0 + 6, y + 3, bx0 + 22, y + 3, named[i].Color, full);
                c.Text(named[i].Name.ToUpperInvariant(), bx0 + 28, y, 1, Black);
            }
        }
        return c.Pixels;
    }

    private static (double, double) Widen(double lo, double hi, double pad)
    {
        if (!double.IsFinite(lo) || !double.IsFinite(hi)) return (0, 1);
        if (hi < lo) (lo, hi) = (hi, lo);
        if (hi == lo)
        {
            double d = lo == 0 ? 1 : Math.Abs(lo) * 0.1;
            return (lo - d, hi + d);
        }
        double p = (hi - lo) * pad;
        return (lo - p, hi + p);
    }

    internal static double TickStep(double lo, double hi, int target)
    {
        double raw = (hi - lo) / target;
        double mag = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        double norm = raw / mag;
        return (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * mag;
    }

    /// <summary>Ticks at multiples of a 1-2-5 step inside [lo, hi].</summary>
    internal static List<double> NiceTicks(double lo, double hi, int target)
    {
        double step = TickStep(lo, hi, target);
        var r = new List<double>();
        double first = Math.Ceiling(lo / step - 1e-9);
        for (double k = first; k * step <= hi + step * 1e-9 && r.Count < 100; k++)
        {
            double v = k * step;
            r.Add(Math.Abs(v) < step * 1e-9 ? 0 : v);
        }
        return r;
    }

    /// <summary>Log-axis ticks (positions in log10 units) with labels: powers of ten, or a 1-2-5 grid in short ranges.</summary>
    private static List<(double, string)> LogTicks(double lo, double hi, int target)
    {
        int k0 = (int)Math.Ceiling(lo - 1e-9), k1 = (int)Math.Floor(hi + 1e-9);
        var r = new List<(double, string)>();
        if (k1 - k0 + 1 >= 2)
        {
            int every = Math.Max(1, (k1 - k0 + target) / target);
            for (int k = k0; k <= k1; k++)
                if ((k - k0) % every == 0) r.Add((k, FormatPower(k)));
            return r;
        }
        double a = Math.Pow(10, lo), b = Math.Pow(10, hi);
        double step = TickStep(a, b, target);
        foreach (double v in NiceTicks(a, b, target))
            if (v > 0) r.Add((Math.Log10(v), FormatTick(v, step)));
        return r;
    }

    private static string FormatPower(int k) => k is >= -3 and <= 4
        ? Math.Pow(10, k).ToString(k < 0 ? "F" + (-k) : "F0", CultureInfo.InvariantCulture)
        : "1e" + k.ToString(CultureInfo.InvariantCulture);

    /// <summary>A tick label with just enough decimals for <paramref name="step"/>; scientific for very large or small values.</summary>
    internal static string FormatTick(double v, double step)
    {
        if (v == 0) return "0";
        double av = Math.Abs(v);
        if (av >= 1e5 || av < 1e-3)
        {
            int exp = (int)Math.Floor(Math.Log10(av));
            double mant = v / Math.Pow(10, exp);
            int stepExp = (int)Math.Floor(Math.Log10(step));
            int decimals = Math.Clamp(exp - stepExp, 0, 3);
            string m = mant.ToString("F" + decimals, CultureInfo.InvariantCulture);
            if (m.Contains('.')) m = m.TrimEnd('0').TrimEnd('.');
            return m + "e" + exp.ToString(CultureInfo.InvariantCulture);
        }
        int d = Math.Clamp(-(int)Math.Floor(Math.Log10(step) + 1e-9), 0, 8);
        return v.ToString("F" + d, CultureInfo.InvariantCulture);
    }

    /// <summary>An RGBA pixel buffer with clipped drawing primitives.</summary>
    private sealed class Canvas(int width, int height)
    {
        public byte[] Pixels { get; } = new byte[width * height * 4];

        public void Fill(Rgba c)
        {
            for (int i = 0; i < Pixels.Length; i += 4) Set(i, c);
        }

        private void Set(int i, Rgba c)
        {
            Pixels[i] = c.R; Pixels[i + 1] = c.G; Pixels[i + 2] = c.B; Pixels[i + 3] = c.A;
        }

        public void Put(int x, int y, Rgba c)
        {
            if ((uint)x < (uint)width && (uint)y < (uint)height) Set((y * width + x) * 4, c);
        }

        public void HLine(int x0, int x1, int y, Rgba c) { for (int x = x0; x <= x1; x++) Put(x, y, c); }

        public void VLine(int x, int y0, int y1, Rgba c) { for (int y = y0; y <= y1; y++) Put(x, y, c); }

        public void Rect(int x0, int y0, int x1, int y1, Rgba c) { for (int y = y0; y <= y1; y++) HLine(x0, x1, y, c); }

        public void Marker(double x, double y, Rgba c, (int X0, int Y0, int X1, int Y1) clip)
        {
            int cx = (int)Math.Round(x), cy = (int)Math.Round(y);
            for (int dy = -2; dy <= 2; dy++)
                for (int dx = -2; dx <= 2; dx++)
                {
                    int px = cx + dx, py = cy + dy;
                    if (px >= clip.X0 && px <= clip.X1 && py >= clip.Y0 && py <= clip.Y1 && Math.Abs(dx) + Math.Abs(dy) <= 3) Put(px, py, c);
                }
        }

        /// <summary>A 2-pixel-wide line, clipped to the rectangle first (Liang–Barsky) so far-away points cost nothing.</summary>
        public void Line(double x0, double y0, double x1, double y1, Rgba c, (int X0, int Y0, int X1, int Y1) clip)
        {
            double t0 = 0, t1 = 1, dx = x1 - x0, dy = y1 - y0;
            bool Clip(double p, double q)
            {
                if (p == 0) return q >= 0;
                double r = q / p;
                if (p < 0) { if (r > t1) return false; if (r > t0) t0 = r; }
                else { if (r < t0) return false; if (r < t1) t1 = r; }
                return true;
            }
            if (!Clip(-dx, x0 - clip.X0) || !Clip(dx, clip.X1 - x0) || !Clip(-dy, y0 - clip.Y0) || !Clip(dy, clip.Y1 - y0)) return;
            int ax = (int)Math.Round(x0 + t0 * dx), ay = (int)Math.Round(y0 + t0 * dy);
            int bx = (int)Math.Round(x0 + t1 * dx), by = (int)Math.Round(y0 + t1 * dy);
            int sx = ax < bx ? 1 : -1, sy = ay < by ? 1 : -1;
            int ex = Math.Abs(bx - ax), ey = -Math.Abs(by - ay), err = ex + ey;
            bool steep = -ey > ex;
            while (true)
            {
                Put(ax, ay, c);
                if (steep) { if (ax + 1 <= clip.X1) Put(ax + 1, ay, c); }
                else if (ay + 1 <= clip.Y1) Put(ax, ay + 1, c);
                if (ax == bx && ay == by) break;
                int e2 = 2 * err;
                if (e2 >= ey) { err += ey; ax += sx; }
                if (e2 <= ex) { err += ex; ay += sy; }
            }
        }

        public void Text(string s, int x, int y, int scale, Rgba c)
        {
            foreach (char ch in s)
            {
                byte[] g = PlotFont.Glyph(ch);
                for (int r = 0; r < PlotFont.GlyphHeight; r++)
                    for (int col = 0; col < PlotFont.GlyphWidth; col++)
                        if ((g[r] >> (PlotFont.GlyphWidth - 1 - col) & 1) != 0)
                            for (int sy = 0; sy < scale; sy++)
                                for (int sx = 0; sx < scale; sx++)
                                    Put(x + col * scale + sx, y + r * scale + sy, c);
                x += PlotFont.Advance * scale;
            }
        }

        /// <summary>Text rotated 90 degrees counter-clockwise, reading upward from (x, y).</summary>
        public void TextUp(string s, int x, int y, Rgba c)
        {
            foreach (char ch in s)
            {
                byte[] g = PlotFont.Glyph(ch);
                for (int r = 0; r < PlotFont.GlyphHeight; r++)
                    for (int col = 0; col < PlotFont.GlyphWidth; col++)
                        if ((g[r] >> (PlotFont.GlyphWidth - 1 - col) & 1) != 0)
                            Put(x + r, y - col, c);
                y -= PlotFont.Advance;
            }
        }
    }
}
