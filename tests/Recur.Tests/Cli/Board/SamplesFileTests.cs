using System.Text.Json;
using Xunit;

namespace Recur.Tests.Cli.Board;

/// <summary><c>recur train --sample-every N</c> keeps each sample in RUN/samples.jsonl, in order, for the board to show.</summary>
[Collection("Console")]
public sealed class SamplesFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("recur-samples-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public void TrainWritesItsSamplesAlongTheWay()
    {
        string text = CliHarness.ShakespeareFile(_dir, 3000), run = Path.Combine(_dir, "run");
        var r = CliHarness.Run("train", text, "--hidden", "8", "--layers", "1", "--embed", "4", "--seq-length", "16", "--batch-size", "4",
            "--threads", "1", "--max-iters", "6", "--sample-every", "3", "--sample-length", "25", "--out", run);
        Assert.True(r.ExitCode == 0, r.ToString());
        var lines = File.ReadAllLines(Path.Combine(run, "samples.jsonl"));
        Assert.Equal(2, lines.Length);
        var samples = lines.Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal([3L, 6L], samples.Select(s => s.GetProperty("iter").GetInt64()));
        Assert.All(samples, s => Assert.Equal(25, s.GetProperty("text").GetString()!.EnumerateRunes().Count()));
        Assert.Contains(samples[0].GetProperty("text").GetString()!, r.Out);
    }
}
