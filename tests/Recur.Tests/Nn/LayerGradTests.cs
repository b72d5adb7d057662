using Recur.Nn;
using Recur.Tests.TestUtil;
using Xunit;

namespace Recur.Tests.Nn;

public sealed class LayerGradTests
{
    /// <summary>Issue 27: the check is sensitive, a 1 % error in one tensor's gradient fails it.</summary>
    [Theory]
    [InlineData("linear", 0)]
    [InlineData("linear", 2)]
    [InlineData("layernorm", 0)]
    [InlineData("embedding", 0)]
    public void OnePercentOffOneGradientFailsTheCheck(string what, int call)
        => GradCheck.AssertOnePercentOffFails(what switch
        {
            "linear" => LinearGradients,
            "layernorm" => LayerNormGradientsAndStatistics,
            _ => EmbeddingGradientsAccumulateRepeatedIds,
        }, call);

    [Fact]
    public void LinearGradients()
    {
        var store = new ParameterStore();
        var lin = new Linear(store, "fc", 5, 4);
        var rng = new Rng(1);
        lin.Reset(rng);
        var x = Tensor.Randn(rng, 1f, 3, 2, 5);
        var r = Tensor.Randn(rng, 1f, 3, 2, 4);
        double Loss() => GradCheck.Dot(lin.Forward(x).Data, r.Data);
        Loss();
        store.ZeroGrad();
        var dx = lin.Backward(r).Data.ToArray();
        var grads = store.Grads.ToArray();
        foreach (var p in store.Parameters)
            GradCheck.Check(p.Name, Loss, store.Values, p.Offset, p.Length, grads.AsSpan(p.Offset, p.Length));
        GradCheck.Check("dx", Loss, x.Data, 0, x.Length, dx);
    }

    [Fact]
    public void EmbeddingGradientsAccumulateRepeatedIds()
    {
        var store = new ParameterStore();
        var emb = new Embedding(store, "emb", 6, 3);
        emb.Reset(new Rng(2));
        int[] ids = [1, 4, 1, 0, 5, 1];
        var r = Tensor.Randn(new Rng(3), 1f, 2, 3, 3);
        double Loss() => GradCheck.Dot(emb.Forward(ids, 2, 3).Data, r.Data);
        Loss();
        store.ZeroGrad();
        emb.Backward(r);
        GradCheck.Check("emb.weight", Loss, store.Values, 0, store.Count, store.Grads.ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => emb.Forward([0, 6]));
    }

    [Fact]
    public void LayerNormGradientsAndStatistics()
    {
        var store = new ParameterStore();
        var ln = new LayerNorm(store, "ln", 7);
        var rng = new Rng(4);
        rng.FillUniform(ln.Weight.Value, 0.5f, 1.5f);
        rng.FillUniform(ln.Bias.Value, -0.5f, 0.5f);
        var x = Tensor.Randn(rng, 2f, 5, 7);
        var r = Tensor.Randn(rng, 1f, 5, 7);
        var y = new float[35];
        double Loss() { ln.Forward(x.Data, 5, y); return GradCheck.Dot(y, r.Data); }
        Loss();
        store.ZeroGrad();
        var dx = new float[35];
        ln.Backward(r.Data, 5, dx);
        var grads = store.Grads.ToArray();
        foreach (var p in store.Parameters)
            GradCheck.Check(p.Name, Loss, store.Values, p.Offset, p.Length, grads.AsSpan(p.Offset, p.Length));
        GradCheck.Check("dx", Loss, x.Data, 0, x.Length, dx);

        // With unit weight and zero bias every row has mean 0 and variance ~1.
        ln.Reset();
        ln.Forward(x.Data, 5, y);
        for (int row = 0; row < 5; row++)
        {
            var s = y.AsSpan(row * 7, 7);
            double mean = 0, var = 0;
            foreach (float v in s) mean += v;
            mean /= 7;
            foreach (float v in s) var += (v - mean) * (v - mean);
            Assert.InRange(mean, -1e-5, 1e-5);
            Assert.InRange(var / 7, 0.99, 1.0);
        }
    }

    [Fact]
    public void InvertedDropoutKeepsTheExpectationAndIsIdentityAtTest()
    {
        var drop = new Dropout(0.3f);
        var x = new float[20000]; Array.Fill(x, 1f);
        var y = new float[x.Length];
        drop.Forward(x, y, training: true, new Rng(5));
        int zeros = y.Count(v => v == 0f);
        Assert.InRange(zeros / (double)x.Length, 0.28, 0.32);
        Assert.InRange(y.Average(), 0.97, 1.03);
        Assert.All(y, v => Assert.True(v == 0f || Math.Abs(v - 1f / 0.7f) < 1e-6));
        var dy = new float[x.Length]; Array.Fill(dy, 2f);
        var dx = new float[x.Length];
        drop.Backward(dy, dx);
        for (int i = 0; i < x.Length; i++) Assert.Equal(2f * y[i], dx[i]);
        drop.Forward(x, y, training: false, null);
        Assert.All(y, v => Assert.Equal(1f, v));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Dropout(1f));
    }
}
