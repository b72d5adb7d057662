using Recur.Models.Glimpse;
using Xunit;
using Xunit.Abstractions;

namespace Recur.Tests.Models.Glimpse;

/// <summary>
/// The REINFORCE estimator the location policy is trained by (<see cref="GlimpseLosses"/>), on a problem whose answer is
/// known: a 1-D Gaussian policy <c>l ~ N(μ, σ²)</c>, <c>μ = 0.1</c>, <c>σ = 0.5</c>, and the step reward
/// <c>f(l) = [l > 0.3]</c>. Then <c>E[f] = 1 - Φ((0.3 - μ)/σ)</c> and <c>d/dμ E[f] = φ((0.3 - μ)/σ) / σ</c>
/// (= φ(0.4) / 0.5 ≈ 0.7365). The mean of <c>(f(l) - b)(l - μ)/σ²</c> over 200,000 seeded draws must lie within 4 standard
/// errors of it, with and without a baseline, and the baseline must lower the variance.
/// </summary>
public sealed class ReinforceEstimatorTests(ITestOutputHelper output)
{
    private const double Mu = 0.1, Sigma = 0.5, Threshold = 0.3;
    private const int Draws = 200_000;

    private static double Pdf(double z) => Math.Exp(-0.5 * z * z) / Math.Sqrt(2 * Math.PI);

    private static double Exact => Pdf((Threshold - Mu) / Sigma) / Sigma;

    private static double Reward(double l) => l > Threshold ? 1 : 0;

    /// <summary><c>E[f] = ∫_{0.3}^{∞} N(l; μ, σ²) dl</c> by Simpson's rule over <c>[0.3, μ + 12σ]</c>.</summary>
    private static double ExpectedReward(double mu)
    {
        const int n = 20_000;
        double a = Threshold, b = mu + 12 * Sigma, h = (b - a) / n, s = 0;
        for (int i = 0; i <= n; i++)
        {
            double w = i == 0 || i == n ? 1 : i % 2 == 1 ? 4 : 2;
            s += w * Pdf((a + i * h - mu) / Sigma) / Sigma;
        }
        return s * h / 3;
    }

    /// <summary>Mean and standard error of the per-draw estimates <paramref name="estimate"/>(l) over seeded draws.</summary>
    private static (double Mean, double StdErr, double Variance) Average(Func<double, double> estimate, ulong seed = 11)
    {
        var rng = new Rng(seed);
        double sum = 0, sumSq = 0;
        for (int i = 0; i < Draws; i++)
        {
            double l = Mu + Sigma * rng.NextGaussian();
            double e = estimate(l);
            sum += e;
            sumSq += e * e;
        }
        double mean = sum / Draws, variance = (sumSq - Draws * mean * mean) / (Draws - 1);
        return (mean, Math.Sqrt(variance / Draws), variance);
    }

    [Fact]
    public void TheClosedFormIsTheFiniteDifferenceOfTheExpectedReward()
    {
        const double h = 1e-3;
        double fd = (ExpectedReward(Mu + h) - ExpectedReward(Mu - h)) / (2 * h);
        Assert.Equal(Exact, fd, 6);
        Assert.Equal(0.736540, Exact, 5);
    }

    [Fact]
    public void TheEstimatorIsUnbiasedAndABaselineLowersItsVarianceWithoutMovingItsMean()
    {
        double b = ExpectedReward(Mu);
        var plain = Average(l => GlimpseLosses.Estimate(Reward(l), 0, l, Mu, Sigma));
        var based = Average(l => GlimpseLosses.Estimate(Reward(l), b, l, Mu, Sigma));
        output.WriteLine($"exact {Exact:F5}; no baseline {plain.Mean:F5} ± {plain.StdErr:F5} (variance {plain.Variance:F4}); "
            + $"baseline b = E[f] = {b:F4}: {based.Mean:F5} ± {based.StdErr:F5} (variance {based.Variance:F4})");
        Assert.InRange(plain.Mean, Exact - 4 * plain.StdErr, Exact + 4 * plain.StdErr);
        Assert.InRange(based.Mean, Exact - 4 * based.StdErr, Exact + 4 * based.StdErr);
        Assert.True(based.Variance < 0.8 * plain.Variance, $"variance {plain.Variance:F4} -> {based.Variance:F4} with the baseline");
        // The test has power: 4 standard errors are about 2 % of the gradient, and an estimator off by 10 % is rejected.
        Assert.True(4 * plain.StdErr < 0.03 * Exact);
        var wrong = Average(l => 0.9 * GlimpseLosses.Estimate(Reward(l), 0, l, Mu, Sigma));
        Assert.False(Math.Abs(wrong.Mean - Exact) <= 4 * wrong.StdErr);
    }

    /// <summary>The score is the derivative of the log-density: central differences of <c>log N(l; μ, σ²)</c> in <c>μ</c>.</summary>
    [Theory]
    [InlineData(0.3, 0.1, 0.17)]
    [InlineData(-0.8, 0.4, 0.5)]
    public void TheScoreIsTheDerivativeOfTheLogDensity(double l, double mu, double sigma)
    {
        const double h = 1e-5;
        double fd = (GlimpseLosses.LogProb(l, mu + h, sigma) - GlimpseLosses.LogProb(l, mu - h, sigma)) / (2 * h);
        Assert.Equal(fd, GlimpseLosses.Score(l, mu, sigma), 5);
        // log N integrates the standard normal's constant: at l = μ, σ = 1 it is -½ log 2π.
        Assert.Equal(-0.5 * Math.Log(2 * Math.PI), GlimpseLosses.LogProb(0.2, 0.2, 1), 12);
    }

    [Fact]
    public void RewardsAreOneForTheRightArgmax()
    {
        var rewards = new float[3];
        GlimpseLosses.Rewards([0f, 2f, 1f, 5f, 5f, 0f, -1f, -2f, -3f], 3, [1, 1, 0], rewards);
        Assert.Equal([1f, 0f, 1f], rewards); // the tie 5, 5 goes to the first index, as torch.argmax
    }
}
