using Recur.Models.Vqa;
using Recur.Nn;
using Xunit;

namespace Recur.Tests.Models.Vqa;

/// <summary>
/// The class counts of <see cref="ClassCounts"/>, worked by hand: two locations of three features, the last two a location's
/// class probabilities; without presence every location counts whole, with it each counts by its sigmoid.
/// </summary>
public sealed class ClassCountsTests
{
    private static VqaConfig Config(bool presence) => new()
    {
        Vocab = 9, Answers = 8, GridRows = 1, GridCols = 2, FeatureDim = 3, ClassCountOffset = 1, ClassCountWidth = 2, Presence = presence,
    };

    // location 0: an object, [2 ; 0.9 0.1]; location 1: empty, [0 ; 0.3 0.7] (the classifier still reads it as something)
    private static readonly float[] Features = [2f, 0.9f, 0.1f, 0f, 0.3f, 0.7f];

    [Fact]
    public void WithoutPresenceEveryLocationCountsWhole()
    {
        var counts = new ClassCounts(new ParameterStore(), "", Config(false));
        var output = new float[4];
        counts.Forward(Features, 1, output, 4, 2); // written at 2 .. 3 of a row of 4
        Assert.Equal([0f, 0f, 1.2f, 0.8f], output, (a, b) => Math.Abs(a - b) < 1e-6);
    }

    [Fact]
    public void PresenceWeighsEachLocationBySigmoidOfItsFeatures()
    {
        var store = new ParameterStore();
        var counts = new ClassCounts(store, "m", Config(true));
        var w = store.Parameters.Single(p => p.Name == "m.presence.weight");
        var b = store.Parameters.Single(p => p.Name == "m.presence.bias");
        w.Value[0] = 3f; w.Value[1] = 0f; w.Value[2] = 0f; b.Value[0] = -3f; // g = σ(3 x0 - 3): σ(3) at the object, σ(-3) where empty
        var output = new float[2];
        counts.Forward(Features, 1, output, 2, 0);
        double on = 1 / (1 + Math.Exp(-3)), off = 1 / (1 + Math.Exp(3));
        Assert.Equal(0.9 * on + 0.3 * off, output[0], 5);
        Assert.Equal(0.1 * on + 0.7 * off, output[1], 5);
        Assert.Equal(on, counts.Presence(1)[0], 5);

        // d count_0 / d b = Σ_i p_i0 g_i (1 - g_i)
        store.ZeroGrad();
        counts.Backward(Features, 1, [1f, 0f], 2, 0);
        Assert.Equal(0.9 * on * (1 - on) + 0.3 * off * (1 - off), b.Grad[0], 5);
        Assert.Equal(2 * 0.9 * on * (1 - on), w.Grad[0], 5);
    }

    [Fact]
    public void PresenceNeedsClassCounts()
        => Assert.Throws<ArgumentException>(() => (Config(true) with { ClassCountWidth = 0, ClassCountOffset = 0 }).Validate());
}
