using Recur.Data;
using Recur.Data.Scenes;
using Recur.Tests.Tasks;
using Xunit;

namespace Recur.Tests.Data.Scenes;

public sealed class SceneQuestionTests
{
    [Fact]
    public void EveryQuestionHasFourDistinctChoicesAndItsRightAnswerIsTrue()
    {
        var (train, _) = FashionMnist.Load(ClassifyTaskTests.SampleDir);
        var scenes = SceneGenerator.Seen(train, 400, new Rng(8), []);
        var rng = new Rng(9);
        var kinds = new Dictionary<QuestionKind, int>();
        var place = new int[4];
        foreach (var s in scenes)
            for (int k = 0; k < 3; k++)
            {
                var q = SceneQuestions.Ask(s, rng);
                kinds[q.Kind] = kinds.GetValueOrDefault(q.Kind) + 1;
                place[q.Answer]++;
                Assert.Equal(4, q.Choices.Distinct().Count());
                Assert.Equal(SceneQuestions.Truth(s, q.Text), q.Choices[q.Answer]);
                Assert.True(q.Text.Split(' ').Length <= SceneQuestions.MaxWords, q.Text);
                Assert.All(q.Text.Split(' '), w => Assert.Contains(w, SceneQuestions.Words));
                if (q.Kind == QuestionKind.Relation) Assert.DoesNotContain(q.Text.Split(' ')[^2], q.Choices); // never the class the question names
                Assert.All(q.Choices, c => Assert.Contains(c, SceneQuestions.Answers));
            }
        Assert.All(Enum.GetValues<QuestionKind>(), k => Assert.True(kinds.GetValueOrDefault(k) > 100, $"{k}: {kinds.GetValueOrDefault(k)}"));
        Assert.All(place, n => Assert.InRange(n, 240, 360)); // the right answer's place is uniform
    }

    [Fact]
    public void TruthReadsTheSceneAgain()
    {
        var s = new Scene([new SceneItem(0, 8, 0), new SceneItem(4, 3, 0)]); // a bag top left, a dress in the center
        Assert.Equal("bag", SceneQuestions.Truth(s, "what is above the dress ?"));
        Assert.Equal("dress", SceneQuestions.Truth(s, "what is right of the bag ?"));
        Assert.Null(SceneQuestions.Truth(s, "what is below the dress ?"));
        Assert.Equal("dress", SceneQuestions.Truth(s, "what is in the center ?"));
        Assert.Equal("one", SceneQuestions.Truth(s, "how many bags are there ?"));
    }
}
