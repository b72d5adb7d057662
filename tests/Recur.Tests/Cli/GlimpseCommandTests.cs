using System.Text.Json;
using Recur.Imaging;
using Recur.IO;
using Recur.Plotting;
using Recur.Tasks.Glimpse;
using Xunit;

namespace Recur.Tests.Cli;

/// <summary><c>recur glimpse data|train|eval|RUN IMAGE.png</c> end to end on the Fashion-MNIST sample, and its one-line failures.</summary>
[Collection("Console")]
public sealed class GlimpseCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("recur-glimpse-cli-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private static string Sample => Path.Combine(AppContext.BaseDirectory, "Data", "Samples", "fashion-mnist");

    private static readonly string[] Small =
        ["--size", "40", "--clutter", "3", "--glimpses", "3", "--patch", "4", "--scales", "2", "--glimpse-hidden", "6", "--location-hidden", "4",
         "--glimpse-out", "8", "--hidden", "8", "--batch-size", "32", "--threads", "1"];

    private static JsonElement Json(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        return doc.RootElement.Clone();
    }

    [Fact]
    public void TrainsEvaluatesDrawsPathsClassifiesAndResumes()
    {
        string run = Path.Combine(_dir, "run");
        var t = CliHarness.Run(["glimpse", "train", Sample, .. Small, "--max-iters", "4", "--eval-every", "2", "--out", run]);
        Assert.True(t.ExitCode == 0, t.ToString());
        Assert.Contains("\n50 canvases 40x40 with 3 clutter pieces: error ", "\n" + t.Out);
        Assert.Contains("pixels read 6.00 % (96 values of 1,600)", t.Out);
        var val = Json(Path.Combine(run, "eval.json"));
        Assert.Equal(("validation", "ram", 50, 0.06), (val.GetProperty("split").GetString(), val.GetProperty("architecture").GetString(),
            val.GetProperty("images").GetInt32(), val.GetProperty("pixels_read").GetDouble()));
        Assert.Equal(1.0, val.GetProperty("error").GetDouble() + val.GetProperty("accuracy").GetDouble(), 12);
        Assert.True(File.Exists(Path.Combine(run, "paths-validation.html")));
        var paths = PngDecoder.Read(Path.Combine(run, "paths-validation.png"));
        Assert.Equal(GlimpsePaths.Grid([.. Enumerable.Repeat(new PixelImage(120, 120, 3, new byte[120 * 120 * 3]), 16)], 4).Width, paths.Width);

        var onTest = CliHarness.Run("glimpse", "eval", run, "--split", "test", "--paths", "3");
        Assert.True(onTest.ExitCode == 0, onTest.ToString());
        Assert.StartsWith("test: RAM: 3 glimpses", onTest.Out);
        Assert.Contains("200 canvases 40x40", onTest.Out);
        var score = Json(Path.Combine(run, "eval.json"));
        Assert.Equal("test", score.GetProperty("split").GetString());
        // glimpses.jsonl: every canvas, wrong exactly as often as the error says, each with its path from the centre and its picture
        var canvases = ExampleFilesTests.Read(Path.Combine(run, "glimpses.jsonl"));
        Assert.Equal(200, canvases.Count);
        Assert.Equal(score.GetProperty("error").GetDouble() * 200, canvases.Count(c => !c.GetProperty("correct").GetBoolean()), 9);
        Assert.All(canvases, c => Assert.Equal(c.GetProperty("class").GetString() == c.GetProperty("prediction").GetString(),
            c.GetProperty("correct").GetBoolean()));
        var first = canvases[0];
        Assert.Equal(3, first.GetProperty("locations").GetArrayLength());
        Assert.Equal([0.0, 0.0], first.GetProperty("locations")[0].EnumerateArray().Select(x => x.GetDouble()));
        Assert.Equal([4, 8], first.GetProperty("scales").EnumerateArray().Select(x => x.GetInt32()));
        var drawn = PngDecoder.Read(Path.Combine(run, first.GetProperty("picture").GetString()!));
        Assert.Equal((80, 80, 3), (drawn.Width, drawn.Height, drawn.Channels));
        var again = CliHarness.Run("glimpse", "eval", run, Sample, "--split", "test", "--threads", "2", "--paths", "0");
        Assert.Equal(onTest.Out.Split('\n')[1], again.Out.Split('\n')[1]); // the same figures, whatever the threads
        Assert.Equal(3, System.Text.RegularExpressions.Regex.Matches(File.ReadAllText(Path.Combine(run, "paths-test.html")), "alt=\"glimpse path\"").Count);

        // a person's own canvas, and one of the wrong size
        var canvas = new byte[40 * 40];
        for (int y = 5; y < 33; y++) for (int x = 8; x < 36; x++) canvas[y * 40 + x] = 200;
        string image = Path.Combine(_dir, "mine.png");
        Png.Save(image, new PixelImage(40, 40, 1, canvas));
        var c = CliHarness.Run("glimpse", run, image);
        Assert.True(c.ExitCode == 0, c.ToString());
        Assert.StartsWith(image + ": ", c.Out);
        Assert.Contains("glimpse 1 at (0.00, 0.00)", c.Out);
        var picture = PngDecoder.Read(Path.Combine(_dir, "mine.paths.png"));
        Assert.Equal((120, 120), (picture.Width, picture.Height));
        string odd = Path.Combine(_dir, "odd.png");
        Png.Save(odd, new PixelImage(41, 40, 1, new byte[41 * 40]));
        CliHarness.AssertCleanFailure(CliHarness.Run("glimpse", run, odd), "glimpse", "41x40", "40x40");

        var r = CliHarness.Run("glimpse", "train", "--resume", run, "--max-iters", "6");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("resuming at iteration 4", r.Out);
        Assert.Equal(6, GlimpseCheckpoint.Instance.Load(run, CheckpointKind.Latest).Progress!.Iteration);
        CliHarness.AssertCleanFailure(CliHarness.Run("glimpse", "train", "--resume", run, "--glimpses", "4"), "glimpse", "--glimpses", "fixed");
    }

    [Fact]
    public void TheCnnBaselineIsTheSameTasksOtherModel()
    {
        string run = Path.Combine(_dir, "cnn");
        var t = CliHarness.Run(["glimpse", "train", Sample, .. Small, "--model", "cnn", "--cnn-width", "2", "--cnn-fc", "6", "--max-iters", "2", "--out", run]);
        Assert.True(t.ExitCode == 0, t.ToString());
        Assert.Contains("CNN over the whole image: cnn 2-4-4", t.Out);
        Assert.Contains("pixels read 100.00 %", t.Out);
        Assert.Contains("no glimpse paths", t.Out);
        var val = Json(Path.Combine(run, "eval.json"));
        Assert.Equal(("cnn", 1.0), (val.GetProperty("architecture").GetString(), val.GetProperty("pixels_read").GetDouble()));
        Assert.Equal(GlimpseCheckpoint.Instance.Load(run).Model.Store.Count, val.GetProperty("parameters").GetInt64());
        string image = Path.Combine(_dir, "blank.png");
        Png.Save(image, new PixelImage(40, 40, 1, new byte[1600]));
        var c = CliHarness.Run("glimpse", run, image);
        Assert.True(c.ExitCode == 0, c.ToString());
        Assert.False(File.Exists(Path.Combine(_dir, "blank.paths.png")));
    }

    [Fact]
    public void DataWritesCanvasesAndTheirDraws()
    {
        string data = Path.Combine(_dir, "data");
        var d = CliHarness.Run("glimpse", "data", Sample, "--out", data, "--size", "60", "--count", "3");
        Assert.True(d.ExitCode == 0, d.ToString());
        Assert.Contains("60x60 canvases with 4 clutter pieces", d.Out);
        var lines = File.ReadAllLines(Path.Combine(data, "canvases.jsonl"));
        Assert.Equal(9, lines.Length);
        using var first = JsonDocument.Parse(lines[0]);
        Assert.Equal(4, first.RootElement.GetProperty("clutter").GetArrayLength());
        var png = PngDecoder.Read(Path.Combine(data, "test", "00002.png"));
        Assert.Equal((60, 60), (png.Width, png.Height));
    }

    [Fact]
    public void BadInputGetsOneClearLine()
    {
        CliHarness.AssertCleanFailure(CliHarness.Run("glimpse"), "glimpse", "train");
        CliHarness.AssertCleanFailure(CliHarness.Run("glimpse", "paint"), "glimpse", "'paint'");
        CliHarness.AssertCleanFailure(CliHarness.Run("glimpse", "train", Path.Combine(_dir, "none")), "glimpse", "not found");
        CliHarness.AssertCleanFailure(CliHarness.Run("glimpse", "train", Sample, "--model", "lstm"), "glimpse", "--model");
        CliHarness.AssertCleanFailure(CliHarness.Run("glimpse", "train", Sample, "--size", "20"), "glimpse", "--size");
        CliHarness.AssertCleanFailure(CliHarness.Run("glimpse", "train", Sample, "--layers", "2"), "glimpse", "--layers");
        CliHarness.AssertCleanFailure(CliHarness.Run("glimpse", "train", Sample, "--batch-size", "1000"), "glimpse", "fewer than --batch-size");
        CliHarness.AssertCleanFailure(CliHarness.Run("glimpse", "eval"), "glimpse", "name a run");
        CliHarness.AssertCleanFailure(CliHarness.Run("glimpse", "data", Sample), "glimpse", "--out");
        string other = Path.Combine(AppContext.BaseDirectory, "Fixtures", "oldruns", "tag");
        CliHarness.AssertCleanFailure(CliHarness.Run("glimpse", "eval", other), "glimpse", "recur-glimpse");
        string old = Path.Combine(AppContext.BaseDirectory, "Fixtures", "oldruns", "glimpse");
        CliHarness.AssertCleanFailure(CliHarness.Run("glimpse", "eval", old, Sample, "--split", "train"), "glimpse", "--split");
        CliHarness.AssertCleanFailure(CliHarness.Run("glimpse", old), "glimpse", "image");
        CliHarness.AssertCleanFailure(CliHarness.Run("glimpse", old, Path.Combine(_dir, "missing.png")), "glimpse", "missing.png");
    }
}
