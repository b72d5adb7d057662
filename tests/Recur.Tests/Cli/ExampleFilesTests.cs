using System.Text.Json;
using Recur.Cli.Commands;
using Xunit;

namespace Recur.Tests.Cli;

/// <summary>
/// The examples files the evals write: which examples a split keeps (the first few, then wrong ones up to a cap), the
/// file's name beside its scores, and the lines written at once.
/// </summary>
public sealed class ExampleFilesTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("recur-examples-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    /// <summary>The lines of an examples file, each parsed.</summary>
    internal static List<JsonElement> Read(string path)
        => [.. File.ReadAllLines(path).Select(l => JsonDocument.Parse(l).RootElement.Clone())];

    [Fact]
    public void TheFirstExamplesAreKeptThenOnlyWrongOnesUpToTheCap()
    {
        // first 3, then at most 2 more wrong: R W R | W (1st wrong after) R (right, dropped) W (2nd) W (over the cap) R
        var s = new ExampleSelection(first: 3, moreWrong: 2);
        bool[] right = [true, false, true, false, true, false, false, true];
        var kept = right.Select(r => s.Keep(r)).ToArray();
        Assert.Equal([true, true, true, true, false, true, false, false], kept);
    }

    [Fact]
    public void TheFileSitsBesideItsScoresWithTheirSuffixAndIsWrittenWhole()
    {
        Assert.Equal(Path.Combine(_dir, "tags.jsonl"), ExampleLines.Beside(Path.Combine(_dir, "eval.json"), "tags.jsonl").FilePath);
        Assert.Equal(Path.Combine(_dir, "pronunciations-ensemble.jsonl"),
            ExampleLines.Beside(Path.Combine(_dir, "eval-ensemble.json"), "pronunciations.jsonl").FilePath);
        var lines = ExampleLines.Beside(Path.Combine(_dir, "eval.json"), "x.jsonl");
        lines.Add(w => { w.WriteString("word", "café"); ExampleLines.Weights(w, "attention", [0.123456f, 0.5f]); });
        lines.Add(w => w.WriteBoolean("correct", false));
        Assert.False(File.Exists(lines.FilePath));  // nothing on the disk before Save
        lines.Save();
        Assert.Equal("{\"word\":\"café\",\"attention\":[0.1235,0.5]}\n{\"correct\":false}\n", File.ReadAllText(lines.FilePath));
        Assert.Equal(2, lines.Count);
        Assert.Single(Directory.GetFiles(_dir));  // no temporary file left
    }
}
