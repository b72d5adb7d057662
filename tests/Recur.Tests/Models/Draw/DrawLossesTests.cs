using Recur.Models.Draw;
using Recur.Tests.TestUtil;
using Xunit;

namespace Recur.Tests.Models.Draw;

/// <summary>DRAW's two loss terms against hand-worked values and their gradients against central differences.</summary>
public sealed class DrawLossesTests
{
    /// <summary>
    /// <c>KL(N(μ, σ²) ‖ N(0, 1)) = ½ (μ² + σ² - 2 log σ - 1)</c>: μ = 1, σ = 2 gives ½ (1 + 4 - 2 ln 2 - 1) = 2 - ln 2 =
    /// 1.30685282; μ = 0, σ = 1 (the prior itself) gives 0; μ = -3, σ = 1 gives 4.5. The sum of the three is 5.80685282.
    /// </summary>
    [Fact]
    public void KlMatchesTheClosedForm()
    {
        Assert.Equal(1.30685282, DrawLosses.Kl([1f], [MathF.Log(2f)]), 6);
        Assert.Equal(0.0, DrawLosses.Kl([0f], [0f]), 12);
        Assert.Equal(4.5, DrawLosses.Kl([-3f], [0f]), 6);
        Assert.Equal(5.80685282, DrawLosses.Kl([1f, 0f, -3f], [MathF.Log(2f), 0f, 0f]), 6);
    }

    /// <summary>
    /// Binary cross-entropy with logits: c = 0 gives ln 2 = 0.69314718 whatever x; c = 2, x = 0 gives
    /// -log(1 - σ(2)) = 2 + log(1 + e^-2) = 2.12692801; far logits stay finite (c = 100, x = 1: about 0; c = -100, x = 1: 100).
    /// </summary>
    [Fact]
    public void BernoulliNllMatchesHandValues()
    {
        Assert.Equal(0.69314718, DrawLosses.BernoulliNll([0f], [1f]), 7);
        Assert.Equal(0.69314718, DrawLosses.BernoulliNll([0f], [0f]), 7);
        Assert.Equal(2.12692801, DrawLosses.BernoulliNll([2f], [0f]), 6);
        Assert.Equal(0.0, DrawLosses.BernoulliNll([100f], [1f]), 12);
        Assert.Equal(100.0, DrawLosses.BernoulliNll([-100f], [1f]), 6);
        Assert.Equal(0f, DrawLosses.Sigmoid(-200f));
        Assert.Equal(1f, DrawLosses.Sigmoid(200f));
    }

    [Fact]
    public void GradientsMatchCentralDifferences()
    {
        var rng = new Rng(3);
        var c = Tensor.Randn(rng, 2f, 10).Data;
        var x = Enumerable.Range(0, 10).Select(i => (float)(i % 2)).ToArray();
        var d = new float[10];
        DrawLosses.BernoulliNllGradient(c, x, 0.5f, d);
        GradCheck.Check("bce", () => 0.5 * DrawLosses.BernoulliNll(c, x), c, 0, 10, d, h: 1e-2f);
        var mu = Tensor.Randn(rng, 1f, 8).Data;
        var ls = Tensor.Randn(rng, 0.5f, 8).Data;
        var dmu = new float[8];
        var dls = new float[8];
        DrawLosses.KlGradient(mu, ls, 2f, dmu, dls);
        GradCheck.Check("kl mu", () => 2 * DrawLosses.Kl(mu, ls), mu, 0, 8, dmu, h: 1e-2f);
        GradCheck.Check("kl logsigma", () => 2 * DrawLosses.Kl(mu, ls), ls, 0, 8, dls, h: 1e-2f);
    }
}
