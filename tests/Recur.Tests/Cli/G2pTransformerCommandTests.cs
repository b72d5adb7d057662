using System.Text.Json;
using Recur.Data.Language;
using Recur.Imaging;
using Recur.IO;
using Recur.Models.Seq2Seq;
using Recur.Tasks.G2p;
using Recur.Training;
using Xunit;

namespace Recur.Tests.Cli;

/// <summary>
/// <c>recur g2p train --model transformer</c>: the Transformer encoder-decoder trains, saves (config.json's
/// <c>"model_kind"</c>), pronounces with an alignment picture, evaluates and resumes exactly, as the LSTM model does.
/// </summary>
[Collection("Console")]
public sealed class G2pTransformerCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("recur-g2p-transformer-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private static string Dict => Path.Combine(AppContext.BaseDirectory, "Data", "Samples", "cmudict", "cmudict-sample.out");

    private static readonly string[] Small =
        ["--model", "transformer", "--d-model", "16", "--heads", "2", "--ffn", "24", "--layers", "1", "--batch-size", "16", "--threads", "1"];

    [Fact]
    public void TrainsSavesPronouncesEvaluatesAndResumes()
    {
        string run = Path.Combine(_dir, "run");
        var t = CliHarness.Run(["g2p", "train", Dict, .. Small, "--max-iters", "8", "--eval-every", "4", "--out", run]);
        Assert.True(t.ExitCode == 0, t.ToString());
        Assert.Contains("Transformer d-model 16, 2 heads, 1 + 1 layers, ffn 24", t.Out);
        Assert.Contains("greedy: WER", t.Out);
        using (var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "best", "config.json"))))
        {
            Assert.Equal("transformer", doc.RootElement.GetProperty("model_kind").GetString());
            Assert.Equal(16, doc.RootElement.GetProperty("model").GetProperty("d_model").GetInt32());
        }
        var ck = G2pCheckpoint.Instance.Load(run, CheckpointKind.Best);
        var model = Assert.IsType<TransformerSeq2SeqModel>(ck.Model);
        var c = model.Config;
        Assert.Equal((16, 2, 1, 1, 24), (c.DModel, c.Heads, c.EncoderLayers, c.DecoderLayers, c.FeedForward));
        Assert.Contains(ck.Model.Store.Parameters, p => p.Name == "decoder.layers.0.multihead_attn.in_proj_weight");

        string png = Path.Combine(_dir, "align.png");
        var p = CliHarness.Run("g2p", run, "record", "--nbest", "2", "--attention", png);
        Assert.True(p.ExitCode == 0, p.ToString());
        Assert.Equal(2, p.Out.Split('\n').Count(l => l.StartsWith("record: ", StringComparison.Ordinal)));
        Assert.Equal(3, PngDecoder.Read(png).Channels);

        var e = CliHarness.Run("eval", run, Dict, "--beam", "2"); // recur eval RUN dispatches to g2p eval
        Assert.True(e.ExitCode == 0, e.ToString());
        Assert.Contains("validation: ", e.Out);
        Assert.Contains("transformer, attention multi-head", e.Out);
        using (var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "eval.json"))))
        {
            Assert.Equal("transformer", doc.RootElement.GetProperty("model").GetString());
            Assert.InRange(doc.RootElement.GetProperty("beam_2").GetProperty("wer").GetDouble(), 0, 1);
        }
        var r = CliHarness.Run("g2p", "train", "--resume", run, "--max-iters", "10");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("resuming at iteration 8", r.Out);
        CliHarness.AssertCleanFailure(CliHarness.Run("g2p", "train", "--resume", run, "--heads", "4"), "g2p", "--heads was fixed");
        var indivisible = CliHarness.Run("g2p", "train", Dict, "--model", "transformer", "--d-model", "16", "--heads", "3");
        CliHarness.AssertCleanFailure(indivisible, "g2p", "not divisible by 3 heads");
    }

    [Fact]
    public void ResumeIsExact()
    {
        var entries = CmuLexicon.Load(Dict);
        var o = new TrainOptions
        {
            Layers = 1, Dropout = 0.1, BatchSize = 16, Optimizer = "adam", LearningRate = 3e-3, EvalEvery = 5, Threads = 1, MaxIters = 11,
            Bucket = 3,
        };
        var settings = new G2pSettings { Model = G2pModels.Transformer, DModel = 8, Heads = 2, Ffn = 12, LabelSmoothing = 0.1f };
        var straight = G2pDefinition.Instance.Create(o, settings, entries, Dict);
        straight.Run();
        string run = Path.Combine(_dir, "resumed");
        var first = G2pDefinition.Instance.Create(o with { MaxIters = 5 }, settings, entries, Dict);
        first.OutputDirectory = run;
        first.Run();
        var ck = G2pCheckpoint.Instance.Load(run, CheckpointKind.Latest);
        Assert.IsType<TransformerSeq2SeqModel>(ck.Model);
        var second = G2pDefinition.Instance.Resume(ck, entries, o);
        second.Run();
        Assert.Equal(straight.TrainLosses, second.TrainLosses);
        Assert.Equal(straight.Task.Store.Values, second.Task.Store.Values);
        string[] words = ["record", "cat"];
        var greedy = G2pScore.Pronounce(ck.Model, words, ck.Symbols);
        for (int i = 0; i < words.Length; i++)
            Assert.Equal(greedy[i], ck.Symbols.Decode(G2pScore.NBest(ck.Model, words[i], ck.Symbols, 1, 1, alpha: 0)[0].Tokens));
    }
}
