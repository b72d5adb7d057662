using Recur.Models.Captioning;
using Recur.Tests.TestUtil;
using Xunit;
using Xunit.Abstractions;

namespace Recur.Tests.Models.Captioning;

/// <summary>
/// Hard attention's own checks (<see cref="HardAttention"/>): the location sampler, central differences of the loss along given
/// locations, and the REINFORCE estimator against the exact gradient of the bound on a problem small enough to enumerate.
/// </summary>
public sealed class HardAttentionTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(0.0, 0)]
    [InlineData(0.19, 0)]
    [InlineData(0.21, 2)]   // location 1 has no weight and is never drawn
    [InlineData(0.69, 2)]
    [InlineData(0.71, 3)]
    [InlineData(0.99, 3)]
    public void TheSamplerPicksTheLocationWhoseCumulativeWeightPassesTheUniform(double u, int location)
        => Assert.Equal(location, HardAttention.Sample([0.2f, 0f, 0.5f, 0.3f], u));

    [Fact]
    public void RoundingBelowTheUniformGivesTheLastLocationWithWeight()
        => Assert.Equal(1, HardAttention.Sample([0.4f, 0.59f, 0f], 0.995));

    private static CaptionerConfig Small(float entropy, float reinforce) => new()
    {
        Kind = "attention", Vocab = CaptionVocabulary.Grammar().Count, Embed = 6, Hidden = 7, GridRows = 2, GridCols = 3, FeatureDim = 5,
        AttentionDim = 4, DoublyStochastic = 0.05f, MaxWords = 12, Attention = "hard", HardEntropy = entropy, ReinforceWeight = reinforce,
        LabelSmoothing = 0.1f,
    };

    /// <summary>
    /// Along given locations and without the REINFORCE term (<c>λ_r = 0</c>), the loss is a function of the weights: the
    /// training step's gradient (the sampled path, the expected captions, the regularisers and the entropy bonus) must be its
    /// central difference, and a 1 % error in one tensor must fail the check.
    /// </summary>
    [Fact]
    public void AlongGivenLocationsTheGradientsMatchCentralDifferences()
    {
        var rng = new Rng(12);
        var m = (AttentionCaptioner)Captioners.Create(Small(entropy: 0.3f, reinforce: 0f));
        m.Reset(rng);
        var v = CaptionVocabulary.Grammar();
        string[] texts = ["a coat", "two shirts and a bag", "a sneaker to the left of a dress"];
        var caps = new int[3 * 14];
        for (int i = 0; i < 3; i++) v.Encode(texts[i], caps.AsSpan(i * 14, 14));
        var f = Tensor.Randn(rng, 1f, 3, 6, 5);
        int T = 9;
        var locations = new int[T * 3];
        for (int i = 0; i < locations.Length; i++) locations[i] = rng.NextInt(6);
        var forced = HardAttentionDraws.Forced([false, true, false], locations);
        m.Baseline = new ReinforceBaseline(-5f, 2);
        m.TrainStep(f, caps, rng, forced);
        Assert.Equal(locations[4 * 3 + 2], m.HardLocation(4, 2));
        Assert.Equal(-1, m.HardLocation(4, 1));
        var grads = (float[])m.Store.Grads.Clone();
        Assert.Contains(grads, g => g != 0f);
        double Loss() => m.Loss(f, caps, forced).Total;
        foreach (var p in m.Store.Parameters)
            GradCheck.Check($"hard {p.Name}", Loss, m.Store.Values, p.Offset, p.Length, grads.AsSpan(p.Offset, p.Length), samples: 12, h: 2e-2f);
    }

    [Fact]
    public void OnePercentOffOneGradientFailsTheCheck()
        => GradCheck.AssertOnePercentOffFails(AlongGivenLocationsTheGradientsMatchCentralDifferences, 3);

    // The enumerable problem: one image of 3 locations, the caption "<START> w <END>" (2 steps, 2 words), 3^2 location sequences.
    private const int Locations = 3, Steps = 2, Words = 2;

    private static AttentionCaptioner Tiny(float reinforce = 1f)
    {
        var m = (AttentionCaptioner)Captioners.Create(new CaptionerConfig
        {
            Kind = "attention", Vocab = 6, Embed = 3, Hidden = 4, GridRows = 1, GridCols = Locations, FeatureDim = 2, AttentionDim = 3,
            DoublyStochastic = 0, MaxWords = 1, Attention = "hard", ReinforceWeight = reinforce, HardEntropy = 0, ExpectedProbability = 0,
        });
        m.Reset(new Rng(31));
        for (int i = 0; i < m.Store.Count; i++) m.Store.Values[i] *= 2.5f;
        return m;
    }

    private static Tensor Image() => Tensor.Randn(new Rng(32), 1.5f, 1, Locations, 2);

    private static int[] Caption(int copies)
    {
        var caps = new int[copies * 3];
        for (int b = 0; b < copies; b++) (caps[b * 3], caps[b * 3 + 1], caps[b * 3 + 2]) = (CaptionVocabulary.Start, 4, CaptionVocabulary.End);
        return caps;
    }

    private static IEnumerable<int[]> Sequences()
    {
        for (int s0 = 0; s0 < Locations; s0++)
            for (int s1 = 0; s1 < Locations; s1++) yield return [s0, s1];
    }

    /// <summary>The bound <c>J = Σ_s p(s | a) log p(y | s, a)</c>, enumerated through the model's forward along each <c>s</c>.</summary>
    private static double Bound(AttentionCaptioner m, Tensor image, int[] caption)
    {
        double j = 0;
        foreach (var s in Sequences())
        {
            var loss = m.Loss(image, caption, HardAttentionDraws.Forced([false], s));
            double p = 1;
            for (int t = 0; t < Steps; t++) p *= m.AttentionWeights(t)[s[t]];
            j += p * -loss.CrossEntropy * Words;
        }
        return j;
    }

    /// <summary>What the loss's gradient must be in expectation: <c>-∇J / W</c>, by central differences of the enumerated bound.</summary>
    private static double[] Exact(AttentionCaptioner m, Tensor image, int[] caption)
    {
        const float h = 1e-2f;
        var w = m.Store.Values;
        var g = new double[w.Length];
        for (int i = 0; i < w.Length; i++)
        {
            float keep = w[i];
            w[i] = keep + h;
            double plus = Bound(m, image, caption);
            w[i] = keep - h;
            double minus = Bound(m, image, caption);
            w[i] = keep;
            g[i] = -(plus - minus) / (2 * h) / Words;
        }
        return g;
    }

    /// <summary>
    /// The estimator's expectation, <c>Σ_s p(s | a) g(s)</c> with each <c>g(s)</c> the training step's gradient along <c>s</c>
    /// (a baseline far from the rewards, which must not move it), is the exact gradient, for every weight: REINFORCE's
    /// term is the only gradient the attention's weights get here, so a wrong score or sign fails.
    /// </summary>
    [Fact]
    public void TheEstimatorsExpectationIsTheGradientOfTheBound()
    {
        var m = Tiny();
        var image = Image();
        var caption = Caption(1);
        var exact = Exact(m, image, caption);
        var expectation = new double[exact.Length];
        foreach (var s in Sequences())
        {
            m.Baseline = new ReinforceBaseline(-7f, 1);
            m.TrainStep(image, caption, new Rng(1), HardAttentionDraws.Forced([false], s));
            double p = 1;
            for (int t = 0; t < Steps; t++) p *= m.AttentionWeights(t)[s[t]];
            for (int i = 0; i < exact.Length; i++) expectation[i] += p * m.Store.Grads[i];
        }
        double scale = Math.Sqrt(exact.Sum(x => x * x));
        foreach (var prm in m.Store.Parameters)
            for (int i = prm.Offset; i < prm.Offset + prm.Length; i++)
                Assert.True(Math.Abs(expectation[i] - exact[i]) <= 2e-3 * scale + 1e-2 * Math.Abs(exact[i]),
                    $"{prm.Name}[{i - prm.Offset}]: expectation {expectation[i]:G5}, exact {exact[i]:G5}");
        Assert.True(m.Store.Parameters.Where(p => p.Name.StartsWith("att.", StringComparison.Ordinal))
            .Any(p => Enumerable.Range(p.Offset, p.Length).Any(i => Math.Abs(exact[i]) > 0.05 * scale)), "the attention's weights matter");
    }

    /// <summary>
    /// The statistical test: the mean of the training step's gradient over 24 seeded batches of 3,000 copies of the image (each
    /// copy one single-sample estimate, its locations drawn from the run's stream) lies within 4 standard errors (across
    /// batches) of the exact gradient for every weight of the attention and of the head, with the moving-average baseline
    /// near the mean reward and with it at 0; the baseline lowers the variance; the test has power: the strongest attention
    /// weight's gradient stands more than 40 standard errors from 0, so an estimator 10 % off (λ_r = 0.9) is rejected.
    /// </summary>
    [Fact]
    public void TheMeanOfSampledEstimatesIsTheExactGradientWithinItsStandardError()
    {
        var probe = Tiny();
        var image1 = Image();
        var exact = Exact(probe, image1, Caption(1));
        double meanReward = Bound(probe, image1, Caption(1));
        const int copies = 3000, batches = 24;
        var image = new Tensor(copies, Locations, 2);
        for (int b = 0; b < copies; b++) image1.Data.CopyTo(image.Data, b * image1.Length);
        var caption = Caption(copies);
        static bool IsAttention(string name) => name.StartsWith("att.", StringComparison.Ordinal);
        var watched = probe.Store.Parameters.Where(p => IsAttention(p.Name) || p.Name.StartsWith("head.", StringComparison.Ordinal))
            .SelectMany(p => Enumerable.Range(p.Offset, p.Length).Select(i => (Name: $"{p.Name}[{i - p.Offset}]", Index: i, Attention: IsAttention(p.Name))))
            .ToArray();

        (double[] Mean, double[] StdErr) Run(float reinforce, float baseline, ulong seed)
        {
            var m = Tiny(reinforce);
            var rng = new Rng(seed);
            var sum = new double[watched.Length];
            var sumSq = new double[watched.Length];
            for (int k = 0; k < batches; k++)
            {
                m.Baseline = new ReinforceBaseline(baseline, 1);
                m.TrainStep(image, caption, rng);
                for (int j = 0; j < watched.Length; j++)
                {
                    double g = m.Store.Grads[watched[j].Index];
                    sum[j] += g;
                    sumSq[j] += g * g;
                }
            }
            var mean = sum.Select(s => s / batches).ToArray();
            var se = sum.Select((s, j) => Math.Sqrt(Math.Max(0, (sumSq[j] - batches * mean[j] * mean[j]) / (batches - 1)) / batches)).ToArray();
            return (mean, se);
        }

        var based = Run(1f, (float)meanReward, 41);
        var plain = Run(1f, 0f, 42);
        for (int j = 0; j < watched.Length; j++)
        {
            double e = exact[watched[j].Index];
            if (watched[j].Attention) output.WriteLine($"{watched[j].Name}: exact {e:F5}; baseline {based.Mean[j]:F5} ± {based.StdErr[j]:F5}; "
                + $"none {plain.Mean[j]:F5} ± {plain.StdErr[j]:F5}");
            // 4 standard errors, and a floor for the finite differences' own error
            Assert.InRange(based.Mean[j], e - 4 * based.StdErr[j] - 2e-4, e + 4 * based.StdErr[j] + 2e-4);
            Assert.InRange(plain.Mean[j], e - 4 * plain.StdErr[j] - 2e-4, e + 4 * plain.StdErr[j] + 2e-4);
        }
        var attention = Enumerable.Range(0, watched.Length).Where(j => watched[j].Attention).ToArray();
        Assert.True(attention.Sum(j => based.StdErr[j] * based.StdErr[j]) < 0.8 * attention.Sum(j => plain.StdErr[j] * plain.StdErr[j]),
            "the baseline lowers the attention gradients' variance");
        int strongest = attention.MaxBy(j => Math.Abs(exact[watched[j].Index]));
        double z = Math.Abs(exact[watched[strongest].Index]) / based.StdErr[strongest];
        Assert.True(z > 40, $"power: the strongest attention gradient is {z:F1} standard errors from 0");
        var wrong = Run(0.9f, (float)meanReward, 41);
        output.WriteLine($"strongest {watched[strongest].Name}: exact {exact[watched[strongest].Index]:F5}, "
            + $"λ_r = 0.9: {wrong.Mean[strongest]:F5} ± {wrong.StdErr[strongest]:F5}");
        Assert.False(Math.Abs(wrong.Mean[strongest] - exact[watched[strongest].Index]) <= 4 * wrong.StdErr[strongest] + 2e-4,
            "an estimator 10 % off is rejected");
    }
}
