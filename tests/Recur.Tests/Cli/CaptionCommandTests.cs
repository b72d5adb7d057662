using System.Text.Json;
using Recur.Imaging;
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
    public void BadInputGetsOneClearLine()
    {
        CliHarness.AssertCleanFailure(CliHarness.Run("caption"), "caption", "data");
        CliHarness.AssertCleanFailure(CliHarness.Run("caption", "data", SampleDir), "caption", "--out");
        CliHarness.AssertCleanFailure(CliHarness.Run("caption", "paint"), "caption", "paint");
        CliHarness.AssertCleanFailure(CliHarness.Run("caption", "data", Path.Combine(_dir, "none"), "--out", _dir), "caption", "dataset-fashion-mnist");
    }
}
