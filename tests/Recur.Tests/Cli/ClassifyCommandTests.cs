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
    public void TrainsReportsTestAccuracyEvaluatesAndResumes()
    {
        string run = Path.Combine(_dir, "run");
        var r = CliHarness.Run(["classify", SampleDir, .. Tiny, "--max-iters", "6", "--eval-every", "3", "--out", run]);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("done: reached --max-iters 6 after 6 iterations", r.Out);
        Assert.Contains("accuracy", r.Out);
        Assert.Contains("test: 200 images, accuracy", r.Out);
        Assert.Contains("confusion matrix", r.Out);
        foreach (string f in new[] { "best/model.safetensors", "best/config.json", "latest/state.safetensors", "metrics.jsonl", "loss.png", "misclassified.png" })
            Assert.True(File.Exists(Path.Combine(run, f)), f);
        Assert.Contains("\"val_accuracy\"", File.ReadAllText(Path.Combine(run, "metrics.jsonl")));

        var e = CliHarness.Run("eval", run);
        Assert.True(e.ExitCode == 0, e.ToString());
        Assert.Contains("test: 200 images, accuracy", e.Out);

        var r2 = CliHarness.Run("classify", "--resume", run, "--max-iters", "9");
        Assert.True(r2.ExitCode == 0, r2.ToString());
        Assert.Contains("resuming at iteration 6", r2.Out);
        Assert.Equal(9, ClassifierCheckpoint.Instance.Load(run, CheckpointKind.Latest).Progress!.Iteration);
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
