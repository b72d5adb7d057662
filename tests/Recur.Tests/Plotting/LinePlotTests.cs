using Recur.Plotting;
using Xunit;

namespace Recur.Tests.Plotting;

public sealed class LinePlotTests
{
    private static int CountColor(byte[] rgba, Rgba c)
    {
        int n = 0;
        for (int i = 0; i < rgba.Length; i += 4)
            if (rgba[i] == c.R && rgba[i + 1] == c.G && rgba[i + 2] == c.B) n++;
        return n;
    }

    [Fact]
    public void SavedPlotDecodesAndShowsEverySeries()
    {
        int n = 200;
        var x = Enumerable.Range(0, n).Select(i => (double)i).ToArray();
        var train = x.Select(i => 4.2 * Math.Exp(-i / 40.0) + 1.1).ToArray();
        var val = x.Select(i => 4.3 * Math.Exp(-i / 45.0) + 1.3).ToArray();
        var red = new Rgba(220, 20, 30);
        var blue = new Rgba(20, 40, 210);
        var plot = new LinePlot(640, 400) { Title = "char-rnn loss", XLabel = "iteration", YLabel = "loss" }
            .AddLine("train", x, train, red)
            .AddLine("val", x, val, blue);

        string path = Path.Combine(Path.GetTempPath(), "recur-plot-" + Guid.NewGuid() + ".png");
        try
        {
            plot.SavePng(path);
            var (w, h, rgba, _) = PngReader.Decode(File.ReadAllBytes(path));
            Assert.Equal((640, 400), (w, h));
            Assert.Equal(plot.Render(), rgba);

            int white = CountColor(rgba, new Rgba(255, 255, 255));
            int black = CountColor(rgba, new Rgba(0, 0, 0));
            Assert.True(white > w * h / 2, "background should be mostly white");
            Assert.True(black > 2 * (w + h), "axes, ticks and text should draw black pixels");
            // Each line spans the plot width at least once, plus its legend swatch.
            Assert.True(CountColor(rgba, red) > 400, $"train series drew {CountColor(rgba, red)} pixels");
            Assert.True(CountColor(rgba, blue) > 400, $"val series drew {CountColor(rgba, blue)} pixels");

            // The decreasing curve starts high on the left and ends low on the right.
            (int top, int bottom) RowsOf(Rgba c, int x0, int x1)
            {
                int lo = int.MaxValue, hi = -1;
                for (int yy = 0; yy < h; yy++)
                    for (int xx = x0; xx < x1; xx++)
                    {
                        int i = (yy * w + xx) * 4;
                        if (rgba[i] == c.R && rgba[i + 1] == c.G && rgba[i + 2] == c.B) { lo = Math.Min(lo, yy); hi = Math.Max(hi, yy); }
                    }
                return (lo, hi);
            }
            var leftRows = RowsOf(red, 70, 110);
            var rightRows = RowsOf(red, w - 60, w - 25);
            Assert.True(leftRows.top < rightRows.top, $"curve should fall: left rows {leftRows}, right rows {rightRows}");
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void LogAxisScatterAndBadPointsRender()
    {
        var x = Enumerable.Range(1, 50).Select(i => (double)i).ToArray();
        var y = x.Select(i => Math.Pow(10, -i / 10.0)).ToArray();
        y[10] = double.NaN;
        y[20] = -1; // not drawable on a log axis: skipped
        var green = new Rgba(10, 200, 10);
        var plot = new LinePlot(400, 300) { LogY = true, Title = "grad norm" }
            .AddScatter("norm", x, y, green);
        byte[] rgba = plot.Render();
        Assert.Equal(400 * 300 * 4, rgba.Length);
        Assert.True(CountColor(rgba, green) > 40 * 5, $"scatter drew {CountColor(rgba, green)} pixels");
        _ = PngReader.Decode(plot.ToPng());

        // Extreme coordinates are clipped, not rasterised point by point.
        var extreme = new LinePlot(400, 300) { LogY = true, YMin = 1e-3, YMax = 10 }
            .AddLine("huge", [0, 1e300, 2], [1e-300, 1e300, 1]);
        Assert.True(CountColor(extreme.Render(), new Rgba(0x1f, 0x77, 0xb4)) > 100);
    }

    [Fact]
    public void EmptyPlotStillHasAxes()
    {
        var rgba = new LinePlot(200, 150).Render();
        Assert.True(CountColor(rgba, new Rgba(0, 0, 0)) > 200);
    }

    [Theory]
    [InlineData(0.0, 1.0, 5, new[] { 0.0, 0.2, 0.4, 0.6, 0.8, 1.0 })]
    [InlineData(-3.0, 7.0, 5, new[] { -2.0, 0.0, 2.0, 4.0, 6.0 })]
    [InlineData(1.3, 9.7, 4, new[] { 2.0, 4.0, 6.0, 8.0 })]
    public void TicksAreNice(double lo, double hi, int target, double[] expected)
    {
        var t = LinePlot.NiceTicks(lo, hi, target);
        Assert.Equal(expected.Length, t.Count);
        for (int i = 0; i < t.Count; i++) Assert.Equal(expected[i], t[i], 12);
    }

    [Theory]
    [InlineData(0.0, 0.1, "0")]
    [InlineData(0.30000000000000004, 0.1, "0.3")]
    [InlineData(2500.0, 500.0, "2500")]
    [InlineData(0.00025, 0.00005, "2.5e-4")]
    [InlineData(-1.5e6, 5e5, "-1.5e6")]
    public void TickLabels(double v, double step, string expected) => Assert.Equal(expected, LinePlot.FormatTick(v, step));
}
