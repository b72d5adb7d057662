using System.Text.Json;
using Recur.Data.Translation;
using Recur.IO;
using Recur.Models.Seq2Seq;
using Recur.Tasks.Translate;
using Recur.Training;
using Xunit;

namespace Recur.Tests.Tasks.Translate;

/// <summary>
/// The translation task with <c>--model transformer</c> over the committed sample catalogues: exact resume, the checkpoint's
/// round trip, constrained greedy and beam decoding and the alignment from its cross-attention; and, for both models, that
/// constrained decoding keeps every placeholder of every sample source, whatever an untrained model would write.
/// </summary>
public sealed class TranslateTransformerTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("recur-translate-tf-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private static TrainOptions Small { get; } = TranslateDefinition.Instance.TransformerDefaults with
    {
        Layers = 1, BatchSize = 32, Minutes = 0, MaxIters = 6, EvalEvery = 3, Threads = 1, LrSchedule = "step",
    };

    private static TranslateSettings Tiny { get; } = new()
    {
        Model = TranslationModels.Transformer, Merges = 100, DModel = 8, Heads = 2, Ffn = 16, MaxTokens = 32,
    };

    private static Trainer Create(TrainOptions o, TranslateSettings s)
        => TranslateDefinition.Instance.Create(o, s, TranslateTaskTests.Sample, TranslateTaskTests.SampleDir);

    [Fact]
    public void TheRecipeIsTheTransformers()
    {
        var o = TranslateDefinition.Instance.TransformerDefaults;
        Assert.Equal((3, 0.1, 1e-3), (o.Layers, o.Dropout, o.LearningRate));
        var s = new TranslateSettings();
        Assert.Equal((256, 4, 1024), (s.DModel, s.Heads, s.Ffn));
        Assert.Equal(TranslateDefinition.Instance.Defaults with { Layers = 3, Dropout = 0.1, LearningRate = 1e-3, LrMin = 1e-5 }, o);
    }

    [Fact]
    public void ResumeIsBitIdenticalAndTheCheckpointRoundTrips()
    {
        var straight = Create(Small, Tiny);
        straight.Run();
        string run = Path.Combine(_dir, "run");
        var first = Create(Small with { MaxIters = 3 }, Tiny);
        first.OutputDirectory = run;
        first.Run();
        var ck = TranslateCheckpoint.Instance.Load(run, CheckpointKind.Latest);
        Assert.Equal(TranslationModels.Transformer, ck.Architecture);
        var model = Assert.IsType<TransformerSeq2SeqModel>(ck.Model);
        Assert.Equal(((TransformerSeq2SeqModel)((TranslateTask)first.Task).Model).Config, model.Config);
        Assert.Equal(new TransformerSeq2SeqConfig
        {
            SourceVocab = ck.Vocabulary.SourceSymbols.Count, TargetVocab = ck.Vocabulary.TargetSymbols.Count, DModel = 8, Heads = 2, EncoderLayers = 1,
            DecoderLayers = 1, FeedForward = 16, Dropout = 0.1f, LabelSmoothing = 0.1f, MaxTarget = 32, MaxSource = 160,
        }, model.Config);
        Assert.Equal(first.Task.Store.Values, ck.Model.Store.Values);
        using (var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "latest", CheckpointFiles.ConfigFile))))
        {
            Assert.Equal("transformer", doc.RootElement.GetProperty("architecture").GetString());
            Assert.Equal(8, doc.RootElement.GetProperty("model").GetProperty("d_model").GetInt32());
        }
        var (val, _) = TranslateDefinition.Instance.ScoreValidation(ck, TranslateTaskTests.Sample, threads: 1);
        Assert.Equal(first.LastMetrics!.Loss, val.Loss, 12);
        Assert.Equal(first.LastMetrics.Extra["bleu"], val.Extra["bleu"], 12);

        var second = TranslateDefinition.Instance.Resume(ck, TranslateTaskTests.Sample, Small);
        second.Run();
        Assert.Equal(6, second.Iteration);
        Assert.Equal(straight.TrainLosses, second.TrainLosses);
        Assert.Equal(straight.Task.Store.Values, second.Task.Store.Values);
    }

    [Fact]
    public void ConstrainedGreedyAndBeamDecodeWithItsCrossAttention()
    {
        var t = Create(Small with { MaxIters = 10, EvalEvery = 10 }, Tiny);
        t.Run();
        var task = (TranslateTask)t.Task;
        var sources = task.Validation.Sources;
        var one = Translator.Translate([task.Model], task.Validation.Vocabulary, sources);
        var two = Translator.Translate([task.Model, TranslationModels.Copy(task.Model)], task.Validation.Vocabulary, sources);
        Assert.Equal(one.Select(o => o.Text), two.Select(o => o.Text));
        var beam1 = Translator.Translate(task.Model, task.Validation.Vocabulary, sources, beam: 1, greedy: false);
        Assert.Equal(one.Select(o => o.Text), beam1.Select(o => o.Text));
        var wide = Translator.Translate(task.Model, task.Validation.Vocabulary, sources.Take(10).ToArray(), beam: 4, greedy: false);
        for (int i = 0; i < 10; i++)
        {
            // one row per output symbol over the source's own symbols: the last decoder layer's cross-attention, a distribution
            Assert.Equal(wide[i].Tokens.Count, wide[i].Attention.Count);
            Assert.All(wide[i].Attention, a => Assert.Equal(sources[i].Ids.Length, a.Length));
            Assert.All(wide[i].Attention, a => Assert.Equal(1, a.Sum(), 4));
        }
    }

    /// <summary>
    /// Every sample source with a placeholder, decoded by an untrained model of each kind (which writes whatever, often to its
    /// limit): constrained greedy and beam outputs keep all of them; unconstrained ones do not.
    /// </summary>
    [Theory]
    [InlineData("rnn")]
    [InlineData("transformer")]
    public void ConstrainedDecodingKeepsEveryPlaceholderOfEverySource(string kind)
    {
        var settings = kind == "rnn" ? new TranslateSettings { Merges = 100, DecoderHidden = 12, AttentionDim = 8, MaxTokens = 32 } : Tiny;
        var options = (kind == "rnn" ? TranslateDefinition.Instance.Defaults with { Hidden = 8, Embed = 8 } : Small) with { MaxIters = 0, Threads = 1 };
        var task = (TranslateTask)Create(options, settings).Task;
        var corpus = TranslateDefinition.Corpus(TranslateTaskTests.Sample, new CorpusRecipe(1, TranslationCorpus.DefaultMaxCharacters));
        var pairs = corpus.Pairs.Where(p => Placeholders.Find(p.Source).Count > 0).ToList();
        Assert.InRange(pairs.Count, 200, 2000);
        var sources = new TranslationDataset(pairs, task.Validation.Vocabulary, task.Model.MaxTarget, training: false).Sources;
        var greedy = Translator.Translate(task.Model, task.Validation.Vocabulary, sources);
        var faults = pairs.Select((p, i) => (p.Source, greedy[i].Text)).Where(x => !Placeholders.Compare(x.Source, x.Text).Ok).ToList();
        Assert.True(faults.Count == 0, $"{faults.Count} faults: " + string.Join("\n", faults.Take(5).Select(f => $"{Shown(f.Source)} -> {Shown(f.Text)}")));
        var beam = Translator.Translate(task.Model, task.Validation.Vocabulary, sources.Take(40).ToArray(), beam: 2, greedy: false);
        Assert.All(pairs.Take(40).Zip(beam), x => Assert.True(Placeholders.Compare(x.First.Source, x.Second.Text).Ok, Shown(x.Second.Text)));
        var free = Translator.Translate(task.Model, task.Validation.Vocabulary, sources, constrained: false);
        Assert.Contains(pairs.Zip(free), x => !Placeholders.Compare(x.First.Source, x.Second.Text).Ok);
    }

    private static string Shown(string s) => s.Replace("\n", "\\n", StringComparison.Ordinal).Replace("\t", "\\t", StringComparison.Ordinal);
}
