using Recur.Tests.TestUtil;
using Recur.Training;
using Xunit;

namespace Recur.Tests.Training;

public sealed class WeightAverageTests
{
    [Fact]
    public void FollowsTheFormulaWithTheWarmUpDecay()
    {
        const int n = 37; // not a whole number of vectors: the tail takes the same arithmetic
        var start = TestData.Uniform(n, 1);
        var avg = new WeightAverage(0.95, start);
        var want = start.Select(v => (double)v).ToArray();
        for (int k = 1; k <= 60; k++)
        {
            var w = TestData.Uniform(n, (ulong)(100 + k));
            double d = Math.Min(0.95, (1.0 + k) / (10.0 + k));
            Assert.Equal(d, avg.DecayAt(k));
            for (int i = 0; i < n; i++) want[i] = d * want[i] + (1 - d) * w[i];
            avg.Update(w, k, threads: 1);
        }
        Assert.Equal(0.95, avg.DecayAt(1000));
        for (int i = 0; i < n; i++) Assert.True(Math.Abs(avg.Values[i] - want[i]) < 2e-6, $"element {i}: {avg.Values[i]} vs {want[i]}");
        Assert.NotEqual(start, avg.Values); // a copy: the start values are not updated in place
    }

    [Fact]
    public void ThreadCountDoesNotChangeTheResult()
    {
        int n = (1 << 18) + 5;
        var start = TestData.Uniform(n, 2);
        var one = new WeightAverage(0.999, start);
        var two = new WeightAverage(0.999, start);
        for (int k = 1; k <= 3; k++)
        {
            var w = TestData.Uniform(n, (ulong)(10 + k));
            one.Update(w, k, threads: 1);
            two.Update(w, k, threads: 2);
        }
        Assert.Equal(one.Values, two.Values);
    }

    [Fact]
    public void RejectsBadArguments()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new WeightAverage(1.0, new float[3]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new WeightAverage(0, new float[3]));
        var a = new WeightAverage(0.5, new float[3]);
        Assert.Throws<ArgumentOutOfRangeException>(() => a.Update(new float[3], 0, 1));
        Assert.Throws<ArgumentException>(() => a.Update(new float[4], 1, 1));
    }
}
