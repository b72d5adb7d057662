using Recur.Models.Glimpse;
using Xunit;
using Xunit.Abstractions;

namespace Recur.Tests.Models.Glimpse;

/// <summary>
/// The model's own REINFORCE gradient against the finite-difference gradient of the expected reward, on a case small
/// enough to enumerate: a 6x6 image, two glimpses (one drawn location), and <c>glimpse.fc_l.weight = 0</c>, so the reward
/// depends on the drawn location only through the pixel the sensor centres on. Per axis that pixel is one of 7 cells
/// (<c>⌊(clamp(s) + 1)/2 · 6⌋ = 0..6</c>, the clamped tails included), so
/// <c>E[R] = Σ_{cells} R(cell) P_x(cell_x) P_y(cell_y)</c> with Gaussian interval probabilities around <c>μ_1</c>. Its
/// derivative in <c>locator.bias</c> by central differences is the exact gradient. The model's <c>-∂L/∂ locator.bias</c>
/// after <c>Forward</c>, <c>Loss</c>, <c>Backward</c> (the loss is minimised, so its gradient is minus the estimate; with
/// <c>T - 1 = 1</c> draw the mean over steps is that draw; the advantage subtracts the model's own baseline, constant here)
/// averaged over 20 seeded batches of 5,000 copies of the image must lie within 4 standard errors of it, and the gradient
/// must stand more than 8 standard errors away from 0, so that a wrong sign or scale fails. Measured: exact (0.1206,
/// -0.3058), REINFORCE (0.1240 ± 0.0047, -0.3105 ± 0.0037).
/// </summary>
public sealed class PolicyGradientTests(ITestOutputHelper output)
{
    private const int Side = 6;

    private static RecurrentAttentionModel Model()
    {
        var m = new RecurrentAttentionModel(new GlimpseConfig
        {
            Width = Side, Height = Side, Steps = 2, Scales = 2, Patch = 2, GlimpseHidden = 8, LocationHidden = 2, GlimpseOut = 8,
            CoreHidden = 6, Classes = 3, Sigma = 0.3f,
        });
        m.Reset(new Rng(21));
        for (int i = 0; i < m.Store.Count; i++) m.Store.Values[i] *= 2f;
        m.Store["glimpse.fc_l.weight"].Value.Clear();
        return m;
    }

    private static Tensor Copies(Tensor one, int n)
    {
        var t = new Tensor([n, .. one.Shape.Skip(1)]);
        for (int b = 0; b < n; b++) one.Data.CopyTo(t.Data, b * one.Length);
        return t;
    }

    private static double Pdf(double z) => Math.Exp(-0.5 * z * z) / Math.Sqrt(2 * Math.PI);

    /// <summary><c>P(a ≤ s &lt; b)</c> for <c>s ~ N(μ, σ²)</c>, by Simpson's rule over the part of <c>[a, b]</c> within 12 σ.</summary>
    private static double Interval(double a, double b, double mu, double sigma)
    {
        a = Math.Max(a, mu - 12 * sigma);
        b = Math.Min(b, mu + 12 * sigma);
        if (b <= a) return 0;
        const int n = 2000;
        double h = (b - a) / n, s = 0;
        for (int i = 0; i <= n; i++) s += (i == 0 || i == n ? 1 : i % 2 == 1 ? 4 : 2) * Pdf((a + i * h - mu) / sigma);
        return s * h / 3 / sigma;
    }

    /// <summary>Cell <c>j</c> of an axis: the draws whose clamped location has centre pixel <c>j</c>.</summary>
    private static (double Lo, double Hi) Cell(int j)
        => (j == 0 ? double.NegativeInfinity : -1 + 2.0 * j / Side, j == Side ? double.PositiveInfinity : -1 + 2.0 * (j + 1) / Side);

