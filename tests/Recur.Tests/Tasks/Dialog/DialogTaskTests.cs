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
        var o = new TrainOptions
        {
            Hidden = 16, Embed = 8, BatchSize = 8, Optimizer = "adam", LearningRate = 1e-2, EvalEvery = 5, ValFrac = 0.2, Threads = 1, MaxIters = 13,
        };
        var straight = DialogDefinition.Instance.Create(o, settings with { Encoder = Encoder() }, train, "sample");
        straight.Run();
        Assert.True(straight.TrainLosses.Skip(10).Average() < straight.TrainLosses.Take(3).Average(), "the loss fell");
        string run = Path.Combine(_dir, history + blind);
        var first = DialogDefinition.Instance.Create(o with { MaxIters = 4 }, settings with { Encoder = Encoder() }, train, "sample");
        first.OutputDirectory = run;
        first.Run();
        var ck = DialogCheckpoint.Instance.Load(run, CheckpointKind.Latest);
        var c = ck.Model.Config;
        Assert.Equal((history, blind, blind ? 1 : 2, 4, 1), (c.History, c.Blind, c.Hops, ck.Rounds, ck.DialogsPerScene));
        Assert.Equal(blind ? 0 : 10, ck.Model.Config.VisualAnswers.Length);
        Assert.Equal(first.Task.Store.Values, ck.Model.Store.Values);
        var second = DialogDefinition.Instance.Resume(ck, train, o);
        second.Run();
        Assert.Equal(straight.TrainLosses, second.TrainLosses);
        Assert.Equal(straight.Task.Store.Values, second.Task.Store.Values);
        var task = (DialogTask)first.Task;
        Assert.Equal(DialogScore.Of(task.Model, task.Validation), DialogScore.Of(ck.Model, task.Validation), new ScoreComparer());
        // best/ is chosen by the validation error, the task's own figure, not by the loss
        var m = task.Evaluate();
        Assert.Equal(DialogTask.ErrorMetric, task.BestBy);
        Assert.Equal(1 - DialogScore.Of(task.Model, task.Validation).Accuracy, m.Extra[DialogTask.ErrorMetric], 12);
        Assert.Equal(DialogTask.ErrorMetric, DialogCheckpoint.Instance.Load(run, CheckpointKind.Best).Progress!.BestBy);
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

    /// <summary>The first run folder of the format (Fixtures/oldruns/dialog, see its README.md) loads and resumes.</summary>
    [Fact]
    public void TheFirstFormatsRunFolderLoadsAndResumes()
    {
        string fixture = Path.Combine(AppContext.BaseDirectory, "Fixtures", "oldruns", "dialog");
        string copy = Path.Combine(_dir, "old");
        foreach (var f in Directory.GetFiles(fixture, "*", SearchOption.AllDirectories))
        {
            string to = Path.Combine(copy, Path.GetRelativePath(fixture, f));
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(f, to);
        }
        var ck = DialogCheckpoint.Instance.Load(copy, CheckpointKind.Latest);
        var c = ck.Model.Config;
        Assert.Equal(("hre", 2, false, 8, 8, 8, 8, 3, 3), (c.History, c.Hops, c.Blind, c.Hidden, c.Embed, c.AttentionDim, c.Fusion, c.GridRows, c.GridCols));
        Assert.Equal(10, c.VisualAnswers.Length);
        Assert.Equal((4, 1), (ck.Rounds, ck.DialogsPerScene));
        Assert.Equal(new SceneOptions { Train = 40, TestSeen = 4, TestHeldOut = 4 }, ck.Scenes);
        Assert.Equal(("fc", true), (ck.Encoder.Features, ck.Encoder.Coordinates));
        Assert.Equal(4, ck.Progress!.Iteration);
        var (train, _) = FashionMnist.Load(ClassifyTaskTests.SampleDir);
        var trainer = DialogDefinition.Instance.Resume(ck, train, ck.Training! with { MaxIters = 6 });
        Assert.Equal(4, trainer.Iteration);
        trainer.Run();
        Assert.Equal(6, DialogCheckpoint.Instance.Load(copy, CheckpointKind.Latest).Progress!.Iteration);
    }

    /// <summary>Two scores are equal when every count and the loss are.</summary>
    private sealed class ScoreComparer : IEqualityComparer<DialogScore>
    {
        public bool Equals(DialogScore? x, DialogScore? y)
            => x is not null && y is not null && x.Loss == y.Loss && x.NeedsHistory == y.NeedsHistory && x.Others == y.Others
                && x.ByRound.SequenceEqual(y.ByRound);

        public int GetHashCode(DialogScore obj) => 0;
    }
}
