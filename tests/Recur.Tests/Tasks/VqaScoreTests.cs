using Recur.Data.Scenes;
using Recur.Tasks.Vqa;
using Xunit;

namespace Recur.Tests.Tasks;

/// <summary>VqaScore.FromScores against answers worked by hand.</summary>
public sealed class VqaScoreTests
{
    [Fact]
    public void AccuracyPerKindAndLossOfAMixedBatch()
    {
        float l3 = MathF.Log(3); // softmax of (ln 3, 0, 0, 0) = (3/6, 1/6, 1/6, 1/6)
        float[] scores =
        [
            l3, 0, 0, 0,   // count, answer 0: picked 0, right; p = 1/2
            l3, 0, 0, 0,   // count, answer 1: picked 0, wrong; p = 1/6
            0, 0, 0, 0,    // relation, answer 2: a four-way tie picks the first, 0: wrong; p = 1/4
            0, 0, 0, 0,    // relation, answer 0: the same tie: right; p = 1/4
            0, 0, 0, l3,   // position, answer 3: right; p = 1/2
        ];
        int[] answers = [0, 1, 2, 0, 3];
        QuestionKind[] kinds = [QuestionKind.Count, QuestionKind.Count, QuestionKind.Relation, QuestionKind.Relation, QuestionKind.Position];
        var s = VqaScore.FromScores(scores, answers, kinds);
        Assert.Equal(5, s.Questions);
        Assert.Equal(3.0 / 5, s.Accuracy, 12); // 5 questions, 3 right -> 0.6
        Assert.Equal((1, 2), s.ByKind[QuestionKind.Count]);    // 1 of 2
        Assert.Equal((1, 2), s.ByKind[QuestionKind.Relation]); // 1 of 2
        Assert.Equal((1, 1), s.ByKind[QuestionKind.Position]); // 1 of 1
        // Loss: the mean of -ln p(right answer) = (ln 2 + ln 6 + ln 4 + ln 4 + ln 2) / 5 = ln(2 * 6 * 4 * 4 * 2) / 5 = ln(384) / 5.
        Assert.Equal(Math.Log(384) / 5, s.Loss, 5);
    }

    [Fact]
    public void AKindWithNoQuestionsIsReportedEmpty()
    {
        var s = VqaScore.FromScores([0, 0, 1, 0], [2], [QuestionKind.Position]);
        Assert.Equal(1.0, s.Accuracy);
        Assert.Equal((0, 0), s.ByKind[QuestionKind.Count]);
        Assert.Equal((1, 1), s.ByKind[QuestionKind.Position]);
    }
}
