using Recur.Models.Glimpse;
using Xunit;

namespace Recur.Tests.Models.Glimpse;

/// <summary>DRAM's targets, returns and readings, each worked by hand.</summary>
public sealed class DramTargetsTests
{
    private const int End = 10, I = DramTargets.Ignore;

    [Fact]
    public void TargetsAreTheClassesThenTheEndThenNothing()
    {
        var t = new int[5];
        DramTargets.Fill([3, 7], End, t);
        Assert.Equal([3, 7, End, I, I], t);
        Assert.Equal(2, DramTargets.Count(t, End));
        DramTargets.Fill([], End, t);
        Assert.Equal([End, I, I, I, I], t);
        Assert.Equal(0, DramTargets.Count(t, End));
        Assert.Throws<ArgumentException>(() => DramTargets.Fill([1, 2, 3, 4, 5], End, new int[5])); // no slot left for the end
        Assert.Throws<ArgumentException>(() => DramTargets.Fill([End], End, new int[5]));         // the end is not a class
        Assert.Throws<ArgumentException>(() => DramTargets.Count([3, 7, I, I, I], End));            // no end
        Assert.Throws<ArgumentException>(() => DramTargets.Count([3, End, 4, I, I], End));          // a class after the end
    }

    /// <summary>
    /// Two scenes, 3 slots of 2 glimpses (T = 6). Scene 0 has 1 object: slot 0 right, the end (slot 1) wrong, slot 2 not scored:
    /// returns from glimpse 5 back: 0, 0 (slot 2 off), 0, 0 (slot 1: c = 0), 1, 1 (slot 0: 1 + 0). Scene 1 has 2 objects: slot 0
    /// wrong, slot 1 right, end right: 1, 1, 2, 2, 2, 2.
    /// </summary>
    [Fact]
    public void TheReturnOfAGlimpseIsTheRewardToGoOfItsSlotAndTheLaterOnes()
    {
        float[] correct = [1, 0, 0, 1, 0, 1]; // (S, B): slot 0 (1, 0), slot 1 (0, 1), slot 2 (0, 1)
        var returns = new float[12];
        var active = new bool[12];
        DramTargets.Returns(correct, [1, 2], 3, 2, returns, active);
        Assert.Equal([1, 2, 1, 2, 0, 2, 0, 2, 0, 1, 0, 1], returns); // (T, B)
        Assert.Equal([true, true, true, true, true, true, true, true, false, true, false, true], active);
    }

    [Fact]
    public void AReadingStopsAtTheFirstEnd()
    {
        Assert.Equal([4, 1], DramTargets.Sequence([4, 1, End, 2, End], End));
        Assert.Equal([], DramTargets.Sequence([End, 1, 2], End));
        Assert.Equal([1, 1, 1], DramTargets.Sequence([1, 1, 1], End)); // never said it was done: every slot is read
    }
}
