using Recur.Tasks.Caption;
using Recur.Data;
using Recur.Data.Scenes;
using Recur.Models;
using Recur.Tasks;
using Recur.Tests.Tasks;
using Recur.Tasks.Classify;
using Xunit;

namespace Recur.Tests.Analysis;

public sealed class EncoderReferenceTests
{
    [Fact]
    public void ASceneCountsWhenTheClassifierNamesEachOfItsObjects()
    {
        var (train, test) = FashionMnist.Load(ClassifyTaskTests.SampleDir);
        var (_, seen, held, _) = SceneGenerator.Build(train, test, new SceneOptions { Train = 0, TestSeen = 40, TestHeldOut = 30 });
        var net = new ConvNet(new ConvNetConfig { Channels = [4, 8], Fc = 8 });
        net.Reset(new Rng(6));
        foreach (var split in new[] { seen, held })
        {
            // One image at a time through the whole network, against the batched reference.
            int right = split.Scenes.Count(s => s.Items.All(it => Classify(net, split.Images, it.Image) == it.Class));
            Assert.Equal((double)right / split.Scenes.Count, EncoderReference.AllObjectsRecognised(split, ClassifyTask.Score(net, split.Images).Predicted));
        }
        // An untrained network names few of the held-out scenes (two objects or more) in full.
        var predicted = ClassifyTask.Score(net, held.Images).Predicted;
        Assert.InRange(EncoderReference.AllObjectsRecognised(held, predicted), 0.0, 0.5);
        Assert.True(double.IsNaN(EncoderReference.AllObjectsRecognised(held with { Scenes = [] }, predicted)));
    }

    [Fact]
    public void PredictionsCoverTheImagesASplitUsesOnly()
    {
        var (train, _) = FashionMnist.Load(ClassifyTaskTests.SampleDir);
        var (seen, _) = SceneGenerator.Validation(train, new SceneOptions { Train = 400 }, 0.1);
        var net = new ConvNet(new ConvNetConfig { Channels = [4, 8], Fc = 8 });
        net.Reset(new Rng(6));
        var all = ClassifyTask.Score(net, train).Predicted;
        var some = EncoderReference.Predicted(net, seen);
        Assert.Equal(train.Count, some.Length);
        var used = seen.Scenes.SelectMany(s => s.Items).Select(i => i.Image).ToHashSet();
        Assert.All(used, i => Assert.Equal(all[i], some[i]));
        Assert.All(Enumerable.Range(0, SceneImages.ValidationStart(train.Count)), i => Assert.Equal(-1, some[i])); // the training images are not scored
        Assert.Equal(EncoderReference.AllObjectsRecognised(seen, all), EncoderReference.AllObjectsRecognised(seen, some));
    }

    private static int Classify(ConvNet net, LabeledImages images, int index)
    {
        var x = net.NewInput(images, 1);
        net.FillInput(images, [index], x);
        var logits = net.Forward(x).Span;
        int best = 0;
        for (int c = 1; c < logits.Length; c++) if (logits[c] > logits[best]) best = c;
        return best;
    }
}
