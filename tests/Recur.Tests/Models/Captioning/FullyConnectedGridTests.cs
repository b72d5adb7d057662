using Recur.Data;
using Recur.Data.Scenes;
using Recur.Models;
using Recur.Models.Captioning;
using Recur.Tests.Tasks;
using Xunit;

namespace Recur.Tests.Models.Captioning;

/// <summary>
/// The classifier's fully connected layer applied as a convolution: every window the size of a training image's grid
/// gets <c>ReLU(W flatten(window) + b)</c> with the window flattened (D, gh, gw) as in training; an 84 x 84 scene gives
/// one location per 28 x 28 cell; a 28 x 28 image gives what the classifier's head reads.
/// </summary>
public sealed class FullyConnectedGridTests
{
    private static ConvNet Net()
    {
        var net = new ConvNet(new ConvNetConfig { Channels = [3, 5], Fc = 6, Dropout = 0f });
        net.Reset(new Rng(4));
        return net;
    }

    [Fact]
    public void EachWindowGoesThroughTheFullyConnectedLayer()
    {
        var net = Net();
        int C = 5, gh = 7, gw = 7, R = 2, Q = 3, F = 6, N = 2;
        var grid = Tensor.Randn(new Rng(9), 1f, N, C, R * gh + 1, Q * gw + 2); // a ragged edge is left out
        var fc = net.FullyConnectedGrid(grid);
        Assert.Equal([N, F, R, Q], fc.Shape);
        var w = net.Store.Parameters.Single(p => p.Name == "fc.weight").Value.ToArray();
        var b = net.Store.Parameters.Single(p => p.Name == "fc.bias").Value.ToArray();
        int H = grid.Shape[2], W = grid.Shape[3], flat = C * gh * gw;
        for (int n = 0; n < N; n++)
            for (int r = 0; r < R; r++)
                for (int q = 0; q < Q; q++)
                    for (int f = 0; f < F; f++)
                    {
                        double s = b[f];
                        for (int c = 0; c < C; c++)
                            for (int y = 0; y < gh; y++)
                                for (int x = 0; x < gw; x++)
                                    s += (double)w[f * flat + (c * gh + y) * gw + x] * grid.Data[((n * C + c) * H + r * gh + y) * W + q * gw + x];
                        Assert.Equal(Math.Max(0, s), fc.Data[((n * F + f) * R + r) * Q + q], 4);
                    }
    }

    [Fact]
    public void ATrainingSizedImageGivesTheFeaturesTheHeadReads()
    {
        var net = Net();
        var x = Tensor.Randn(new Rng(5), 1f, 1, 1, 28, 28);
        var features = net.FullyConnectedGrid(net.Features(x)).Data.ToArray();
        // The head is linear in those features: logits = W_head f + b_head.
        var logits = net.Forward(x).Data.ToArray();
        var wh = net.Store.Parameters.Single(p => p.Name == "head.weight").Value.ToArray();
        var bh = net.Store.Parameters.Single(p => p.Name == "head.bias").Value.ToArray();
        for (int k = 0; k < logits.Length; k++)
        {
            double s = bh[k];
            for (int f = 0; f < features.Length; f++) s += (double)wh[k * features.Length + f] * features[f];
            Assert.Equal(s, logits[k], 4);
        }
    }

    [Fact]
    public void ScenesGetOneLocationPerCell()
    {
        var (train, _) = FashionMnist.Load(ClassifyTaskTests.SampleDir);
        var encoder = new SceneEncoder(Net(), coordinates: true, features: "fc");
        Assert.Equal((3, 3), encoder.Grid(84, 84));
        Assert.Equal(6 + 2, encoder.FeatureDim);
        var split = new SceneSplit("train", train, SceneGenerator.Seen(train, 2, new Rng(5), []));
        Assert.Equal([2, 9, 8], encoder.Encode(split).Shape);
        var noFc = new ConvNet(new ConvNetConfig { Channels = [3, 5], Fc = 0 });
        Assert.Contains("fully connected", Assert.Throws<ArgumentException>(() => new SceneEncoder(noFc, features: "fc")).Message);
        Assert.Throws<ArgumentException>(() => new SceneEncoder(noFc, features: "pooled"));
    }
    [Fact]
    public void FcProbsAreTheFeaturesThenTheClassifiersSoftmaxOfEachCell()
    {
        // A scene of 84x84 random pixels: each of the nine cells is one 28x28 window; its fc-probs location is the fc
        // features of that window (as "fc" gives them) followed by the softmax of the classifier's logits of the window
        // alone (its head over those features, worked here in double from the head's weights), then the coordinates.
        var net = Net();
        var rng = new Rng(12);
        var scene = new byte[84 * 84];
        for (int i = 0; i < scene.Length; i++) scene[i] = (byte)rng.NextInt(256);
        var probs = new SceneEncoder(net, coordinates: true, features: "fc-probs").Encode([scene], 84, 84);
        var fc = new SceneEncoder(net, coordinates: true, features: "fc").Encode([scene], 84, 84);
        int F = 6, K = 10, D = F + K + 2;
        Assert.Equal([1, 9, D], probs.Shape);
        var wh = net.Store.Parameters.Single(p => p.Name == "head.weight").Value.ToArray();
        var bh = net.Store.Parameters.Single(p => p.Name == "head.bias").Value.ToArray();
        for (int l = 0; l < 9; l++)
        {
            var f = fc.Data.AsSpan(l * (F + 2), F).ToArray();
            Assert.Equal(f, probs.Data.AsSpan(l * D, F).ToArray());
            var logits = new double[K];
            for (int k = 0; k < K; k++) { logits[k] = bh[k]; for (int j = 0; j < F; j++) logits[k] += (double)wh[k * F + j] * f[j]; }
            double max = logits.Max(), sum = logits.Sum(z => Math.Exp(z - max));
            for (int k = 0; k < K; k++) Assert.Equal(Math.Exp(logits[k] - max) / sum, probs.Data[l * D + F + k], 5);
            Assert.Equal(fc.Data[l * (F + 2) + F], probs.Data[l * D + F + K]);         // the row
            Assert.Equal(fc.Data[l * (F + 2) + F + 1], probs.Data[l * D + F + K + 1]); // the column
        }
    }

