using System.Text;
using System.Text.RegularExpressions;
using Recur.Data.Glimpse;
using Recur.Imaging;
using Recur.Models.Glimpse;
using Recur.Tasks.Glimpse;
using Recur.Tests.Analysis;
using Xunit;

namespace Recur.Tests.Tasks.Glimpse;

/// <summary>The path pictures (each glimpse's scales as squares where the sensor reads them, numbered, joined) and the HTML page in Chromium.</summary>
public sealed class GlimpsePathsTests
{
    private static (byte R, byte G, byte B) At(PixelImage p, int x, int y) => (p.Pixels[3 * (y * p.Width + x)], p.Pixels[3 * (y * p.Width + x) + 1],
        p.Pixels[3 * (y * p.Width + x) + 2]);

    /// <summary>
    /// A 40x40 black canvas, zoom 4, patch 4, 2 scales. Glimpse 1 at (0, 0): centre pixel (20, 20), its 8-pixel square covers
    /// columns 16..23, drawn at 64..95. Glimpse 2 at (-0.5, -0.5): centre pixel (10, 10), its wide square 6..13, drawn at 24..55.
    /// The corners checked are clear of the number tags and of the line between the centres.
    /// </summary>
    [Fact]
    public void SquaresAreWhereTheSensorReads()
    {
        var image = new float[1600];
        var p = GlimpsePaths.Render(image, 40, [0f, 0f, -0.5f, -0.5f], patch: 4, scales: 2, zoom: 4);
        Assert.Equal((160, 160, 3), (p.Width, p.Height, p.Channels));
        var first = GlimpsePaths.Colour(0);
        var second = GlimpsePaths.Colour(1);
        Assert.NotEqual(first, second);
        Assert.Equal(first, At(p, 95, 64));
        Assert.Equal(first, At(p, 64, 95));
        Assert.Equal(first, At(p, 80, 95));
        Assert.Equal((0, 0, 0), At(p, 80, 97)); // just below it
        Assert.Equal(second, At(p, 24, 24));
        Assert.Equal(second, At(p, 55, 24));
        Assert.Equal((0, 0, 0), At(p, 150, 150)); // nothing there
        Assert.Equal(second, At(p, 62, 62));     // the line from glimpse 1 to glimpse 2, in glimpse 2's colour
        // the sensor reads exactly those pixels: a bright pixel at the wide square's corner shows in its scale 1, one just outside does not
        image[16 * 40 + 16] = 1f;
        image[15 * 40 + 15] = 1f;
        var glimpse = new float[2 * 16];
        GlimpseSensor.Read(image, 40, 40, 0f, 0f, 4, 2, glimpse);
        var expected = new float[32];
        expected[16] = 0.25f;
        Assert.Equal(expected, glimpse);
    }

    [Fact]
    public void TheRetinaStripAndTheGridHaveTheirSizes()
    {
        var retina = GlimpsePaths.Retina([.. Enumerable.Repeat(1f, 2 * 9)], scales: 2, patch: 3, zoom: 4);
        Assert.Equal((2 * 12 + 2, 12), (retina.Width, retina.Height));
        Assert.Equal((255, 255, 255), At(retina, 0, 0));
        Assert.Equal((60, 90, 200), At(retina, 12, 0)); // the gap
        var grid = GlimpsePaths.Grid([retina, retina, retina], columns: 2, gap: 4);
        Assert.Equal((4 + 2 * (26 + 4), 4 + 2 * (12 + 4)), (grid.Width, grid.Height));
        Assert.Throws<ArgumentException>(() => GlimpsePaths.Grid([], 2));
    }

    private static IReadOnlyList<GlimpseFigure> Figures(int count)
    {
        var settings = GlimpseTaskTests.Tiny;
        var ram = new RamClassifier(new RecurrentAttentionModel(settings.ToRam(8)));
        ram.Reset(new Rng(3));
        var split = ClutteredSplit.Validation(GlimpseTaskTests.Sample.Train, settings.ToClutter());
        return GlimpseReport.Figures(ram, split, count);
    }

    [Fact]
    public void FiguresFollowTheDeterministicPath()
    {
        var a = Figures(3);
        var b = Figures(3);
        Assert.Equal(3, a.Count);
        Assert.Equal(a[1].Path.Pixels, b[1].Path.Pixels);
        Assert.Equal(3, a[0].Retinas.Count);
        Assert.Equal("glimpse 1 at (0.00, 0.00)", a[0].Places[0]); // the first glimpse is at the centre
        Assert.Equal((120, 120), (a[0].Path.Width, a[0].Path.Height)); // 40 pixels, zoom 3
        Assert.Equal("validation 2", a[2].Title);
        Assert.Matches("^[A-Za-z/ -]+, predicted [A-Za-z/ -]+ \\((right|wrong)\\)$", a[0].Verdict);
    }

    [ChromiumFact]
    public void PageRendersInHeadlessChromium()
    {
        string html = GlimpseReport.Build("glimpse test", "two canvases", Figures(2));
        string dir = Path.Combine(Path.GetTempPath(), "recur-glimpse-page-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            string page = Path.Combine(dir, "paths.html");
            File.WriteAllText(page, html, Encoding.UTF8);
            string url = new Uri(page).AbsoluteUri;
            string dom = Chromium.Run(url, Path.Combine(dir, "p1"), "--dump-dom");
            Assert.Equal(2 * (1 + 3), Regex.Matches(dom, "<img alt=\"").Count); // per canvas: the path and one retina per glimpse
            Assert.Equal(2, Regex.Matches(dom, "alt=\"retina of glimpse 3\"").Count);
            Assert.Equal(2, Regex.Matches(dom, "glimpse 1 at \\(0\\.00, 0\\.00\\)").Count);
            string shot = Path.Combine(dir, "shot.png");
            Chromium.Run(url, Path.Combine(dir, "p2"), $"--screenshot={shot}", "--window-size=900,700");
            var img = PngDecoder.Read(shot);
            Assert.Equal((900, 700), (img.Width, img.Height));
            // the first glimpse's red squares reached the screen
            long red = Chromium.RedPixels(img.Pixels.AsSpan(0, 3 * img.Width * img.Height), 200, 90);
            Assert.True(red > 100, $"only {red} red pixels: the glimpse squares were not drawn");
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }
}
