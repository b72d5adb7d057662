using Recur.Data;
using Recur.Data.Scenes;
using Recur.IO;
using Recur.Models;
using Recur.Models.Captioning;
using Recur.Tasks;
using Recur.Tasks.Caption;
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

    // The captioners as their papers have them (conv features, image initial state, no visual words, no dropout), not the recipe's defaults.
    private static CaptionSettings Settings => new()
    {
        AttentionDim = 6, Features = "conv", Coordinates = false, LabelSmoothing = 0, InitialState = "image", VisualWords = false, FeatureDropout = 0,
        Scenes = new SceneOptions { Train = 120, TestSeen = 10, TestHeldOut = 10 },
    };

    [Theory]
    [InlineData("attention", false)]
    [InlineData("attention", true)]
    [InlineData("rnn", false)]
    [InlineData("attention", false, true)]
    public void ResumeIsBitIdenticalAndCheckpointsRoundTrip(string kind, bool located, bool hard = false)
    {
        var (train, _) = FashionMnist.Load(ClassifyTaskTests.SampleDir);
        var o = Options(kind) with { MaxIters = 11 }; // 7 batches per epoch: the run crosses an epoch
        // located: the fc features of each cell with coordinates, label smoothing, the zero initial state and visual words, all kept by the checkpoint
        var settings = located ? Settings with { Features = "fc", Coordinates = true, LabelSmoothing = 0.1f, InitialState = "zero", VisualWords = true, FeatureDropout = 0.3f } : Settings;
        // hard: the sampled locations come from the run's stream and the REINFORCE baseline from the checkpoint's state
        if (hard)
            settings = settings with { Attention = "hard", ExpectedProbability = 0.25f, HardEntropy = 0.05f, BaselineDecay = 0.8f, ReinforceWeight = 0.5f };
        var straight = CaptionDefinition.Instance.Create(o, settings with { Encoder = Encoder() }, train, "sample");
        straight.Run();

        string run = Path.Combine(_dir, $"{kind}-{located}-{hard}");
        var first = CaptionDefinition.Instance.Create(o with { MaxIters = 4 }, settings with { Encoder = Encoder() }, train, "sample");
        first.OutputDirectory = run;
        first.Run();
        var ck = CaptionCheckpoint.Instance.Load(run, CheckpointKind.Latest);
        Assert.Equal(first.Task.Store.Values, ck.Model.Store.Values);
        Assert.Equal(Encoder().Store.Values, ck.Encoder.Network.Store.Values);
        Assert.Equal(120, ck.Scenes.Train);
        Assert.Equal(located, ck.Encoder.Coordinates);
        Assert.Equal(located ? "fc" : "conv", ck.Encoder.Features);
        Assert.Equal(located ? 9 : 49, ck.Model.Config.GridRows * ck.Model.Config.GridCols);
        Assert.Equal(settings.LabelSmoothing, ck.Model.Config.LabelSmoothing);
        Assert.Equal(settings.InitialState, ck.Model.Config.InitialState);
        Assert.Equal(settings.FeatureDropout, ck.Model.Config.FeatureDropout);
        Assert.Equal(located ? 10 : 0, ck.Model.Config.SingularWords.Length);
        Assert.Equal(hard ? "hard" : "soft", ck.Model.Config.Attention);
        Assert.Equal((settings.ReinforceWeight, settings.HardEntropy, settings.BaselineDecay, settings.ExpectedProbability),
            (ck.Model.Config.ReinforceWeight, ck.Model.Config.HardEntropy, ck.Model.Config.BaselineDecay, ck.Model.Config.ExpectedProbability));
        var second = CaptionDefinition.Instance.Resume(ck, train, o);
        if (hard)
        {
            // every one of the 4 batches of 16 had sampled captions, and the resumed run starts from the saved baseline
            var saved = ((AttentionCaptioner)((CaptionTask)first.Task).Model).Baseline;
            Assert.Equal(4, saved.Updates);
            Assert.True(saved.Value < 0, $"a mean log-likelihood, got {saved.Value}");
            Assert.Equal(saved, ((AttentionCaptioner)((CaptionTask)second.Task).Model).Baseline);
        }
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
    public void FeatureDropoutZeroesOrScalesTheFeaturesAndLeavesTheCoordinates()
    {
        const int rows = 2000, D = 10, coords = 2;
        const float p = 0.25f;
        var x = new float[rows * D];
        for (int i = 0; i < x.Length; i++) x[i] = 1f + i % D;
        var y = (float[])x.Clone();
        CaptionTask.DropFeatures(y, D, coords, p, new Rng(9));
        int dropped = 0;
        for (int i = 0; i < x.Length; i++)
        {
            if (i % D >= D - coords) { Assert.Equal(x[i], y[i]); continue; }
            if (y[i] == 0f) dropped++;
            else Assert.Equal(x[i] / (1f - p), y[i], 5);
        }
        double share = dropped / (double)(rows * (D - coords));
        Assert.InRange(share, 0.23, 0.27);
        var again = (float[])x.Clone();
        CaptionTask.DropFeatures(again, D, coords, p, new Rng(9));
        Assert.Equal(y, again);
        var none = (float[])x.Clone();
        CaptionTask.DropFeatures(none, D, coords, 0f, new Rng(9));
        Assert.Equal(x, none);
        Assert.Throws<ArgumentException>(() => CaptionTask.DropFeatures(new float[7], D, coords, p, new Rng(1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => CaptionTask.DropFeatures(x, D, coords, 1f, new Rng(1)));
    }

    [Fact]
    public void FeatureDropoutChangesTrainingButNotEvaluation()
    {
        var (train, _) = FashionMnist.Load(ClassifyTaskTests.SampleDir);
        var o = Options("attention") with { MaxIters = 3 };
        var plain = CaptionDefinition.Instance.Create(o, Settings with { Encoder = Encoder() }, train, "sample");
        var dropped = CaptionDefinition.Instance.Create(o, Settings with { FeatureDropout = 0.5f, Encoder = Encoder() }, train, "sample");
        // Same initial weights: the validation loss before training does not depend on dropout.
        Assert.Equal(plain.Task.Evaluate().Loss, dropped.Task.Evaluate().Loss);
        plain.Run();
        dropped.Run();
        Assert.NotEqual(plain.TrainLosses[0], dropped.TrainLosses[0]);
        Assert.NotEqual(plain.Task.Store.Values, dropped.Task.Store.Values);
    }

    [Fact]
    public void ACheckpointThatDoesNotFitIsRefused()
    {
        var (train, _) = FashionMnist.Load(ClassifyTaskTests.SampleDir);
        string run = Path.Combine(_dir, "bad");
        var t = CaptionDefinition.Instance.Create(Options("lstm") with { MaxIters = 1 }, Settings with { Encoder = Encoder() }, train, "sample");
        t.OutputDirectory = run;
        t.Run();
        string config = Path.Combine(run, "best", CheckpointFiles.ConfigFile);
        string text = File.ReadAllText(config);
        File.WriteAllText(config, text.Replace("\"hidden\": 12", "\"hidden\": 13"));
        Assert.Contains("shape", Assert.Throws<CheckpointFormatException>(() => CaptionCheckpoint.Instance.Load(run)).Message);
        File.WriteAllText(config, text.Replace("\"grid_pool\": 3", "\"grid_pool\": 0"));
        Assert.Throws<CheckpointFormatException>(() => CaptionCheckpoint.Instance.Load(run));
        File.WriteAllText(config, text.Replace("\"above\"", "\"below\"")); // a word twice
        Assert.Throws<CheckpointFormatException>(() => CaptionCheckpoint.Instance.Load(run));
        Assert.Throws<ArgumentException>(() => CaptionDefinition.Instance.Create(Options("gru"), Settings with { Encoder = Encoder() }, train, "sample"));
    }

    /// <summary>A captioner's config from before hard attention (no such members) reads as soft; a hard one round-trips every field.</summary>
    [Fact]
    public void OldConfigsReadAsSoftAttentionAndHardConfigsRoundTrip()
    {
        using var old = System.Text.Json.JsonDocument.Parse("""{"model": {"kind": "attention", "vocab": 30, "hidden": 8}}""");
        var read = CheckpointSections.Section<CaptionerConfig>(old.RootElement, "model", "old/config.json", required: true)!;
        Assert.Equal(("soft", 1f, 0.01f, 0.9f, 0.5f, "argmax"),
            (read.Attention, read.ReinforceWeight, read.HardEntropy, read.BaselineDecay, read.ExpectedProbability, read.HardDecoding));
        var hard = read with
        {
            Attention = "hard", ReinforceWeight = 0.25f, HardEntropy = 0.5f, BaselineDecay = 1f, ExpectedProbability = 0f, HardDecoding = "expected",
        };
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var w = new System.Text.Json.Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WritePropertyName("model");
            CheckpointSections.Write(w, hard);
            w.WriteEndObject();
        }
        using var doc = System.Text.Json.JsonDocument.Parse(buffer.WrittenMemory);
        var back = CheckpointSections.Section<CaptionerConfig>(doc.RootElement, "model", "new/config.json", required: true)!;
        Assert.Equal((hard.Attention, hard.ReinforceWeight, hard.HardEntropy, hard.BaselineDecay, hard.ExpectedProbability, hard.HardDecoding),
            (back.Attention, back.ReinforceWeight, back.HardEntropy, back.BaselineDecay, back.ExpectedProbability, back.HardDecoding));
    }

    [Fact]
    public void HardAttentionIsRefusedWithoutAttention()
    {
        var (train, _) = FashionMnist.Load(ClassifyTaskTests.SampleDir);
        var e = Assert.Throws<ArgumentException>(() => CaptionDefinition.Instance.Create(Options("lstm"),
            Settings with { Attention = "hard", Encoder = Encoder() }, train, "sample"));
        Assert.Contains("--attention hard needs --model attention", e.Message);
        Assert.Throws<ArgumentException>(() => new CaptionerConfig { Kind = "rnn", Vocab = 30, Attention = "hard" }.Validate());
        Assert.Throws<ArgumentException>(() => new CaptionerConfig { Vocab = 30, Attention = "stochastic" }.Validate());
        Assert.Throws<ArgumentException>(() => new CaptionerConfig { Vocab = 30, Attention = "hard", BaselineDecay = 1.5f }.Validate());
        var given = Assert.Throws<ArgumentException>(() => new CaptionSettings().Validate("attention", flag => flag == "baseline-decay"));
        Assert.Contains("--attention hard", given.Message);
        new CaptionSettings { Attention = "hard" }.Validate("attention", flag => flag == "baseline-decay");
    }

    [Fact]
    public void TrainsOnEveryTrainingSceneAndValidatesOnBothValidationSplits()
    {
        var (train, _) = FashionMnist.Load(ClassifyTaskTests.SampleDir);
        var trainer = CaptionDefinition.Instance.Create(Options("rnn") with { MaxIters = 1 }, Settings with { Encoder = Encoder() }, train, "sample");
        var task = (CaptionTask)trainer.Task;
        Assert.Equal(SceneGenerator.Training(train, Settings.Scenes).Scenes.SelectMany(s => s.Items), task.Train.Scenes.SelectMany(s => s.Items));
        Assert.Equal(120, task.Train.Count);
        var (seen, held) = SceneGenerator.Validation(train, Settings.Scenes, 0.1);
        Assert.Equal(12, seen.Scenes.Count + held.Scenes.Count);
        Assert.Equal(seen.Scenes.Concat(held.Scenes).SelectMany(s => s.Items), task.Validation.Scenes.SelectMany(s => s.Items));
    }
}
