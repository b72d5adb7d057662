using Recur.Data;
using Recur.Data.Scenes;
using Recur.Tasks.Classify;
using Recur.Tests.Tasks;
using Xunit;

namespace Recur.Tests.Data.Scenes;

public sealed class SceneValidationTests
{
    private static (LabeledImages Train, LabeledImages Test) Sample() => FashionMnist.Load(ClassifyTaskTests.SampleDir);

    private static IEnumerable<int> Images(SceneSplit split) => split.Scenes.SelectMany(s => s.Items).Select(i => i.Image);

    [Fact]
    public void TheCutIsClassifysValidationSplitByFraction()
    {
        // recur classify holds out the last ValFrac of the training images (HeldOutRest); the scenes cut in the same place
        double classify = ClassifyDefinition.Instance.Defaults.ValFrac;
        Assert.Equal(60_000 - (int)Math.Round(60_000 * classify), SceneImages.ValidationStart(60_000));
        Assert.Equal(55_000, SceneImages.ValidationStart(60_000));
        Assert.Equal(550, SceneImages.ValidationStart(600)); // the tests' sample, in the same proportion
        Assert.Equal((5, 5), SceneImages.ValidationCounts(200, 0.05));
        Assert.Equal((4, 4), SceneImages.ValidationCounts(150, 0.05)); // round(7.5) = 8
        Assert.Equal((2, 1), SceneImages.ValidationCounts(30, 0.1));
        Assert.Equal((0, 0), SceneImages.ValidationCounts(20_000, 0));
    }

    [Fact]
    public void NoValidationSceneUsesAnImageOfATrainingScene()
    {
        var (train, test) = Sample();
        var o = new SceneOptions { Train = 3000, TestSeen = 10, TestHeldOut = 10, Seed = 5 };
        var (tr, _, _, pairs) = SceneGenerator.Build(train, test, o);
        var (seen, held) = SceneGenerator.Validation(train, o, 0.1);
        Assert.Equal(("validation-seen", 150), (seen.Name, seen.Scenes.Count));
        Assert.Equal(("validation-heldout", 150), (held.Name, held.Scenes.Count));
        int cut = SceneImages.ValidationStart(train.Count);
        var trainImages = Images(tr).ToHashSet();
        var validationImages = Images(seen).Concat(Images(held)).ToHashSet();
        Assert.Empty(trainImages.Intersect(validationImages));
        Assert.All(trainImages, i => Assert.InRange(i, 0, cut - 1));
        Assert.All(validationImages, i => Assert.InRange(i, cut, train.Count - 1));
        Assert.True(validationImages.Count > 30, $"the validation scenes should use many of the 50 held-back images, used {validationImages.Count}");
        Assert.True(trainImages.Count > 400, $"the training scenes should use most of the 550 images before the cut, used {trainImages.Count}");
        // Validation mirrors the test splits: seen compositions, and two-object scenes of exactly the held-out pairs.
        Assert.Same(train, seen.Images);
        Assert.DoesNotContain(seen.Scenes, s => SceneGenerator.HasHeldOutPair(s, pairs));
        Assert.All(held.Scenes, s =>
        {
            Assert.Equal(2, s.Items.Count);
            Assert.Contains((Math.Min(s.Items[0].Class, s.Items[1].Class), Math.Max(s.Items[0].Class, s.Items[1].Class)), pairs);
        });
        Assert.All(seen.Scenes.Concat(held.Scenes).SelectMany(s => s.Items), i => Assert.Equal(i.Class, train.Labels[i.Image]));
    }

    [Fact]
    public void ValidationScenesFollowTheSeedAlone()
    {
        var (train, _) = Sample();
        var o = new SceneOptions { Train = 1000, Seed = 5 };
        var (seen, held) = SceneGenerator.Validation(train, o, 0.2);
        var again = SceneGenerator.Validation(train, o, 0.2);
        Assert.Equal(seen.Scenes.SelectMany(s => s.Items), again.Seen.Scenes.SelectMany(s => s.Items));
        Assert.Equal(held.Scenes.SelectMany(s => s.Items), again.HeldOut.Scenes.SelectMany(s => s.Items));
        // Another seed draws other scenes (and other held-out pairs).
        var other = SceneGenerator.Validation(train, o with { Seed = 6 }, 0.2);
        Assert.NotEqual(seen.Scenes.SelectMany(s => s.Items), other.Seen.Scenes.SelectMany(s => s.Items));
        Assert.NotEqual(held.Scenes.SelectMany(s => s.Items), other.HeldOut.Scenes.SelectMany(s => s.Items));
        // Neighbouring seeds, whose old Seed * 3 + k streams met, draw nothing alike; nor do a run's validation and training.
        var seeds = Enumerable.Range(0, 8).Select(k => SceneGenerator.Validation(train, o with { Seed = (ulong)k }, 0.2).Seen.Scenes[0].Items).ToArray();
        Assert.Equal(seeds.Length, seeds.Select(items => string.Join(";", items)).Distinct().Count());
        var training = SceneGenerator.Training(train, o);
        Assert.NotEqual(training.Scenes.Take(20).Select(s => s.Items.Count), seen.Scenes.Take(20).Select(s => s.Items.Count));
        // The number of training scenes only sets how many are drawn: a longer draw starts with the same scenes.
        var more = SceneGenerator.Validation(train, o with { Train = 2000 }, 0.2);
        Assert.Equal(seen.Scenes.SelectMany(s => s.Items), more.Seen.Scenes.Take(seen.Scenes.Count).SelectMany(s => s.Items));
    }
}
