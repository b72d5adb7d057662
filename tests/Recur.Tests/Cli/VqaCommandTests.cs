using System.Text.Json;
using Xunit;

namespace Recur.Tests.Cli;

[Collection("Console")]
public sealed class VqaCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("recur-vqa-cli-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private static string SampleDir => Path.Combine(AppContext.BaseDirectory, "Data", "Samples", "fashion-mnist");

    [Fact]
    public void TrainsTheModelAndTheBlindBaselineEvaluatesAndResumes()
    {
        string cnn = Path.Combine(_dir, "cnn"), run = Path.Combine(_dir, "vqa"), blind = Path.Combine(_dir, "blind");
        Assert.Equal(0, CliHarness.Run("classify", SampleDir, "--model", "cnn", "--hidden", "16", "--max-iters", "2", "--batch-size", "32", "--val-frac", "0.2", "--threads", "1", "--out", cnn).ExitCode);
        string[] small = ["--scenes", "150", "--test-scenes", "20", "--max-iters", "4", "--eval-every", "2", "--batch-size", "32", "--hidden", "16", "--embed", "8", "--attention-dim", "8", "--fusion", "16", "--threads", "1"];
        var t = CliHarness.Run(["vqa", "train", SampleDir, "--encoder", cnn, .. small, "--out", run]);
        Assert.True(t.ExitCode == 0, t.ToString());
        // training ends on the validation splits: 0.05 of 150 scenes (8), half held-out, two questions each; never the test splits
        Assert.Contains("| validation-heldout | 8 |", t.Out);
        Assert.DoesNotContain("test-heldout", t.Out);
        var b = CliHarness.Run(["vqa", "train", SampleDir, "--encoder", cnn, "--blind", .. small, "--out", blind]);
        Assert.True(b.ExitCode == 0, b.ToString());
        Assert.Contains("question-only (blind)", b.Out);
        using (var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(blind, "eval.json"))))
        {
            Assert.True(doc.RootElement.GetProperty("blind").GetBoolean());
            Assert.InRange(doc.RootElement.GetProperty("validation-seen").GetProperty("accuracy").GetDouble(), 0, 1);
        }
        Assert.All(ExampleFilesTests.Read(Path.Combine(blind, "answers.jsonl")), l => Assert.False(l.TryGetProperty("attention", out _)));
        var r = CliHarness.Run("vqa", "train", "--resume", run, "--max-iters", "6");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("resuming at iteration 4", r.Out);
        var e = CliHarness.Run("vqa", "eval", run, SampleDir, "--split", "test");
        Assert.True(e.ExitCode == 0, e.ToString());
        Assert.Contains("| test-seen | 40 |", e.Out);
        AssertScored(run, e.Out, "test", 40);
        var v = CliHarness.Run("vqa", "eval", run, SampleDir);
        Assert.True(v.ExitCode == 0, v.ToString());
        AssertScored(run, v.Out, "validation", 8);
        CliHarness.AssertCleanFailure(CliHarness.Run("vqa", "eval", run, SampleDir, "--split", "train"), "vqa", "--split");
        CliHarness.AssertCleanFailure(CliHarness.Run("vqa"), "vqa", "train");
        CliHarness.AssertCleanFailure(CliHarness.Run("vqa", "eval", cnn), "vqa", "recur-vqa");
    }

    /// <summary>The eval's first line names <paramref name="split"/>; eval.json records it and scores its two scene splits only.</summary>
    private static void AssertScored(string run, string output, string split, int heldOutQuestions)
    {
        Assert.StartsWith(split + ": ", output);
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "eval.json")));
        Assert.Equal(split, doc.RootElement.GetProperty("split").GetString());
        var parts = doc.RootElement.EnumerateObject().Where(p => p.Value.ValueKind == JsonValueKind.Object).Select(p => p.Name).ToArray();
        Assert.Equal([split + "-seen", split + "-heldout"], parts);
        Assert.Equal(heldOutQuestions, doc.RootElement.GetProperty(split + "-heldout").GetProperty("questions").GetInt32());
        // answers.jsonl: every question of both splits (fewer than the 500 kept from each), right exactly as often as the accuracy says
        var lines = ExampleFilesTests.Read(Path.Combine(run, "answers.jsonl"));
        foreach (string part in parts)
        {
            var mine = lines.Where(l => l.GetProperty("split").GetString() == part).ToList();
            var score = doc.RootElement.GetProperty(part);
            int questions = score.GetProperty("questions").GetInt32();
            Assert.Equal(questions, mine.Count);
            Assert.Equal((int)Math.Round(score.GetProperty("accuracy").GetDouble() * questions), mine.Count(l => l.GetProperty("correct").GetBoolean()));
            Assert.Equal(Enumerable.Range(0, questions), mine.Select(l => l.GetProperty("index").GetInt32()));
            foreach (var l in mine)
            {
                Assert.Equal(l.GetProperty("answer").GetString() == l.GetProperty("prediction").GetString(), l.GetProperty("correct").GetBoolean());
                var map = l.GetProperty("attention")[0].EnumerateArray().Select(x => x.GetDouble()).ToArray();
                Assert.Equal(l.GetProperty("grid_rows").GetInt32() * l.GetProperty("grid_cols").GetInt32(), map.Length);
                Assert.Equal(1.0, map.Sum(), 2);
                Assert.NotEqual(0, l.GetProperty("objects").GetArrayLength());
            }
        }
    }
}
