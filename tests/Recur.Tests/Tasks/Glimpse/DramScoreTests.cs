using Recur.Data;
using Recur.Data.Scenes;
using Recur.Models.Glimpse;
using Recur.Tasks.Glimpse;
using Xunit;

namespace Recur.Tests.Tasks.Glimpse;

/// <summary>DRAM's three scores, worked by hand: per scene (<see cref="DramReading"/>) and over a split (<see cref="DramScore.Of"/>).</summary>
public sealed class DramScoreTests
{
    private const int End = 10;

    [Theory]
    // slots (S = 5)              classes      exact  objects right  count right
    [InlineData(new[] { 3, 7, End, 2, 2 }, new[] { 3, 7 }, true, 2, true)]      // read exactly; what follows the end does not count
    [InlineData(new[] { 3, 5, End, 2, 2 }, new[] { 3, 7 }, false, 1, true)]     // the count right, one class wrong
    [InlineData(new[] { 3, 7, 1, End, 2 }, new[] { 3, 7 }, false, 2, false)]    // both objects right, then one too many
    [InlineData(new[] { 3, End, 7, End, 2 }, new[] { 3, 7 }, false, 1, false)]  // stopped early: the end in object 1's slot is wrong
    [InlineData(new[] { 7, 3, End, 0, 0 }, new[] { 3, 7 }, false, 0, true)]     // the right classes in the wrong order
    [InlineData(new[] { 4, 4, 4, 4, 4 }, new[] { 4, 4, 4, 4 }, false, 4, false)] // never said end: five read for four
    public void AReadingIsScoredByHand(int[] slots, int[] classes, bool exact, int objectsRight, bool countRight)
        => Assert.Equal(new DramReading(exact, objectsRight, countRight), DramReading.Of(slots, classes, End));

    /// <summary>
    /// A model with every weight zero but the classifier's bias (ln 3 on class 3) says class 3 at every slot, never the end: scenes
    /// [3, 5], [3] and [3, 3, 3, 3] are read as five 3s. Sequences right 0 of 3; objects right 1 + 1 + 4 = 6 of 7; counts right 0.
    /// Each slot's logits are the bias: 11 outputs, softmax denominator 10 + 3 = 13, so a slot costs ln 13 - ln 3 when its target
    /// is 3, else ln 13. Active slots: six of class 3 and four others (5 and the three ends): loss (10 ln 13 - 6 ln 3) / 3 scenes.
    /// With the bias on the end instead: every reading is empty; sequences, objects and counts all 0.
    /// </summary>
    [Fact]
    public void ASplitIsScoredByHand()
    {
        var images = GlimpseTaskTests.Sample.Train;
        var split = new SceneSplit("hand", images, [
            new Scene([new SceneItem(0, 3, 0), new SceneItem(4, 5, 1)]),
            new Scene([new SceneItem(2, 3, 2)]),
            new Scene([new SceneItem(0, 3, 3), new SceneItem(1, 3, 4), new SceneItem(5, 3, 5), new SceneItem(8, 3, 6)]),
        ]);
        var model = new DeepRecurrentAttentionModel(new DramConfig { Patch = 4, Scales = 2, GlimpseHidden = 4, LocationHidden = 4, GlimpseOut = 4,
            LowerHidden = 4, UpperHidden = 4 });
        model.Store["classifier.bias"].Value[3] = MathF.Log(3f);
        var s = DramScore.Of(model, split);
        Assert.Equal((3, 7), (s.Scenes, s.Objects));
        Assert.Equal(0.0, s.SequenceAccuracy);
        Assert.Equal(6.0 / 7, s.ObjectAccuracy, 12);
        Assert.Equal(0.0, s.CountAccuracy);
        Assert.Equal((10 * Math.Log(13) - 6 * Math.Log(3)) / 3, s.Loss, 5);
        Assert.Equal(1.0, s.Error);
        Assert.Equal(10 * 2 * 16 / (84.0 * 84), s.PixelsRead, 12); // 10 glimpses of 2 scales of 4x4

        model.Store["classifier.bias"].Value[3] = 0f;
        model.Store["classifier.bias"].Value[FashionMnist.ClassCount] = 1f;
        var e = DramScore.Of(model, split);
        Assert.Equal((0.0, 0.0, 0.0), (e.SequenceAccuracy, e.ObjectAccuracy, e.CountAccuracy));
    }
}
