using System.Text.Json;
using Recur.Imaging;
using Recur.IO;
using Recur.Tasks.Translate;
using Xunit;

namespace Recur.Tests.Cli;

/// <summary><c>recur translate data|train|eval|RUN "text"</c> end to end on the sample catalogues, and its one-line failures.</summary>
[Collection("Console")]
public sealed class TranslateCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("recur-translate-cli-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private static string Sample => Path.Combine(AppContext.BaseDirectory, "Data", "Samples", "gettext-fr");

    private static readonly string[] Small =
        ["--hidden", "8", "--embed", "8", "--decoder-hidden", "12", "--attention-dim", "8", "--merges", "100", "--max-tokens", "20", "--batch-size", "32",
         "--threads", "1"];

    private static JsonElement Json(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        return doc.RootElement.Clone();
    }

    [Fact]
    public void DataCountsTheCataloguesPairsAndSplits()
    {
        string pairs = Path.Combine(_dir, "pairs.jsonl");
        var r = CliHarness.Run("translate", "data", Sample, "--merges", "100", "--out", pairs);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.StartsWith($"{Sample}: 10 of the list's 96 catalogues (10 of 66 packages)", r.Out);
        Assert.Contains("\n  upower                                    1         7        7\n", r.Out);
        Assert.Contains("kept 1,774: train 1,593, validation 98, test 83 (split by source, --split-seed 1)", r.Out);
        Assert.Contains("vocabulary: 100 merges learned on the training pairs", r.Out);
        var lines = File.ReadAllLines(pairs);
        Assert.Equal(1774, lines.Length);
        Assert.Equal(83, lines.Count(l => l.StartsWith("{\"split\":\"test\"", StringComparison.Ordinal)));
        CliHarness.AssertCleanFailure(CliHarness.Run("translate", "data", _dir), "translate", "holds none of the 96 catalogues");
    }

    [Fact]
    public void TrainsEvaluatesChoosesABeamTranslatesAndResumes()
    {
        string run = Path.Combine(_dir, "run");
        var t = CliHarness.Run(["translate", "train", Sample, .. Small, "--max-iters", "6", "--eval-every", "3", "--out", run]);
        Assert.True(t.ExitCode == 0, t.ToString());
        Assert.Contains("best val bleu_gap ", t.Out);
        Assert.Contains("\nvalidation: 98 pairs (rnn, attention bahdanau; ", "\n" + t.Out);
        Assert.Equal("validation", Json(Path.Combine(run, "eval.json")).GetProperty("split").GetString());

        var v = CliHarness.Run("translate", "eval", run, "--threads", "2");
        Assert.True(v.ExitCode == 0, v.ToString());
        foreach (string d in new[] { "greedy:", "beam 1:", "beam 2:", "beam 4:", "beam 8:" }) Assert.Contains("\n" + d, "\n" + v.Out);
        Assert.Contains("chosen on validation: beam ", v.Out);
        int chosen = Json(Path.Combine(run, "beam.json")).GetProperty("beam").GetInt32();
        var val = Json(Path.Combine(run, "eval.json"));
        var bleus = new[] { 1, 2, 4, 8 }.Select(k => val.GetProperty("decodings").GetProperty($"beam_{k}").GetProperty("bleu").GetDouble()).ToArray();
        Assert.Equal(bleus.Max(), bleus[Array.IndexOf([1, 2, 4, 8], chosen)]);      // the chosen width has the best validation BLEU
        Assert.Equal(chosen, val.GetProperty("chosen_beam").GetInt32());
        Assert.Equal(98, File.ReadAllLines(Path.Combine(run, "translations.jsonl")).Length);

        var test = CliHarness.Run("translate", "eval", run, Sample, "--split", "test", "--threads", "1");
        Assert.True(test.ExitCode == 0, test.ToString());
        Assert.StartsWith("test: 83 pairs", test.Out);
        Assert.Contains($"\nbeam {chosen}:", "\n" + test.Out);
        Assert.DoesNotContain("chosen on validation", test.Out); // test never chooses
        var onTest = Json(Path.Combine(run, "eval.json"));
        Assert.Equal(("test", 83), (onTest.GetProperty("split").GetString(), onTest.GetProperty("pairs").GetInt32()));
        var lines = File.ReadAllLines(Path.Combine(run, "translations.jsonl"));
        Assert.Equal(83, lines.Length);
        Assert.All(lines, l => Assert.StartsWith("{\"split\":\"test\"", l));
        AssertAlignedAndScored(run, onTest);

        string png = Path.Combine(_dir, "align.png");
        var x = CliHarness.Run("translate", run, "Open the file %s", "Close", "--attention", png);
        Assert.True(x.ExitCode == 0, x.ToString());
        Assert.Equal(3, PngDecoder.Read(png).Channels);
        Assert.Contains("alignment of 'Open the file %s'", x.Out);
        CliHarness.AssertCleanFailure(CliHarness.Run("translate", run, "Ωmega %s"), "translate", "'Ω' (U+03A9) at position 1", "never saw it");
        CliHarness.AssertCleanFailure(CliHarness.Run("translate", run, new string('a', 161)), "translate", "161 characters", "at most 160");

        var r = CliHarness.Run("translate", "train", "--resume", run, "--max-iters", "8");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("resuming at iteration 6", r.Out);
        Assert.Equal(8, TranslateCheckpoint.Instance.Load(run, CheckpointKind.Latest).Progress!.Iteration);
        CliHarness.AssertCleanFailure(CliHarness.Run("translate", "train", "--resume", run, "--merges", "50"), "translate", "--merges", "fixed");
    }

    /// <summary>
    /// translations.jsonl: wrong exactly as often as eval.json counts placeholder errors for its decoding, and each message's
    /// alignment one row per output subword, each a distribution over the source's subwords.
    /// </summary>
    private static void AssertAlignedAndScored(string run, JsonElement score)
    {
        var messages = ExampleFilesTests.Read(Path.Combine(run, "translations.jsonl"));
        string decoding = messages[0].GetProperty("decoding").GetString()!.Replace(' ', '_');
        Assert.Equal(score.GetProperty("decodings").GetProperty(decoding).GetProperty("placeholder_errors").GetInt32(),
            messages.Count(m => !m.GetProperty("placeholders_ok").GetBoolean()));
        foreach (var m in messages)
        {
            var alignment = m.GetProperty("alignment");
            Assert.Equal(m.GetProperty("output_tokens").GetArrayLength(), alignment.GetArrayLength());
            foreach (var row in alignment.EnumerateArray())
            {
                Assert.Equal(m.GetProperty("source_tokens").GetArrayLength(), row.GetArrayLength());
                Assert.Equal(1.0, row.EnumerateArray().Sum(x => x.GetDouble()), 2);
            }
        }
    }

    [Fact]
    public void WithoutAttentionThereIsNoAlignmentToDraw()
    {
        string run = Path.Combine(_dir, "plain");
        var t = CliHarness.Run(["translate", "train", Sample, .. Small, "--attention", "none", "--max-iters", "2", "--eval-every", "2", "--out", run]);
        Assert.True(t.ExitCode == 0, t.ToString());
        Assert.Contains("attention none", t.Out);
        var messages = ExampleFilesTests.Read(Path.Combine(run, "translations.jsonl"));
        Assert.Equal(98, messages.Count);
        Assert.All(messages, m => Assert.False(m.TryGetProperty("alignment", out _)));
        CliHarness.AssertCleanFailure(CliHarness.Run("translate", run, "Open", "--attention", Path.Combine(_dir, "a.png")), "translate",
            "needs a model with attention");
    }

    [Fact]
    public void TheTransformerTrainsWithItsRecipeTranslatesWithItsCrossAttentionAndIsScored()
    {
        string run = Path.Combine(_dir, "tf");
        var t = CliHarness.Run("translate", "train", Sample, "--model", "transformer", "--d-model", "8", "--heads", "2", "--ffn", "16", "--merges", "100",
            "--max-tokens", "20", "--batch-size", "32", "--threads", "1", "--max-iters", "4", "--eval-every", "2", "--out", run);
        Assert.True(t.ExitCode == 0, t.ToString());
        Assert.Contains("Transformer d-model 8, 2 heads, 3 + 3 layers, ffn 16, dropout 0.1", t.Out); // the Transformer's recipe: 3 layers, dropout 0.1
        Assert.Contains("\nvalidation: 98 pairs (transformer, attention multi-head; ", "\n" + t.Out);
        var ck = TranslateCheckpoint.Instance.Load(run, CheckpointKind.Best);
        Assert.Equal(1e-3, ck.Training!.LearningRate);
        var config = Json(Path.Combine(run, "best", CheckpointFiles.ConfigFile));
        Assert.Equal("transformer", config.GetProperty("architecture").GetString());

        string png = Path.Combine(_dir, "tf.png");
        var x = CliHarness.Run("translate", run, "Open the file %s", "--attention", png, "--beam", "2");
        Assert.True(x.ExitCode == 0, x.ToString());
        Assert.Equal(3, PngDecoder.Read(png).Channels);
        Assert.Contains("alignment of 'Open the file %s' (beam 2)", x.Out);
        Assert.Contains("%s", x.Out.Split('\n')[0]); // constrained: the placeholder is kept

        var v = CliHarness.Run("translate", "eval", run, "--beam", "2", "--threads", "2");
        Assert.True(v.ExitCode == 0, v.ToString());
        Assert.Contains("\nbeam 2:", "\n" + v.Out);
        Assert.Equal("multi-head", Json(Path.Combine(run, "eval.json")).GetProperty("attention").GetString());
        AssertAlignedAndScored(run, Json(Path.Combine(run, "eval.json"))); // the last decoder layer's cross-attention, over the heads
        var r = CliHarness.Run("translate", "train", "--resume", run, "--max-iters", "5");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal(5, TranslateCheckpoint.Instance.Load(run, CheckpointKind.Latest).Progress!.Iteration);
    }

    [Fact]
    public void RecurEvalScoresATranslationRunAsItsOwnCommandDoes()
    {
        string from = Path.Combine(AppContext.BaseDirectory, "Fixtures", "oldruns", "translate"), run = Path.Combine(_dir, "old");
        foreach (string f in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            string target = Path.Combine(run, Path.GetRelativePath(from, f));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(f, target);
        }
        foreach (string[] extra in new[] { new[] { "--beam", "2" }, ["--split", "test", "--beam", "2"] })
        {
            var own = CliHarness.Run(["translate", "eval", run, Sample, "--threads", "1", .. extra]);
            Assert.True(own.ExitCode == 0, own.ToString());
            string ownJson = File.ReadAllText(Path.Combine(run, "eval.json"));
            var generic = CliHarness.Run(["eval", run, Sample, "--threads", "1", .. extra]);
            Assert.True(generic.ExitCode == 0, generic.ToString());
            Assert.Equal(own.Out, generic.Out);
            Assert.Equal(ownJson, File.ReadAllText(Path.Combine(run, "eval.json")));
            Assert.StartsWith(extra.Length == 2 ? "validation" : "test", generic.Out);
        }
        CliHarness.AssertCleanFailure(CliHarness.Run("eval", run, Sample, "--split", "train"), "eval", "split");
    }
}
