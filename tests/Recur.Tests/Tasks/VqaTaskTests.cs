using Recur.Data;
using Recur.Data.Scenes;
using Recur.IO;
using Recur.Models;
using Recur.Tasks;
using Recur.Tasks.Vqa;
using Recur.Training;
using Xunit;

namespace Recur.Tests.Tasks;

public sealed class VqaTaskTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "recur-vqatask-" + Guid.NewGuid().ToString("N"));

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

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    [InlineData(false, 2)] // an ensemble of two, each member on batches of its own order, with the learned presence
    public void LearnsResumesBitIdenticallyAndRoundTrips(bool blind, int members = 1)
    {
        var (train, _) = FashionMnist.Load(ClassifyTaskTests.SampleDir);
        // with the image: class answers read from it, fc-probs features of each cell and the class counts; all kept by the checkpoint
        var settings = new VqaSettings { Blind = blind, VisualAnswers = !blind, Features = blind ? "conv" : "fc-probs", AttentionDim = 8, Fusion = 16, Scenes = new SceneOptions { Train = 150, TestSeen = 10, TestHeldOut = 10 }, Members = members, Presence = members > 1 };
        var o = new TrainOptions { Hidden = 16, Embed = 8, BatchSize = 32, Optimizer = "adam", LearningRate = 1e-2, EvalEvery = 5, ValFrac = 0.2, Threads = 1, MaxIters = 13 };
        var straight = VqaDefinition.Instance.Create(o, settings with { Encoder = Encoder() }, train, "sample");
        straight.Run();
        Assert.True(straight.TrainLosses.Skip(10).Average() < straight.TrainLosses.Take(3).Average(), "the loss fell");
        string run = Path.Combine(_dir, blind ? "blind" : $"att{members}");
        var first = VqaDefinition.Instance.Create(o with { MaxIters = 4 }, settings with { Encoder = Encoder() }, train, "sample");
        first.OutputDirectory = run;
        first.Run();
        var ck = VqaCheckpoint.Instance.Load(run, CheckpointKind.Latest);
        Assert.Equal(blind, ck.Model.Config.Blind);
        Assert.Equal(blind ? 0 : 10, ck.Model.Config.VisualAnswers.Length);
        Assert.Equal(blind ? "conv" : "fc-probs", ck.Encoder.Features);
        Assert.Equal(blind ? 0 : 10, ck.Model.Config.ClassCountWidth);
        Assert.Equal((members, members > 1), (ck.Model.Config.Members, ck.Model.Config.Presence));
        Assert.Equal(first.Task.Store.Values, ck.Model.Store.Values);
        var second = VqaDefinition.Instance.Resume(ck, train, o);
        second.Run();
        Assert.Equal(straight.TrainLosses, second.TrainLosses);
        Assert.Equal(straight.Task.Store.Values, second.Task.Store.Values);
        var task = (VqaTask)first.Task;
        Assert.Equal(VqaScore.Of(task.Model, task.Validation).Accuracy, VqaScore.Of(ck.Model, task.Validation).Accuracy);
        // best/ is chosen by the validation error, the task's own figure, not by the loss
        Assert.Equal(VqaTask.ErrorMetric, task.BestBy);
        Assert.Equal(1 - VqaScore.Of(task.Model, task.Validation).Accuracy, task.Evaluate().Extra[VqaTask.ErrorMetric], 12);
    }

    [Fact]
    public void TrainsOnEveryTrainingSceneAndValidatesOnTheQuestionsEvalAsksOfBothValidationSplits()
    {
        var (train, _) = FashionMnist.Load(ClassifyTaskTests.SampleDir);
        var settings = new VqaSettings { AttentionDim = 8, Fusion = 16, Scenes = new SceneOptions { Train = 150, TestSeen = 10, TestHeldOut = 10 } };
        var o = new TrainOptions { Hidden = 16, Embed = 8, BatchSize = 32, ValFrac = 0.2, Threads = 1, MaxIters = 1 };
        var task = (VqaTask)VqaDefinition.Instance.Create(o, settings with { Encoder = Encoder() }, train, "sample").Task;
        Assert.Empty(task.Model.Config.CountAnswers); // counting is an experiment: off unless asked for
        var counting = (VqaTask)VqaDefinition.Instance.Create(o, settings with { Encoder = Encoder(), Counting = true }, train, "sample").Task;
        Assert.Equal(SceneQuestions.CountWords, counting.Model.Config.CountAnswers.Select(a => SceneQuestions.Answers[a]));
        Assert.Equal(150, task.Train.Scenes.Count);
        Assert.Equal(300, task.Train.Count);
        var (seen, held) = SceneGenerator.Validation(train, settings.Scenes, 0.2);
        Assert.Equal((15, 15), (seen.Scenes.Count, held.Scenes.Count));
        Assert.Equal(seen.Scenes.Concat(held.Scenes).SelectMany(s => s.Items), task.Validation.Scenes.SelectMany(s => s.Items));
        // each split's questions are those vqa eval asks of it alone; the held-out split's point past the seen scenes
        var alone = new[] { seen, held }.SelectMany((split, k) => VqaQuestions.Of(new Tensor(split.Scenes.Count, 1, 1), split, 2, settings.Scenes.Seed)
            .Items.Select(q => (q.Scene + k * seen.Scenes.Count, q.Question.Text, q.Question.Answer)));
        Assert.Equal(alone, task.Validation.Items.Select(q => (q.Scene, q.Question.Text, q.Question.Answer)));
    }
}