    /// <summary>
    /// Every cell's draw (its centre; 1.5 for the clamped upper tail) replayed: the logits <c>(49, K)</c> per cell, row
    /// <c>i * 7 + j</c> for row cell <c>i</c> and column cell <c>j</c>, and each cell's probability under the policy at <c>μ_1</c>.
    /// </summary>
    private static (Tensor Logits, double[] Probability, float[] Mu) Cells(RecurrentAttentionModel m, Tensor image, Tensor first)
    {
        m.Forward(image, first, new Tensor(1, 1, 2));
        var mu = m.Means().Data;
        int cells = Side + 1, n = cells * cells;
        var draws = new Tensor(1, n, 2);
        var p = new double[n];
        double sigma = m.Config.Sigma;
        for (int i = 0; i < cells; i++)
            for (int j = 0; j < cells; j++)
            {
                draws.Data[2 * (i * cells + j)] = j == Side ? 1.5f : (float)(-1 + (2.0 * j + 1) / Side);
                draws.Data[2 * (i * cells + j) + 1] = i == Side ? 1.5f : (float)(-1 + (2.0 * i + 1) / Side);
                var (xl, xh) = Cell(j);
                var (yl, yh) = Cell(i);
                p[i * cells + j] = Interval(xl, xh, mu[0], sigma) * Interval(yl, yh, mu[1], sigma);
            }
        m.Replay(Copies(image, n), Copies(first, n), draws);
        return (m.Trace().Logits, p, mu);
    }

    /// <summary><c>E[R] = Σ_cells P(cell) [argmax logits(cell) = label]</c> for the model's current weights.</summary>
    private static double ExpectedReward(RecurrentAttentionModel m, Tensor image, Tensor first, int label)
    {
        var (logits, p, _) = Cells(m, image, first);
        double e = 0;
        for (int c = 0; c < p.Length; c++)
            if (GlimpseLosses.Argmax(logits.Data.AsSpan(c * 3, 3)) == label) e += p[c];
        return e;
    }

    /// <summary>
    /// Shifts <c>classifier.bias[0]</c> so that class 0 wins in about half of the policy's probability: the reward then
    /// depends on where the glimpse lands (the classifier's bias moves neither <c>h_t</c> nor the policy).
    /// </summary>
    private static void Balance(RecurrentAttentionModel m, Tensor image, Tensor first)
    {
        var (logits, p, _) = Cells(m, image, first);
        var margin = Enumerable.Range(0, p.Length).Select(c => (D: Math.Max(logits[c, 1], logits[c, 2]) - logits[c, 0], P: p[c]))
            .OrderBy(x => x.D).ToArray();
        double mass = 0;
        int k = 0;
        while (mass + margin[k].P < 0.5) mass += margin[k++].P;
        m.Store["classifier.bias"].Value[0] += (margin[k].D + margin[k + 1].D) / 2;
    }

    [Fact]
    public void TheModelsReinforceGradientIsUnbiasedForTheExpectedReward()
    {
        var m = Model();
        var rng = new Rng(5);
        var image = new Tensor(1, Side, Side);
        rng.FillUniform(image.Data, 0f, 1f);
        var first = new Tensor([0.1f, -0.2f], 1, 2);
        Balance(m, image, first);
        const int label = 0;
        var bias = m.Store["locator.bias"];
        var exact = new double[2];
        double expected = ExpectedReward(m, image, first, label);
        var mu = Cells(m, image, first).Mu;
        for (int j = 0; j < 2; j++)
        {
            const float h = 1e-3f;
            float orig = bias.Value[j];
            bias.Value[j] = orig + h;
            double up = ExpectedReward(m, image, first, label);
            bias.Value[j] = orig - h;
            double down = ExpectedReward(m, image, first, label);
            bias.Value[j] = orig;
            exact[j] = (up - down) / (2.0 * h);
        }

        const int batches = 20, n = 5000;
        var images = Copies(image, n);
        var firsts = Copies(first, n);
        var labels = Enumerable.Repeat(label, n).ToArray();
        var estimates = new double[batches, 2];
        for (int k = 0; k < batches; k++)
        {
            m.Store.ZeroGrad();
            m.Forward(images, firsts, m.Noise(rng, n));
            m.Loss(labels);
            m.Backward();
            for (int j = 0; j < 2; j++) estimates[k, j] = -bias.Grad[j];
        }
        for (int j = 0; j < 2; j++)
        {
            double mean = 0, sq = 0;
            for (int k = 0; k < batches; k++) mean += estimates[k, j] / batches;
            for (int k = 0; k < batches; k++) sq += (estimates[k, j] - mean) * (estimates[k, j] - mean);
            double se = Math.Sqrt(sq / (batches - 1) / batches);
            output.WriteLine($"E[R] = {expected:F4} at mu = ({mu[0]:F3}, {mu[1]:F3}); d/db_{j}: exact {exact[j]:F4}, REINFORCE {mean:F4} ± {se:F4}");
            Assert.InRange(mean, exact[j] - 4 * se, exact[j] + 4 * se);
            Assert.True(Math.Abs(exact[j]) > 8 * se, $"the gradient {exact[j]:F4} must stand out of the noise {se:F4} for the test to have power");
        }
    }
}
