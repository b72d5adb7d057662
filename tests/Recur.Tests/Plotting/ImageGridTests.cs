using System.Buffers.Binary;
using Recur.Data;
using Recur.Plotting;
using Xunit;

namespace Recur.Tests.Plotting;

public sealed class ImageGridTests
{
    private static string SampleDir => Path.Combine(AppContext.BaseDirectory, "Data", "Samples", "fashion-mnist");

    [Fact]
    public void MisclassifiedExamplesGridDecodesWithTheExpectedSizeAndPixels()
    {
        var (_, test) = FashionMnist.Load(SampleDir);
        var cells = Enumerable.Range(0, 5)
            .Select(i => (test.Image(i).ToArray(), 28, 28, $"true {FashionMnist.ClassNames[test.Labels[i]]}\nsaid T-shirt/top"))
            .ToList();
        byte[] png = ImageGrid.Render(cells, columns: 3, scale: 3);

        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }, png[..8]);
        Assert.Equal("IHDR"u8.ToArray(), png[12..16]);
        int ihdrW = (int)BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(16)), ihdrH = (int)BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(20));

        // Cell: the widest caption line "SAID T-SHIRT/TOP" is 16 glyphs of 6 px less 1 = 95 px (wider
        // than the 84 px image); 84 px image + 4 px gap + 2 lines of 7 px with 3 px between = 105 px.
        // Grid: 3 x 2 cells, 8 px margins, 10 px between cells.
        int cellW = 95, cellH = 105;
        Assert.Equal(8 + 3 * cellW + 2 * 10 + 8, ihdrW);
        Assert.Equal(8 + 2 * cellH + 10 + 8, ihdrH);

        var (w, h, rgba, _) = PngReader.Decode(png);
        Assert.Equal((ihdrW, ihdrH), (w, h));
        Assert.Equal(ImageGrid.RenderRgba(cells, 3, 3).Rgba, rgba);

        // Each image is its pixels scaled 3x by nearest neighbour, centred in its cell.
        for (int cell = 0; cell < 5; cell++)
        {
            byte[] px = cells[cell].Item1;
            int x0 = 8 + cell % 3 * (cellW + 10) + (cellW - 84) / 2, y0 = 8 + cell / 3 * (cellH + 10);
            for (int y = 0; y < 84; y++)
                for (int x = 0; x < 84; x++)
                {
                    int i = ((y0 + y) * w + x0 + x) * 4;
                    byte v = px[y / 3 * 28 + x / 3];
                    Assert.True(rgba[i] == v && rgba[i + 1] == v && rgba[i + 2] == v && rgba[i + 3] == 255,
                        $"cell {cell} pixel ({x}, {y}) should be grey {v}");
                }
            // The caption draws black pixels in the band under the image.
            int ink = 0;
            for (int y = y0 + 84; y < y0 + cellH; y++)
                for (int x = x0 - 6; x < x0 + 90; x++)
                    if (rgba[(y * w + x) * 4] == 0) ink++;
            Assert.True(ink > 50, $"cell {cell} caption drew {ink} black pixels");
        }

        // The empty sixth cell stays white.
        for (int y = 8 + cellH + 10; y < h - 8; y++)
            for (int x = 8 + 2 * (cellW + 10); x < w - 8; x++)
                Assert.Equal(255, rgba[(y * w + x) * 4]);
    }

    [Fact]
    public void LongCaptionsWrapAtSpaces()
    {
        var lines = ImageGrid.Wrap("TRUE T-SHIRT/TOP SAID ANKLE BOOT", 16);
        Assert.Equal(["TRUE T-SHIRT/TOP", "SAID ANKLE BOOT"], lines);
        Assert.Equal(["A", "", "B"], ImageGrid.Wrap("A\n\nB", 16));
        Assert.Empty(ImageGrid.Wrap("", 16));

        var (_, w, h) = ImageGrid.RenderRgba([(new byte[4], 2, 2, "true T-shirt/top said Ankle boot")], 4, 1);
        Assert.Equal(8 + 95 + 8, w);
        Assert.Equal(8 + 2 + 4 + 17 + 8, h);
    }

    [Fact]
    public void BadCellsAreClearErrors()
    {
        var ex = Assert.Throws<ArgumentException>(() => ImageGrid.Render([(new byte[783], 28, 28, "x")], 1, 2));
        Assert.Contains("cell 0 has 783 pixels, a 28x28 image needs 784", ex.Message);
        Assert.Throws<ArgumentException>(() => ImageGrid.Render([], 1, 2));
        var scale = Assert.Throws<ArgumentOutOfRangeException>(() => ImageGrid.Render([(new byte[1], 1, 1, "")], 1, 0));
        Assert.Contains("scale must be in 1..16, got 0", scale.Message);
    }
}
