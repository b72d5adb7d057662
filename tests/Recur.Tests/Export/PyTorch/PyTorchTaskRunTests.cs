using System.Text.Json;
using Recur.Data;
using Recur.Data.Language;
using Recur.IO;
using Recur.Models.Sentiment;
using Recur.Models.Tagging;
using Recur.Tasks.Caption;
using Recur.Tasks.Sentiment;
using Recur.Tasks.Tag;
using Recur.Tests.Cli;
using Recur.Tests.TestUtil;
using Xunit;
using static Recur.Tests.TestUtil.PackageRuns;

namespace Recur.Tests.Export.PyTorch;

/// <summary>
/// Task runs exported to PyTorch and brought back: a captioning run (Show, Attend and Tell over the frozen CNN encoder,
/// visual words, label smoothing, the weight average) continues in train.py as Recur continues it, on one worker and two
/// under torchrun (gloo); eval.py scores the validation scenes as Recur does; the result imported back is a run
/// <c>recur caption eval</c> and <c>--resume</c> accept. A tagging run's package scores its validation sentences as
/// <c>recur tag eval</c> does, and comes back; a sentiment run's, its validation reviews as <c>recur sentiment eval</c> does.
/// </summary>
[Collection("Console")]
public sealed class PyTorchTaskRunTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("recur-pytorch-runs-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private static string Samples(string name) => Path.Combine(AppContext.BaseDirectory, "Data", "Samples", name);

    [SkippableFact]
    public void ACaptioningRunContinuesInPyTorchOnOneAndTwoWorkersAndComesBack()
    {
        TorchPython.RequireTorch();
        string images = Samples("fashion-mnist");
        string cnn = Path.Combine(_dir, "cnn"), run = Path.Combine(_dir, "cap"), own = Path.Combine(_dir, "own"), package = Path.Combine(_dir, "pkg");
        Ok(CliHarness.Run("classify", images, "--model", "cnn", "--hidden", "16", "--max-iters", "2", "--batch-size", "32", "--val-frac", "0.2",
            "--threads", "1", "--out", cnn));
        // 64 scenes in batches of 8; the recipe's defaults otherwise (coordinates, visual words, label smoothing, the weight
        // average), without feature dropout, whose masks would come from two different streams; fc-probs features (the fc
        // features and the classifier's class probabilities: model.py's encoder runs both the fc layer and the head).
        Ok(CliHarness.Run("caption", "train", images, "--encoder", cnn, "--scenes", "64", "--test-scenes", "4", "--max-iters", "3", "--eval-every", "3",
            "--batch-size", "8", "--hidden", "8", "--embed", "6", "--attention-dim", "5", "--feature-dropout", "0", "--features", "fc-probs",
            "--threads", "1", "--out", run));
        Ok(CliHarness.Run("export", run, "--pytorch", package, "--latest"));
        Assert.True(File.Exists(Path.Combine(package, "scenes.safetensors")));
        CopyFolder(run, own);
        Ok(CliHarness.Run("caption", "train", "--resume", own, "--max-iters", "6", "--threads", "1"));
        var recur = Losses(File.ReadAllLines(Path.Combine(own, "metrics.jsonl")), "\"type\":\"train\"").Skip(3).ToArray();
        var one = Losses(TorchPython.Check(package, "train.py", "--iters", "3", "--max-iters", "6", "--out", Path.Combine(_dir, "one"), "--threads", "1")
            .Split('\n'), "\"type\": \"train\"");
        string two = Path.Combine(_dir, "two");
        var both = Losses(TorchPython.Check(package, TorchPython.Torchrun(2, "train.py", "--iters", "3", "--max-iters", "6", "--out", two)).Split('\n'),
            "\"type\": \"train\"");
        Assert.Equal(3, recur.Length);
        for (int i = 0; i < 3; i++)
        {
            Assert.True(Math.Abs(one[i] - recur[i]) <= 1e-4, $"iteration {4 + i}: PyTorch {one[i]}, Recur {recur[i]}");
            Assert.True(Math.Abs(both[i] - one[i]) <= 1e-4, $"iteration {4 + i}: two workers {both[i]}, one {one[i]}");
        }

        // eval.py on the exported checkpoint scores the validation scenes as Recur does; a 1 % mutant of head.weight does not.
        var ck = CaptionCheckpoint.Instance.Load(run, CheckpointKind.Latest);
        double before = ValidationLoss(ck, images, 0.05);
        Assert.InRange(Math.Abs(EvalLoss(package) - before), 0, 1e-4);
        string mutant = Path.Combine(_dir, "mutant");
        CopyFolder(package, mutant);
        var w = SafeTensors.Read(Path.Combine(mutant, "weights.safetensors"));
        SafeTensors.Write(Path.Combine(mutant, "weights.safetensors"), w.Names.Select(n => KeyValuePair.Create(n,
            n == "head.weight" ? new Tensor([.. w.GetTensor(n).Data.Select(v => v * 1.01f)], w.GetTensor(n).Shape) : w.GetTensor(n))).ToList());
        double moved = Math.Abs(EvalLoss(mutant) - before);
        Assert.True(moved > 1e-4, $"scaling head.weight by 1 % moved the validation loss only {moved:G3}");

        string back = Path.Combine(_dir, "back");
        Ok(CliHarness.Run("import", two, "--into", back));
        Assert.InRange(Math.Abs(ValidationLoss(CaptionCheckpoint.Instance.Load(back), images, 0.05) - EvalLoss(two)), 0, 1e-4);
        Ok(CliHarness.Run("caption", "eval", back, images));
        Ok(CliHarness.Run("caption", "train", "--resume", back, "--max-iters", "7", "--threads", "1"));
    }

    [SkippableFact]
    public void ATaggingRunIsScoredInPyTorchAsRecurScoresItAndComesBack()
    {
        TorchPython.RequireTorch();
        string corpus = Samples("brown"), run = Path.Combine(_dir, "tag"), package = Path.Combine(_dir, "tag.pkg"), back = Path.Combine(_dir, "tag.back");
        Ok(CliHarness.Run("tag", "train", corpus, "--hidden", "12", "--embed", "8", "--char-hidden", "6", "--batch-size", "8", "--threads", "1",
            "--max-iters", "4", "--eval-every", "4", "--out", run));
        Ok(CliHarness.Run("export", run, "--pytorch", package));
        var evalPy = JsonDocument.Parse(TorchPython.Check(package, "eval.py").Trim()).RootElement;
        var saved = TaggerCheckpoint.Instance.Load(run);
        var splits = TagSplits.Of(BrownCorpus.Load(corpus), saved.SplitSeed);
        var score = TagScore.Of(saved.Model, new TagDataset(splits.Validation, saved.Vocabulary, saved.Model.Config.MaxWordChars), splits.SeenWords());
        Assert.True(score.Tokens > 0);
        Assert.Equal(score.Tokens, evalPy.GetProperty("tokens").GetInt64());
        Assert.InRange(Math.Abs(score.Loss - evalPy.GetProperty("loss").GetDouble()), 0, 1e-4);
        Assert.Equal(score.Accuracy, evalPy.GetProperty("accuracy").GetDouble(), 9);
        Assert.Equal(score.Unseen, evalPy.GetProperty("unseen").GetInt64());
        Ok(CliHarness.Run("import", package, "--into", back));
        var e = CliHarness.Run("tag", "eval", back, corpus);
        Ok(e);
        Assert.Contains("\nvalidation: ", "\n" + e.Out);
    }

    [SkippableFact]
    public void ASentimentRunIsScoredInPyTorchAsRecurScoresItAndAMutantIsNot()
    {
        TorchPython.RequireTorch();
        string reviews = Samples(Path.Combine("imdb", "reviews.json")), run = Path.Combine(_dir, "sent"), package = Path.Combine(_dir, "sent.pkg");
        Ok(CliHarness.Run("sentiment", "train", reviews, "--hidden", "6", "--embed", "5", "--batch-size", "8", "--threads", "1", "--max-iters", "6",
            "--eval-every", "6", "--out", run));
        Ok(CliHarness.Run("export", run, "--pytorch", package));
        var evalPy = JsonDocument.Parse(TorchPython.Check(package, "eval.py").Trim()).RootElement;
        var saved = SentimentCheckpoint.Instance.Load(run);
        var splits = SentimentSplits.Of(ImdbReviews.Load(reviews), saved.SplitSeed);
        var set = new SentimentDataset(splits.Validation, saved.Vocabulary, saved.Model.Config.MaxTokens);
        var (score, _) = SentimentScore.Of(saved.Model, set);
        Assert.True(score.Reviews > 0);
        Assert.Equal(score.Reviews, evalPy.GetProperty("reviews").GetInt32());
        Assert.InRange(Math.Abs(score.Loss - evalPy.GetProperty("loss").GetDouble()), 0, 1e-5);
        Assert.Equal(score.Accuracy, evalPy.GetProperty("accuracy").GetDouble(), 9);

        // Doubling the head's weights moves eval.py's loss (the model is six iterations old: its logits are small, and a 1 % change
        // moves the loss by about 5e-6), so the comparison above can fail.
        var w = SafeTensors.Read(Path.Combine(package, "weights.safetensors"));
        SafeTensors.Write(Path.Combine(package, "weights.safetensors"), w.Names.Select(n => KeyValuePair.Create(n,
            n == "head.weight" ? new Tensor([.. w.GetTensor(n).Data.Select(v => v * 2f)], w.GetTensor(n).Shape) : w.GetTensor(n))).ToList());
        double moved = Math.Abs(JsonDocument.Parse(TorchPython.Check(package, "eval.py").Trim()).RootElement.GetProperty("loss").GetDouble() - score.Loss);
        Assert.True(moved > 1e-4, $"doubling head.weight moved the validation loss only {moved:G3}");
    }

    /// <summary>Recur's validation loss per word of a loaded captioning run (the scenes of its validation fraction).</summary>
    private static double ValidationLoss(LoadedCaptioner ck, string images, double valFrac)
    {
        var (train, validation) = CaptionDefinition.Datasets(ck.Encoder, FashionMnist.Load(images).Train, ck.Scenes, ck.Vocabulary,
            ck.Model.Config.MaxWords, valFrac, 1);
        Assert.True(train.Count > 0 && validation.Count > 0);
        return CaptionTask.MeanLoss(ck.Model, validation).CrossEntropy;
    }

    private static double EvalLoss(string package) => JsonDocument.Parse(TorchPython.Check(package, "eval.py").Trim()).RootElement.GetProperty("loss").GetDouble();

    private static void Ok(CliHarness.Result r) => Assert.True(r.ExitCode == 0, r.ToString());
}
