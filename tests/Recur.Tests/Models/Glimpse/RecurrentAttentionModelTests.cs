using Recur.Models.Glimpse;
using Recur.Tests.TestUtil;
using Xunit;

namespace Recur.Tests.Models.Glimpse;

/// <summary>
/// The recurrent attention model's backward against central differences on every parameter (the sampled locations, rewards
/// and advantages held fixed), batching, inference, names and refusals.
/// </summary>
public sealed class RecurrentAttentionModelTests
{
    private static GlimpseConfig Small(bool intoCore = false) => new()
    {
        Width = 10, Height = 12, Steps = 3, Scales = 2, Patch = 3, GlimpseHidden = 5, LocationHidden = 4, GlimpseOut = 7, CoreHidden = 6,
        Classes = 4, ReinforceIntoCore = intoCore,
    };

    private static (RecurrentAttentionModel Model, Tensor Images, Tensor First, Tensor Eps, int[] Labels) Random(bool intoCore, int batch = 3,
        ulong seed = 5)
    {
        var rng = new Rng(seed);
        var m = new RecurrentAttentionModel(Small(intoCore));
        m.Reset(rng);
        // Three times PyTorch's initial scale: gradients well above float32's rounding in the loss, while the step of the
        // central differences (3e-3) still rarely carries a ReLU across its kink.
        for (int i = 0; i < m.Store.Count; i++) m.Store.Values[i] *= 3f;
        var x = new Tensor(batch, 12, 10);
        rng.FillUniform(x.Data, 0f, 1f);
        var labels = Enumerable.Range(0, batch).Select(_ => rng.NextInt(4)).ToArray();
        return (m, x, RecurrentAttentionModel.RandomLocations(rng, batch), m.Noise(rng, batch), labels);
    }

