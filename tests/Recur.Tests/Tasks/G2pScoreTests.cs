using Recur.Tasks.G2p;
using Xunit;

namespace Recur.Tests.Tasks;

/// <summary>G2pScore.Count against answers worked by hand.</summary>
public sealed class G2pScoreTests
{
    private static IReadOnlyList<string> P(string phones) => phones.Split(' ');

    [Fact]
    public void WerPerAndStressFreeWerOfAWorkedBatch()
    {
        var lexicon = new Dictionary<string, IReadOnlyList<IReadOnlyList<string>>>
        {
            ["cat"] = [P("K AE1 T")],
            ["read"] = [P("R EH1 D"), P("R IY1 D")],
            ["record"] = [P("R EH1 K ER0 D"), P("R IH0 K AO1 R D")],
            ["dog"] = [P("D AO1 G")],
        };
        string[] words = ["cat", "read", "record", "dog"];
        IReadOnlyList<string>[] outputs =
        [
            P("K AE1 T"),        // right: distance 0 over 3
            P("R IY1 D"),        // the SECOND pronunciation: right, distance 0 over 3 (the first is 1 away)
            P("R EH0 K ER0 D"),  // the stress of one vowel wrong: wrong, right without stress; distance 1 over 5 (the second is further)
            P("D AO1"),          // a phone missing: wrong with and without stress; distance 1 over 3
        ];
        var s = G2pScore.Count(words, outputs, lexicon, "greedy");
        Assert.Equal(4, s.Words);
        Assert.Equal("greedy", s.Decoding);
        Assert.Equal(2.0 / 4, s.Wer, 12);              // record and dog wrong: 4 words, 2 wrong -> WER 0.5
        Assert.Equal(1.0 / 4, s.WerWithoutStress, 12); // EH0 = EH1 without stress: only dog wrong -> 0.25
        // PER sums the distances and the lengths before dividing: (0 + 0 + 1 + 1) / (3 + 3 + 5 + 3) = 2/14 = 1/7
        // (the mean of the per-word rates, (0 + 0 + 1/5 + 1/3) / 4 = 2/15, would be another number).
        Assert.Equal(2.0 / 14, s.Per, 12);
    }

    [Fact]
    public void PerDividesByTheShorterOfTwoEquallyClosePronunciations()
    {
        var lexicon = new Dictionary<string, IReadOnlyList<IReadOnlyList<string>>>
        {
            ["often"] = [P("AO1 F T AH0 N"), P("AO1 F AH0 N")],
        };
        // AO1 F T N is 1 from both: delete AH0 from the 5-phone one, or AH0 -> T in the 4-phone one. On the tie the
        // shorter counts: edit distance 1 over 4 phones -> PER 0.25 (not 1/5 = 0.2).
        var s = G2pScore.Count(["often"], [P("AO1 F T N")], lexicon, "beam 4");
        Assert.Equal(0.25, s.Per, 12);
        Assert.Equal(1.0, s.Wer, 12);
        Assert.Equal(1.0, s.WerWithoutStress, 12);
    }

    [Fact]
    public void StressOnlyDifferenceInTheSecondPronunciationIsRightOnlyWithoutStress()
    {
        var lexicon = new Dictionary<string, IReadOnlyList<IReadOnlyList<string>>>
        {
            ["live"] = [P("L AY1 V"), P("L IH1 V")],
        };
        // L IH0 V: 1 from each pronunciation (a stress digit, or the vowel) -> wrong, PER 1/3; without stress it is the
        // second pronunciation exactly -> WER without stress 0.
        var s = G2pScore.Count(["live"], [P("L IH0 V")], lexicon, "greedy");
        Assert.Equal(1.0, s.Wer, 12);
        Assert.Equal(0.0, s.WerWithoutStress, 12);
        Assert.Equal(1.0 / 3, s.Per, 12);
    }

    [Fact]
    public void AnEmptySetScoresNaN()
    {
        var s = G2pScore.Count([], [], new Dictionary<string, IReadOnlyList<IReadOnlyList<string>>>(), "greedy");
        Assert.Equal(0, s.Words);
        Assert.True(double.IsNaN(s.Wer) && double.IsNaN(s.Per) && double.IsNaN(s.WerWithoutStress));
    }
}
