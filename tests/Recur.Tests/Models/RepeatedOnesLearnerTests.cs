using Recur.Demos;
using Recur.Models;
using Xunit;

namespace Recur.Tests.Models;

public sealed class RepeatedOnesLearnerTests
{
    [Theory]
    [InlineData(1UL)]
    [InlineData(4UL)]
    public void LearnsTheTaskOnFreshSequences(ulong seed)
    {
        var learner = new RepeatedOnesLearner(new RepeatedOnesLearnOptions { Seed = seed });
        var learned = learner.Learn();
        Assert.Equal(3, learned.WeightXh.Length);
        Assert.Equal(9, learned.WeightHh.Length);
        Assert.Equal(3, learned.WeightHy.Length);
        var (hand, mine) = learner.Evaluate(learned);
        Assert.Equal(1.0, hand);
        Assert.True(mine >= 0.99, $"learned accuracy {mine}");
        Assert.True(learned.Attempts[learned.Kept].ValidationAccuracy >= 0.99);
    }

    [Fact]
    public void UntrainedWeightsDoNotSolveIt()
    {
        // one Adam step per attempt: the accuracy check above is not a given
        var learner = new RepeatedOnesLearner(new RepeatedOnesLearnOptions { Iterations = 1, MaxAttempts = 3 });
        var learned = learner.Learn();
        Assert.Equal(3, learned.Attempts.Count);
        Assert.All(learned.Attempts, a => Assert.True(a.ValidationAccuracy < 0.99));
        Assert.Equal(learned.Attempts.Max(a => a.ValidationAccuracy), learned.Attempts[learned.Kept].ValidationAccuracy);
        Assert.True(learner.Evaluate(learned).Learned < 0.99);
    }

    [Fact]
    public void SameSeedSameWeights()
    {
        var o = new RepeatedOnesLearnOptions { Iterations = 50, MaxAttempts = 2 };
        var a = new RepeatedOnesLearner(o).Learn();
        var b = new RepeatedOnesLearner(o).Learn();
        Assert.Equal(a.WeightXh, b.WeightXh);
        Assert.Equal(a.WeightHh, b.WeightHh);
        Assert.Equal(a.WeightHy, b.WeightHy);
        Assert.NotEqual(a.WeightHh, new RepeatedOnesLearner(o with { Seed = 2 }).Learn().WeightHh);
    }

    [Fact]
    public void LossGradientMatchesCentralDifferences()
    {
        float[] z = [-0.7f, 0.3f, 1.4f, -0.2f, 0.9f, 2.1f];
        float[] y = [1f, 1f, 1f, 0f, 0f, 0f];
        var dz = new float[z.Length];
        double loss = RepeatedOnesLearner.LossAndGradient(z, y, dz);
        // (-1.7^2 + -0.7^2 + 0.4^2 + 0 + 0.9^2 + 2.1^2) / 6
        Assert.Equal((2.89 + 0.49 + 0.16 + 0.81 + 4.41) / 6, loss, 5);
        var scratch = new float[z.Length];
        for (int i = 0; i < z.Length; i++)
        {
            const float h = 1e-2f;
            var zp = (float[])z.Clone(); zp[i] += h;
            var zm = (float[])z.Clone(); zm[i] -= h;
            double numeric = (RepeatedOnesLearner.LossAndGradient(zp, y, scratch) - RepeatedOnesLearner.LossAndGradient(zm, y, scratch)) / (2 * h);
            Assert.Equal(numeric, dz[i], 3);
        }
    }

    [Fact]
    public void TargetAndAccuracyFollowTheSlide()
    {
        int[] x = [1, 1, 0, 1, 1, 1];
        Assert.Equal([0, 1, 0, 0, 1, 1], Enumerable.Range(0, x.Length).Select(t => RepeatedOnesLearner.Target(x, t)));
        Assert.Equal(1.0, RepeatedOnesLearner.Accuracy(new RepeatedOnes(), [x]));
        // a network that always outputs 0 is right only where the target is 0
        var zero = new RepeatedOnes([0f, 0f, 0f], new float[9], [0f, 0f, 0f]);
        Assert.Equal(3.0 / 6, RepeatedOnesLearner.Accuracy(zero, [x]));
    }

    [Theory]
    [InlineData(0, 0.03, 16, 32, 10, "iterations")]
    [InlineData(10, 0.0, 16, 32, 10, "learning rate")]
    [InlineData(10, double.NaN, 16, 32, 10, "learning rate")]
    [InlineData(10, 0.03, 1, 32, 10, "seq-length")]
    [InlineData(10, 0.03, 16, 0, 10, "batch")]
    [InlineData(10, 0.03, 16, 32, 0, "max attempts")]
    public void RejectsBadOptions(int iterations, double lr, int seqLength, int batch, int attempts, string name)
    {
        var o = new RepeatedOnesLearnOptions { Iterations = iterations, LearningRate = lr, SeqLength = seqLength, Batch = batch, MaxAttempts = attempts };
        var ex = Assert.Throws<ArgumentException>(() => new RepeatedOnesLearner(o));
        Assert.StartsWith(name, ex.Message);
    }
}
