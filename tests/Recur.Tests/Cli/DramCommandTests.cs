using System.Text.Json;
using Recur.Imaging;
using Xunit;

namespace Recur.Tests.Cli;

/// <summary><c>recur glimpse train --model dram</c> and <c>recur glimpse eval</c> of its run, end to end on the Fashion-MNIST sample.</summary>
[Collection("Console")]
public sealed class DramCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("recur-dram-cli-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private static string Sample => Path.Combine(AppContext.BaseDirectory, "Data", "Samples", "fashion-mnist");

    private static readonly string[] Small =
        ["--model", "dram", "--scenes", "60", "--val-frac", "0.2", "--test-scenes", "5", "--patch", "4", "--scales", "2", "--glimpse-hidden", "6",
         "--location-hidden", "4", "--glimpse-out", "6", "--upper-hidden", "5", "--hidden", "6", "--context-pool", "12", "--batch-size", "16",
         "--threads", "1"];

    private static JsonElement Json(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        return doc.RootElement.Clone();
    }

    [Fact]
    public void TrainsEvaluatesOnTheSplitAskedAndWritesReadingsWithPaths()
    {
        string run = Path.Combine(_dir, "run");
        var t = CliHarness.Run(["glimpse", "train", Sample, .. Small, "--max-iters", "4", "--eval-every", "2", "--out", run]);
        Assert.True(t.ExitCode == 0, t.ToString());
        Assert.Contains("\nvalidation: DRAM: 4 objects + end, 2 glimpses each (10 in all)", "\n" + t.Out);
        var val = Json(Path.Combine(run, "eval.json"));
        Assert.Equal(("validation", "dram", 12), (val.GetProperty("split").GetString(), val.GetProperty("architecture").GetString(),
            val.GetProperty("scenes").GetInt32()));
        Assert.True(File.Exists(Path.Combine(run, "paths-validation.png")));
        Assert.True(File.Exists(Path.Combine(run, "paths-validation.html")));

        var onTest = CliHarness.Run("glimpse", "eval", run, "--split", "test", "--paths", "2");
        Assert.True(onTest.ExitCode == 0, onTest.ToString());
        Assert.StartsWith("test: DRAM:", onTest.Out);
        var score = Json(Path.Combine(run, "eval.json"));
        Assert.Equal("test", score.GetProperty("split").GetString());
        Assert.Equal(10, score.GetProperty("scenes").GetInt32()); // 5 seen and 5 held-out compositions
        var lines = ExampleFilesTests.Read(Path.Combine(run, "glimpses.jsonl"));
        Assert.Equal(10, lines.Count);
        Assert.Equal(score.GetProperty("sequence_accuracy").GetDouble() * 10, lines.Count(c => c.GetProperty("correct").GetBoolean()), 9);
        Assert.Equal(score.GetProperty("count_accuracy").GetDouble() * 10, lines.Count(c => c.GetProperty("count_right").GetBoolean()), 9);
        int objects = lines.Sum(c => c.GetProperty("classes").GetArrayLength());
        Assert.Equal(score.GetProperty("objects").GetInt32(), objects);
        Assert.Equal(score.GetProperty("object_accuracy").GetDouble() * objects, lines.Sum(c => c.GetProperty("objects_right").GetInt32()), 9);
        Assert.All(lines, c =>
        {
            var reading = c.GetProperty("reading").EnumerateArray().Select(x => x.GetString()).ToArray();
            var classes = c.GetProperty("classes").EnumerateArray().Select(x => x.GetString()).ToArray();
            Assert.Equal(reading.SequenceEqual(classes), c.GetProperty("correct").GetBoolean());
            Assert.Equal(10, c.GetProperty("locations").GetArrayLength());
            Assert.Equal(5, c.GetProperty("slots").GetArrayLength());
        });
        var drawn = PngDecoder.Read(Path.Combine(run, lines[0].GetProperty("picture").GetString()!));
        Assert.Equal((168, 168, 3), (drawn.Width, drawn.Height, drawn.Channels));
        var again = CliHarness.Run("glimpse", "eval", run, Sample, "--split", "test", "--threads", "2", "--paths", "0");
        Assert.Equal(onTest.Out.Split('\n')[1], again.Out.Split('\n')[1]); // the same figures, whatever the threads

        var resumed = CliHarness.Run("glimpse", "train", "--resume", run, "--max-iters", "6", "--print-every", "1");
        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        Assert.Contains("after 6 iterations", resumed.Out);
        Assert.Contains("is a DRAM run", CliHarness.Run("glimpse", run, Path.Combine(_dir, "x.png")).ToString());
    }
}
