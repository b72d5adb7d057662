using Recur.Models.Draw;
using Recur.Tests.TestUtil;
using Xunit;

namespace Recur.Tests.Models.Draw;

/// <summary>DRAW's backward against central differences on every parameter, batching, sampling and reconstruction.</summary>
public sealed class DrawModelTests
{
    private static DrawConfig Small(bool attention) => new()
    {
        Width = 6, Height = 5, Steps = 3, EncoderHidden = 7, DecoderHidden = 7, Latent = 4, Attention = attention, ReadN = 2, WriteN = 3,
    };

    private static (DrawModel Model, Tensor Images, Tensor Eps) Random(bool attention, int batch = 3, ulong seed = 4)
    {
        var rng = new Rng(seed);
        var m = new DrawModel(Small(attention));
        m.Reset(rng);
        var x = new Tensor(batch, 5, 6);
        for (int i = 0; i < x.Length; i++) x.Data[i] = rng.NextFloat() < 0.4f ? 1f : 0f;
        return (m, x, m.Noise(rng, batch));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void GradientsMatchCentralDifferences(bool attention)
    {
        var (m, x, eps) = Random(attention);
        m.Store.ZeroGrad();
        m.Forward(x, eps);
        m.Backward();
        var grads = (float[])m.Store.Grads.Clone();
        foreach (var p in m.Store.Parameters)
            GradCheck.Check(p.Name, () => m.Forward(x, eps).Total, m.Store.Values, p.Offset, p.Length, grads.AsSpan(p.Offset, p.Length),
                samples: 12, h: 1e-2f, atol: 4e-6);
    }

    /// <summary>The check is sensitive: a 1 % error in one tensor's gradient (the first, the last, one in the middle) fails it.</summary>
    [Theory]
    [InlineData(true, 0)]   // read_attn.weight
    [InlineData(true, 17)]  // write_attn.bias
    [InlineData(false, 7)]  // logsigma.bias
    public void OnePercentOffOneGradientFailsTheCheck(bool attention, int call)
        => GradCheck.AssertOnePercentOffFails(() => GradientsMatchCentralDifferences(attention), call);

    /// <summary>The gradient is a descent direction: plain gradient steps on one batch (fixed noise) lower the bound.</summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void GradientStepsLowerTheLoss(bool attention)
    {
        var (m, x, eps) = Random(attention, batch: 4);
        double first = m.Forward(x, eps).Total, last = first;
        for (int step = 0; step < 25; step++)
        {
            m.Store.ZeroGrad();
            last = m.Forward(x, eps).Total;
            m.Backward();
            for (int i = 0; i < m.Store.Count; i++) m.Store.Values[i] -= 0.05f * m.Store.Grads[i];
        }
        Assert.True(last < 0.85 * first, $"loss {first:F3} -> {last:F3} after 25 steps");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void BackwardAccumulates(bool attention)
    {
        var (m, x, eps) = Random(attention);
        m.Store.ZeroGrad();
        m.Forward(x, eps);
        m.Backward();
        var once = (float[])m.Store.Grads.Clone();
        m.Forward(x, eps);
        m.Backward();
        for (int i = 0; i < once.Length; i++) Assert.Equal(2.0 * once[i], m.Store.Grads[i], 1e-6 * (1 + Math.Abs(once[i])));
    }

    /// <summary>The batch loss is the mean of the images' own losses: no row reads another.</summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ImagesInABatchAreIndependent(bool attention)
    {
        var (m, x, eps) = Random(attention);
        var batch = m.Forward(x, eps);
        var canvases = m.Canvases();
        double sum = 0;
        for (int b = 0; b < 3; b++)
        {
            var xb = new Tensor(x.Data.AsSpan(b * 30, 30).ToArray(), 1, 30);
            var eb = new Tensor(3, 1, 4);
            for (int t = 0; t < 3; t++) eps.Data.AsSpan((t * 3 + b) * 4, 4).CopyTo(eb.Data.AsSpan(t * 4, 4));
            sum += m.Forward(xb, eb).Total;
            var one = m.Canvases();
            for (int t = 0; t < 3; t++)
                for (int i = 0; i < 30; i++) Assert.Equal(canvases.Data[(t * 3 + b) * 30 + i], one.Data[t * 30 + i], 6);
        }
        Assert.Equal(sum / 3, batch.Total, 5);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void SamplingIsDeterministicByTheSeedAndGivesCanvasesInTheUnitInterval(bool attention)
    {
        var (m, _, _) = Random(attention);
        var a = m.Sample(new Rng(9), 4);
        var b = m.Sample(new Rng(9), 4);
        var c = m.Sample(new Rng(10), 4);
        Assert.Equal([3, 4, 5, 6], a.Shape);
        Assert.Equal(a.Data, b.Data);
        Assert.NotEqual(a.Data, c.Data);
        Assert.All(a.Data, v => Assert.InRange(v, 0f, 1f));
        // Every step writes: the last canvas differs from the first.
        Assert.NotEqual(a.Data.AsSpan(0, 4 * 30).ToArray(), a.Data.AsSpan(2 * 4 * 30, 4 * 30).ToArray());
        Assert.Throws<InvalidOperationException>(m.Backward);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ReconstructionReturnsTheCanvasOfEveryStep(bool attention)
    {
        var (m, x, _) = Random(attention, batch: 2);
        var a = m.Reconstruct(x, new Rng(1));
        var b = m.Reconstruct(x, new Rng(1));
        Assert.Equal([3, 2, 5, 6], a.Shape);
        Assert.Equal(a.Data, b.Data);
        Assert.All(a.Data, v => Assert.InRange(v, 0f, 1f));
        var eps = m.Noise(new Rng(1), 2);
        Assert.Equal(a.Data, m.Reconstruct(x, eps).Data);
        m.Backward(); // a reconstruction is a forward: backward may follow
    }

    [Fact]
    public void ParametersHavePyTorchStyleNames()
    {
        var names = new DrawModel(Small(true)).Store.Parameters.Select(p => p.Name).ToArray();
        Assert.Equal(["read_attn.weight", "read_attn.bias", "encoder.weight_ih", "encoder.weight_hh", "encoder.bias_ih", "encoder.bias_hh",
            "mu.weight", "mu.bias", "logsigma.weight", "logsigma.bias", "decoder.weight_ih", "decoder.weight_hh", "decoder.bias_ih",
            "decoder.bias_hh", "write.weight", "write.bias", "write_attn.weight", "write_attn.bias"], names);
        var plain = new DrawModel(Small(false)).Store;
        Assert.Equal([28, 2 * 30 + 7], plain["encoder.weight_ih"].Shape);
        Assert.Equal([30, 7], plain["write.weight"].Shape);
        Assert.False(plain.Contains("read_attn.weight"));
    }

    [Fact]
    public void BadInputsAreRefusedWithWhatWasSeen()
    {
        var ex = Assert.Throws<ArgumentException>(() => new DrawModel(Small(true) with { WriteN = 0 }));
        Assert.Contains("write N", ex.Message, StringComparison.Ordinal);
        var (m, x, eps) = Random(true);
        var bad = Assert.Throws<ArgumentException>(() => m.Forward(new Tensor(3, 6, 5), eps));
        Assert.Contains("(B, 5, 6)", bad.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => m.Forward(x, new Tensor(3, 3, 5)));
    }

    [Fact]
    public void DefaultsAreThePapersMnistModel()
    {
        var c = new DrawConfig();
        Assert.Equal((28, 28, 256, 256, 100, true, 2, 5), (c.Width, c.Height, c.EncoderHidden, c.DecoderHidden, c.Latent, c.Attention, c.ReadN, c.WriteN));
        Assert.Equal(32, c.Steps);
    }
}
