using Recur.Data;
using Recur.Data.Scenes;
using Recur.IO;
using Recur.Models;
using Recur.Models.Captioning;
using Recur.Tasks;
using Recur.Training;
using Xunit;

namespace Recur.Tests.Tasks;

public sealed class CaptionTaskTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "recur-captask-" + Guid.NewGuid().ToString("N"));

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

    private static TrainOptions Options(string kind) => new()
    {
        Model = kind, Hidden = 12, Embed = 6, BatchSize = 16, Optimizer = "adam", LearningRate = 3e-3, EvalEvery = 4, ValFrac = 0.1, Threads = 1, Seed = 3,
    };

    private static CaptionSettings Settings => new() { AttentionDim = 6, Scenes = new SceneOptions { Train = 120, TestSeen = 10, TestHeldOut = 10 } };

    [Theory]
    [InlineData("attention", false)]
    [InlineData("attention", true)]
    [InlineData("rnn", false)]
    public void ResumeIsBitIdenticalAndCheckpointsRoundTrip(string kind, bool located)
    {
        var (train, _) = FashionMnist.Load(ClassifyTaskTests.SampleDir);
        var o = Options(kind) with { MaxIters = 11 }; // 6 batches per epoch: the run crosses an epoch
        // located: the fc features of each cell with coordinates, label smoothing, the zero initial state and visual words, all kept by the checkpoint
        var settings = located ? Settings with { Features = "fc", Coordinates = true, LabelSmoothing = 0.1f, InitialState = "zero", VisualWords = true } : Settings;
        var straight = CaptionTrainer.Create(o, settings, Encoder(), train, "sample");
        straight.Run();

        string run = Path.Combine(_dir, $"{kind}-{located}");
        var first = CaptionTrainer.Create(o with { MaxIters = 4 }, settings, Encoder(), train, "sample");
        first.OutputDirectory = run;
        first.Run();
        var ck = CaptionCheckpoint.Load(run, CheckpointKind.Latest);
        Assert.Equal(first.Task.Store.Values, ck.Model.Store.Values);
        Assert.Equal(Encoder().Store.Values, ck.Encoder.Network.Store.Values);
        Assert.Equal(120, ck.Scenes.Train);
        Assert.Equal(located, ck.Encoder.Coordinates);
        Assert.Equal(located ? "fc" : "conv", ck.Encoder.Features);
        Assert.Equal(located ? 9 : 49, ck.Model.Config.GridRows * ck.Model.Config.GridCols);
        Assert.Equal(settings.LabelSmoothing, ck.Model.Config.LabelSmoothing);
        Assert.Equal(settings.InitialState, ck.Model.Config.InitialState);
        Assert.Equal(located ? 10 : 0, ck.Model.Config.SingularWords.Length);
        var second = CaptionTrainer.Resume(ck, train, o);
        second.Run();
        Assert.Equal(straight.TrainLosses, second.TrainLosses);
        Assert.Equal(straight.Task.Store.Values, second.Task.Store.Values);

        // The loaded captioner captions exactly as the one that was saved.
        var task = (CaptionTask)first.Task;
        var a = CaptionDecoder.Greedy(task.Model, task.Validation.Features, task.Validation.Vocabulary).Select(c => c.Text);
        var b = CaptionDecoder.Greedy(ck.Model, task.Validation.Features, ck.Vocabulary).Select(c => c.Text);
        Assert.Equal(a, b);
    }

    [Fact]
    public void ACheckpointThatDoesNotFitIsRefused()
    {
        var (train, _) = FashionMnist.Load(ClassifyTaskTests.SampleDir);
        string run = Path.Combine(_dir, "bad");
        var t = CaptionTrainer.Create(Options("lstm") with { MaxIters = 1 }, Settings, Encoder(), train, "sample");
        t.OutputDirectory = run;
        t.Run();
        string config = Path.Combine(run, "best", Checkpoint.ConfigFile);
        string text = File.ReadAllText(config);
        File.WriteAllText(config, text.Replace("\"hidden\": 12", "\"hidden\": 13"));
        Assert.Contains("shape", Assert.Throws<CheckpointFormatException>(() => CaptionCheckpoint.Load(run)).Message);
        File.WriteAllText(config, text.Replace("\"grid_pool\": 3", "\"grid_pool\": 0"));
        Assert.Throws<CheckpointFormatException>(() => CaptionCheckpoint.Load(run));
        File.WriteAllText(config, text.Replace("\"above\"", "\"below\"")); // a word twice
        Assert.Throws<CheckpointFormatException>(() => CaptionCheckpoint.Load(run));
        Assert.Throws<ArgumentException>(() => CaptionTrainer.Create(Options("gru"), Settings, Encoder(), train, "sample"));
    }
}
