using System.Text.Json;
using Recur.Imaging;
using Recur.Plotting;
using Xunit;

namespace Recur.Tests.Cli;

[Collection("Console")]
public sealed class VideoCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("recur-video-cli-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private static string SampleDir => Path.Combine(AppContext.BaseDirectory, "Data", "Samples", "fashion-mnist");

    [Fact]
    public void DataTrainEvalAndAClipFromDataRoundTrip()
    {
        string data = Path.Combine(_dir, "clips");
        var d = CliHarness.Run("video", "data", SampleDir, "--out", data, "--clips", "30", "--test-clips", "6", "--frames", "8", "--png", "2");
        Assert.True(d.ExitCode == 0, d.ToString());
        var lines = File.ReadAllLines(Path.Combine(data, "clips.jsonl"));
        Assert.Equal(30 + 2 + 6, lines.Length); // training, validation (5 % of 30, rounded), test
        var first = JsonDocument.Parse(lines[0]).RootElement;
        Assert.Equal(8, first.GetProperty("visible").GetArrayLength());
        Assert.Contains(first.GetProperty("action").GetString(), new[] { "enters-left", "leaves-left", "enters-right", "leaves-right", "approach", "separate" });
        string strip = Path.Combine(data, "train", "00000.png");
        var image = PngDecoder.Read(strip);
        Assert.Equal((64 * 8, 64), (image.Width, image.Height));

        string run = Path.Combine(_dir, "run");
        var t = CliHarness.Run("video", "train", SampleDir, "--clips", "30", "--test-clips", "6", "--frames", "8", "--hidden", "8", "--projection", "8",
            "--batch-size", "8", "--max-iters", "3", "--eval-every", "3", "--threads", "1", "--out", run);
        Assert.True(t.ExitCode == 0, t.ToString());
        Assert.Contains("training the default encoder first", t.Out, StringComparison.Ordinal);
        Assert.Contains("validation: video", t.Out, StringComparison.Ordinal);
        using (var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "eval.json"))))
        {
            Assert.Equal("validation", doc.RootElement.GetProperty("split").GetString());
            Assert.Equal(2, doc.RootElement.GetProperty("clips").GetInt32());
            Assert.InRange(doc.RootElement.GetProperty("visible_f1").GetDouble(), 0, 1);
        }

        var e = CliHarness.Run("video", "eval", run, SampleDir, "--split", "test", "--threads", "1");
        Assert.True(e.ExitCode == 0, e.ToString());
        Assert.StartsWith("test: video", e.Out, StringComparison.Ordinal);
        using (var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "eval.json"))))
        {
            Assert.Equal("test", doc.RootElement.GetProperty("split").GetString());
            Assert.Equal(6, doc.RootElement.GetProperty("clips").GetInt32());
            AssertClipsAgreeWithTheScore(run, doc.RootElement);
        }

        var c = CliHarness.Run("video", run, strip);
        Assert.True(c.ExitCode == 0, c.ToString());
        Assert.Contains("frame 8:", c.Out, StringComparison.Ordinal);

        // A picture that is not a strip of 64x64 frames, and a blank strip, get one clear line each.
        string odd = Path.Combine(_dir, "odd.png");
        Png.Save(odd, new PixelImage(100, 64, 1, Enumerable.Range(0, 6400).Select(i => (byte)(i % 251)).ToArray()));
        CliHarness.AssertCleanFailure(CliHarness.Run("video", run, odd), "video", "64x64 frames");
        string blank = Path.Combine(_dir, "blank.png");
        Png.Save(blank, new PixelImage(128, 64, 1, new byte[128 * 64]));
        CliHarness.AssertCleanFailure(CliHarness.Run("video", run, blank), "video", "blank");
    }

    /// <summary>
    /// clips.jsonl holds every clip of the split, right exactly as often as the action accuracy says, and its per-frame classes
    /// give the visibility F1 of eval.json (true positives: classes both visible and predicted); each clip has its strip.
    /// </summary>
    private static void AssertClipsAgreeWithTheScore(string run, JsonElement score)
    {
        var clips = ExampleFilesTests.Read(Path.Combine(run, "clips.jsonl"));
        Assert.Equal(6, clips.Count);
        Assert.Equal(score.GetProperty("action_accuracy").GetDouble() * 6, clips.Count(c => c.GetProperty("correct").GetBoolean()), 9);
        long tp = 0, fp = 0, fn = 0;
        foreach (var c in clips)
        {
            Assert.Equal(c.GetProperty("action").GetString() == c.GetProperty("prediction").GetString(), c.GetProperty("correct").GetBoolean());
            Assert.Equal(1.0, c.GetProperty("probabilities").EnumerateArray().Sum(p => p.GetDouble()), 3);
            Assert.Equal(8, c.GetProperty("frames").GetArrayLength());
            foreach (var f in c.GetProperty("frames").EnumerateArray())
            {
                var visible = f.GetProperty("visible").EnumerateArray().Select(x => x.GetString()).ToHashSet();
                var predicted = f.GetProperty("predicted").EnumerateArray().Select(x => x.GetString()).ToHashSet();
                tp += visible.Intersect(predicted).Count();
                fp += predicted.Except(visible).Count();
                fn += visible.Except(predicted).Count();
                Assert.Equal(visible.SetEquals(predicted), f.GetProperty("right").GetBoolean());
            }
            var strip = PngDecoder.Read(Path.Combine(run, c.GetProperty("picture").GetString()!));
            Assert.Equal((32 * 8, 32), (strip.Width, strip.Height));
        }
        double f1 = tp == 0 ? (fp + fn == 0 ? 1 : 0) : 2.0 * tp / (2 * tp + fp + fn);
        Assert.Equal(score.GetProperty("visible_f1").GetDouble(), f1, 9);
        Assert.StartsWith("examples/clips-test-", clips[0].GetProperty("picture").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public void TheBaselinesTrainAndBadInputGetsOneClearLine()
    {
        string run = Path.Combine(_dir, "avg");
        string encoder = Path.Combine(AppContext.BaseDirectory, "Fixtures", "oldruns", "classify-cnn");
        var t = CliHarness.Run("video", "train", SampleDir, "--encoder", encoder, "--model", "average", "--clips", "20", "--test-clips", "4", "--frames", "8", "--projection", "8",
            "--batch-size", "8", "--max-iters", "2", "--eval-every", "2", "--threads", "1", "--out", run);
        Assert.True(t.ExitCode == 0, t.ToString());
        Assert.Contains("average baseline", t.Out, StringComparison.Ordinal);
        CliHarness.AssertCleanFailure(CliHarness.Run("video"), "video", "data");
        CliHarness.AssertCleanFailure(CliHarness.Run("video", "paint"), "video", "paint");
        CliHarness.AssertCleanFailure(CliHarness.Run("video", "train", SampleDir, "--model", "transformer", "--out", run), "video", "model");
        CliHarness.AssertCleanFailure(CliHarness.Run("video", "data", SampleDir), "video", "--out");
        CliHarness.AssertCleanFailure(CliHarness.Run("video", "eval"), "video", "run");
    }
}
