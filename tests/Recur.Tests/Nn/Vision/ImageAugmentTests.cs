using Recur.Data;
using Recur.Models;
using Recur.Nn.Vision;
using Recur.Tasks;
using Recur.Tests.Tasks;
using Recur.Training;
using Recur.Tasks.Classify;
using Xunit;

namespace Recur.Tests.Nn.Vision;

/// <summary>Training flips and shifts: what each image becomes, the draws, and the classifier that uses them.</summary>
public sealed class ImageAugmentTests
{
    private const int H = 6, W = 5;

    /// <summary>(B, C, H, W) of distinct non-zero values, so that a moved image cannot match another move by chance.</summary>
    private static float[] Distinct(int batch, int channels)
    {
        var x = new float[batch * channels * H * W];
        for (int i = 0; i < x.Length; i++) x[i] = 1f + i;
        return x;
    }

    /// <summary>Reference: the plane moved by (dy, dx) after an optional mirror, by the definition.</summary>
    private static float[] Moved(ReadOnlySpan<float> plane, bool mirror, int dy, int dx)
    {
        var o = new float[H * W];
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++)
            {
                int sy = y - dy, sx = x - dx;
                if (sy < 0 || sy >= H || sx < 0 || sx >= W) continue;
                o[y * W + x] = plane[sy * W + (mirror ? W - 1 - sx : sx)];
            }
        return o;
    }

    /// <summary>Every (mirror, dy, dx) that turns <paramref name="before"/> into <paramref name="after"/>.</summary>
    private static List<(bool Mirror, int Dy, int Dx)> Moves(float[] before, float[] after, int shift)
    {
        var found = new List<(bool, int, int)>();
        foreach (bool m in new[] { false, true })
            for (int dy = -shift; dy <= shift; dy++)
                for (int dx = -shift; dx <= shift; dx++)
                    if (Moved(before, m, dy, dx).AsSpan().SequenceEqual(after)) found.Add((m, dy, dx));
        return found;
    }

    [Fact]
    public void EachImageIsMirroredOrNotAndMovedByOneShiftWithinRangeAllChannelsTogether()
    {
        const int B = 1000, C = 2, S = 2;
        var before = Distinct(B, C);
        var after = (float[])before.Clone();
        int changed = ImageAugment.Apply(after, B, C, H, W, flip: true, shift: S, new Rng(3));
        var seen = new HashSet<(bool, int, int)>();
        int moved = 0;
        for (int b = 0; b < B; b++)
        {
            var moves0 = Moves(before.AsSpan(b * C * H * W, H * W).ToArray(), after.AsSpan(b * C * H * W, H * W).ToArray(), S);
            var moves1 = Moves(before.AsSpan((b * C + 1) * H * W, H * W).ToArray(), after.AsSpan((b * C + 1) * H * W, H * W).ToArray(), S);
            Assert.Single(moves0);
            Assert.Equal(moves0, moves1);
            seen.Add(moves0[0]);
            if (moves0[0] != (false, 0, 0)) moved++;
        }
        Assert.Equal(2 * 5 * 5, seen.Count); // 1,000 draws of 50 equally likely moves: each one occurs
        Assert.Equal(moved, changed);
    }

    [Fact]
    public void FlipsAloneMirrorAboutHalfTheImagesAndNothingElse()
    {
        const int B = 400;
        var before = Distinct(B, 1);
        var after = (float[])before.Clone();
        int changed = ImageAugment.Apply(after, B, 1, H, W, flip: true, shift: 0, new Rng(8));
        int mirrored = 0;
        for (int b = 0; b < B; b++)
        {
            var p = before.AsSpan(b * H * W, H * W);
            var q = after.AsSpan(b * H * W, H * W);
            bool same = p.SequenceEqual(q), mirror = Moved(p, true, 0, 0).AsSpan().SequenceEqual(q);
            Assert.True(same ^ mirror, $"image {b} is neither itself nor its mirror");
            if (mirror) mirrored++;
        }
        Assert.Equal(mirrored, changed);
        Assert.InRange(mirrored, 160, 240);
    }

    [Fact]
    public void TheSameSeedGivesTheSameBatchAndNothingEnabledDrawsNothing()
    {
        var a = Distinct(16, 1);
        var b = Distinct(16, 1);
        ImageAugment.Apply(a, 16, 1, H, W, true, 1, new Rng(4));
        ImageAugment.Apply(b, 16, 1, H, W, true, 1, new Rng(4));
        Assert.Equal(a, b);
        var c = Distinct(16, 1);
        ImageAugment.Apply(c, 16, 1, H, W, true, 1, new Rng(5));
        Assert.NotEqual(a, c);

        var rng = new Rng(4);
        var untouched = Distinct(16, 1);
        Assert.Equal(0, ImageAugment.Apply(untouched, 16, 1, H, W, false, 0, rng));
        Assert.Equal(Distinct(16, 1), untouched);
        Assert.Equal(new Rng(4).State, rng.State);
        Assert.Throws<ArgumentException>(() => ImageAugment.Apply(new float[7], 1, 1, H, W, true, 0, new Rng(1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => ImageAugment.Apply(Distinct(1, 1), 1, 1, H, W, false, -1, new Rng(1)));
    }

    [Fact]
    public void TheConvNetTrainsOnTheAugmentedBatchDrawnBeforeItsDropout()
    {
        var config = new ConvNetConfig { Rows = 8, Cols = 8, Channels = [3], Fc = 6, Classes = 4, Dropout = 0.3f };
        var plain = new ConvNet(config);
        var augmented = new ConvNet(config with { Flip = true, Shift = 2 });
        plain.Reset(new Rng(1));
        augmented.Reset(new Rng(1));
        var x = Tensor.Randn(new Rng(2), 1f, 5, 1, 8, 8);
        int[] labels = [0, 1, 2, 3, 1];

        var manual = x.Clone();
        var rngA = new Rng(7);
        ImageAugment.Apply(manual.Span, 5, 1, 8, 8, true, 2, rngA);
        double expected = plain.TrainStep(manual, labels, rngA);
        var rngB = new Rng(7);
        double loss = augmented.TrainStep(x, labels, rngB);

        Assert.Equal(expected, loss);
        Assert.Equal(plain.Store.Grads, augmented.Store.Grads);
        Assert.Equal(rngA.State, rngB.State);
        Assert.Equal(Tensor.Randn(new Rng(2), 1f, 5, 1, 8, 8).Data, x.Data); // the caller's batch is not changed
        Assert.NotEqual(expected, plain.TrainStep(x, labels, new Rng(7)));
        Assert.Contains("training flips, training shifts of up to 2 px", augmented.Summary);
    }

    [Fact]
    public void AnAugmentedRunResumesBitIdenticallyAndItsCheckpointKeepsTheAugmentation()
    {
        string dir = Directory.CreateTempSubdirectory("recur-augment-").FullName;
        try
        {
            var (train, _) = FashionMnist.Load(ClassifyTaskTests.SampleDir);
            var o = new TrainOptions
            {
                Model = "cnn", Layers = 1, Hidden = 8, Dropout = 0.2, BatchSize = 32, Optimizer = "adam", LearningRate = 2e-3,
                EvalEvery = 5, ValFrac = 0.2, Threads = 1, MaxIters = 10,
            };
            var aug = new ImageAugmentation(Flip: true, Shift: 2);
            var settings = new ClassifySettings { Flip = aug.Flip, Shift = aug.Shift };
            var straight = ClassifyTaskTests.Create(o, train, ClassifyTaskTests.SampleDir, settings);
            straight.Run();
            var unaugmented = ClassifyTaskTests.Create(o, train, ClassifyTaskTests.SampleDir);
            unaugmented.Run();
            Assert.NotEqual(unaugmented.TrainLosses, straight.TrainLosses);

            string run = Path.Combine(dir, "run");
            var first = ClassifyTaskTests.Create(o with { MaxIters = 4 }, train, ClassifyTaskTests.SampleDir, settings);
            first.OutputDirectory = run;
            first.Run();
            var ck = ClassifierCheckpoint.Instance.Load(run, Recur.IO.CheckpointKind.Latest);
            var net = Assert.IsType<ConvNet>(ck.Model);
            Assert.True(net.Config.Flip);
            Assert.Equal(2, net.Config.Shift);
            var second = ClassifyDefinition.Instance.Resume(ck, ClassifyData.Fashion(train), o);
            second.Run();
            Assert.Equal(straight.TrainLosses, second.TrainLosses);
            Assert.Equal(straight.Task.Store.Values, second.Task.Store.Values);

            Assert.Throws<ArgumentException>(() => ClassifyTaskTests.Create(o with { Model = "gru" }, train, "", settings));
            Assert.Throws<ArgumentException>(() => new ConvNet(new ConvNetConfig { Shift = 28 }));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
