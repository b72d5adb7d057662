using Recur.Data;
using Recur.Data.Scenes;
using Recur.IO;
using Recur.Models;
using Recur.Tasks.Dialog;
using Recur.Training;
using Xunit;

namespace Recur.Tests.Tasks.Dialog;

public sealed class DialogTaskTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "recur-dialogtask-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    private static ConvNet Encoder()
    {
        var net = new ConvNet(new ConvNetConfig { Channels = [4, 8], Fc = 8 });
        net.Reset(new Rng(6));
        return net;
    }

    private static readonly DialogSettings Tiny = new()
    {
        AttentionDim = 8, Fusion = 16, Rounds = 4, Scenes = new SceneOptions { Train = 120, TestSeen = 10, TestHeldOut = 10 },
    };

    [Theory]
    [InlineData("hre", false)]
    [InlineData("memory", false)]
    [InlineData("none", true)]
    public void LearnsResumesBitIdenticallyAndRoundTrips(string history, bool blind)
    {
        var (train, _) = FashionMnist.Load(Recur.Tests.Tasks.ClassifyTaskTests.SampleDir);
        var settings = Tiny with { History = history, Blind = blind, Hops = blind ? 1 : 2 };
        var o = new TrainOptions { Hidden = 16, Embed = 8, BatchSize = 8, Optimizer = "adam", LearningRate = 1e-2, EvalEvery = 5, ValFrac = 0.2, Threads = 1, MaxIters = 13 };
        var straight = DialogDefinition.Instance.Create(o, settings with { Encoder = Encoder() }, train, "sample");
        straight.Run();
        Assert.True(straight.TrainLosses.Skip(10).Average() < straight.TrainLosses.Take(3).Average(), "the loss fell");
        string run = Path.Combine(_dir, history + blind);
        var first = DialogDefinition.Instance.Create(o with { MaxIters = 4 }, settings with { Encoder = Encoder() }, train, "sample");
        first.OutputDirectory = run;
        first.Run();
        var ck = DialogCheckpoint.Instance.Load(run, CheckpointKind.Latest);
        Assert.Equal((history, blind, blind ? 1 : 2, 4, 1), (ck.Model.Config.History, ck.Model.Config.Blind, ck.Model.Config.Hops, ck.Rounds, ck.DialogsPerScene));
        Assert.Equal(blind ? 0 : 10, ck.Model.Config.VisualAnswers.Length);
        Assert.Equal(first.Task.Store.Values, ck.Model.Store.Values);
        var second = DialogDefinition.Instance.Resume(ck, train, o);
        second.Run();
        Assert.Equal(straight.TrainLosses, second.TrainLosses);
        Assert.Equal(straight.Task.Store.Values, second.Task.Store.Values);
        var task = (DialogTask)first.Task;
        Assert.Equal(DialogScore.Of(task.Model, task.Validation), DialogScore.Of(ck.Model, task.Validation), new ScoreComparer());
    }

    [Fact]
    public void TrainsOnEveryTrainingSceneAndValidatesOnTheDialogsEvalDrawsForBothValidationSplits()
    {
        var (train, _) = FashionMnist.Load(Recur.Tests.Tasks.ClassifyTaskTests.SampleDir);
        var settings = Tiny with { DialogsPerScene = 2 };
        var o = new TrainOptions { Hidden = 16, Embed = 8, BatchSize = 8, ValFrac = 0.2, Threads = 1, MaxIters = 1 };
        var task = (DialogTask)DialogDefinition.Instance.Create(o, settings with { Encoder = Encoder() }, train, "sample").Task;
        Assert.Equal(120, task.Train.Scenes.Count);
        Assert.Equal(240, task.Train.Count);
        Assert.Equal(4, task.Train.Rounds);
        var (seen, held) = SceneGenerator.Validation(train, settings.Scenes, 0.2);
        Assert.Equal((12, 12), (seen.Scenes.Count, held.Scenes.Count));
        Assert.Equal(seen.Scenes.Concat(held.Scenes).SelectMany(s => s.Items), task.Validation.Scenes.SelectMany(s => s.Items));
        // each split's dialogs are those dialog eval draws of it alone; the held-out split's point past the seen scenes
        var alone = new[] { seen, held }.SelectMany((split, k) => DialogSets.Of(new Tensor(split.Scenes.Count, 1, 1), [split], 4, 2, settings.Scenes.Seed)
            .Dialogs.Select(d => (d.Scene + k * seen.Scenes.Count, string.Join("|", d.Rounds.Select(r => r.Question + r.Answer)))));
        Assert.Equal(alone, task.Validation.Dialogs.Select(d => (d.Scene, string.Join("|", d.Rounds.Select(r => r.Question + r.Answer)))));
        // validation and training dialogs differ in their draw as well as in their scenes
        Assert.NotEqual(DialogSets.SplitSeed(1, "train"), DialogSets.SplitSeed(1, "validation-seen"));
    }

    /// <summary>Two scores are equal when every count and the loss are.</summary>
    private sealed class ScoreComparer : IEqualityComparer<DialogScore>
    {
        public bool Equals(DialogScore? x, DialogScore? y)
            => x is not null && y is not null && x.Loss == y.Loss && x.NeedsHistory == y.NeedsHistory && x.Others == y.Others && x.ByRound.SequenceEqual(y.ByRound);

        public int GetHashCode(DialogScore obj) => 0;
    }
}