    [Fact]
    public void SlidingWindowsAndTheirScoresAreTheClassifiersOwnOnEachWindow()
    {
        // Two 28x28 images side by side (56 pixels, a 14-cell grid): windows one cell apart give (14 - 7) / 1 + 1 = 8
        // columns; the first is the left image's whole grid and the last the right one's, so their scores are the
        // classifier's logits of each image alone.
        // Each image has a black border of 4 pixels, wider than the stages' reach (3 pixels), and the convolutions have no
        // bias, so that black stays zero through every stage and the convolutions at the seam see zeros as they do at an
        // image's own edge.
        var net = Net();
        foreach (var p in net.Store.Parameters.Where(p => p.Name.StartsWith("conv", StringComparison.Ordinal) && p.Name.EndsWith(".bias", StringComparison.Ordinal)))
            p.Value.Clear();
        var a = Tensor.Randn(new Rng(6), 1f, 1, 1, 28, 28);
        var b = Tensor.Randn(new Rng(7), 1f, 1, 1, 28, 28);
        foreach (var t in new[] { a, b })
            for (int y = 0; y < 28; y++)
                for (int x = 0; x < 28; x++)
                    if (y < 4 || y >= 24 || x < 4 || x >= 24) t.Data[y * 28 + x] = 0;
        var both = new Tensor(1, 1, 28, 56);
        for (int y = 0; y < 28; y++)
        {
            a.Data.AsSpan(y * 28, 28).CopyTo(both.Data.AsSpan(y * 56, 28));
            b.Data.AsSpan(y * 28, 28).CopyTo(both.Data.AsSpan(y * 56 + 28, 28));
        }
        var scores = net.ScoreGrid(net.FullyConnectedGrid(net.Features(both), stride: 1));
        Assert.Equal([1, 10, 1, 8], scores.Shape);
        float[] la = net.Forward(a).Data.ToArray(), lb = net.Forward(b).Data.ToArray();
        for (int k = 0; k < 10; k++)
        {
            Assert.Equal(la[k], scores.Data[k * 8 + 0], 4);
            Assert.Equal(lb[k], scores.Data[k * 8 + 7], 4);
        }
        // A stride of the window's size is the non-overlapping default.
        var grid = net.Features(both);
        Assert.Equal(net.FullyConnectedGrid(grid).Data.ToArray(), net.FullyConnectedGrid(grid, stride: 7).Data.ToArray());
        var encoder = new SceneEncoder(net, features: "scores", windowStride: 2);
        Assert.Equal((5, 5), encoder.Grid(64, 64));
        Assert.Equal(10, encoder.FeatureDim);
    }

    [Fact]
    public void PaddingFramesTheImageInBlackAndChannelMaxAppendsEachChannelsMaximum()
    {
        // A 28x28 image padded by 4 pixels reads as the 36x36 image with that black frame drawn in: a 9-cell grid, windows
        // one cell apart give 3 x 3 locations; the channel maxima are one more location, the maximum of each class's nine.
        var net = Net();
        var rng = new Rng(8);
        var image = new byte[28 * 28];
        for (int i = 0; i < image.Length; i++) image[i] = (byte)rng.NextInt(256);
        var framed = new byte[36 * 36];
        for (int y = 0; y < 28; y++) image.AsSpan(y * 28, 28).CopyTo(framed.AsSpan((y + 4) * 36 + 4, 28));
        var padded = new SceneEncoder(net, features: "scores", windowStride: 1, padding: 4, channelMax: true);
        var plain = new SceneEncoder(net, features: "scores", windowStride: 1);
        Assert.Equal((3, 3), padded.Grid(28, 28));
        Assert.Equal(10, padded.Locations(28, 28));
        var withMax = padded.Encode([image], 28, 28);
        var reference = plain.Encode([framed], 36, 36);
        Assert.Equal([1, 10, 10], withMax.Shape);
        Assert.Equal([1, 9, 10], reference.Shape);
        for (int l = 0; l < 9; l++)
            for (int k = 0; k < 10; k++) Assert.Equal(reference.Data[l * 10 + k], withMax.Data[l * 10 + k], 5);
        for (int k = 0; k < 10; k++)
            Assert.Equal(Enumerable.Range(0, 9).Max(l => reference.Data[l * 10 + k]), withMax.Data[90 + k], 5);
        Assert.Throws<ArgumentOutOfRangeException>(() => new SceneEncoder(net, features: "scores", padding: -1));
        Assert.Throws<ArgumentException>(() => new SceneEncoder(net, coordinates: true, features: "scores", channelMax: true));
    }
}
