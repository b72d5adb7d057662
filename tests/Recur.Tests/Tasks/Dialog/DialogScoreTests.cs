using Recur.Data.Dialog;
using Recur.Tasks.Dialog;
using Xunit;

namespace Recur.Tests.Tasks.Dialog;

/// <summary>DialogScore.FromScores and Merge against answers worked by hand.</summary>
public sealed class DialogScoreTests
{
    private static DialogScore TwoDialogs()
    {
        float l3 = MathF.Log(3); // softmax of (ln 3, 0, 0) = (3/5, 1/5, 1/5)
        float[] scores =
        [
            l3, 0, 0,  // dialog 0, round 0, answer 0: picked 0, right; p = 3/5
            0, 0, 0,   // dialog 0, round 1, answer 2: a three-way tie picks the first, 0: wrong; p = 1/3
            0, l3, 0,  // dialog 1, round 0, answer 1: right; p = 3/5
            0, 0, l3,  // dialog 1, round 1, answer 2: right; p = 3/5
        ];
        return DialogScore.FromScores(scores, [0, 2, 1, 2], [false, true, false, true],
            [DialogQuestionKind.Exists, DialogQuestionKind.Where, DialogQuestionKind.Count, DialogQuestionKind.PronounRelation], rounds: 2);
    }

    [Fact]
    public void AccuracyOverallOnTheHistoryRoundsPerRoundAndKindAndTheLoss()
    {
        var s = TwoDialogs();
        Assert.Equal(4, s.Rounds);
        Assert.Equal(3.0 / 4, s.Accuracy, 12);        // 4 rounds, 3 right
        Assert.Equal((1, 2), s.NeedsHistory);         // the two second rounds: one right
        Assert.Equal(0.5, s.HistoryAccuracy, 12);
        Assert.Equal((2, 2), s.Others);               // the two first rounds: both right
        Assert.Equal([(2, 2), (1, 2)], s.ByRound);    // round 1 of each dialog, round 2 of each
        Assert.Equal((0, 1), s.ByKind[DialogQuestionKind.Where]);
        Assert.Equal((1, 1), s.ByKind[DialogQuestionKind.PronounRelation]);
        Assert.Equal((0, 0), s.ByKind[DialogQuestionKind.OtherOne]);
        // Loss: the mean of -ln p(right answer) = (3 ln(5/3) + ln 3) / 4.
        Assert.Equal((3 * Math.Log(5.0 / 3) + Math.Log(3)) / 4, s.Loss, 5);
    }

    [Fact]
    public void MergingAddsTheCounts()
    {
        var s = TwoDialogs();
        var m = DialogScore.Merge(s, s);
        Assert.Equal(8, m.Rounds);
        Assert.Equal(6.0 / 8, m.Accuracy, 12);
        Assert.Equal((2, 4), m.NeedsHistory);
        Assert.Equal((4, 4), m.Others);
        Assert.Equal([(4, 4), (2, 4)], m.ByRound);
        Assert.Equal(s.Loss, m.Loss, 12);
        var empty = DialogScore.FromScores([], [], [], [], rounds: 2);
        Assert.Same(s, DialogScore.Merge(empty, s));
        Assert.True(double.IsNaN(empty.HistoryAccuracy));
    }

    [Fact]
    public void MismatchedInputsAreRefused()
        => Assert.Throws<ArgumentException>(
            () => DialogScore.FromScores([0, 0, 0], [0, 1], [false, false], [DialogQuestionKind.Exists, DialogQuestionKind.Exists], 2));
}
