using Recur.Data;
using Recur.IO;
using Recur.Models;
using Recur.Tasks;
using Recur.Tasks.CharLm;
using Recur.Training;
using Recur.Tasks.Classify;
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

    /// <summary>A new classification run over <paramref name="train"/> (Fashion-MNIST's class names).</summary>
    internal static Trainer Create(TrainOptions o, LabeledImages train, string source, ClassifySettings? settings = null)
        => ClassifyDefinition.Instance.Create(o, settings ?? new ClassifySettings(), ClassifyData.Fashion(train), source);

    private static TrainOptions Small => ClassifyOptions with { Hidden = 16, BatchSize = 32, EvalEvery = 3, MaxEpochs = 0, ValFrac = 0.2 };

    private static TrainOptions ClassifyOptions { get; } = new() { Model = "lstm", Layers = 1, Optimizer = "adam", LearningRate = 5e-3 };

    [Fact]
    public void TrainingLowersTheLossAndReportsAccuracy()
    {
        var (train, _) = FashionMnist.Load(SampleDir);
        var t = Create(Small with { MaxIters = 45, EvalEvery = 15 }, train, SampleDir);
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
        var straight = Create(o, train, SampleDir);
        straight.Run();

        string run = Path.Combine(_dir, "run");
        var first = Create(o with { MaxIters = 9 }, train, SampleDir);
        first.OutputDirectory = run;
        first.Run();
        var ck = ClassifierCheckpoint.Instance.Load(run, CheckpointKind.Latest);
        var second = ClassifyDefinition.Instance.Resume(ck, ClassifyData.Fashion(train), o);
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
        var t = Create(Small with { MaxIters = 2 }, train, SampleDir);
        t.OutputDirectory = run;
        t.Run();
        Assert.Equal(ClassifyTask.TaskName, CheckpointFiles.TaskOf(run));
        var e = Assert.Throws<CheckpointFormatException>(() => CharCheckpoint.Read(run));
        Assert.Contains("classify", e.Message);
        string config = Path.Combine(run, "best", CheckpointFiles.ConfigFile);
        File.WriteAllText(config, File.ReadAllText(config).Replace("\"hidden\": 16", "\"hidden\": 17"));
        var w = Assert.Throws<CheckpointFormatException>(() => ClassifierCheckpoint.Instance.Load(run));
        Assert.Contains("shape", w.Message);
    }
}

/// <summary><c>recur classify --model cnn</c>: the convolutional classifier on the same task, trainer and checkpoints.</summary>
public sealed class ConvClassifyTaskTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "recur-cnn-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    private static TrainOptions Cnn { get; } = new()
    {
        Model = "cnn", Layers = 2, Hidden = 16, Dropout = 0.2, BatchSize = 32, Optimizer = "adam", LearningRate = 2e-3,
        EvalEvery = 5, ValFrac = 0.2, Threads = 1,
    };

    [Fact]
    public void TrainsLowersTheLossAndRoundTripsThroughItsCheckpoint()
    {
        var (train, test) = FashionMnist.Load(ClassifyTaskTests.SampleDir);
        string run = Path.Combine(_dir, "run");
        var t = ClassifyTaskTests.Create(Cnn with { MaxIters = 30 }, train, ClassifyTaskTests.SampleDir);
        t.OutputDirectory = run;
        t.Run();
        Assert.IsType<ConvNet>(((ClassifyTask)t.Task).Model);
        Assert.True(t.TrainLosses.Skip(25).Average() < t.TrainLosses.Take(5).Average() - 0.3, $"{t.TrainLosses[0]} -> {t.TrainLosses[^1]}");
        var ck = ClassifierCheckpoint.Instance.Load(run, CheckpointKind.Latest);
        var net = Assert.IsType<ConvNet>(ck.Model);
        Assert.Equal(new[] { 32, 64 }, net.Config.Channels);
        Assert.Equal(t.Task.Store.Values, net.Store.Values);
        var a = ClassifyTask.Score(((ClassifyTask)t.Task).Model, test);
        var b = ClassifyTask.Score(net, test);
        Assert.Equal(a.Predicted, b.Predicted);
        Assert.Equal(a.Loss, b.Loss);
    }

    [Fact]
    public void ResumeIsBitIdentical()
    {
        var (train, _) = FashionMnist.Load(ClassifyTaskTests.SampleDir);
        var o = Cnn with { MaxIters = 12, Hidden = 8, Layers = 1 };
        var straight = ClassifyTaskTests.Create(o, train, ClassifyTaskTests.SampleDir);
        straight.Run();
        string run = Path.Combine(_dir, "resume");
        var first = ClassifyTaskTests.Create(o with { MaxIters = 5 }, train, ClassifyTaskTests.SampleDir);
        first.OutputDirectory = run;
        first.Run();
        var second = ClassifyDefinition.Instance.Resume(ClassifierCheckpoint.Instance.Load(run, CheckpointKind.Latest), ClassifyData.Fashion(train), o);
        second.Run();
        Assert.Equal(straight.TrainLosses, second.TrainLosses);
        Assert.Equal(straight.Task.Store.Values, second.Task.Store.Values);
    }

    [Fact]
    public void ACnnConfigThatDoesNotFitItsWeightsIsRefused()
    {
        var (train, _) = FashionMnist.Load(ClassifyTaskTests.SampleDir);
        string run = Path.Combine(_dir, "bad");
        var t = ClassifyTaskTests.Create(Cnn with { MaxIters = 1, Hidden = 8, Layers = 1 }, train, ClassifyTaskTests.SampleDir);
        t.OutputDirectory = run;
        t.Run();
        string config = Path.Combine(run, "best", CheckpointFiles.ConfigFile);
        File.WriteAllText(config, File.ReadAllText(config).Replace("\"fc\": 8", "\"fc\": 9"));
        Assert.Contains("shape", Assert.Throws<CheckpointFormatException>(() => ClassifierCheckpoint.Instance.Load(run)).Message);
        File.WriteAllText(config, File.ReadAllText(config).Replace("\"kernel\": 3", "\"kernel\": 4"));
        Assert.Contains("kernel", Assert.Throws<CheckpointFormatException>(() => ClassifierCheckpoint.Instance.Load(run)).Message);
    }
}
