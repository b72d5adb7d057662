using Recur.Data;
using Recur.Data.Glimpse;
using Xunit;

namespace Recur.Tests.Data.Glimpse;

/// <summary>
/// Cluttered translated Fashion-MNIST: determinism, the object wholly inside, the clutter counts, each split's pool, fresh training
/// canvases per epoch, and a tiny canvas worked by hand.
/// </summary>
public sealed class ClutterGeneratorTests
{
    private static string SampleDir => Path.Combine(AppContext.BaseDirectory, "Data", "Samples", "fashion-mnist");

    private static (LabeledImages Train, LabeledImages Test) Sample { get; } = FashionMnist.Load(SampleDir);

    [Fact]
    public void CanvasesFollowFromTheSeedAlone()
    {
        var o = new ClutterOptions { Size = 60, Clutter = 4, Seed = 3 };
        var a = ClutteredSplit.Training(Sample.Train, o);
        var b = ClutteredSplit.Training(Sample.Train, o);
        int[] items = [0, 7, 549, 7];
        var xa = new float[items.Length * 3600];
        var xb = new float[items.Length * 3600];
        var ya = new int[items.Length];
        var yb = new int[items.Length];
        a.Fill(items, 2, xa, ya);
        b.Fill(items, 2, xb, yb);
        Assert.Equal(xa, xb);
        Assert.Equal(ya, yb);
        Assert.Equal(xa.AsSpan(3600, 3600).ToArray(), xa.AsSpan(3 * 3600, 3600).ToArray()); // the same item, the same canvas
        Assert.Equal(Sample.Train.Labels[7], ya[1]);
        var other = ClutteredSplit.Training(Sample.Train, o with { Seed = 4 }).Example(7, 2);
        Assert.NotEqual((a.Example(7, 2).X, a.Example(7, 2).Y, a.Example(7, 2).Clutter[0]), (other.X, other.Y, other.Clutter[0]));
    }

    [Fact]
    public void TrainingCanvasesChangeEveryEpochAndTheHeldOutOnesDoNot()
    {
        var o = new ClutterOptions { Size = 100, Clutter = 8 };
        var train = ClutteredSplit.Training(Sample.Train, o);
        var moved = Enumerable.Range(0, 20).Count(i => (train.Example(i, 0).X, train.Example(i, 0).Y) != (train.Example(i, 1).X, train.Example(i, 1).Y));
        Assert.True(moved >= 18, $"only {moved} of 20 objects moved between epochs");
        Assert.True(train.FreshEachEpoch);
        var validation = ClutteredSplit.Validation(Sample.Train, o);
        Assert.False(validation.FreshEachEpoch);
        Assert.Equal(Describe(validation.Example(3, 0)), Describe(validation.Example(3, 5)));
    }

    private static string Describe(ClutteredExample e) => $"{e.Object} {e.X} {e.Y} " + string.Join(";", e.Clutter);

    [Theory]
    [InlineData(60, 4)]
    [InlineData(100, 8)]
    [InlineData(28, 0)]
    public void TheObjectIsWhollyInsideAndTheClutterCounted(int size, int clutter)
    {
        var o = new ClutterOptions { Size = size, Clutter = clutter, Seed = 9 };
        foreach (var split in new[] { ClutteredSplit.Training(Sample.Train, o), ClutteredSplit.Test(Sample.Test, o) })
            for (int i = 0; i < split.Count; i += 7)
            {
                var e = split.Example(i, 1);
                Assert.InRange(e.X, 0, size - 28);
                Assert.InRange(e.Y, 0, size - 28);
                Assert.Equal(clutter, e.Clutter.Count);
                foreach (var p in e.Clutter)
                {
                    Assert.InRange(p.X, 0, size - 8);
                    Assert.InRange(p.Y, 0, size - 8);
                    Assert.InRange(p.CropX, 0, 20);
                    Assert.InRange(p.CropY, 0, 20);
                    Assert.NotEqual(e.Object, p.Source);
                }
                // every pixel of the object is on the canvas: the canvas is at least as bright there
                var canvas = new float[size * size];
                ClutterGenerator.Render(e, split.Images, size, canvas);
                var img = split.Images.Image(e.Object);
                for (int r = 0; r < 28; r++)
                    for (int c = 0; c < 28; c++) Assert.True(canvas[(e.Y + r) * size + e.X + c] >= img[r * 28 + c] / 255f);
            }
        // the positions reach both edges over many draws
        var xs = Enumerable.Range(0, 550).Select(i => ClutteredSplit.Training(Sample.Train, o).Example(i).X).ToArray();
        Assert.Equal((0, size - 28), (xs.Min(), xs.Max()));
    }

