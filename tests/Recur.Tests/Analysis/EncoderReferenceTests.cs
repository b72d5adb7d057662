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
