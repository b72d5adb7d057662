using System.Text;
using System.Text.RegularExpressions;
using Recur.Tasks.Caption;
using Recur.Imaging;
using Recur.Models.Captioning;
using Xunit;

namespace Recur.Tests.Analysis;

public sealed class AttentionReportBrowserTests
{
    private static AttentionFigure Figure()
    {
        var pixels = new byte[84 * 84];
        for (int y = 0; y < 28; y++) for (int x = 0; x < 28; x++) pixels[(28 + y) * 84 + 56 + x] = 200; // an object in cell (1, 2)
        var focused = new float[49]; focused[3 * 7 + 6] = 0.9f; focused[0] = 0.1f;
        var spread = Enumerable.Repeat(1f / 49, 49).ToArray();
        return new AttentionFigure("scene", new PixelImage(84, 84, 1, pixels), new DecodedCaption([], "a coat", [spread, focused], -1), "a coat");
    }

    [Fact]
    public void OverlayPutsRedWhereTheWeightIs()
    {
        var f = Figure();
        var o = AttentionReport.Overlay(f.Image, f.Caption.Attention[1], 7, 7);
        Assert.Equal(3, o.Channels);
        int at(int y, int x) => (y * 84 + x) * 3;
        Assert.True(o.Pixels[at(42, 78)] > 200 && o.Pixels[at(42, 78) + 1] < o.Pixels[at(42, 78)], "the attended cell is red");
        Assert.True(o.Pixels[at(80, 10)] < 40, "an unattended black corner stays dark");
    }

    [ChromiumFact]
    public void PageRendersInHeadlessChromium()
    {
        string html = AttentionReport.Build("attention test", [Figure(), Figure()], 7, 7, scale: 3);
        string dir = Path.Combine(Path.GetTempPath(), "recur-attention-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            string page = Path.Combine(dir, "attention.html");
            File.WriteAllText(page, html, Encoding.UTF8);
            string url = new Uri(page).AbsoluteUri;
            string dom = Chromium.Run(url, Path.Combine(dir, "p1"), "--dump-dom");
            Assert.Equal(6, Regex.Matches(dom, "<img alt=\"").Count); // per figure: the image and one map per word
            Assert.Equal(2, Regex.Matches(dom, "alt=\"attention for coat\"").Count);
            string shot = Path.Combine(dir, "shot.png");
            Chromium.Run(url, Path.Combine(dir, "p2"), $"--screenshot={shot}", "--window-size=900,700");
            var img = PngDecoder.Read(shot);
            Assert.Equal((900, 700), (img.Width, img.Height));
            // The red of the attention maps reached the screen: pixels with red well above green and blue.
            long red = Chromium.RedPixels(img.Pixels.AsSpan(0, 3 * img.Width * img.Height), 150, 100);
            Assert.True(red > 500, $"only {red} red pixels: the maps were not drawn");
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }
}
