using Recur.Data;
using Recur.Data.Dialog;
using Recur.Data.Scenes;
using Xunit;
using Xunit.Abstractions;

namespace Recur.Tests.Data.Dialog;

/// <summary>
/// The dialogs: a hand-checked dialog about a small scene, and many random dialogs replayed by <see cref="DialogReplay"/>,
/// an interpreter of the dialogs' text written apart from the generator, which must find every answer and every
/// history-needing mark the generator wrote.
/// </summary>
public sealed class DialogGeneratorTests(ITestOutputHelper output)
{
    // cells:  0 top left | 1 top    | 2 top right
    //         3 left     | 4 center | 5 right
    //         6 bottom left | 7 bottom | 8 bottom right
    // classes: 6 shirt, 7 sneaker, 8 bag
    private static readonly Scene Hand = new([new SceneItem(1, 6, 0), new SceneItem(4, 8, 0), new SceneItem(6, 7, 0), new SceneItem(8, 7, 0)]);

    [Fact]
    public void AHandCheckedDialogHasTheRightAnswersAndMarks()
    {
        var d = DialogGenerator.Generate(Hand, 0, 8, new Rng(3));
        foreach (var r in d.Rounds) output.WriteLine($"{r.Question} | {r.Answer} | {r.Kind} | {r.NeedsHistory}");
        (string, string, bool)[] want =
        [
            // the question names its class: one shirt; it is now "it"
            ("how many shirts are there ?", "one", false),
            // the shirt is at the top; "it" could have been any of the four objects, at four different cells
            ("where is it ?", "top", true),
            // below the top cell is the center: the bag. Read as the bag, "it" would give the bottom cell (nothing); the
            // sneakers, in the bottom row, have no cell below (never asked): readings {bag, nothing}
            ("what is below it ?", "bag", true),
            // two sneakers; a count of two leaves nothing in focus
            ("how many sneakers are there ?", "two", false),
            // the count again, of shirts: named by the question
            ("and shirts ?", "one", false),
            // the center holds the bag, now "it"
            ("what is in the center ?", "bag", false),
            // above the center: the shirt. As a sneaker "it" would give the left or right cell (nothing); the shirt, in the
            // top row, has no cell above: readings {shirt, nothing}
            ("what is above it ?", "shirt", true),
            // "it" is still the bag (a relation question keeps its object), at the center; four objects, four cells
            ("where is it ?", "center", true),
        ];
        Assert.Equal(want, d.Rounds.Select(r => (r.Question, r.Answer, r.NeedsHistory)));
    }

    [Fact]
    public void ReplayingTheTextFindsEveryAnswerAndMark()
    {
        var (train, _) = FashionMnist.Load(Recur.Tests.Tasks.ClassifyTaskTests.SampleDir);
        var scenes = SceneGenerator.Training(train, new SceneOptions { Train = 400 }).Scenes;
        var dialogs = DialogGenerator.ForScenes(scenes, 8, 2, seed: 11);
        int rounds = 0, needing = 0;
        var kinds = new Dictionary<DialogQuestionKind, (int All, int Needing)>();
        foreach (var d in dialogs)
        {
            var replay = new DialogReplay(scenes[d.Scene]);
            Assert.False(d.Rounds[0].NeedsHistory);
            foreach (var r in d.Rounds)
            {
                var (answer, needs) = replay.Ask(r.Question);
                Assert.True(answer == r.Answer && needs == r.NeedsHistory,
                    $"scene {d.Scene}: '{r.Question}' -> {r.Answer} ({r.NeedsHistory}), replayed {answer} ({needs})");
                Assert.Contains(r.Answer, DialogWords.Answers);
                Assert.True(r.Question.Split(' ').Length <= DialogWords.MaxWords);
                Assert.All(r.Question.Split(' '), w => Assert.Contains(w, DialogWords.Words));
                rounds++;
                if (r.NeedsHistory) needing++;
                var (all, n) = kinds.GetValueOrDefault(r.Kind);
                kinds[r.Kind] = (all + 1, n + (r.NeedsHistory ? 1 : 0));
            }
        }
        foreach (var (k, (all, n)) in kinds.OrderBy(k => k.Key)) output.WriteLine($"{k}: {all} rounds, {n} need the history");
        output.WriteLine($"{needing} of {rounds} rounds need the history");
        Assert.Equal(Enum.GetValues<DialogQuestionKind>().Order(), kinds.Keys.Order());
        Assert.InRange((double)needing / rounds, 0.2, 0.6);
    }

    [Fact]
    public void DialogsFollowTheSeed()
    {
        var scenes = new[] { Hand, new Scene([new SceneItem(0, 1, 0), new SceneItem(5, 2, 0)]) };
        var a = DialogGenerator.ForScenes(scenes, 6, 3, seed: 5);
        var b = DialogGenerator.ForScenes(scenes, 6, 3, seed: 5);
        var c = DialogGenerator.ForScenes(scenes, 6, 3, seed: 6);
        Assert.Equal(a.SelectMany(d => d.Rounds), b.SelectMany(d => d.Rounds));
        Assert.NotEqual(a.SelectMany(d => d.Rounds), c.SelectMany(d => d.Rounds));
        Assert.Equal([0, 0, 0, 1, 1, 1], a.Select(d => d.Scene));
        Assert.Throws<ArgumentOutOfRangeException>(() => DialogGenerator.Generate(Hand, 0, 0, new Rng(1)));
        Assert.Throws<ArgumentException>(() => DialogGenerator.Generate(new Scene([]), 0, 4, new Rng(1)));
    }

    [Fact]
    public void ReadingsOfAReferenceAreTheObjectsItCanStandFor()
    {
        // "what is above it ?": the bag (center) has the shirt above it; the sneakers (bottom left, bottom right) have the empty
        // left and right cells above them; the shirt, in the top row, has no cell above
        Assert.Equal(["nothing", "shirt"], DialogReferences.Readings(Hand, DialogQuestionKind.PronounRelation, Relation.Above)!.Order());
        Assert.True(DialogReferences.NeedsHistory(Hand, DialogQuestionKind.PronounRelation, Relation.Above));
        // "where is the other one ?": only the sneakers come in twos
        Assert.Equal(["bottom left", "bottom right"], DialogReferences.Readings(Hand, DialogQuestionKind.OtherOne)!.Order());
        // "how many ?" after a yes: a shirt, a bag: one; sneakers: two
        Assert.Equal(["one", "two"], DialogReferences.Readings(Hand, DialogQuestionKind.HowMany)!.Order());
        Assert.Null(DialogReferences.Readings(Hand, DialogQuestionKind.Exists));
        var lone = new Scene([new SceneItem(4, 3, 0)]);
        Assert.False(DialogReferences.NeedsHistory(lone, DialogQuestionKind.Where));
        Assert.Equal(8, DialogReferences.Other(Hand, 6));
        Assert.Throws<ArgumentException>(() => DialogReferences.Other(Hand, 4)); // one bag
    }
}
