using System.Text.Json;
using Recur.Imaging;
using Recur.IO;
using Recur.Tasks.Draw;
using Xunit;

namespace Recur.Tests.Cli;

/// <summary><c>recur draw train|eval|sample</c> end to end on the Fashion-MNIST sample, and its one-line failures.</summary>
[Collection("Console")]
public sealed class DrawCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("recur-draw-cli-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private static string Sample => Path.Combine(AppContext.BaseDirectory, "Data", "Samples", "fashion-mnist");

    private static readonly string[] Small =
        ["--steps", "3", "--hidden", "8", "--decoder-hidden", "8", "--latent", "3", "--write-n", "3", "--batch-size", "32", "--threads", "1"];

    private static JsonElement Json(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        return doc.RootElement.Clone();
    }

    [Fact]
    public void TrainsEvaluatesSamplesAndResumes()
    {
        string run = Path.Combine(_dir, "run");
        var t = CliHarness.Run(["draw", "train", Sample, .. Small, "--max-iters", "4", "--eval-every", "2", "--out", run]);
        Assert.True(t.ExitCode == 0, t.ToString());
        Assert.Contains("\nvalidation: 50 images, bound ", "\n" + t.Out);
        var val = Json(Path.Combine(run, "eval.json"));
        Assert.Equal("validation", val.GetProperty("split").GetString());
        Assert.Equal(50, val.GetProperty("images").GetInt32());
        Assert.Equal(val.GetProperty("loss").GetDouble(), val.GetProperty("reconstruction").GetDouble() + val.GetProperty("kl").GetDouble(), 9);
        Assert.True(File.Exists(Path.Combine(run, "reconstructions-validation.png")));

        var onTest = CliHarness.Run("draw", "eval", run, "--split", "test");
        Assert.True(onTest.ExitCode == 0, onTest.ToString());
        Assert.StartsWith("test: 200 images, bound ", onTest.Out);
        var test = Json(Path.Combine(run, "eval.json"));
        Assert.Equal("test", test.GetProperty("split").GetString());
        Assert.Equal(200, test.GetProperty("images").GetInt32());
        // draws.jsonl: every image's own bound (their mean is the eval's), its read and write windows, its canvases step by step
        var draws = ExampleFilesTests.Read(Path.Combine(run, "draws.jsonl"));
        Assert.Equal(200, draws.Count);
        Assert.Equal(test.GetProperty("loss").GetDouble(), draws.Average(d => d.GetProperty("bound").GetDouble()), 1e-4);
        Assert.Equal(test.GetProperty("kl").GetDouble(), draws.Average(d => d.GetProperty("kl").GetDouble()), 1e-4);
        Assert.Equal(3, draws[0].GetProperty("read_windows").GetArrayLength());
        Assert.Equal(3, draws[0].GetProperty("write_windows")[2].GetArrayLength());
        var canvases = PngDecoder.Read(Path.Combine(run, draws[199].GetProperty("picture").GetString()!));
        Assert.Equal(DrawStrips.Size(3, 1, 28, 28, 2, target: true), (canvases.Width, canvases.Height));
        var again = CliHarness.Run("draw", "eval", run, Sample, "--split", "test", "--threads", "2");
        Assert.Equal(onTest.Out.Split('\n')[0], again.Out.Split('\n')[0]); // the same bound, whatever the threads
        var strip = PngDecoder.Read(Path.Combine(run, "reconstructions-test.png"));
        Assert.Equal(DrawStrips.Size(3, 8, 28, 28, 2, target: true), (strip.Width, strip.Height));

        string png = Path.Combine(_dir, "samples.png");
        var s = CliHarness.Run("draw", "sample", run, "--count", "3", "--seed", "7", "--out", png);
        Assert.True(s.ExitCode == 0, s.ToString());
        Assert.Contains("3 sample(s)", s.Out);
        var samples = PngDecoder.Read(png);
        Assert.Equal(DrawStrips.Size(3, 3, 28, 28, 2, target: false), (samples.Width, samples.Height));
        byte[] first = File.ReadAllBytes(png);
        Assert.Equal(0, CliHarness.Run("draw", "sample", run, "--count", "3", "--seed", "7", "--out", png).ExitCode);
        Assert.Equal(first, File.ReadAllBytes(png));
        Assert.Equal(0, CliHarness.Run("draw", "sample", run).ExitCode);
        Assert.Equal(DrawStrips.Size(3, 8, 28, 28, 2, target: false), Size(PngDecoder.Read(Path.Combine(run, "samples.png"))));

        var r = CliHarness.Run("draw", "train", "--resume", run, "--max-iters", "6");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("resuming at iteration 4", r.Out);
        Assert.Equal(6, DrawCheckpoint.Instance.Load(run, CheckpointKind.Latest).Progress!.Iteration);
        CliHarness.AssertCleanFailure(CliHarness.Run("draw", "train", "--resume", run, "--steps", "4"), "draw", "--steps", "fixed");
    }

    private static (int, int) Size(PixelImage p) => (p.Width, p.Height);

    [Fact]
    public void WithoutAttentionTheRunSaysSo()
    {
        string run = Path.Combine(_dir, "plain");
        var t = CliHarness.Run(["draw", "train", Sample, .. Small, "--attention", "false", "--max-iters", "1", "--out", run]);
        Assert.True(t.ExitCode == 0, t.ToString());
        Assert.Contains("no attention", t.Out);
        Assert.False(DrawCheckpoint.Instance.Load(run).Model.Config.Attention);
    }

    [Fact]
    public void BadInputGetsOneClearLine()
    {
        CliHarness.AssertCleanFailure(CliHarness.Run("draw"), "draw", "train");
        CliHarness.AssertCleanFailure(CliHarness.Run("draw", "paint"), "draw", "'paint'");
        CliHarness.AssertCleanFailure(CliHarness.Run("draw", "train", Path.Combine(_dir, "none")), "draw", "not found");
        CliHarness.AssertCleanFailure(CliHarness.Run("draw", "train", Sample, "--attention", "maybe"), "draw", "--attention");
        CliHarness.AssertCleanFailure(CliHarness.Run("draw", "train", Sample, "--steps", "0"), "draw", "--steps");
        CliHarness.AssertCleanFailure(CliHarness.Run("draw", "train", Sample, "--layers", "2"), "draw", "--layers");
        CliHarness.AssertCleanFailure(CliHarness.Run("draw", "train", Sample, "--batch-size", "1000"), "draw", "fewer than --batch-size");
        CliHarness.AssertCleanFailure(CliHarness.Run("draw", "eval"), "draw", "name a run");
        CliHarness.AssertCleanFailure(CliHarness.Run("draw", "eval", Path.Combine(_dir, "none")), "draw", "none");
        CliHarness.AssertCleanFailure(CliHarness.Run("draw", "sample"), "draw", "name a run");
        string other = Path.Combine(AppContext.BaseDirectory, "Fixtures", "oldruns", "tag");
        CliHarness.AssertCleanFailure(CliHarness.Run("draw", "sample", other), "draw", "recur-draw");

        string run = Path.Combine(_dir, "run");
        Assert.Equal(0, CliHarness.Run(["draw", "train", Sample, .. Small, "--max-iters", "1", "--out", run]).ExitCode);
        CliHarness.AssertCleanFailure(CliHarness.Run("draw", "eval", run, "--split", "train"), "draw", "--split");
        CliHarness.AssertCleanFailure(CliHarness.Run("draw", "sample", run, "--out", Path.Combine(_dir, "x.txt")), "draw", ".png");
        CliHarness.AssertCleanFailure(CliHarness.Run("draw", "sample", run, "--count", "0"), "draw", "--count");
        string bad = Path.Combine(_dir, "bad");
        Directory.CreateDirectory(bad);
        foreach (var f in Directory.GetFiles(Sample, "*.gz")) File.Copy(f, Path.Combine(bad, Path.GetFileName(f)));
        File.WriteAllBytes(Path.Combine(bad, "train-images-idx3-ubyte.gz"), [1, 2, 3]);
        CliHarness.AssertCleanFailure(CliHarness.Run("draw", "eval", run, bad), "draw", "train-images");
    }
}
