using Recur.Data;
using Recur.IO;
using Recur.Models.Draw;
using Recur.Tasks.Draw;
using Recur.Training;
using Xunit;

namespace Recur.Tests.Tasks.Draw;

/// <summary>
/// The DRAW task on the trainer, over the committed Fashion-MNIST sample (600 training, 200 test images): checkpoints, exact
/// resume, the bound's evaluation (deterministic, on the split asked for, worked by hand on a tiny case) and the strips.
/// </summary>
public sealed class DrawTaskTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("recur-draw-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    internal static string SampleDir => Path.Combine(AppContext.BaseDirectory, "Data", "Samples", "fashion-mnist");

    private static DrawData Sample { get; } = DrawDefinition.Instance.LoadData(SampleDir);

    /// <summary>
    /// A small model: 480 training images (val-frac 0.2) in 7 batches of 64, so 10 iterations cross an epoch. At a constant rate:
    /// the recipe's cosine anneals over each invocation's own limit, so a first run stopped by <c>MaxIters = 5</c> would not be a
    /// prefix of a 10-iteration one.
    /// </summary>
    private static TrainOptions Small { get; } = DrawDefinition.Instance.Defaults with
    {
        Hidden = 8, Minutes = 0, MaxIters = 10, EvalEvery = 4, ValFrac = 0.2, Threads = 1, LrSchedule = "step",
    };

    private static DrawSettings Tiny(bool attention = true) => new() { Steps = 3, Latent = 3, DecoderHidden = 8, Attention = attention, WriteN = 3 };

    private static Trainer Create(TrainOptions o, DrawSettings s) => DrawDefinition.Instance.Create(o, s, Sample, SampleDir);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ResumeIsBitIdenticalAcrossAnEpochBoundary(bool attention)
    {
        var o = Small with { Ema = 0.9 };
        var straight = Create(o, Tiny(attention));
        straight.Run();
        Assert.Equal(7, straight.Task.BatchesPerEpoch);

        string run = Path.Combine(_dir, "run");
        var first = Create(o with { MaxIters = 5 }, Tiny(attention));
        first.OutputDirectory = run;
        first.Run();
        var second = DrawDefinition.Instance.Resume(DrawCheckpoint.Instance.Load(run, CheckpointKind.Latest), Sample, o);
        second.Run();

        Assert.Equal(10, second.Iteration);
        Assert.Equal(straight.TrainLosses, second.TrainLosses);
        Assert.Equal(straight.Task.Store.Values, second.Task.Store.Values);
        Assert.Equal(straight.Optimizer.State["exp_avg_sq"], second.Optimizer.State["exp_avg_sq"]);
        Assert.Equal(straight.LastMetrics!.Loss, second.LastMetrics!.Loss);
    }

    /// <summary>The first run folder of the format (Fixtures/oldruns/draw, see its README.md) loads and resumes.</summary>
    [Fact]
    public void TheFirstFormatsRunFolderLoadsAndResumes()
    {
        string fixture = Path.Combine(AppContext.BaseDirectory, "Fixtures", "oldruns", "draw");
        string copy = Path.Combine(_dir, "old");
        foreach (var f in Directory.GetFiles(fixture, "*", SearchOption.AllDirectories))
        {
            string to = Path.Combine(copy, Path.GetRelativePath(fixture, f));
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(f, to);
        }
        var ck = DrawCheckpoint.Instance.Load(copy, CheckpointKind.Latest);
        Assert.Equal(new DrawConfig { Steps = 2, EncoderHidden = 4, DecoderHidden = 4, Latent = 2, WriteN = 2 }, ck.Model.Config);
        Assert.Equal(506, ck.Model.Store.Count);
        Assert.Equal(4, ck.Progress!.Iteration);
        var trainer = DrawDefinition.Instance.Resume(ck, Sample, ck.Training! with { MaxIters = 6 });
        Assert.Equal(4, trainer.Iteration);
        trainer.Run();
        Assert.Equal(6, DrawCheckpoint.Instance.Load(copy, CheckpointKind.Latest).Progress!.Iteration);
    }

    [Fact]
    public void TrainingLowersTheBound()
    {
        var t = Create(Small with { MaxIters = 24, EvalEvery = 24, LearningRate = 1e-2 }, Tiny(attention: false) with { Steps = 2 });
        t.Run();
        Assert.True(t.TrainLosses.Skip(20).Average() < t.TrainLosses.Take(4).Average() - 50, $"{t.TrainLosses[0]} -> {t.TrainLosses[^1]}");
        var m = t.LastMetrics!;
        Assert.Equal(m.Loss, m.Extra["reconstruction"] + m.Extra["kl"], 9);
    }

    [Fact]
    public void ACheckpointRoundTripsAndRefusesWhatDoesNotFit()
    {
        string run = Path.Combine(_dir, "ck");
        var t = Create(Small with { MaxIters = 2, EvalEvery = 2 }, Tiny() with { ReadN = 3 });
        t.OutputDirectory = run;
        t.Run();
        Assert.Equal(DrawTask.TaskName, CheckpointFiles.TaskOf(run));
        var ck = DrawCheckpoint.Instance.Load(run, CheckpointKind.Latest);
        var trained = ((DrawTask)t.Task).Model;
        Assert.Equal(trained.Config, ck.Model.Config);
        Assert.Equal(8, ck.Model.Config.EncoderHidden);
        Assert.Equal(3, ck.Model.Config.ReadN);
        Assert.Equal(trained.Store.Values, ck.Model.Store.Values);
        Assert.Equal(ck.Model.Config.ParameterCount(), ck.Model.Store.Count);
        Assert.Equal(DrawBound.Of(trained, Sample.Test), DrawBound.Of(ck.Model, Sample.Test));
        Assert.Equal((600L, CheckpointFiles.TokenChecksum(DrawData.InkCounts(Sample.Train))), (ck.Data!.Characters, ck.Data.Checksum));
        Assert.Same(DrawDefinition.Instance, Recur.Tasks.TaskRegistry.Find("draw"));

        string config = Path.Combine(run, "latest", CheckpointFiles.ConfigFile);
        string text = File.ReadAllText(config);
        Assert.Contains("\"format\": \"recur-draw\"", text);
        Assert.DoesNotContain("\"pixels\"", text);
        File.WriteAllText(config, text.Replace("\"write_n\": 3", "\"write_n\": 2"));
        Assert.Contains("shape", Assert.Throws<CheckpointFormatException>(() => DrawCheckpoint.Instance.Load(run, CheckpointKind.Latest)).Message);
        File.WriteAllText(config, text.Replace("\"decoder_hidden\": 8", "\"decoder_hidden\": 9000"));
        Assert.Contains("corrupted", Assert.Throws<CheckpointFormatException>(() => DrawCheckpoint.Instance.Load(run, CheckpointKind.Latest)).Message);
        File.WriteAllText(config, text.Replace("\"steps\": 3", "\"steps\": 0"));
        Assert.Contains("steps", Assert.Throws<CheckpointFormatException>(() => DrawCheckpoint.Instance.Load(run, CheckpointKind.Latest)).Message);
    }

    [Fact]
    public void EvaluationIsDeterministicAndScoresTheSplitAsked()
    {
        var t = Create(Small with { MaxIters = 1 }, Tiny());
        t.Run();
        var task = (DrawTask)t.Task;
        Assert.Equal(120, task.Validation.Count);
        var a = task.Evaluate();
        task.Threads = 2;
        var b = task.Evaluate();
        Assert.Equal(a.Loss, b.Loss);
        Assert.Equal(a.Extra["kl"], b.Extra["kl"]);
        var asRecorded = new LoadedDraw(task.Model) { Training = Small };
        var onValidation = DrawBound.Of(task.Model, DrawDefinition.Instance.SplitImages(asRecorded, Sample, "validation"));
        Assert.Equal(120, onValidation.Images);
        Assert.Equal(a.Loss, onValidation.Bound);

        string run = Path.Combine(_dir, "eval");
        var saved = Create(Small with { MaxIters = 1, EvalEvery = 1 }, Tiny());
        saved.OutputDirectory = run;
        saved.Run();
        var ck = DrawCheckpoint.Instance.Load(run);
        var (test, unit) = DrawDefinition.Instance.ScoreTest(ck, Sample, threads: 1);
        Assert.Equal("nats", unit);
        var byHand = DrawBound.Of(ck.Model, Sample.Test);
        Assert.Equal(200, byHand.Images);
        Assert.Equal(byHand.Bound, test.Loss);
        Assert.Equal(byHand.Reconstruction, test.Extra["reconstruction"]);
        var (validation, _) = DrawDefinition.Instance.ScoreValidation(ck, Sample, threads: 1);
        Assert.NotEqual(validation.Loss, test.Loss);
    }

    /// <summary>
    /// The bound of a tiny case worked by hand. Every weight is zero, so both LSTMs output <c>h = o tanh(c) = 0</c> (the cell
    /// <c>c = f c' + i tanh(0) = 0</c>) and nothing depends on the noise; <c>write.bias = 0.5</c> over 2 steps gives every pixel the
    /// canvas <c>c_T = 1</c>, and <c>mu.bias = 0.5</c>, <c>logsigma.bias = ln 2</c> give every latent unit the same posterior.
    /// L^x per pixel: <c>-log σ(1) = log(1 + e^-1) = 0.31326169</c> for a 1 and <c>-log(1 - σ(1)) = 1.31326169</c> for a 0.
    /// Image 1 (grey 0, 127, 128, 255, 200, 10; binarised at 128: 0 0 1 1 1 0): 3 (0.31326169 + 1.31326169) = 4.87957014;
    /// image 2 (all 255): 6 (0.31326169) = 1.87957014; mean 3.37957014.
    /// L^z per unit: <c>½ (μ² + σ² - 2 ln σ - 1) = ½ (0.25 + 4 - 1.38629436 - 1) = 0.93185282</c>, times 2 steps x 2 units = 3.72741128.
    /// The bound: 7.10698142 nats per image.
    /// </summary>
    [Fact]
    public void TheBoundOfATinyCaseWorkedByHand()
    {
        var model = new DrawModel(new DrawConfig { Width = 3, Height = 2, Steps = 2, EncoderHidden = 2, DecoderHidden = 2, Latent = 2, Attention = false });
        model.Store["write.bias"].Value.Fill(0.5f);
        model.Store["mu.bias"].Value.Fill(0.5f);
        model.Store["logsigma.bias"].Value.Fill(MathF.Log(2f));
        var images = new LabeledImages([0, 127, 128, 255, 200, 10, 255, 255, 255, 255, 255, 255], [0, 1], 2, 3, 10, "hand");
        var s = DrawBound.Of(model, images);
        Assert.Equal(2, s.Images);
        Assert.Equal(3.37957014, s.Reconstruction, 6);
        Assert.Equal(3.72741128, s.Latent, 6);
        Assert.Equal(7.10698142, s.Bound, 6);
        Assert.Equal([3, 6], DrawData.InkCounts(images));
    }

    [Fact]
    public void StripsHaveACellPerStepAndImageAndTheTargetApart()
    {
        Assert.Equal((2 + 3 * 58 + 6 + 56, 2 + 2 * 58), DrawStrips.Size(3, 2, 28, 28, 2, target: true));
        Assert.Equal((2 + 3 * 58, 2 + 2 * 58), DrawStrips.Size(3, 2, 28, 28, 2, target: false));
        var canvases = new Tensor(3, 2, 2, 3); // (T, N, H, W)
        canvases.Data.AsSpan(0, 6).Fill(1f);   // step 1, image 1: white
        var targets = new Tensor(2, 6);
        targets.Data[11] = 1f;                // image 2's last pixel
        var png = DrawStrips.Render(canvases, targets, scale: 1);
        Assert.Equal(DrawStrips.Size(3, 2, 2, 3, 1, target: true), (png.Width, png.Height));
        Assert.Equal(3, png.Channels);
        byte Grey(int x, int y) => png.Pixels[3 * (y * png.Width + x)];
        Assert.Equal(255, Grey(2, 2));                         // step 1, image 1
        Assert.Equal(0, Grey(2 + 5, 2));                       // step 2, image 1
        Assert.NotEqual(png.Pixels[2], png.Pixels[0]);          // the gap is blue
        int tx = 2 + 3 * 5 + 4, ty = 2 + 4;                     // the target column of image 2
        Assert.Equal(0, Grey(tx, ty));
        Assert.Equal(255, Grey(tx + 2, ty + 1));
        Assert.Throws<ArgumentException>(() => DrawStrips.Render(canvases, new Tensor(3, 6)));
        Assert.Throws<ArgumentException>(() => DrawStrips.Size(1024, 64, 28, 28, 16, target: true));
    }

    [Fact]
    public void TheRecipeAndTheSettingsAreThePapersButTheWindowsAndScheduleChosenOnValidation()
    {
        var d = DrawDefinition.Instance.Defaults;
        Assert.Equal(("adam", 1e-3, "cosine", 64, 5.0, "norm", 15.0, 0.0, FashionMnist.ValidationFraction), (d.Optimizer, d.LearningRate,
            d.LrSchedule, d.BatchSize, d.GradClip, d.ClipMode, d.Minutes, d.MaxEpochs, d.ValFrac));
        var c = new DrawSettings().ToConfig(d.Hidden, 28, 28);
        // the paper's 2x2 read and 5x5 write lost on validation to 12x12 windows (docs/VISION.md)
        Assert.Equal(new DrawConfig { ReadN = 12, WriteN = 12 }, c);
        Assert.DoesNotContain(DrawDefinition.Instance.SharedOptions, s => s.Flag is "layers" or "dropout" or "model" or "embed");
        Assert.Equal(["steps", "attention", "read-n", "write-n", "latent", "decoder-hidden"], DrawSettings.Specs.Select(s => s.Flag));
        foreach (bool attention in new[] { true, false })
        {
            var config = Tiny(attention).ToConfig(5, 4, 7);
            Assert.Equal(new DrawModel(config).Store.Count, config.ParameterCount());
        }
    }

    [Fact]
    public void BinarisationIsAFixedThresholdAtHalf()
    {
        var set = new LabeledImages([0, 127, 128, 255], [0], 2, 2, 10, "four");
        var x = new float[4];
        DrawData.Binarize(set, [0], x);
        Assert.Equal([0f, 0f, 1f, 1f], x);
    }
}
