using System.Text.Json;
using Recur.Imaging;
using Recur.IO;
using Recur.Models.Captioning;
using Recur.Tasks.Caption;
using Recur.Tasks.Scenes;
using Xunit;

namespace Recur.Tests.Cli;

[Collection("Console")]
public sealed class CaptionCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("recur-caption-cli-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private static string SampleDir => Path.Combine(AppContext.BaseDirectory, "Data", "Samples", "fashion-mnist");

    [Fact]
    public void DataWritesScenesAPersonCanLookAt()
    {
        string outDir = Path.Combine(_dir, "scenes");
        var r = CliHarness.Run("caption", "data", SampleDir, "--out", outDir, "--train", "50", "--test-seen", "10", "--test-heldout", "10", "--png", "4");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("held-out pairs:", r.Out);
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "captions.json")));
        var scenes = doc.RootElement.GetProperty("scenes").EnumerateArray().ToArray();
        Assert.Equal(70, scenes.Length);
        var first = scenes[0];
        Assert.Equal("train", first.GetProperty("split").GetString());
        var image = PngDecoder.Read(Path.Combine(outDir, first.GetProperty("file").GetString()!));
        Assert.Equal((84, 84, 1), (image.Width, image.Height, image.Channels));
        Assert.True(first.GetProperty("captions").GetArrayLength() >= 1);
        Assert.Equal(4, Directory.GetFiles(Path.Combine(outDir, "test-heldout"), "*.png").Length);
        Assert.Equal(8, doc.RootElement.GetProperty("heldout_pairs").GetArrayLength());
    }

    [Fact]
    public void TrainsEvaluatesResumesAndCaptionsImages()
    {
        string cnn = Path.Combine(_dir, "cnn"), run = Path.Combine(_dir, "att");
        var c = CliHarness.Run("classify", SampleDir, "--model", "cnn", "--hidden", "16", "--max-iters", "4", "--batch-size", "32", "--val-frac", "0.2", "--threads", "1", "--out", cnn);
        Assert.True(c.ExitCode == 0, c.ToString());
        var t = CliHarness.Run("caption", "train", SampleDir, "--encoder", cnn, "--scenes", "200", "--test-scenes", "40", "--max-iters", "6", "--eval-every", "3", "--batch-size", "32",
            "--hidden", "16", "--embed", "8", "--attention-dim", "8", "--threads", "1", "--out", run);
        Assert.True(t.ExitCode == 0, t.ToString());
        Assert.Contains("exact_match", t.Out);
        // training ends on the validation splits: 0.05 of 200 scenes, half seen and half held-out; never the test splits
        Assert.Contains("| validation-heldout | greedy | 5 |", t.Out);
        Assert.DoesNotContain("test-heldout", t.Out);
        foreach (string f in new[] { "best/model.safetensors", "best/config.json", "latest/state.safetensors", "metrics.jsonl", "eval.json" })
            Assert.True(File.Exists(Path.Combine(run, f)), f);

        var r = CliHarness.Run("caption", "train", "--resume", run, "--max-iters", "8");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("resuming at iteration 6", r.Out);

        string html = Path.Combine(_dir, "att.html");
        var e = CliHarness.Run("caption", "eval", run, SampleDir, "--beam", "2", "--attention", html, "--figures", "2", "--split", "test");
        Assert.True(e.ExitCode == 0, e.ToString());
        Assert.Contains("| test-seen | beam 2 |", e.Out);
        Assert.True(File.ReadAllText(html).Split("<img").Length - 1 >= 2); // the two scenes, and a map per word when the untrained model writes any
        Assert.Contains("test held-out scene 1", File.ReadAllText(html));
        AssertScored(run, "", e.Out, "test", 40);
        var v = CliHarness.Run("caption", "eval", run, SampleDir, "--attention", html, "--figures", "2");
        Assert.True(v.ExitCode == 0, v.ToString());
        AssertScored(run, "", v.Out, "validation", 5);
        Assert.Contains("validation held-out scene 1", File.ReadAllText(html));
        CliHarness.AssertCleanFailure(CliHarness.Run("caption", "eval", run, SampleDir, "--split", "train"), "caption", "--split");

        string scenes = Path.Combine(_dir, "scenes");
        Assert.Equal(0, CliHarness.Run("caption", "data", SampleDir, "--out", scenes, "--train", "2", "--test-seen", "0", "--test-heldout", "0").ExitCode);
        string png = Path.Combine(scenes, "train", "00000.png");
        var i = CliHarness.Run("caption", run, png, "--beam", "2");
        Assert.True(i.ExitCode == 0, i.ToString());
        Assert.StartsWith(png + ": ", i.Out);
        // images unlike the 84x84 scenes: refused in one line saying the size it reads, or scaled with --resize and said so
        var wide = new byte[3000 * 1000];
        for (int k = 0; k < wide.Length; k += 7) wide[k] = 200;
        string widePng = Path.Combine(_dir, "wide.png"), emptyPng = Path.Combine(_dir, "empty.png"), smallPng = Path.Combine(_dir, "small.png");
        Recur.Plotting.Png.Save(widePng, new PixelImage(3000, 1000, 1, wide));
        Recur.Plotting.Png.Save(emptyPng, new PixelImage(28, 28, 1, new byte[28 * 28]));
        Recur.Plotting.Png.Save(smallPng, new PixelImage(28, 28, 1, [.. Enumerable.Range(0, 28 * 28).Select(k => (byte)k)]));
        var refused = CliHarness.Run("caption", run, png, widePng);
        CliHarness.AssertCleanFailure(refused, "caption", "wide.png is 3000x1000; the model reads 84x84 images, the size of its training scenes", "--resize");
        CliHarness.AssertCleanFailure(CliHarness.Run("caption", run, smallPng), "caption", "small.png is 28x28; the model reads 84x84 images");
        CliHarness.AssertCleanFailure(CliHarness.Run("caption", run, emptyPng, "--resize"), "caption", "empty.png is blank (every pixel 0)");
        var resized = CliHarness.Run("caption", run, widePng, "--resize");
        Assert.True(resized.ExitCode == 0, resized.ToString());
        Assert.StartsWith(widePng + " (scaled from 3000x1000 to 84x84 by area averaging, not keeping its shape): ", resized.Out);
        Assert.Single(resized.Out.TrimEnd('\n').Split('\n'));
        CliHarness.AssertCleanFailure(CliHarness.Run("caption", run, Path.Combine(_dir, "missing.png")), "caption", "missing.png");
        File.WriteAllBytes(Path.Combine(_dir, "bad.png"), [0x89, 0x50, 0x4E, 0x47, 1, 2, 3]);
        CliHarness.AssertCleanFailure(CliHarness.Run("caption", run, Path.Combine(_dir, "bad.png")), "caption", "PNG");
        CliHarness.AssertCleanFailure(CliHarness.Run("caption", "train", SampleDir, "--encoder", run), "caption", "classify");
        CliHarness.AssertCleanFailure(CliHarness.Run("caption", "train", SampleDir, "--encoder", cnn, "--visual-words", "false", "--attention-entropy", "0.01",
            "--attention-entropy-on", "objects"), "caption", "--visual-words");
        CliHarness.AssertCleanFailure(CliHarness.Run("caption", "train", SampleDir, "--encoder", cnn, "--model", "lstm", "--attention-entropy", "0.01"), "caption", "--model attention");
        // A flag whose value is its default still counts as given on the command line.
        CliHarness.AssertCleanFailure(CliHarness.Run("caption", "train", SampleDir, "--encoder", cnn, "--model", "lstm", "--visual-words"), "caption", "--model attention");
    }

    [Fact]
    public void AnEnsembleOfCaptionersDecodesTogetherAndRefusesOtherScenes()
    {
        string cnn = Path.Combine(_dir, "cnn-e");
        var c = CliHarness.Run("classify", SampleDir, "--model", "cnn", "--hidden", "16", "--max-iters", "2", "--batch-size", "32", "--val-frac", "0.2", "--threads", "1", "--out", cnn);
        Assert.True(c.ExitCode == 0, c.ToString());
        string[] common = ["--encoder", cnn, "--scenes", "200", "--test-scenes", "30", "--max-iters", "4", "--eval-every", "4", "--batch-size", "32",
            "--hidden", "16", "--embed", "8", "--attention-dim", "8", "--threads", "1"];
        string a = Path.Combine(_dir, "ea"), b = Path.Combine(_dir, "eb"), other = Path.Combine(_dir, "ec");
        Assert.Equal(0, CliHarness.Run(["caption", "train", SampleDir, .. common, "--seed", "1", "--out", a]).ExitCode);
        Assert.Equal(0, CliHarness.Run(["caption", "train", SampleDir, .. common, "--seed", "2", "--out", b]).ExitCode);
        Assert.Equal(0, CliHarness.Run(["caption", "train", SampleDir, .. common, "--scene-seed", "5", "--out", other]).ExitCode);

        var e = CliHarness.Run("caption", "eval", a, SampleDir, "--ensemble", b, "--split", "test");
        Assert.True(e.ExitCode == 0, e.ToString());
        Assert.Contains("an ensemble of 2 captioners", e.Out);
        Assert.Contains("| test-heldout | greedy | 30 |", e.Out);
        Assert.Equal(60, File.ReadAllLines(Path.Combine(a, "captions-ensemble.jsonl")).Length);
        AssertScored(a, "-ensemble", e.Out, "test", 30);
        using (var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(a, "eval-ensemble.json"))))
            Assert.Equal(2, doc.RootElement.GetProperty("captioners").GetInt32());
        var v = CliHarness.Run("caption", "eval", a, SampleDir, "--ensemble", b);
        Assert.True(v.ExitCode == 0, v.ToString());
        Assert.Contains("an ensemble of 2 captioners", v.Out);
        Assert.Equal(10, File.ReadAllLines(Path.Combine(a, "captions-ensemble.jsonl")).Length);
        AssertScored(a, "-ensemble", v.Out, "validation", 5);
        CliHarness.AssertCleanFailure(CliHarness.Run("caption", "eval", a, SampleDir, "--ensemble", other), "caption", "--scene-seed");

        // the same captioner twice writes what it writes alone, with the same attention
        var one = CaptionCheckpoint.Instance.Load(a);
        var features = Tensor.Randn(new Rng(3), 1f, 5, one.Model.Config.Locations, one.Model.Config.FeatureDim);
        var alone = CaptionDecoder.Greedy(one.Model, features, one.Vocabulary);
        var twice = CaptionDecoder.Greedy(new CaptionEnsemble([one.Model, CaptionCheckpoint.Instance.Load(a).Model]), features, one.Vocabulary);
        Assert.Equal(alone.Select(x => x.Text), twice.Select(x => x.Text));
        for (int i = 0; i < alone.Length; i++)
            for (int w = 0; w < alone[i].Attention.Count; w++)
                for (int l = 0; l < alone[i].Attention[w].Length; l++) Assert.Equal(alone[i].Attention[w][l], twice[i].Attention[w][l], 5);
        var longer = Captioners.Create(one.Model.Config with { MaxWords = one.Model.Config.MaxWords + 1 });
        Assert.Throws<ArgumentException>(() => new CaptionEnsemble([one.Model, longer]));
    }

    /// <summary>
    /// The eval's first line names <paramref name="split"/>; <c>eval{suffix}.json</c> records it and scores its two scene
    /// splits only, <paramref name="heldOut"/> held-out scenes; every caption line is of those splits.
    /// </summary>
    private static void AssertScored(string run, string suffix, string output, string split, int heldOut)
    {
        Assert.StartsWith(split + ": ", output);
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, $"eval{suffix}.json")));
        Assert.Equal(split, doc.RootElement.GetProperty("split").GetString());
        var scores = doc.RootElement.GetProperty("scores").EnumerateArray().ToArray();
        Assert.Equal([split + "-seen", split + "-heldout"], scores.Select(x => x.GetProperty("split").GetString()!).Distinct());
        Assert.Equal(heldOut, scores.First(x => x.GetProperty("split").GetString() == split + "-heldout").GetProperty("scenes").GetInt32());
        Assert.Equal([split + "-heldout", split + "-seen"],
            doc.RootElement.GetProperty("encoder_all_objects_right").EnumerateObject().Select(p => p.Name).Order());
        Assert.All(File.ReadAllLines(Path.Combine(run, $"captions{suffix}.jsonl")),
            line => Assert.StartsWith(split + "-", JsonDocument.Parse(line).RootElement.GetProperty("split").GetString()));
    }

    [Fact]
    public void WithoutAnEncoderTheDefaultOneIsTrainedOnceAndReused()
    {
        string[] common = ["--scenes", "60", "--test-scenes", "10", "--max-iters", "2", "--eval-every", "2", "--batch-size", "16", "--threads", "1"];
        var first = CliHarness.Run(["caption", "train", SampleDir, .. common, "--out", Path.Combine(_dir, "c1")]);
        Assert.True(first.ExitCode == 0, first.Out + first.Err);
        Assert.Contains($"training the default encoder first ({EncoderRecipe.Command})", first.Out, StringComparison.Ordinal);
        string kept = Assert.Single(Directory.GetDirectories(Path.Combine(_dir, "encoders")));
        Assert.StartsWith($"cnn-v{EncoderRecipe.Version}-600-", Path.GetFileName(kept), StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(kept, "best", "config.json")));
        var config = File.ReadAllText(Path.Combine(kept, "best", "config.json"));
        Assert.Contains("\"flip\": true", config, StringComparison.Ordinal);

        var second = CliHarness.Run(["vqa", "train", SampleDir, .. common, "--out", Path.Combine(_dir, "v1")]);
        Assert.True(second.ExitCode == 0, second.Out + second.Err);
        Assert.Contains($"reusing the default encoder {kept}", second.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("training the default encoder", second.Out, StringComparison.Ordinal);
        Assert.Single(Directory.GetDirectories(Path.Combine(_dir, "encoders")));
    }

    [Fact]
    public void TheDefaultEncodersTimeCountsInCaptioningsBudgetButNotInVqas()
    {
        // A budget far shorter than the encoder's 30 epochs on the sample: captioning has nothing left and says so (the
        // encoder kept); VQA trains for its own budget after the encoder, which it reuses.
        string[] common = ["--scenes", "40", "--test-scenes", "8", "--minutes", "0.001", "--batch-size", "16", "--threads", "1"];
        var caption = CliHarness.Run(["caption", "train", SampleDir, .. common, "--out", Path.Combine(_dir, "c1")]);
        Assert.NotEqual(0, caption.ExitCode);
        Assert.Contains("the default encoder took", caption.Out + caption.Err, StringComparison.Ordinal);
        Assert.Single(Directory.GetDirectories(Path.Combine(_dir, "encoders")));

        var vqaDir = Path.Combine(_dir, "fresh");
        var vqa = CliHarness.Run(["vqa", "train", SampleDir, .. common, "--out", Path.Combine(vqaDir, "v1")]);
        Assert.True(vqa.ExitCode == 0, vqa.Out + vqa.Err);
        Assert.Contains("training the default encoder first", vqa.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("the default encoder took", vqa.Out, StringComparison.Ordinal);
    }

    /// <summary>
    /// Issue 29: <c>--attention hard</c> trains, resumes, evaluates on the test splits and draws its attention report (one
    /// location per word) with everything else as the soft run's; the hard-attention options are refused where they would do nothing.
    /// </summary>
    [Fact]
    public void HardAttentionTrainsResumesAndEvaluatesAsTheSoftOneDoes()
    {
        string cnn = Path.Combine(_dir, "cnn"), run = Path.Combine(_dir, "hard");
        var c = CliHarness.Run("classify", SampleDir, "--model", "cnn", "--hidden", "16", "--max-iters", "2",
            "--batch-size", "32", "--val-frac", "0.2", "--threads", "1", "--out", cnn);
        Assert.True(c.ExitCode == 0, c.ToString());
        var t = CliHarness.Run("caption", "train", SampleDir, "--encoder", cnn, "--scenes", "200", "--test-scenes", "40", "--max-iters", "4",
            "--eval-every", "2", "--batch-size", "32", "--hidden", "16", "--embed", "8", "--attention-dim", "8", "--threads", "1", "--out", run,
            "--attention", "hard", "--reinforce-weight", "0.5", "--hard-entropy", "0.02", "--baseline-decay", "0.8", "--expected-probability", "0.25");
        Assert.True(t.ExitCode == 0, t.ToString());
        Assert.Contains("attention 8 (hard)", t.Out);
        Assert.Contains("| validation-heldout | greedy | 5 |", t.Out);
        var config = File.ReadAllText(Path.Combine(run, "best", "config.json"));
        foreach (var member in new[] { "\"attention\": \"hard\"", "\"reinforce_weight\": 0.5", "\"baseline_decay\": 0.8", "\"expected_probability\": 0.25" })
            Assert.Contains(member, config);
        var r = CliHarness.Run("caption", "train", "--resume", run, "--max-iters", "6");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("resuming at iteration 4", r.Out);
        string html = Path.Combine(_dir, "hard.html");
        var e = CliHarness.Run("caption", "eval", run, SampleDir, "--attention", html, "--figures", "2", "--split", "test");
        Assert.True(e.ExitCode == 0, e.ToString());
        AssertScored(run, "", e.Out, "test", 40);
        Assert.Contains("test held-out scene 1", File.ReadAllText(html));

        CliHarness.AssertCleanFailure(CliHarness.Run("caption", "train", SampleDir, "--encoder", cnn, "--model", "lstm", "--attention", "hard"), "caption",
            "--attention hard needs --model attention");
        CliHarness.AssertCleanFailure(CliHarness.Run("caption", "train", SampleDir, "--encoder", cnn, "--baseline-decay", "0.5"), "caption",
            "--baseline-decay applies to hard attention");
        CliHarness.AssertCleanFailure(CliHarness.Run("caption", "train", SampleDir, "--encoder", cnn, "--attention", "stochastic"), "caption", "--attention");
        CliHarness.AssertCleanFailure(CliHarness.Run("caption", "train", SampleDir, "--encoder", cnn, "--attention", "hard", "--expected-probability", "1.5"),
            "caption", "--expected-probability");
    }

    [Fact]
    public void BadInputGetsOneClearLine()
    {
        CliHarness.AssertCleanFailure(CliHarness.Run("caption"), "caption", "data");
        CliHarness.AssertCleanFailure(CliHarness.Run("caption", "data", SampleDir), "caption", "--out");
        CliHarness.AssertCleanFailure(CliHarness.Run("caption", "paint"), "caption", "paint");
        CliHarness.AssertCleanFailure(CliHarness.Run("caption", "data", Path.Combine(_dir, "none"), "--out", _dir), "caption", "dataset-fashion-mnist");
        CliHarness.AssertCleanFailure(CliHarness.Run("caption", "eval"), "caption", "run");
        CliHarness.AssertCleanFailure(CliHarness.Run("train", "--model", "attention", "--max-iters", "1"), "train", "recur caption train");
    }
}
