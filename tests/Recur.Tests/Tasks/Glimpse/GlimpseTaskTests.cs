using Recur.Data.Glimpse;
using Recur.IO;
using Recur.Models;
using Recur.Models.Glimpse;
using Recur.Tasks.Glimpse;
using Recur.Training;
using Xunit;

namespace Recur.Tests.Tasks.Glimpse;

/// <summary>
/// The glimpse task on the trainer over the committed Fashion-MNIST sample (600 training, 200 test images): exact resume for both
/// models, checkpoints, the deterministic evaluation of the split asked for, and the recipe's pixel budget.
/// </summary>
public sealed class GlimpseTaskTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("recur-glimpse-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    internal static string SampleDir => Path.Combine(AppContext.BaseDirectory, "Data", "Samples", "fashion-mnist");

    internal static GlimpseData Sample { get; } = GlimpseDefinition.Instance.LoadData(SampleDir);

    /// <summary>550 training objects in 8 batches of 64 (the last partial one skipped), so 10 iterations cross an epoch.</summary>
    private static TrainOptions Small { get; } =
        GlimpseDefinition.Instance.Defaults with { Hidden = 8, Minutes = 0, MaxIters = 10, EvalEvery = 4, Threads = 1 };

    internal static GlimpseSettings Tiny { get; } = new()
    {
        Size = 40, Clutter = 3, Glimpses = 3, Patch = 4, Scales = 2, GlimpseHidden = 6, LocationHidden = 4, GlimpseOut = 8,
        CnnWidth = 2, CnnStages = 2, CnnFc = 6,
    };

    private static Trainer Create(TrainOptions o, GlimpseSettings s) => GlimpseDefinition.Instance.Create(o, s, Sample, SampleDir);

    [Theory]
    [InlineData("ram")]
    [InlineData("cnn")]
    public void ResumeIsBitIdenticalAcrossAnEpochBoundary(string model)
    {
        var o = Small with { Model = model, Ema = 0.9 };
        var straight = Create(o, Tiny);
        straight.Run();
        Assert.Equal(8, straight.Task.BatchesPerEpoch);

        string run = Path.Combine(_dir, "run");
        var first = Create(o with { MaxIters = 5 }, Tiny);
        first.OutputDirectory = run;
        first.Run();
        var second = GlimpseDefinition.Instance.Resume(GlimpseCheckpoint.Instance.Load(run, CheckpointKind.Latest), Sample, o);
        second.Run();

        Assert.Equal(10, second.Iteration);
        Assert.Equal(straight.TrainLosses, second.TrainLosses);
        Assert.Equal(straight.Task.Store.Values, second.Task.Store.Values);
        Assert.Equal(straight.Optimizer.State["exp_avg_sq"], second.Optimizer.State["exp_avg_sq"]);
        Assert.Equal(straight.LastMetrics!.Loss, second.LastMetrics!.Loss);
        Assert.Equal(straight.LastMetrics.Extra["error"], second.LastMetrics.Extra["error"]);
    }

    /// <summary>The first run folder of the format (Fixtures/oldruns/glimpse, see its README.md) loads and resumes.</summary>
    [Fact]
    public void TheFirstFormatsRunFolderLoadsAndResumes()
    {
        string fixture = Path.Combine(AppContext.BaseDirectory, "Fixtures", "oldruns", "glimpse");
        string copy = Path.Combine(_dir, "old");
        foreach (var f in Directory.GetFiles(fixture, "*", SearchOption.AllDirectories))
        {
            string to = Path.Combine(copy, Path.GetRelativePath(fixture, f));
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(f, to);
        }
        var ck = GlimpseCheckpoint.Instance.Load(copy, CheckpointKind.Latest);
        var ram = Assert.IsType<RamClassifier>(ck.Model);
        Assert.Equal(new GlimpseConfig { Width = 40, Height = 40, Steps = 2, Patch = 4, Scales = 2, GlimpseHidden = 4, LocationHidden = 4,
            GlimpseOut = 4, CoreHidden = 4 }, ram.Model.Config);
        Assert.Equal(new ClutterOptions { Size = 40, Clutter = 3, Seed = 1 }, ck.Clutter);
        Assert.Equal(ram.Model.Config.ParameterCount(), ck.Model.Store.Count);
        Assert.Equal(4, ck.Progress!.Iteration);
        var trainer = GlimpseDefinition.Instance.Resume(ck, Sample, ck.Training! with { MaxIters = 6 });
        Assert.Equal(4, trainer.Iteration);
        trainer.Run();
        Assert.Equal(6, GlimpseCheckpoint.Instance.Load(copy, CheckpointKind.Latest).Progress!.Iteration);
    }

    [Fact]
    public void ACheckpointRoundTripsAndRefusesWhatDoesNotFit()
    {
        foreach (string model in new[] { "ram", "cnn" })
        {
            string run = Path.Combine(_dir, "ck-" + model);
            var t = Create(Small with { Model = model, MaxIters = 2, EvalEvery = 2 }, Tiny with { ReinforceIntoCore = false, LocatorHidden = 3 });
            t.OutputDirectory = run;
            t.Run();
            Assert.Equal(GlimpseTask.TaskName, CheckpointFiles.TaskOf(run));
            var ck = GlimpseCheckpoint.Instance.Load(run, CheckpointKind.Latest);
            var trained = ((GlimpseTask)t.Task).Model;
            Assert.Equal(model, ck.Model.Architecture);
            Assert.Equal(trained.Config.ToString(), ck.Model.Config.ToString()); // records' text: the CNN's channels are an array
            Assert.Equal(trained.Store.Values, ck.Model.Store.Values);
            Assert.Equal(Tiny.ToClutter(), ck.Clutter);
            Assert.Equal(model == "ram" ? 3 * 2 * 4 * 4 : 40 * 40, trained.ValuesRead); // ram: 3 glimpses x 2 scales x 4x4
            var test = ClutteredSplit.Test(Sample.Test, ck.Clutter);
            Assert.Equal(GlimpseScore.Of(trained, test), GlimpseScore.Of(ck.Model, test));
            if (ck.Model is RamClassifier ram)
            {
                Assert.Equal((false, 3), (ram.Model.Config.ReinforceIntoCore, ram.Model.Config.LocatorHidden));
                Assert.Equal(96, ram.ValuesRead);
                Assert.Equal(ram.Model.Config.ParameterCount(), ram.Store.Count);
            }
            else Assert.Equal(((CnnClassifier)ck.Model).Net.Config.ParameterCount(), ck.Model.Store.Count);
            Assert.Same(GlimpseDefinition.Instance, Recur.Tasks.TaskRegistry.Find("glimpse"));

            string config = Path.Combine(run, "latest", CheckpointFiles.ConfigFile);
            string text = File.ReadAllText(config);
            Assert.Contains("\"format\": \"recur-glimpse\"", text);
            Assert.Contains($"\"architecture\": \"{model}\"", text);
            File.WriteAllText(config, text.Replace("\"size\": 40", "\"size\": 44"));
            Assert.Contains("44x44", Assert.Throws<CheckpointFormatException>(() => GlimpseCheckpoint.Instance.Load(run, CheckpointKind.Latest)).Message);
            File.WriteAllText(config, text.Replace($"\"architecture\": \"{model}\"", "\"architecture\": \"mlp\""));
            Assert.Contains("mlp", Assert.Throws<CheckpointFormatException>(() => GlimpseCheckpoint.Instance.Load(run, CheckpointKind.Latest)).Message);
            string wide = model == "ram" ? text.Replace("\"core_hidden\": 8", "\"core_hidden\": 9000") : text.Replace("\"fc\": 6", "\"fc\": 60000");
            Assert.NotEqual(text, wide);
            File.WriteAllText(config, wide);
            Assert.Contains("corrupted", Assert.Throws<CheckpointFormatException>(() => GlimpseCheckpoint.Instance.Load(run, CheckpointKind.Latest)).Message);
        }
    }

    [Fact]
    public void EvaluationIsDeterministicAndScoresTheSplitAsked()
    {
        string run = Path.Combine(_dir, "eval");
        var t = Create(Small with { MaxIters = 2, EvalEvery = 2 }, Tiny);
        t.OutputDirectory = run;
        t.Run();
        var task = (GlimpseTask)t.Task;
        Assert.Equal(50, task.Validation.Count);
        var a = task.Evaluate();
        task.Threads = 2;
        var b = task.Evaluate();
        Assert.Equal(a.Loss, b.Loss);
        Assert.Equal(a.Extra["error"], b.Extra["error"]);
        Assert.Equal(96.0 / 1600, a.Extra["pixels_read"]);
        Assert.Equal(1 - a.Extra["error"], a.Extra["accuracy"], 12);
        Assert.Equal("error", task.BestBy);

        var ck = GlimpseCheckpoint.Instance.Load(run);
        var (test, unit) = GlimpseDefinition.Instance.ScoreTest(ck, Sample, threads: 1);
        Assert.Equal("nats", unit);
        var byHand = GlimpseScore.Of(ck.Model, ClutteredSplit.Test(Sample.Test, ck.Clutter));
        Assert.Equal(200, byHand.Images);
        Assert.Equal((byHand.Loss, byHand.Error), (test.Loss, test.Extra["error"]));
        var (validation, _) = GlimpseDefinition.Instance.ScoreValidation(ck, Sample, threads: 1);
        Assert.Equal(50, GlimpseScore.Of(ck.Model, ClutteredSplit.Validation(Sample.Train, ck.Clutter)).Images);
        Assert.NotEqual(validation.Loss, test.Loss);
        Assert.Throws<ArgumentException>(() => ClutteredSplit.Scored("train", Sample.Train, Sample.Test, ck.Clutter));
        // a model of another canvas size is refused
        var other = ClutteredSplit.Test(Sample.Test, ck.Clutter with { Size = 60 });
        Assert.Contains("60x60", Assert.Throws<ArgumentException>(() => GlimpseScore.Of(ck.Model, other)).Message);
    }

    /// <summary>
    /// The score of a tiny case by hand: a CNN whose every weight is zero but the head's bias, which favours class 2 by ln 3 over
    /// the rest (logits 0 except 1.0986), so every canvas gets <c>p(2) = 3 / 12</c>: loss <c>-ln(1/4)</c> on class 2's canvases and
    /// <c>-ln(1/12)</c> on the others, error the fraction not of class 2.
    /// </summary>
    [Fact]
    public void TheScoreOfATinyCaseWorkedByHand()
    {
        var cnn = new CnnClassifier(new ConvNet(Tiny.ToCnn()));
        cnn.Store["head.bias"].Value[2] = MathF.Log(3f);
        var split = ClutteredSplit.Test(Sample.Test, Tiny.ToClutter());
        int twos = Sample.Test.Labels.Count(l => l == 2);
        var s = GlimpseScore.Of(cnn, split);
        Assert.Equal(200, s.Images);
        Assert.Equal(1 - twos / 200.0, s.Error, 12);
        Assert.Equal((twos * Math.Log(4) + (200 - twos) * Math.Log(12)) / 200, s.Loss, 5);
        Assert.Equal(1.0, s.PixelsRead);
    }

    [Fact]
    public void TheRecipeReadsAtMostATenthOfA100x100Canvas()
    {
        var d = GlimpseDefinition.Instance.Defaults;
        Assert.Equal(("ram", "adam", 1e-3, 64, 5.0, 15.0, 256), (d.Model, d.Optimizer, d.LearningRate, d.BatchSize, d.GradClip, d.Minutes, d.Hidden));
        var s = new GlimpseSettings();
        Assert.Equal(new ClutterOptions { Size = 100, Clutter = 8, Seed = 1 }, s.ToClutter());
        Assert.Equal(4, (s with { Size = 60 }).ToClutter().Clutter);
        var ram = new RamClassifier(new RecurrentAttentionModel(s.ToRam(d.Hidden)));
        Assert.Equal(900, ram.ValuesRead);
        // REINFORCE into the core, chosen on validation (docs/VISION.md); the location network linear, as the paper's
        Assert.Equal((true, 0, 0.17f), (ram.Model.Config.ReinforceIntoCore, ram.Model.Config.LocatorHidden, ram.Model.Config.Sigma));
        Assert.True(ram.ValuesRead <= 0.10 * 100 * 100);
        var cnn = new CnnClassifier(new ConvNet(s.ToCnn()));
        Assert.Equal([16, 32, 32], cnn.Net.Config.Channels);
        // similar sizes: within 5 % of each other at 100x100
        double ratio = (double)cnn.Store.Count / ram.Store.Count;
        Assert.InRange(ratio, 0.95, 1.05);
        Assert.DoesNotContain(GlimpseDefinition.Instance.SharedOptions, o => o.Flag is "layers" or "dropout" or "embed" or "val-frac");
        Assert.Equal(["ram", "cnn"], GlimpseDefinition.Instance.SharedOptions.Single(o => o.Flag == "model").Choices);
        Assert.Throws<ArgumentException>(() => GlimpseDefinition.NewModel(d with { Model = "lstm" }, s));
    }

    [Fact]
    public void TrainingLowersTheLoss()
    {
        var t = Create(Small with { Model = "cnn", MaxIters = 60, EvalEvery = 60, LearningRate = 1e-2 }, Tiny with { CnnWidth = 4, CnnFc = 16 });
        t.Run();
        Assert.True(t.TrainLosses.Skip(50).Average() < t.TrainLosses.Take(10).Average() - 0.1, $"{t.TrainLosses[0]} -> {t.TrainLosses[^1]}");
    }
}