    /// <summary>
    /// Rewards and advantages from a forward, then the loss terms as smooth functions of the weights: the same draws replayed,
    /// the rewards and advantages given (the detached quantities held constant, as autograd's <c>.detach()</c> does).
    /// </summary>
    private static (RecurrentAttentionModel Model, float[] Grads, Func<GlimpseLoss> Loss) Setup(bool intoCore)
    {
        var (m, x, first, eps, labels) = Random(intoCore);
        m.Store.ZeroGrad();
        m.Forward(x, first, eps);
        var trace = m.Trace();
        var rewards = labels.Select((y, b) => trace.Classes[b] == y ? 1f : 0f).ToArray();
        var baselines = m.Baselines();
        var advantages = new float[baselines.Length];
        for (int i = 0; i < advantages.Length; i++) advantages[i] = rewards[i % 3] - baselines.Data[i];
        var draws = m.Draws();
        double total = m.Loss(labels).Total;
        m.Backward();
        Assert.Equal(total, m.Loss(labels, rewards, advantages).Total, 12);
        return (m, (float[])m.Store.Grads.Clone(), () =>
        {
            m.Replay(x, first, draws);
            return m.Loss(labels, rewards, advantages);
        });
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void GradientsMatchCentralDifferences(bool intoCore)
    {
        var (m, grads, loss) = Setup(intoCore);
        foreach (var p in m.Store.Parameters)
        {
            // The heads read h_t detached (the locator only when REINFORCE stays out of the core): the parameters below h_t
            // see the cross-entropy and, routed into the core, the REINFORCE term; the heads' own see the whole loss.
            bool head = p.Name.StartsWith("locator.", StringComparison.Ordinal) || p.Name.StartsWith("baseline.", StringComparison.Ordinal);
            Func<double> f = head ? () => loss().Total
                : intoCore ? () => { var l = loss(); return l.Classification + l.Reinforce; }
                : () => loss().Classification;
            Assert.True(grads.AsSpan(p.Offset, p.Length).ContainsAnyExcept(0f), $"{p.Name} has no gradient");
            GradCheck.Check(p.Name, f, m.Store.Values, p.Offset, p.Length, grads.AsSpan(p.Offset, p.Length), samples: 12, h: 3e-3f,
                atol: 4e-6);
        }
    }

    /// <summary>The check is sensitive: a 1 % error in one tensor's gradient (the first, the locator's, the last) fails it.</summary>
    [Theory]
    [InlineData(false, 0)]   // glimpse.fc_g.weight
    [InlineData(false, 11)]  // locator.weight
    [InlineData(true, 16)]   // classifier.bias
    public void OnePercentOffOneGradientFailsTheCheck(bool intoCore, int call)
        => GradCheck.AssertOnePercentOffFails(() => GradientsMatchCentralDifferences(intoCore), call);

    [Fact]
    public void BackwardAccumulates()
    {
        var (m, x, first, eps, labels) = Random(false);
        m.Store.ZeroGrad();
        m.Forward(x, first, eps);
        m.Loss(labels);
        m.Backward();
        var once = (float[])m.Store.Grads.Clone();
        m.Forward(x, first, eps);
        m.Loss(labels);
        m.Backward();
        for (int i = 0; i < once.Length; i++) Assert.Equal(2.0 * once[i], m.Store.Grads[i], 1e-6 * (1 + Math.Abs(once[i])));
    }

    /// <summary>Each image's path and scores are its own: a batch gives what the images give one at a time.</summary>
    [Fact]
    public void ImagesInABatchAreIndependent()
    {
        var (m, x, first, eps, _) = Random(false);
        var all = m.Infer(x, first, null);
        var noise = m.Forward(x, first, eps);
        var drawn = m.Trace();
        for (int b = 0; b < 3; b++)
        {
            var xb = new Tensor(x.Data.AsSpan(b * 120, 120).ToArray(), 1, 12, 10);
            var fb = new Tensor(first.Data.AsSpan(b * 2, 2).ToArray(), 1, 2);
            var eb = new Tensor(2, 1, 2);
            for (int t = 0; t < 2; t++) eps.Data.AsSpan((t * 3 + b) * 2, 2).CopyTo(eb.Data.AsSpan(t * 2, 2));
            var one = m.Forward(xb, fb, eb);
            var path = m.Trace().Locations;
            for (int k = 0; k < 4; k++) Assert.Equal(noise.Data[b * 4 + k], one.Data[k], 5);
            for (int t = 0; t < 3; t++)
                for (int j = 0; j < 2; j++) Assert.Equal(drawn.Locations.Data[(t * 3 + b) * 2 + j], path.Data[t * 2 + j], 6);
            Assert.Equal(all.Classes[b], m.Infer(xb, fb).Classes[0]);
        }
    }

    [Fact]
    public void InferenceIsDeterministicByTheSeedStaysInBoundsAndHasTheRightShapes()
    {
        var (m, x, first, _, _) = Random(false, batch: 5);
        var a = m.Infer(x, first, new Rng(3));
        var b = m.Infer(x, first, new Rng(3));
        var c = m.Infer(x, first, new Rng(4));
        var greedy = m.Infer(x, first);
        Assert.Equal([3, 5, 2], a.Locations.Shape);
        Assert.Equal([3, 5, 2, 3, 3], a.Glimpses.Shape);
        Assert.Equal([5, 4], a.Logits.Shape);
        Assert.Equal(5, a.Classes.Length);
        Assert.Equal(a.Locations.Data, b.Locations.Data);
        Assert.Equal(a.Glimpses.Data, b.Glimpses.Data);
        Assert.Equal(a.Classes, b.Classes);
        Assert.NotEqual(a.Locations.Data, c.Locations.Data);
        Assert.Equal(first.Data, a.Locations.Data.AsSpan(0, 10).ToArray());
        foreach (var trace in new[] { a, c, greedy })
        {
            Assert.All(trace.Locations.Data, v => Assert.InRange(v, -1f, 1f));
            Assert.All(trace.Classes, k => Assert.InRange(k, 0, 3));
            Assert.All(trace.Glimpses.Data, v => Assert.InRange(v, 0f, 1f));
        }
        // Without noise each next location is the policy's mean.
        var mu = m.Means();
        for (int i = 0; i < mu.Length; i++) Assert.Equal(mu.Data[i], greedy.Locations.Data[10 + i]);
        // Large noise pushes draws past the border: the locations are clamped, the draws are not.
        var far = new Tensor(2, 5, 2);
        Array.Fill(far.Data, 40f);
        m.Forward(x, first, far);
        Assert.All(m.Trace().Locations.Data.AsSpan(10).ToArray(), v => Assert.Equal(1f, v));
        Assert.All(m.Draws().Data, v => Assert.True(v > 1f));
    }

    /// <summary>Gradient steps with the draws held fixed lower the differentiable loss.</summary>
    [Fact]
    public void GradientStepsLowerTheLoss()
    {
        var (m, _, run) = Setup(true);
        double Loss() => run().Total;
        double first = Loss(), last = first;
        for (int step = 0; step < 30; step++)
        {
            m.Store.ZeroGrad();
            last = Loss();
            m.Backward();
            for (int i = 0; i < m.Store.Count; i++) m.Store.Values[i] -= 0.02f * m.Store.Grads[i];
        }
        Assert.True(last < 0.8 * first, $"loss {first:F3} -> {last:F3} after 30 steps");
    }

    [Fact]
    public void ParametersHavePyTorchStyleNamesAndTheCountIsTheConfigs()
    {
        var m = new RecurrentAttentionModel(Small());
        Assert.Equal(["glimpse.fc_g.weight", "glimpse.fc_g.bias", "glimpse.fc_l.weight", "glimpse.fc_l.bias", "glimpse.fc_hg.weight",
            "glimpse.fc_hg.bias", "glimpse.fc_hl.weight", "core.weight_ih", "core.weight_hh", "core.bias_ih", "core.bias_hh", "locator.weight",
            "locator.bias", "baseline.weight", "baseline.bias", "classifier.weight", "classifier.bias"], m.Store.Parameters.Select(p => p.Name));
        Assert.Equal([5, 18], m.Store["glimpse.fc_g.weight"].Shape);
        Assert.Equal([24, 7], m.Store["core.weight_ih"].Shape);
        Assert.Equal(m.Config.ParameterCount(), m.Store.Count);
        var paper = new GlimpseConfig();
        Assert.Equal((128, 128, 256, 256, 0.17f), (paper.GlimpseHidden, paper.LocationHidden, paper.GlimpseOut, paper.CoreHidden, paper.Sigma));
        Assert.Equal(paper.ParameterCount(), new RecurrentAttentionModel(paper).Store.Count);
    }

    [Fact]
    public void BadInputsAreRefusedWithWhatWasSeen()
    {
        var ex = Assert.Throws<ArgumentException>(() => new RecurrentAttentionModel(Small() with { Scales = 0 }));
        Assert.Contains("scales", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new RecurrentAttentionModel(Small() with { Sigma = 0f }));
        var (m, x, first, eps, labels) = Random(false);
        Assert.Throws<InvalidOperationException>(() => m.Loss(labels));
        Assert.Throws<InvalidOperationException>(m.Backward);
        var bad = Assert.Throws<ArgumentException>(() => m.Forward(new Tensor(3, 10, 12), first, eps));
        Assert.Contains("(B, 12, 10)", bad.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => m.Forward(x, first, new Tensor(3, 3, 2)));
        var outside = first.Clone();
        outside.Data[1] = 1.5f;
        Assert.Contains("1.5", Assert.Throws<ArgumentException>(() => m.Forward(x, outside, eps)).Message, StringComparison.Ordinal);
        m.Forward(x, first, eps);
        Assert.Throws<InvalidOperationException>(m.Backward);
        Assert.Throws<ArgumentException>(() => m.Loss([0, 1, 4]));
        Assert.Throws<ArgumentException>(() => m.Loss([0, 1]));
    }

    /// <summary>One glimpse: no location is drawn, the policy and baseline terms are zero, the classifier still learns.</summary>
    [Fact]
    public void OneGlimpseHasNoPolicyTerms()
    {
        var m = new RecurrentAttentionModel(Small() with { Steps = 1 });
        m.Reset(new Rng(1));
        var x = new Tensor(2, 12, 10);
        m.Forward(x, new Tensor(2, 2), m.Noise(new Rng(2), 2));
        var loss = m.Loss([1, 2]);
        Assert.Equal((0.0, 0.0), (loss.Baseline, loss.Reinforce));
        m.Store.ZeroGrad();
        m.Backward();
        Assert.True(m.Store["classifier.bias"].Grad.ContainsAnyExcept(0f));
        Assert.False(m.Store["locator.weight"].Grad.ContainsAnyExcept(0f));
    }
}
