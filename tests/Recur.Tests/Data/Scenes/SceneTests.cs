using Recur.Data;
using Recur.Data.Scenes;
using Recur.Tests.Tasks;
using Xunit;

namespace Recur.Tests.Data.Scenes;

public sealed class SceneTests
{
    private static (LabeledImages Train, LabeledImages Test) Sample() => FashionMnist.Load(ClassifyTaskTests.SampleDir);

    private static Scene Of(params (int Cell, int Class)[] items) => new([.. items.Select(i => new SceneItem(i.Cell, i.Class, 0))]);

    [Fact]
    public void CaptionsFollowTheGrammar()
    {
        Assert.Equal("a coat", CaptionGrammar.Canonical(Of((4, 4))));
        Assert.Equal("two shirts and a coat", CaptionGrammar.Canonical(Of((0, 6), (2, 4), (5, 6))));
        Assert.Equal("a sneaker above a bag", CaptionGrammar.Canonical(Of((1, 7), (7, 8))));
        Assert.Equal("a dress to the left of a sandal", CaptionGrammar.Canonical(Of((3, 3), (5, 5))));
        Assert.Equal("two bags", CaptionGrammar.Canonical(Of((0, 8), (8, 8))));
        // A diagonal pair: both relations, both directions.
        var refs = CaptionGrammar.References(Of((2, 7), (6, 8)));
        Assert.Equal(["a sneaker above a bag", "a sneaker to the right of a bag", "a bag below a sneaker", "a bag to the left of a sneaker"], refs);
        Assert.Equal(6, CaptionGrammar.References(Of((0, 1), (1, 2), (2, 3))).Count);
    }

    [Fact]
    public void EveryReferenceParsesBackToATrueMeaningAndWrongCaptionsDoNot()
    {
        var (train, _) = Sample();
        var scenes = SceneGenerator.Seen(train, 300, new Rng(3), []);
        foreach (var s in scenes)
            foreach (var c in CaptionGrammar.References(s))
            {
                var m = CaptionParser.Parse(c);
                Assert.True(m is not null && m.IsTrueOf(s), $"'{c}' should be true of the scene");
            }
        var pair = Of((1, 7), (7, 8));
        foreach (var wrong in new[] { "a sneaker below a bag", "a bag above a sneaker", "a sneaker and a bag", "a sneaker to the left of a bag", "a coat above a bag" })
            Assert.False(CaptionParser.Parse(wrong)!.IsTrueOf(pair), wrong);
        Assert.False(CaptionParser.Parse("two shirts")!.IsTrueOf(Of((0, 6), (2, 4), (5, 6))));
        foreach (var bad in new[] { "", "a", "a coat and", "a coats", "two coat", "a coat and a coat", "a coat above a coat", "a coat to the of a bag", "<UNK>" })
            Assert.Null(CaptionParser.Parse(bad));
    }

    [Fact]
    public void HeldOutPairsNeverMeetInTrainingAndMakeTheHeldOutSplit()
    {
        var (train, test) = Sample();
        var o = new SceneOptions { Train = 2000, TestSeen = 200, TestHeldOut = 200, Seed = 5 };
        var (tr, seen, held, pairs) = SceneGenerator.Build(train, test, o);
        Assert.Equal(8, pairs.Count);
        Assert.Equal(2000, tr.Scenes.Count);
        Assert.DoesNotContain(tr.Scenes, s => SceneGenerator.HasHeldOutPair(s, pairs));
        Assert.DoesNotContain(seen.Scenes, s => SceneGenerator.HasHeldOutPair(s, pairs));
        Assert.All(held.Scenes, s =>
        {
            Assert.Equal(2, s.Items.Count);
            Assert.True(CaptionGrammar.IsRelational(s));
            Assert.Contains((Math.Min(s.Items[0].Class, s.Items[1].Class), Math.Max(s.Items[0].Class, s.Items[1].Class)), pairs);
        });
        // Every object is an image of its class from its own split; 1 to 4 objects at distinct cells.
        foreach (var (split, images) in new[] { (tr, train), (seen, test), (held, test) })
            foreach (var s in split.Scenes)
            {
                Assert.InRange(s.Items.Count, 1, 4);
                Assert.Equal(s.Items.Count, s.Items.Select(i => i.Cell).Distinct().Count());
                Assert.All(s.Items, i => Assert.Equal(i.Class, images.Labels[i.Image]));
            }
        var counts = tr.Scenes.GroupBy(s => s.Items.Count).ToDictionary(g => g.Key, g => g.Count());
        Assert.InRange(counts[2], 700, 1100); // 45% of 2000 before held-out rejections
        // Deterministic from the seed.
        var again = SceneGenerator.Build(train, test, o);
        Assert.Equal(tr.Scenes.Select(CaptionGrammar.Canonical), again.Train.Scenes.Select(CaptionGrammar.Canonical));
        Assert.Equal(tr.Scenes[7].Items, again.Train.Scenes[7].Items);
        var other = SceneGenerator.Build(train, test, o with { Seed = 6 });
        Assert.NotEqual(tr.Scenes.Select(CaptionGrammar.Canonical), other.Train.Scenes.Select(CaptionGrammar.Canonical));
    }

    [Fact]
    public void RenderPlacesEachImageInItsCell()
    {
        var (train, _) = Sample();
        var s = new Scene([new SceneItem(5, train.Labels[3], 3)]);
        var canvas = s.Render(train);
        Assert.Equal(84 * 84, canvas.Length);
        var img = train.Image(3);
        for (int r = 0; r < 28; r++)
            for (int c = 0; c < 28; c++)
                Assert.Equal(img[r * 28 + c], canvas[(28 + r) * 84 + 56 + c]);
        Assert.Equal(img.ToArray().Sum(b => (long)b), canvas.Sum(b => (long)b)); // nothing outside the cell
    }
}
