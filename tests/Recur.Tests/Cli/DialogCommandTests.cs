using System.Text.Json;
using Xunit;

namespace Recur.Tests.Cli;

/// <summary><c>recur dialog train|eval</c> end to end on the committed Fashion-MNIST sample.</summary>
[Collection("Console")]
public sealed class DialogCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("recur-dialog-cli-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private static string SampleDir => Path.Combine(AppContext.BaseDirectory, "Data", "Samples", "fashion-mnist");

    private static readonly string[] Small =
    [
        "--scenes", "150", "--test-scenes", "20", "--rounds", "5", "--max-iters", "4", "--eval-every", "2", "--batch-size", "8", "--hidden", "16",
        "--embed", "8", "--attention-dim", "8", "--fusion", "16", "--threads", "1",
    ];

    [Fact]
    public void TrainsTheHistoryModelAndItsBaselinesEvaluatesAndResumes()
    {
        string cnn = Path.Combine(_dir, "cnn"), run = Path.Combine(_dir, "dialog");
        Assert.Equal(0, CliHarness.Run("classify", SampleDir, "--model", "cnn", "--hidden", "16", "--max-iters", "2", "--batch-size", "32", "--val-frac", "0.2",
            "--threads", "1", "--out", cnn).ExitCode);
        var t = CliHarness.Run(["dialog", "train", SampleDir, "--encoder", cnn, .. Small, "--out", run]);
        Assert.True(t.ExitCode == 0, t.ToString());
        // training ends on the validation splits: 0.05 of 150 scenes (8), half held-out, one dialog of 5 rounds each; never the test splits
        Assert.Contains("| validation-heldout | 20 |", t.Out);
        Assert.Contains("| validation (both) | 40 |", t.Out);
        Assert.Contains("history hre", t.Out);
        Assert.DoesNotContain("test-heldout", t.Out);
        foreach (var (flags, says) in new[] { (new[] { "--history", "none" }, "history none"), (["--history", "memory", "--hops", "1"], "history memory"),
            (["--blind"], "question-only (blind)") })
        {
            string other = Path.Combine(_dir, string.Concat(flags));
            var b = CliHarness.Run(["dialog", "train", SampleDir, "--encoder", cnn, .. flags, .. Small, "--out", other]);
            Assert.True(b.ExitCode == 0, b.ToString());
            Assert.Contains(says, b.Out);
            using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(other, "eval.json")));
            Assert.Equal(flags.Contains("--blind"), doc.RootElement.GetProperty("blind").GetBoolean());
            Assert.InRange(doc.RootElement.GetProperty("validation-seen").GetProperty("accuracy").GetDouble(), 0, 1);
        }
        var r = CliHarness.Run("dialog", "train", "--resume", run, "--max-iters", "6");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("resuming at iteration 4", r.Out);
        var e = CliHarness.Run("dialog", "eval", run, SampleDir, "--split", "test");
        Assert.True(e.ExitCode == 0, e.ToString());
        Assert.Contains("| test-seen | 100 |", e.Out);
        AssertScored(run, e.Out, "test", 100);
        var v = CliHarness.Run("dialog", "eval", run, SampleDir);
        Assert.True(v.ExitCode == 0, v.ToString());
        AssertScored(run, v.Out, "validation", 20);
        CliHarness.AssertCleanFailure(CliHarness.Run("dialog", "eval", run, SampleDir, "--split", "train"), "dialog", "--split");
        CliHarness.AssertCleanFailure(CliHarness.Run("dialog"), "dialog", "train");
        CliHarness.AssertCleanFailure(CliHarness.Run("dialog", "train", SampleDir, "--encoder", cnn, "--history", "lstm"), "dialog", "--history");
        CliHarness.AssertCleanFailure(CliHarness.Run("dialog", "eval", cnn), "dialog", "recur-dialog");
    }

    /// <summary>
    /// The eval's first line names <paramref name="split"/>; eval.json records it and scores its two scene splits and both
    /// together, with the rounds that need the history and the others adding up to all of them.
    /// </summary>
    private static void AssertScored(string run, string output, string split, int heldOutRounds)
    {
        Assert.StartsWith(split + ": ", output);
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "eval.json")));
        var root = doc.RootElement;
        Assert.Equal(split, root.GetProperty("split").GetString());
        var parts = root.EnumerateObject().Where(p => p.Value.ValueKind == JsonValueKind.Object).Select(p => p.Name).ToArray();
        Assert.Equal([split + "-seen", split + "-heldout", "all"], parts);
        var held = root.GetProperty(split + "-heldout");
        Assert.Equal(heldOutRounds, held.GetProperty("rounds").GetInt32());
        Assert.Equal(heldOutRounds, held.GetProperty("history_rounds").GetInt32() + held.GetProperty("other_rounds").GetInt32());
        Assert.Equal(5, held.GetProperty("round_accuracy").GetArrayLength());
        Assert.Equal(2 * heldOutRounds, root.GetProperty("all").GetProperty("rounds").GetInt32());
        // dialogs.jsonl: every dialog of both splits, its rounds right exactly as often as the accuracy says, two hops of attention each
        var lines = ExampleFilesTests.Read(Path.Combine(run, "dialogs.jsonl"));
        foreach (string part in parts.SkipLast(1))
        {
            var mine = lines.Where(l => l.GetProperty("split").GetString() == part).ToList();
            var score = root.GetProperty(part);
            int rounds = score.GetProperty("rounds").GetInt32();
            var all = mine.SelectMany(l => l.GetProperty("rounds").EnumerateArray()).ToList();
            Assert.Equal(rounds, all.Count);
            Assert.Equal((int)Math.Round(score.GetProperty("accuracy").GetDouble() * rounds), all.Count(r => r.GetProperty("correct").GetBoolean()));
            foreach (var l in mine)
            {
                var own = l.GetProperty("rounds").EnumerateArray().ToList();
                Assert.Equal(own.All(r => r.GetProperty("correct").GetBoolean()), l.GetProperty("correct").GetBoolean());
                Assert.Equal(own.Count(r => r.GetProperty("correct").GetBoolean()), l.GetProperty("rounds_right").GetInt32());
                foreach (var r in own)
                {
                    Assert.Equal(r.GetProperty("answer").GetString() == r.GetProperty("prediction").GetString(), r.GetProperty("correct").GetBoolean());
                    Assert.Equal(2, r.GetProperty("attention").GetArrayLength());
                    Assert.Equal(1.0, r.GetProperty("attention")[1].EnumerateArray().Sum(x => x.GetDouble()), 2);
                }
            }
        }
    }
}
