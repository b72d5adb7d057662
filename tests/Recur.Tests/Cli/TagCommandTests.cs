using System.Text.Json;
using Recur.Data.Language;
using Recur.IO;
using Recur.Tasks.Tag;
using Recur.Training;
using Xunit;

namespace Recur.Tests.Cli;

[Collection("Console")]
public sealed class TagCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("recur-tag-cli-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private static string Sample => Path.Combine(AppContext.BaseDirectory, "Data", "Samples", "brown");

    private static readonly string[] Small = ["--hidden", "12", "--embed", "8", "--char-hidden", "6", "--batch-size", "8", "--threads", "1"];

    [Fact]
    public void TrainsTagsEvaluatesAndResumes()
    {
        string run = Path.Combine(_dir, "run");
        var t = CliHarness.Run(["tag", "train", Sample, .. Small, "--max-iters", "6", "--eval-every", "3", "--out", run]);
        Assert.True(t.ExitCode == 0, t.ToString());
        Assert.Contains("most-frequent-tag baseline", t.Out);
        using (var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "eval.json"))))
        {
            Assert.Equal("universal", doc.RootElement.GetProperty("tagset").GetString());
            Assert.Equal("validation", doc.RootElement.GetProperty("split").GetString());
            Assert.InRange(doc.RootElement.GetProperty("baseline_accuracy").GetDouble(), 0.5, 1.0);
        }
        Assert.Contains("\nvalidation: ", "\n" + t.Out);
        var onTest = CliHarness.Run("tag", "eval", run, Sample, "--split", "test");
        Assert.True(onTest.ExitCode == 0, onTest.ToString());
        Assert.Contains("\ntest: ", "\n" + onTest.Out);
        using (var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "eval.json"))))
        {
            Assert.Equal("test", doc.RootElement.GetProperty("split").GetString());
            // tags.jsonl: every test sentence, its tags wrong exactly as often as the accuracy says
            var examples = ExampleFilesTests.Read(Path.Combine(run, "tags.jsonl"));
            long tokens = doc.RootElement.GetProperty("tokens").GetInt64();
            Assert.Equal(tokens, examples.Sum(l => l.GetProperty("words").GetArrayLength()));
            Assert.Equal((long)Math.Round((1 - doc.RootElement.GetProperty("accuracy").GetDouble()) * tokens),
                examples.Sum(l => l.GetProperty("wrong_tags").GetInt32()));
            Assert.Contains("\ntest: " + examples.Count.ToString("N0", System.Globalization.CultureInfo.InvariantCulture) + " sentences", "\n" + onTest.Out);
            foreach (var l in examples)
            {
                var gold = l.GetProperty("tags").EnumerateArray().Select(x => x.GetString()).ToArray();
                var predicted = l.GetProperty("predicted").EnumerateArray().Select(x => x.GetString()).ToArray();
                Assert.Equal(gold.Length, l.GetProperty("words").GetArrayLength());
                Assert.Equal(gold.Zip(predicted).Count(p => p.First != p.Second), l.GetProperty("wrong_tags").GetInt32());
                Assert.Equal(gold.SequenceEqual(predicted), l.GetProperty("correct").GetBoolean());
                Assert.All(gold, g => Assert.Contains(g, BrownCorpus.UniversalTags));
            }
        }
        CliHarness.AssertCleanFailure(CliHarness.Run("tag", "eval", run, Sample, "--split", "train"), "tag", "--split");
        var tag = CliHarness.Run("tag", run, "The jury said it would go.", "Borbles quickly.");
        Assert.True(tag.ExitCode == 0, tag.ToString());
        var lines = tag.Out.Trim().Split('\n');
        Assert.Equal(2, lines.Length);
        Assert.StartsWith("The/", lines[0]);
        Assert.Equal(7, lines[0].Split(' ').Length);
        Assert.All(lines[0].Split(' '), w => Assert.Contains(w[(w.LastIndexOf('/') + 1)..], BrownCorpus.UniversalTags));
        var e = CliHarness.Run("eval", run, Sample);
        Assert.True(e.ExitCode == 0, e.ToString());
        Assert.Contains("token accuracy", e.Out);
        var r = CliHarness.Run("tag", "train", "--resume", run, "--max-iters", "8");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("resuming at iteration 6", r.Out);
        Assert.Equal(8, TaggerCheckpoint.Instance.Load(run, CheckpointKind.Latest).Progress!.Iteration);
        CliHarness.AssertCleanFailure(CliHarness.Run("tag", run, "   "), "tag", "no words");
        // a word the model never saw is tagged (above); a character it never saw is refused, an emoji named whole
        int chars = TaggerCheckpoint.Instance.Load(run).Vocabulary.CharacterCount;
        var emoji = CliHarness.Run("tag", run, "The jury said it.", "🙂🙂🙂");
        CliHarness.AssertCleanFailure(emoji, "tag",
            $"'🙂🙂🙂': character '🙂' (U+1F642) at position 1 (3 times in all) is not in the model's alphabet of {chars} characters");
        Assert.Equal("", emoji.Out);
        CliHarness.AssertCleanFailure(CliHarness.Run("tag", run, "The jury sa\u00efd it."), "tag", "'ï' (U+00EF) at position 12");
    }

    [Fact]
    public void FineTagsAndResumeAreExact()
    {
        var docs = BrownCorpus.Load(Sample);
        var o = new TrainOptions { Hidden = 8, Embed = 6, BatchSize = 8, Optimizer = "adam", LearningRate = 3e-3, EvalEvery = 4, Threads = 1, MaxIters = 9, Dropout = 0.2 };
        var settings = new TagSettings { Tagset = "fine", CharHidden = 4 };
        var straight = TagDefinition.Instance.Create(o, settings, docs, Sample);
        straight.Run();
        string run = Path.Combine(_dir, "fine");
        var first = TagDefinition.Instance.Create(o with { MaxIters = 4 }, settings, docs, Sample);
        first.OutputDirectory = run;
        first.Run();
        var ck = TaggerCheckpoint.Instance.Load(run, CheckpointKind.Latest);
        Assert.Equal("fine", ck.Vocabulary.Tagset);
        Assert.Contains("np", ck.Vocabulary.Tags);
        var second = TagDefinition.Instance.Resume(ck, docs, o);
        second.Run();
        Assert.Equal(straight.TrainLosses, second.TrainLosses);
        Assert.Equal(straight.Task.Store.Values, second.Task.Store.Values);
    }

    [Fact]
    public void BadInputGetsOneClearLine()
    {
        CliHarness.AssertCleanFailure(CliHarness.Run("tag", "train", Path.Combine(_dir, "none")), "tag", "install-data");
        string bad = Path.Combine(_dir, "bad");
        Directory.CreateDirectory(bad);
        File.WriteAllText(Path.Combine(bad, "ca01"), "\tThe/at jury/nn\n\tbroken\n");
        CliHarness.AssertCleanFailure(CliHarness.Run("tag", "train", bad), "tag", "ca01:2");
        CliHarness.AssertCleanFailure(CliHarness.Run("tag", "train", Sample, "--tagset", "tiny"), "tag", "--tagset");
        CliHarness.AssertCleanFailure(CliHarness.Run("tag"), "tag", "train");
    }
}
