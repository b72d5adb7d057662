using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Recur.IO;
using Recur.Tasks.Classify;
using Xunit;

namespace Recur.Tests.Cli;

[Collection("Console")]
public sealed class ClassifyCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("recur-classify-cli-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private static string SampleDir => Path.Combine(AppContext.BaseDirectory, "Data", "Samples", "fashion-mnist");

    private static readonly string[] Tiny = ["--hidden", "16", "--batch-size", "32", "--threads", "1", "--val-frac", "0.2"];

    [Fact]
    public void TrainsReportsValidationAccuracyEvaluatesEitherSplitAndResumes()
    {
        string run = Path.Combine(_dir, "run");
        var r = CliHarness.Run(["classify", SampleDir, .. Tiny, "--max-iters", "6", "--eval-every", "3", "--out", run]);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("done: reached --max-iters 6 after 6 iterations", r.Out);
        Assert.Contains("accuracy", r.Out);
        // the end of training scores best/ on the validation images (a fifth of the 600 training images), not on the test images
        Assert.Contains("\nvalidation: 120 images, accuracy", "\n" + r.Out);
        Assert.DoesNotContain("test:", r.Out);
        Assert.Contains("confusion matrix", r.Out);
        foreach (string f in new[] { "best/model.safetensors", "best/config.json", "latest/state.safetensors", "metrics.jsonl", "loss.png", "misclassified.png" })
            Assert.True(File.Exists(Path.Combine(run, f)), f);
        Assert.Contains("\"val_accuracy\"", File.ReadAllText(Path.Combine(run, "metrics.jsonl")));
        Assert.Equal(("validation", 120), EvalJson(run));
        // the images are those training held out: eval gives the loss training recorded for best/
        var ck = ClassifierCheckpoint.Instance.Load(run, CheckpointKind.Best);
        Assert.Equal(ck.Progress!.ValLoss!.Value, Loss(r.Out), 4);

        var e = CliHarness.Run("eval", run);
        Assert.True(e.ExitCode == 0, e.ToString());
        Assert.Contains("\nvalidation: 120 images, accuracy", "\n" + e.Out);
        Assert.Equal(ck.Progress.ValLoss.Value, Loss(e.Out), 4);
        Assert.Equal(("validation", 120), EvalJson(run));

        var t = CliHarness.Run("classify", "eval", run, "--split", "test");
        Assert.True(t.ExitCode == 0, t.ToString());
        Assert.Contains("\ntest: 200 images, accuracy", "\n" + t.Out);
        Assert.Contains("misclassified test examples", t.Out);
        Assert.Equal(("test", 200), EvalJson(run));
        var t2 = CliHarness.Run("eval", run, "--split", "test", "--latest");
        Assert.True(t2.ExitCode == 0, t2.ToString());
        Assert.Contains("\ntest: 200 images, accuracy", "\n" + t2.Out);
        CliHarness.AssertCleanFailure(CliHarness.Run("classify", "eval", run, "--split", "train"), "classify", "--split");

        // other training images: their validation part is not the run's, so only the test split is scored
        string other = Path.Combine(_dir, "other");
        Directory.CreateDirectory(other);
        foreach (var f in Directory.GetFiles(SampleDir, "t10k-*"))
        {
            File.Copy(f, Path.Combine(other, Path.GetFileName(f)));
            File.Copy(f, Path.Combine(other, Path.GetFileName(f).Replace("t10k", "train", StringComparison.Ordinal)));
        }
        CliHarness.AssertCleanFailure(CliHarness.Run("classify", "eval", run, other), "classify", "not the ones", "--split test");
        Assert.Equal(0, CliHarness.Run("classify", "eval", run, other, "--split", "test").ExitCode);

        var r2 = CliHarness.Run("classify", "--resume", run, "--max-iters", "9");
        Assert.True(r2.ExitCode == 0, r2.ToString());
        Assert.Contains("resuming at iteration 6", r2.Out);
        Assert.Equal(9, ClassifierCheckpoint.Instance.Load(run, CheckpointKind.Latest).Progress!.Iteration);
    }

    private static (string Split, int Images) EvalJson(string run)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "eval.json")));
        return (doc.RootElement.GetProperty("split").GetString()!, doc.RootElement.GetProperty("images").GetInt32());
    }

    private static double Loss(string output)
    {
        var m = Regex.Match(output, @"images, accuracy [0-9.]+, loss ([0-9.]+) nats");
        Assert.True(m.Success, output);
        return double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
    }

    [Fact]
    public void ACnnTrainsOnFlippedAndShiftedImagesAndKeepsThemOnResume()
    {
        string run = Path.Combine(_dir, "aug");
        var r = CliHarness.Run(["classify", SampleDir, .. Tiny, "--model", "cnn", "--layers", "1", "--flip", "--shift", "2", "--max-iters", "3", "--eval-every", "3", "--out", run]);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("training flips, training shifts of up to 2 px", r.Out);
        string config = File.ReadAllText(Path.Combine(run, "latest", "config.json"));
        Assert.Contains("\"flip\": true", config);
        Assert.Contains("\"shift\": 2", config);
        CliHarness.AssertCleanFailure(CliHarness.Run("classify", "--resume", run, "--shift", "1"), "classify", "--shift");
        var r2 = CliHarness.Run("classify", "--resume", run, "--max-iters", "4");
        Assert.True(r2.ExitCode == 0, r2.ToString());
        Assert.Contains("training flips, training shifts of up to 2 px", r2.Out);
        CliHarness.AssertCleanFailure(CliHarness.Run(["classify", SampleDir, .. Tiny, "--flip", "--max-iters", "1"]), "classify", "--model cnn");
    }

    [Fact]
    public void BadInputGetsOneClearLine()
    {
        CliHarness.AssertCleanFailure(CliHarness.Run("classify", Path.Combine(_dir, "nowhere")), "classify", "dataset-fashion-mnist");
        CliHarness.AssertCleanFailure(CliHarness.Run("classify", SampleDir, "--seq-length", "5"), "classify", "--seq-length");
        CliHarness.AssertCleanFailure(CliHarness.Run("classify", SampleDir, "--hidden", "0"), "classify", "--hidden");
        string bad = Path.Combine(_dir, "bad");
        Directory.CreateDirectory(bad);
        foreach (var f in Directory.GetFiles(SampleDir)) File.Copy(f, Path.Combine(bad, Path.GetFileName(f)));
        File.WriteAllBytes(Path.Combine(bad, "t10k-labels-idx1-ubyte.gz"), [1, 2, 3]);
        CliHarness.AssertCleanFailure(CliHarness.Run(["classify", bad, .. Tiny, "--max-iters", "1"]), "classify", "t10k-labels");
    }
}
