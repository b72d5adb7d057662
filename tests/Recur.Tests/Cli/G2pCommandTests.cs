using System.Text.Json;
using Recur.Data.Language;
using Recur.Imaging;
using Recur.IO;
using Recur.Models.Decoding;
using Recur.Tasks.G2p;
using Recur.Models.Seq2Seq;
using Recur.Training;
using Xunit;

namespace Recur.Tests.Cli;

[Collection("Console")]
public sealed class G2pCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("recur-g2p-cli-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private static string Dict => Path.Combine(AppContext.BaseDirectory, "Data", "Samples", "cmudict", "cmudict-sample.out");

    private static readonly string[] Small = ["--hidden", "12", "--embed", "8", "--decoder-hidden", "16", "--attention-dim", "8", "--batch-size", "16", "--threads", "1"];

    [Fact]
    public void TrainsPronouncesEvaluatesAndResumes()
    {
        string run = Path.Combine(_dir, "run");
        var t = CliHarness.Run(["g2p", "train", Dict, .. Small, "--max-iters", "8", "--eval-every", "4", "--bucket", "4", "--out", run]);
        Assert.True(t.ExitCode == 0, t.ToString());
        Assert.Contains("greedy: WER", t.Out);
        Assert.Contains("best val wer ", t.Out);  // best/ is kept by the validation word error rate
        var best = G2pCheckpoint.Instance.Load(run, CheckpointKind.Best).Progress!;
        Assert.Equal(G2pTask.WerMetric, best.BestBy);
        Assert.InRange(best.BestValue!.Value, 0, 1);
        string png = Path.Combine(_dir, "align.png");
        var p = CliHarness.Run("g2p", run, "record", "zyx", "--nbest", "3", "--attention", png);
        Assert.True(p.ExitCode == 0, p.ToString());
        Assert.Equal(6, p.Out.Split('\n').Count(l => l.StartsWith("record: ", StringComparison.Ordinal) || l.StartsWith("zyx: ", StringComparison.Ordinal)));
        Assert.Equal(3, PngDecoder.Read(png).Channels);
        var e = CliHarness.Run("eval", run, Dict, "--beam", "2");
        Assert.True(e.ExitCode == 0, e.ToString());
        Assert.Contains("beam 2: WER", e.Out);
        Assert.Contains("\nvalidation: ", "\n" + e.Out);
        int validationWords;
        using (var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "eval.json"))))
        {
            Assert.InRange(doc.RootElement.GetProperty("beam_2").GetProperty("per").GetDouble(), 0, 10);
            Assert.Equal("validation", doc.RootElement.GetProperty("split").GetString());
            validationWords = doc.RootElement.GetProperty("words").GetInt32();
            // pronunciations.jsonl: every validation word, decoded by the beam, wrong exactly as often as its WER says, with its alignment
            var lines = ExampleFilesTests.Read(Path.Combine(run, "pronunciations.jsonl"));
            Assert.Equal(validationWords, lines.Count);
            Assert.Equal((int)Math.Round(doc.RootElement.GetProperty("beam_2").GetProperty("wer").GetDouble() * validationWords),
                lines.Count(l => !l.GetProperty("correct").GetBoolean()));
            foreach (var l in lines)
            {
                Assert.Equal("beam 2", l.GetProperty("decoding").GetString());
                string prediction = l.GetProperty("prediction").GetString()!;
                Assert.Equal(l.GetProperty("references").EnumerateArray().Any(r => r.GetString() == prediction), l.GetProperty("correct").GetBoolean());
                var alignment = l.GetProperty("alignment").EnumerateArray().ToList();
                Assert.Equal(l.GetProperty("output_tokens").GetArrayLength(), alignment.Count);
                Assert.Equal(prediction.Length == 0 ? 0 : prediction.Split(' ').Length, alignment.Count);
                Assert.All(alignment, row => Assert.Equal(l.GetProperty("word").GetString()!.Length, row.GetArrayLength()));
                Assert.All(alignment, row => Assert.Equal(1.0, row.EnumerateArray().Sum(x => x.GetDouble()), 2));
            }
        }
        var onTest = CliHarness.Run("g2p", "eval", run, Dict, "--split", "test");
        Assert.True(onTest.ExitCode == 0, onTest.ToString());
        Assert.Contains("\ntest: ", "\n" + onTest.Out);
        using (var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "eval.json"))))
        {
            Assert.Equal("test", doc.RootElement.GetProperty("split").GetString());
            Assert.True(doc.RootElement.GetProperty("words").GetInt32() > 0 && validationWords > 0);
        }
        var r = CliHarness.Run("g2p", "train", "--resume", run, "--max-iters", "10");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("resuming at iteration 8", r.Out);
        CliHarness.AssertCleanFailure(CliHarness.Run("g2p", "train", "--resume", run, "--bucket", "2"), "g2p", "--bucket 2 (the run used 4)");
        CliHarness.AssertCleanFailure(CliHarness.Run("g2p", "train", "--resume", run, "--label-smoothing", "0.1"), "g2p", "--label-smoothing was fixed");
        CliHarness.AssertCleanFailure(CliHarness.Run("g2p", run, new string('a', 10_000)), "g2p", "10,000 characters");
        // letters the model never read: one line naming the first, nothing pronounced
        int letters = G2pCheckpoint.Instance.Load(run).Symbols.LetterCount;
        var digits = CliHarness.Run("g2p", run, "record", "123");
        CliHarness.AssertCleanFailure(digits, "g2p",
            $"'123': character '1' (U+0031) at position 1 is not in the model's alphabet of {letters} letters", "'2' (U+0032) at position 2");
        Assert.Equal("", digits.Out);
        CliHarness.AssertCleanFailure(CliHarness.Run("g2p", run, "🙂"), "g2p", "'🙂': character '🙂' (U+1F642) at position 1 is not in");
        CliHarness.AssertCleanFailure(CliHarness.Run("g2p", run, "re\u0301cord"), "g2p", "'\u25CC\u0301' (U+0301) at position 3");
        string bad = Path.Combine(_dir, "bad.out");
        File.WriteAllText(bad, "MNCL\n(\"a\" dt (((ax) 0)))\n(\"b\" nil (((b iy) 9)))\n");
        CliHarness.AssertCleanFailure(CliHarness.Run(["g2p", "train", bad, .. Small]), "g2p", "bad.out:3");
        CliHarness.AssertCleanFailure(CliHarness.Run("g2p", "train", Path.Combine(_dir, "none.out")), "g2p", "festlex-cmu");
    }

    [Theory]
    [InlineData("bahdanau", 0, 0f)]
    [InlineData("none", 0, 0f)]
    [InlineData("bahdanau", 3, 0f)]
    [InlineData("luong", 0, 0.1f)]
    public void ResumeIsExactAndBeamOfOneIsGreedy(string attention, int bucket, float labelSmoothing)
    {
        var entries = CmuLexicon.Load(Dict);
        var o = new TrainOptions { Hidden = 8, Embed = 6, BatchSize = 16, Optimizer = "adam", LearningRate = 5e-3, EvalEvery = 5, Threads = 1, MaxIters = 11, Bucket = bucket };
        var settings = new G2pSettings { Attention = attention, DecoderHidden = 10, AttentionDim = 6, LabelSmoothing = labelSmoothing };
        var straight = G2pDefinition.Instance.Create(o, settings, entries, Dict);
        straight.Run();
        string run = Path.Combine(_dir, $"{attention}-{bucket}-{labelSmoothing}");
        var first = G2pDefinition.Instance.Create(o with { MaxIters = 5 }, settings, entries, Dict);
        first.OutputDirectory = run;
        first.Run();
        var ck = G2pCheckpoint.Instance.Load(run, CheckpointKind.Latest);
        Assert.Equal(labelSmoothing, ((Seq2SeqModel)ck.Model).Config.LabelSmoothing);
        var second = G2pDefinition.Instance.Resume(ck, entries, o);
        second.Run();
        Assert.Equal(straight.TrainLosses, second.TrainLosses);
        Assert.Equal(straight.Task.Store.Values, second.Task.Store.Values);
        string[] words = ["record", "cat", "pampel"];
        var greedy = G2pScore.Pronounce(ck.Model, words, ck.Symbols);
        for (int i = 0; i < words.Length; i++)
            Assert.Equal(greedy[i], ck.Symbols.Decode(G2pScore.NBest(ck.Model, words[i], ck.Symbols, 1, 1, alpha: 0)[0].Tokens));
    }

    [Fact]
    public void AnEnsembleOfRunsDecodesTogetherAndRefusesRunsOfAnotherSplit()
    {
        string a = Path.Combine(_dir, "a"), b = Path.Combine(_dir, "b"), c = Path.Combine(_dir, "c");
        foreach (var (run, seed, split) in new[] { (a, "1", "1"), (b, "2", "1"), (c, "3", "2") })
        {
            var t = CliHarness.Run(["g2p", "train", Dict, .. Small, "--max-iters", "6", "--eval-every", "6", "--seed", seed, "--split-seed", split, "--out", run]);
            Assert.True(t.ExitCode == 0, t.ToString());
        }
        var alone = G2pCheckpoint.Instance.Load(a);
        var other = G2pCheckpoint.Instance.Load(b);
        var splits = G2pSplits.Of(CmuLexicon.Load(Dict), alone.SplitSeed);
        // the same model twice decodes as the model alone; two different models decode as neither necessarily does
        var (self, selfOut) = G2pScore.Of([alone.Model, G2pCheckpoint.Instance.Load(a).Model], splits.Test, splits.Lexicon, alone.Symbols, beam: 2);
        var (single, singleOut) = G2pScore.Of(alone.Model, splits.Test, splits.Lexicon, alone.Symbols, beam: 2);
        Assert.Equal(single.Wer, self.Wer);
        Assert.Equal(singleOut.Select(p => string.Join(' ', p)), selfOut.Select(p => string.Join(' ', p)));
        var both = G2pScore.Pronounce([alone.Model, other.Model], splits.Test, alone.Symbols);
        Assert.Equal(splits.Test.Count, both.Count);

        var e = CliHarness.Run("g2p", "eval", a, Dict, "--beam", "2", "--ensemble", b);
        Assert.True(e.ExitCode == 0, e.ToString());
        Assert.Contains("an ensemble of 2 models", e.Out);
        using (var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(a, "eval-ensemble.json"))))
        {
            Assert.Equal(2, doc.RootElement.GetProperty("models").GetInt32());
            Assert.InRange(doc.RootElement.GetProperty("beam_2").GetProperty("wer").GetDouble(), 0, 1);
        }
        var p = CliHarness.Run("g2p", a, "record", "--nbest", "2", "--ensemble", b);
        Assert.True(p.ExitCode == 0, p.ToString());
        Assert.Equal(2, p.Out.Split('\n').Count(l => l.StartsWith("record: ", StringComparison.Ordinal)));
        CliHarness.AssertCleanFailure(CliHarness.Run("g2p", "eval", a, Dict, "--ensemble", c), "g2p", "--split-seed");
        CliHarness.AssertCleanFailure(CliHarness.Run("g2p", "eval", a, Dict, "--ensemble", Path.Combine(_dir, "nowhere")), "g2p", "nowhere");
    }

    [Fact]
    public void EditDistanceCountsInsertionsDeletionsAndSubstitutions()
    {
        Assert.Equal(0, G2pScore.EditDistance(["K", "AE1", "T"], ["K", "AE1", "T"]));
        Assert.Equal(1, G2pScore.EditDistance(["K", "AE1", "T"], ["K", "AE1"]));
        Assert.Equal(1, G2pScore.EditDistance(["K", "AE1", "T"], ["K", "AH0", "T"]));
        Assert.Equal(3, G2pScore.EditDistance([], ["K", "AE1", "T"]));
        Assert.Equal(2, G2pScore.EditDistance(["AE1", "K", "T"], ["K", "AE1", "T"]));
    }

    [Fact]
    public void StressComesOffTheVowelsOnly()
    {
        Assert.Equal(["R", "EH", "K", "ER", "D"], G2pScore.Unstressed(["R", "EH1", "K", "ER0", "D"]));
        Assert.Equal(["AY", "T"], G2pScore.Unstressed(["AY2", "T"]));
        Assert.Empty(G2pScore.Unstressed([]));
    }
}
