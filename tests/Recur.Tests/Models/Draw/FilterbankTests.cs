using Recur.Models.Draw;
using Recur.Tests.TestUtil;
using Xunit;

namespace Recur.Tests.Models.Draw;

/// <summary>DRAW's Gaussian filterbank and attention window against hand-worked values, and its backward against central differences.</summary>
public sealed class FilterbankTests
{
    /// <summary>
    /// A = 3 pixels, N = 1 filter at g = 2 (the stride does not move a single filter: μ = g + (1 - 1/2 - 1/2) δ = 2),
    /// σ² = 1. Pixels a = 1, 2, 3 are 1, 0, 1 from μ, so e = (exp(-1/2), 1, exp(-1/2)) = (0.60653066, 1, 0.60653066),
    /// Z = 2.21306133 (+1e-8) and F = e / Z = (0.27406862, 0.45186276, 0.27406862).
    /// </summary>
    [Fact]
    public void OneFilterOverThreePixels()
    {
        var f = new float[3];
        Filterbank.Forward(center: 2f, stride: 7f, variance: 1f, n: 1, size: 3, f);
        Assert.Equal(0.27406862f, f[0], 6);
        Assert.Equal(0.45186276f, f[1], 6);
        Assert.Equal(0.27406862f, f[2], 6);
    }

    /// <summary>
    /// A = 4, N = 2, g = 2.5, δ = 2, σ² = 1/2: the paper's μ^i = g + (i - N/2 - 0.5) δ puts the filters at 1.5 and 3.5
    /// (i = 1, 2), symmetric about g. Row 1: distances -0.5, 0.5, 1.5, 2.5, e = exp(-d²) = (0.77880078, 0.77880078,
    /// 0.10539922, 0.00193045), Z = 1.66493125, F = (0.46776753, 0.46776753, 0.06330545, 0.00115948); row 2 is row 1 reversed.
    /// A 0-based i (a common slip) would put them at 0.5 and 2.5 and fail.
    /// </summary>
    [Fact]
    public void TwoFiltersAreSymmetricAboutTheCentre()
    {
        var f = new float[8];
        Filterbank.Forward(center: 2.5f, stride: 2f, variance: 0.5f, n: 2, size: 4, f);
        float[] row = [0.46776753f, 0.46776753f, 0.06330545f, 0.00115948f];
        for (int a = 0; a < 4; a++)
        {
            Assert.Equal(row[a], f[a], 6);
            Assert.Equal(row[a], f[4 + 3 - a], 6);
        }
    }

    [Fact]
    public void AWindowFarOffTheImageGivesZerosNotNaN()
    {
        var f = new float[6];
        Filterbank.Forward(center: 500f, stride: 1f, variance: 0.1f, n: 2, size: 3, f);
        Assert.All(f, v => Assert.Equal(0f, v));
    }

    /// <summary>
    /// All-zero raw numbers on a 6-wide, 5-high image with N = 2: g_X = (6+1)/2 = 3.5 and g_Y = (5+1)/2 = 3 (the centres
    /// in 1-based pixel coordinates), σ² = 1, δ = (max(6, 5) - 1)/(2 - 1) = 5, γ = 1; log δ̃ = ln 2 doubles δ, g̃_X = -1 is the left edge.
    /// </summary>
    [Fact]
    public void WindowFromRawNumbers()
    {
        var w = AttentionWindow.FromRaw([0f, 0f, 0f, 0f, 0f], width: 6, height: 5, n: 2);
        Assert.Equal(new AttentionWindow(3.5f, 3f, 1f, 5f, 1f), w);
        var v = AttentionWindow.FromRaw([-1f, 1f, MathF.Log(4f), MathF.Log(2f), MathF.Log(3f)], width: 6, height: 5, n: 3);
        Assert.Equal(0f, v.CenterX);
        Assert.Equal(6f, v.CenterY);
        Assert.Equal(4f, v.Variance, 5);
        Assert.Equal(5f, v.Stride, 5); // (6 - 1)/(3 - 1) * 2
        Assert.Equal(3f, v.Intensity, 5);
    }

    /// <summary>The filterbank's backward (centre, stride, variance) against central differences of <c>Σ F ⊙ W</c> for a fixed <c>W</c>.</summary>
    [Theory]
    [InlineData(1, 3)]
    [InlineData(3, 6)]
    [InlineData(5, 5)]
    public void BackwardMatchesCentralDifferences(int n, int size)
    {
        var rng = new Rng(11);
        var weights = Tensor.Randn(rng, 1f, n * size).Data;
        var f = new float[n * size];
        var p = new float[] { 2.7f, 1.3f, 1.7f }; // centre, stride, variance
        double Loss()
        {
            Filterbank.Forward(p[0], p[1], p[2], n, size, f);
            return GradCheck.Dot(f, weights);
        }
        Loss();
        var (dc, ds, dv) = Filterbank.Backward(f, weights, p[0], p[1], p[2], n, size);
        float[] analytic = [dc, ds, dv];
        if (n == 1) Assert.Equal(0f, ds);
        GradCheck.Check("filterbank", Loss, p, 0, 3, analytic, h: 1e-2f, atol: 1e-6);
    }
}
