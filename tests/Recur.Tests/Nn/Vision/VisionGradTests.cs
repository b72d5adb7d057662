using Recur.Models;
using Recur.Nn;
using Recur.Nn.Vision;
using Recur.Tests.TestUtil;
using Xunit;

namespace Recur.Tests.Nn.Vision;

/// <summary>Central-difference checks of the vision layers' backward passes and of the whole convolutional classifier.</summary>
public sealed class VisionGradTests
{
    /// <summary>Issue 27: the check is sensitive, a 1 % error in one tensor's gradient fails it.</summary>
    [Theory]
    [InlineData("conv2d", 0)]
    [InlineData("conv2d", 1)]
    [InlineData("maxpool", 0)]
    [InlineData("convnet", 0)]
    public void OnePercentOffOneGradientFailsTheCheck(string what, int call)
        => GradCheck.AssertOnePercentOffFails(what switch
        {
            "conv2d" => () => Conv2dGradientsMatchCentralDifferences(2, 2, 6, 7, 3, 3, 1, 1, true),
            "maxpool" => () => MaxPoolGradientMatchesCentralDifferences(2, 8, 8, 2, 2),
            _ => ConvNetGradientsMatchCentralDifferences,
        }, call);

    [Theory]
    [InlineData(2, 2, 6, 7, 3, 3, 1, 1, true)]
    [InlineData(1, 3, 7, 5, 2, 3, 2, 1, true)]
    [InlineData(2, 1, 5, 5, 4, 5, 1, 2, false)]
    [InlineData(1, 2, 9, 8, 2, 3, 3, 0, true)]
    public void Conv2dGradientsMatchCentralDifferences(int B, int cin, int h, int w, int cout, int k, int stride, int pad, bool bias)
    {
        var rng = new Rng(5);
        var store = new ParameterStore();
        var conv = new Conv2d(store, "c", cin, cout, k, stride, pad, bias);
        conv.Reset(rng);
        var x = Tensor.Randn(rng, 1f, B, cin, h, w);
        var y0 = conv.Forward(x);
        var weights = Tensor.Randn(rng, 1f, y0.Shape).Data; // the loss sum(y * weights) has dy = weights
        var dx = conv.Backward(new Tensor((float[])weights.Clone(), y0.Shape))!.Clone();
        double Loss() => GradCheck.Dot(conv.Forward(x).Data, weights);
        GradCheck.Check("dx", Loss, x.Data, 0, x.Length, dx.Data);
        GradCheck.Check("dweight", Loss, store.Values, conv.Weight.Offset, conv.Weight.Length, conv.Weight.Grad);
        if (bias) GradCheck.Check("dbias", Loss, store.Values, conv.Bias!.Offset, conv.Bias.Length, conv.Bias.Grad);
    }

    [Theory]
    [InlineData(2, 8, 8, 2, 2)]
    [InlineData(3, 7, 9, 3, 2)]
    public void MaxPoolGradientMatchesCentralDifferences(int c, int h, int w, int k, int s)
    {
        // Distinct values 0.1 apart: a step of 0.01 never changes which input wins a window.
        var rng = new Rng(9);
        int n = c * h * w;
        var perm = Enumerable.Range(0, n).ToArray();
        for (int i = n - 1; i > 0; i--) { int j = rng.NextInt(i + 1); (perm[i], perm[j]) = (perm[j], perm[i]); }
        var x = new Tensor(perm.Select(v => v * 0.1f).ToArray(), 1, c, h, w);
        var pool = new MaxPool2d(k, s);
        var y0 = pool.Forward(x);
        var weights = Tensor.Randn(rng, 1f, y0.Shape).Data;
        var dx = pool.Backward(new Tensor((float[])weights.Clone(), y0.Shape)).Clone();
        GradCheck.Check("dx", () => GradCheck.Dot(pool.Forward(x).Data, weights), x.Data, 0, x.Length, dx.Data, samples: n);
    }

    [Fact]
    public void ConvNetGradientsMatchCentralDifferences()
    {
        var rng = new Rng(3);
        var net = new ConvNet(new ConvNetConfig { Rows = 10, Cols = 12, Channels = [3, 4], Fc = 6, Classes = 3, Dropout = 0 });
        net.Reset(rng);
        var x = Tensor.Uniform(rng, 1f, 4, 1, 10, 12);
        int[] labels = [0, 2, 1, 2];
        net.TrainStep(x, labels, rng);
        var grads = (float[])net.Store.Grads.Clone();
        double Loss() => SoftmaxCrossEntropy.Loss<float>(net.Forward(x).Data, 4, 3, labels);
        foreach (var p in net.Store.Parameters)
            GradCheck.Check(p.Name, Loss, net.Store.Values, p.Offset, p.Length, grads.AsSpan(p.Offset, p.Length), h: 5e-4f);
    }

    [Fact]
    public void FeaturesTakeAnyImageSizeTheStagesFit()
    {
        var net = new ConvNet(new ConvNetConfig { Channels = [4, 8], Fc = 0 });
        net.Reset(new Rng(1));
        var grid = net.Features(new Tensor(2, 1, 84, 84));
        Assert.Equal(new[] { 2, 8, 21, 21 }, grid.Shape);
        Assert.Throws<ArgumentException>(() => net.Forward(new Tensor(2, 1, 84, 84)));
        Assert.Throws<ArgumentException>(() => net.Features(new Tensor(1, 1, 3, 3)));
        Assert.Throws<ArgumentException>(() => new ConvNetConfig { Kernel = 4 }.Validate());
        Assert.Throws<ArgumentException>(() => new ConvNetConfig { Rows = 3, Cols = 3, Channels = [2, 2] }.Validate());
    }
}
