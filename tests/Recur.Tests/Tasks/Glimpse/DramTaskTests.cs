using Recur.Data.Scenes;
using Recur.IO;
using Recur.Models.Glimpse;
using Recur.Tasks.Glimpse;
using Recur.Training;
using Xunit;

namespace Recur.Tests.Tasks.Glimpse;

/// <summary>
/// DRAM on the trainer over the committed Fashion-MNIST sample (600 training, 200 test images): exact resume across an epoch,
/// the checkpoint, the deterministic evaluation of the split asked for, and scenes drawn under the protocol.
/// </summary>
public sealed class DramTaskTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("recur-dram-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    /// <summary>100 training scenes in 6 batches of 16 (the last partial one skipped), so 10 iterations cross an epoch; 10 validation scenes.</summary>
    private static TrainOptions Small { get; } =
        DramDefinition.Instance.Defaults with { Hidden = 6, BatchSize = 16, ValFrac = 0.1, Minutes = 0, MaxIters = 10, EvalEvery = 4, Threads = 1 };

    internal static DramSettings Tiny { get; } = new()
    {
        Scenes = 100, Patch = 4, Scales = 2, GlimpseHidden = 6, LocationHidden = 4, GlimpseOut = 5, UpperHidden = 5, ContextPool = 12,
    };

    private static Trainer Create(TrainOptions o, DramSettings s) => DramDefinition.Instance.Create(o, s, GlimpseTaskTests.Sample, GlimpseTaskTests.SampleDir);

    [Fact]
    public void ResumeIsBitIdenticalAcrossAnEpochBoundary()
    {
        var o = Small with { Ema = 0.9 };
        var straight = Create(o, Tiny);
        straight.Run();
        Assert.Equal(6, straight.Task.BatchesPerEpoch);

        string run = Path.Combine(_dir, "run");
        var first = Create(o with { MaxIters = 5 }, Tiny);
        first.OutputDirectory = run;
        first.Run();
        var second = DramDefinition.Instance.Resume(DramCheckpoint.Instance.Load(run, CheckpointKind.Latest), GlimpseTaskTests.Sample, o);
        second.Run();

        Assert.Equal(10, second.Iteration);
        Assert.Equal(straight.TrainLosses, second.TrainLosses);
        Assert.Equal(straight.Task.Store.Values, second.Task.Store.Values);
        Assert.Equal(straight.Optimizer.State["exp_avg_sq"], second.Optimizer.State["exp_avg_sq"]);
        Assert.Equal(straight.LastMetrics!.Loss, second.LastMetrics!.Loss);
        Assert.Equal(straight.LastMetrics.Extra["error"], second.LastMetrics.Extra["error"]);
        Assert.NotEqual(straight.TrainLosses[0], straight.TrainLosses[^1]);
    }

    /// <summary>The first run folder of the format (Fixtures/oldruns/dram, see its README.md) loads and resumes.</summary>
    [Fact]
    public void TheFirstFormatsRunFolderLoadsAndResumes()
    {
        string fixture = Path.Combine(AppContext.BaseDirectory, "Fixtures", "oldruns", "dram");
        string copy = Path.Combine(_dir, "old");
        foreach (var f in Directory.GetFiles(fixture, "*", SearchOption.AllDirectories))
        {
            string to = Path.Combine(copy, Path.GetRelativePath(fixture, f));
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(f, to);
        }
        var ck = DramCheckpoint.Instance.Load(copy, CheckpointKind.Latest);
        Assert.Equal(new DramConfig { GlimpsesPerObject = 1, Patch = 4, Scales = 2, GlimpseHidden = 4, LocationHidden = 4, GlimpseOut = 4,
            LowerHidden = 4, UpperHidden = 4, ContextPool = 12 }, ck.Model.Config);
        Assert.Equal(new SceneOptions { Train = 40, Seed = 1 }, ck.Scenes);
        Assert.Equal(ck.Model.Config.ParameterCount(), ck.Model.Store.Count);
        Assert.Equal(4, ck.Progress!.Iteration);
        var trainer = DramDefinition.Instance.Resume(ck, GlimpseTaskTests.Sample, ck.Training! with { MaxIters = 6 });
        Assert.Equal(4, trainer.Iteration);
        trainer.Run();
        Assert.Equal(6, DramCheckpoint.Instance.Load(copy, CheckpointKind.Latest).Progress!.Iteration);
    }

    [Fact]
    public void ACheckpointRoundTripsAndRefusesWhatDoesNotFit()
    {
        string run = Path.Combine(_dir, "ck");
        var t = Create(Small with { MaxIters = 2, EvalEvery = 2 }, Tiny with { ReinforceIntoLower = true });
        t.OutputDirectory = run;
        t.Run();
        Assert.Equal(DramCheckpoint.TaskName, CheckpointFiles.TaskOf(run));
        Assert.Same(DramDefinition.Instance, Recur.Tasks.TaskRegistry.Find("dram"));
        var ck = DramCheckpoint.Instance.Load(run, CheckpointKind.Latest);
        var trained = ((DramTask)t.Task).Model;
        Assert.Equal(trained.Config, ck.Model.Config);
        Assert.True(ck.Model.Config.ReinforceIntoLower);
        Assert.Equal(trained.Store.Values, ck.Model.Store.Values);
        Assert.Equal(Tiny.ToScenes(), ck.Scenes);
        Assert.Equal(ck.Model.Config.ParameterCount(), ck.Model.Store.Count);
        var val = ((DramTask)t.Task).Validation;
        Assert.Equal(DramScore.Of(trained, val), DramScore.Of(ck.Model, val));

        string config = Path.Combine(run, "latest", CheckpointFiles.ConfigFile);
        string text = File.ReadAllText(config);
        Assert.Contains("\"format\": \"recur-dram\"", text);
        Assert.Contains("\"<end>\"", text);
        File.WriteAllText(config, text.Replace("\"width\": 84", "\"width\": 88"));
        Assert.Throws<CheckpointFormatException>(() => DramCheckpoint.Instance.Load(run, CheckpointKind.Latest));
        File.WriteAllText(config, text.Replace("\"lower_hidden\": 6", "\"lower_hidden\": 9000"));
        Assert.Contains("corrupted", Assert.Throws<CheckpointFormatException>(() => DramCheckpoint.Instance.Load(run, CheckpointKind.Latest)).Message);
        Assert.Throws<CheckpointFormatException>(() => GlimpseCheckpoint.Instance.Load(run, CheckpointKind.Best));
    }

    [Fact]
    public void EvaluationIsDeterministicAndScoresTheSplitAsked()
    {
        var t = Create(Small with { MaxIters = 2, EvalEvery = 2 }, Tiny);
        t.Run();
        var task = (DramTask)t.Task;
        Assert.Equal(10, task.Validation.Scenes.Count);
        Assert.Same(GlimpseTaskTests.Sample.Train, task.Validation.Images);
        var a = task.Evaluate();
        task.Threads = 2;
        var b = task.Evaluate();
        Assert.Equal(a.Loss, b.Loss);
        Assert.Equal(a.Extra, b.Extra);
        Assert.Equal(1 - a.Extra["sequence_accuracy"], a.Extra["error"], 12);
        Assert.Equal("error", task.BestBy);

        // validation scenes use only the training images no training scene uses; test scenes the test images
        int cut = SceneImages.ValidationStart(GlimpseTaskTests.Sample.Train.Count);
        Assert.All(task.Train.Scenes.SelectMany(s => s.Items), i => Assert.True(i.Image < cut));
        Assert.All(task.Validation.Scenes.SelectMany(s => s.Items), i => Assert.True(i.Image >= cut));
        var ck = new LoadedDram(task.Model, Tiny.ToScenes()) { Training = Small };
        var (test, _) = DramDefinition.Instance.ScoreTest(ck, GlimpseTaskTests.Sample);
        var (valid, _) = DramDefinition.Instance.ScoreValidation(ck, GlimpseTaskTests.Sample);
        Assert.Equal(a.Loss, valid.Loss);
        Assert.NotEqual(a.Loss, test.Loss);
        var testScenes = DramDefinition.Split(GlimpseTaskTests.Sample, Tiny.ToScenes(), 0.1, "test");
        Assert.Same(GlimpseTaskTests.Sample.Test, testScenes.Images);
        Assert.Equal(2000, testScenes.Scenes.Count); // both test splits of --test-scenes 1,000
    }

    [Fact]
    public void SettingsBuildTheSceneModel()
    {
        var c = new DramSettings().ToConfig(128);
        Assert.Equal(new DramConfig(), c);
        Assert.Equal(4, c.Objects);
        Assert.Equal(10, c.Steps);
        Assert.Equal(441, c.ContextSize);
        Assert.Throws<ArgumentException>(() => new DeepRecurrentAttentionModel(c with { ContextPool = 5 }));
    }
}
