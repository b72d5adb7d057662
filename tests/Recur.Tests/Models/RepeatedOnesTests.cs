using Recur.Models;
using Xunit;

namespace Recur.Tests.Models;

public sealed class RepeatedOnesTests
{
    [Fact]
    public void ReproducesTheSlide()
    {
        int[] x = [0, 1, 0, 1, 1, 1, 0, 1, 1];
        var (hidden, y) = new RepeatedOnes().Run(x);
        Assert.Equal([0f, 0f, 0f, 0f, 1f, 1f, 0f, 0f, 1f], y);
        for (int t = 0; t < x.Length; t++)
        {
            Assert.Equal(x[t], hidden[t][0]);
            Assert.Equal(t == 0 ? 0 : x[t - 1], hidden[t][1]);
            Assert.Equal(1f, hidden[t][2]);
        }
    }

    [Fact]
    public void DetectsRepeatsOnRandomInput()
    {
        var rng = new Rng(3);
        var x = Enumerable.Range(0, 200).Select(_ => rng.NextInt(2)).ToArray();
        var (_, y) = new RepeatedOnes().Run(x);
        for (int t = 0; t < x.Length; t++)
            Assert.Equal(t > 0 && x[t] == 1 && x[t - 1] == 1 ? 1f : 0f, y[t]);
    }

    [Fact]
    public void RejectsNonBinaryInput()
    {
        var ex = Assert.Throws<ArgumentException>(() => new RepeatedOnes().Run([0, 2]));
        Assert.Contains("inputs[1] = 2", ex.Message);
    }

    [Fact]
    public void TakesOtherWeightsOfTheSameShapes()
    {
        // W_hy reads only the "current" unit: y_t = x_t
        var echo = new RepeatedOnes(RepeatedOnes.WeightXh, RepeatedOnes.WeightHh, [1f, 0f, 0f]);
        Assert.Equal([1f, 0f, 1f, 1f], echo.Run([1, 0, 1, 1]).Output);
        var ex = Assert.Throws<ArgumentException>(() => new RepeatedOnes([1f, 0f], RepeatedOnes.WeightHh, RepeatedOnes.WeightHy));
        Assert.Contains("weightXh has length 2, expected 3", ex.Message);
    }
}
