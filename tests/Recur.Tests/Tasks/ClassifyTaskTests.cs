using Recur.Data;
using Recur.IO;
using Recur.Tasks;
using Recur.Training;
using Xunit;

namespace Recur.Tests.Tasks;

public sealed class ClassifyTaskTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "recur-classify-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    internal static string SampleDir => Path.Combine(AppContext.BaseDirectory, "Data", "Samples", "fashion-mnist");

    private static TrainOptions Small => ClassifyOptions with { Hidden = 16, BatchSize = 32, EvalEvery = 3, MaxEpochs = 0, ValFrac = 0.2 };

    private static TrainOptions ClassifyOptions { get; } = new() { Model = "lstm", Layers = 1, Optimizer = "adam", LearningRate = 5e-3 };

    [Fact]
    public void TrainingLowersTheLossAndReportsAccuracy()
    {
        var (train, _) = FashionMnist.Load(SampleDir);
        var t = ClassifyTrainer.Create(Small with { MaxIters = 45, EvalEvery = 15 }, train, FashionMnist.ClassNames, SampleDir);
        var r = t.Run();
        Assert.Equal(StopReason.MaxIters, r.Reason);
        Assert.True(t.TrainLosses.Skip(40).Average() < t.TrainLosses.Take(5).Average() - 0.3, $"{t.TrainLosses[0]} -> {t.TrainLosses[^1]}");
        var m = t.LastMetrics!;
        Assert.InRange(m.Extra["accuracy"], 0.2, 1.0);
        Assert.Equal(120, ((ClassifyTask)t.Task).Validation.Count);
    }

    [Fact]
    public void ResumeIsBitIdenticalAcrossAnEpochBoundary()
    {
        var (train, _) = FashionMnist.Load(SampleDir);
        var o = Small with { MaxIters = 20, Dropout = 0.2, Layers = 2 }; // 15 batches per epoch: the run crosses one
        var straight = ClassifyTrainer.Create(o, train, FashionMnist.ClassNames, SampleDir);
        straight.Run();

        string run = Path.Combine(_dir, "run");
        var first = ClassifyTrainer.Create(o with { MaxIters = 9 }, train, FashionMnist.ClassNames, SampleDir);
        first.OutputDirectory = run;
        first.Run();
        var ck = ClassifierCheckpoint.Load(run, CheckpointKind.Latest);
        var second = ClassifyTrainer.Resume(ck, train, o);
        second.Run();

        Assert.Equal(straight.TrainLosses, second.TrainLosses);
        Assert.Equal(straight.Task.Store.Values, second.Task.Store.Values);
        Assert.Equal(straight.Optimizer.State["exp_avg_sq"], second.Optimizer.State["exp_avg_sq"]);
    }

    [Fact]
    public void EpochOrderIsAShuffleThatDependsOnTheSeedAndTheEpoch()
    {
        var a = ClassifyTask.Order(500, 1234, 0);
        Assert.Equal(Enumerable.Range(0, 500), a.Order());
        Assert.Equal(a, ClassifyTask.Order(500, 1234, 0));
        Assert.NotEqual(a, ClassifyTask.Order(500, 1234, 1));
        Assert.NotEqual(a, ClassifyTask.Order(500, 99, 0));
        Assert.NotEqual(Enumerable.Range(0, 500), a);
    }

    [Fact]
    public void ClassifierCheckpointsRefuseWhatDoesNotFit()
    {
        var (train, _) = FashionMnist.Load(SampleDir);
        string run = Path.Combine(_dir, "ck");
        var t = ClassifyTrainer.Create(Small with { MaxIters = 2 }, train, FashionMnist.ClassNames, SampleDir);
        t.OutputDirectory = run;
        t.Run();
        Assert.Equal(ClassifierCheckpoint.TaskName, Checkpoint.TaskOf(run));
        var e = Assert.Throws<CheckpointFormatException>(() => Checkpoint.Load(run));
        Assert.Contains("classify", e.Message);
        string config = Path.Combine(run, "best", Checkpoint.ConfigFile);
        File.WriteAllText(config, File.ReadAllText(config).Replace("\"hidden\": 16", "\"hidden\": 17"));
        var w = Assert.Throws<CheckpointFormatException>(() => ClassifierCheckpoint.Load(run));
        Assert.Contains("shape", w.Message);
    }
}