    [Fact]
    public void EachSplitDrawsOnlyFromItsOwnImages()
    {
        var o = new ClutterOptions { Size = 60, Clutter = 6 };
        int cut = Sample.Train.Count - (int)Math.Round(Sample.Train.Count / 12.0);
        Assert.Equal(550, cut);
        var train = ClutteredSplit.Training(Sample.Train, o);
        var validation = ClutteredSplit.Validation(Sample.Train, o);
        var test = ClutteredSplit.Test(Sample.Test, o);
        Assert.Equal((550, 50, 200), (train.Count, validation.Count, test.Count));
        Assert.Same(Sample.Test, test.Images);
        foreach (var (split, lo, hi) in new[] { (train, 0, cut), (validation, cut, 600), (test, 0, 200) })
            for (int i = 0; i < split.Count; i++)
            {
                var e = split.Example(i, 3);
                Assert.Equal(lo + i, e.Object);
                Assert.All(e.Clutter, p => Assert.InRange(p.Source, lo, hi - 1));
            }
        Assert.Throws<ArgumentException>(() => ClutteredSplit.Scored("train", Sample.Train, Sample.Test, o));
        Assert.Throws<ArgumentOutOfRangeException>(() => validation.Example(50));
    }

    /// <summary>
    /// A 30x30 canvas by hand: object 0 (every pixel 51, i.e. 0.2) at (1, 2), and one piece cut from image 1 (pixel (r, c) =
    /// r * 28 + c modulo 256) at crop (20, 20), pasted at (0, 0) so that it overlaps the object; overlaps keep the brighter pixel.
    /// </summary>
    [Fact]
    public void ATinyCanvasWorkedByHand()
    {
        var pixels = new byte[2 * 784];
        pixels.AsSpan(0, 784).Fill(51);
        for (int i = 0; i < 784; i++) pixels[784 + i] = (byte)(i % 256);
        var images = new LabeledImages(pixels, [3, 5], 28, 28, 10, "hand");
        var e = new ClutteredExample(0, 3, 1, 2, [new ClutterPiece(1, 20, 20, 0, 0)]);
        var canvas = new float[900];
        ClutterGenerator.Render(e, images, 30, canvas);
        Assert.Equal(0f, canvas[0 * 30 + 29]);          // nothing covers the top-right corner
        Assert.Equal(68 / 255f, canvas[0]);              // the piece's first pixel: (20 * 28 + 20) mod 256 = 68
        Assert.Equal(97 / 255f, canvas[1 * 30 + 1]);     // piece (1, 1): 609 mod 256 = 97; the object starts at row 2
        Assert.Equal(125 / 255f, canvas[2 * 30 + 1]);    // piece (2, 1): 637 mod 256 = 125, brighter than the object's 0.2
        Assert.Equal(0.2f, canvas[8 * 30 + 1]);          // below the piece: the object alone
        Assert.Equal(0.2f, canvas[29 * 30 + 28]);        // the object's bottom-right pixel (row 2 + 27, col 1 + 27)
        Assert.Equal(0f, canvas[29 * 30 + 29]);          // right of the object
        Assert.Equal(0f, canvas[1 * 30 + 8]);            // right of the piece, above the object
        // the draws of a two-image pool: the only other image is the clutter's source
        var drawn = ClutterGenerator.Draw(images, .., 0, new ClutterOptions { Size = 30, Clutter = 2 }, new Rng(1));
        Assert.All(drawn.Clutter, p => Assert.Equal(1, p.Source));
        Assert.InRange(drawn.X, 0, 2);
        Assert.Throws<ArgumentException>(() => ClutterGenerator.Render(e with { X = 3 }, images, 30, canvas));
    }

    [Fact]
    public void ThePapersClutterAndTheOptionsChecks()
    {
        Assert.Equal((4, 8, 3), (ClutterOptions.PaperClutter(60), ClutterOptions.PaperClutter(100), ClutterOptions.PaperClutter(64)));
        Assert.Throws<ArgumentException>(() => new ClutterOptions { Size = 27 }.Validate());
        Assert.Throws<ArgumentException>(() => new ClutterOptions { Clutter = -1 }.Validate());
    }
}
