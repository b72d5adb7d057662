using Recur.Data.Translation;
using Recur.IO;
using Recur.Models.Seq2Seq;
using Recur.Tasks.Translate;
using Recur.Training;
using Xunit;

namespace Recur.Tests.Tasks.Translate;

/// <summary>
/// The translation task on the trainer over the committed sample catalogues (Data/Samples/gettext-fr: 1,593 training,
/// 98 validation, 83 test pairs): exact resume, checkpoints, decoding that does not depend on the workers, and the first
/// run folder of the format.
/// </summary>
public sealed class TranslateTaskTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("recur-translate-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    internal static string SampleDir => Path.Combine(AppContext.BaseDirectory, "Data", "Samples", "gettext-fr");

    internal static CatalogueSet Sample { get; } = TranslateDefinition.Instance.LoadData(SampleDir);

    /// <summary>1,593 training pairs in 49 batches of 32.</summary>
    private static TrainOptions Small { get; } = TranslateDefinition.Instance.Defaults with
    {
        Hidden = 8, Embed = 8, BatchSize = 32, Minutes = 0, MaxIters = 10, EvalEvery = 5, Threads = 1, LrSchedule = "step",
    };

    private static TranslateSettings Tiny { get; } = new() { Merges = 100, DecoderHidden = 12, AttentionDim = 8, MaxTokens = 32 };

    private static Trainer Create(TrainOptions o, TranslateSettings s) => TranslateDefinition.Instance.Create(o, s, Sample, SampleDir);

    [Fact]
    public void ResumeIsBitIdentical()
    {
        var straight = Create(Small, Tiny);
        straight.Run();
        string run = Path.Combine(_dir, "run");
        var first = Create(Small with { MaxIters = 5 }, Tiny);
        first.OutputDirectory = run;
        first.Run();
        var second = TranslateDefinition.Instance.Resume(TranslateCheckpoint.Instance.Load(run, CheckpointKind.Latest), Sample, Small);
        second.Run();
        Assert.Equal(10, second.Iteration);
        Assert.Equal(straight.TrainLosses, second.TrainLosses);
        Assert.Equal(straight.Task.Store.Values, second.Task.Store.Values);
        Assert.Equal(straight.LastMetrics!.Extra["bleu"], second.LastMetrics!.Extra["bleu"]);
        Assert.Equal(100 - straight.LastMetrics.Extra["bleu"], straight.LastMetrics.Extra[TranslateTask.BleuGapMetric], 12);
    }

    [Fact]
    public void ACheckpointRoundTripsAndScoresItsSplits()
    {
        string run = Path.Combine(_dir, "ck");
        var t = Create(Small with { MaxIters = 4, EvalEvery = 4 }, Tiny with { Attention = "luong" });
        t.OutputDirectory = run;
        t.Run();
        Assert.Equal(TranslateTask.TaskName, CheckpointFiles.TaskOf(run));
        var ck = TranslateCheckpoint.Instance.Load(run, CheckpointKind.Latest);
        var task = (TranslateTask)t.Task;
        Assert.Equal(((Seq2SeqModel)task.Model).Config, ((Seq2SeqModel)ck.Model).Config);
        Assert.Equal("rnn", ck.Architecture);
        Assert.Equal(new CorpusRecipe(1, TranslationCorpus.DefaultMaxCharacters), ck.Corpus);
        Assert.Equal(task.Model.Store.Values, ck.Model.Store.Values);
        Assert.Equal(task.Validation.Vocabulary.TargetSymbols, ck.Vocabulary.TargetSymbols);
        Assert.Equal(task.Validation.Vocabulary.Bpe.Merges, ck.Vocabulary.Bpe.Merges);
        var (val, unit) = TranslateDefinition.Instance.ScoreValidation(ck, Sample, threads: 1);
        Assert.Equal("nats/symbol", unit);
        Assert.Equal(t.LastMetrics!.Loss, val.Loss, 12);
        Assert.Equal(t.LastMetrics.Extra["bleu"], val.Extra["bleu"], 12);
        var (test, _) = TranslateDefinition.Instance.ScoreTest(ck, Sample, threads: 1);
        Assert.InRange(test.Extra["chrf"], 0, 100);
        Assert.NotEqual(val.Loss, test.Loss); // another split

        // a config whose symbols do not fit the model is refused
        string config = Path.Combine(run, "latest", CheckpointFiles.ConfigFile);
        string text = File.ReadAllText(config);
        File.WriteAllText(config, text.Replace("\n  ],\n  \"target_symbols\"", ",\n    \"an extra symbol\"\n  ],\n  \"target_symbols\""));
        Assert.NotEqual(text, File.ReadAllText(config));
        var e = Assert.Throws<CheckpointFormatException>(() => TranslateCheckpoint.Instance.Load(run, CheckpointKind.Latest));
        Assert.Contains("source and", e.Message);
    }

    [Fact]
    public void DecodingDoesNotDependOnTheWorkersAndBeamOneFindsWhatGreedyFinds()
    {
        var t = Create(Small with { MaxIters = 20, EvalEvery = 20 }, Tiny);
        t.Run();
        var task = (TranslateTask)t.Task;
        var sources = task.Validation.Sources;
        var one = Translator.Translate([task.Model], task.Validation.Vocabulary, sources);
        var three = Translator.Translate([task.Model, TranslationModels.Copy(task.Model), TranslationModels.Copy(task.Model)],
            task.Validation.Vocabulary, sources);
        Assert.Equal(one.Select(o => o.Text), three.Select(o => o.Text));
        var beam = Translator.Translate([task.Model, TranslationModels.Copy(task.Model)], task.Validation.Vocabulary, sources, beam: 1, greedy: false);
        Assert.Equal(one.Select(o => o.Text), beam.Select(o => o.Text));
        var wide = Translator.Translate(task.Model, task.Validation.Vocabulary, sources.Take(10).ToArray(), beam: 4, greedy: false);
        for (int i = 0; i < 10; i++)
        {
            Assert.Equal(wide[i].Tokens.Count, wide[i].Attention.Count);
            Assert.All(wide[i].Attention, a => Assert.Equal(sources[i].Ids.Length, a.Length));
        }
    }

    /// <summary>The first run folder of the format (Fixtures/oldruns/translate, see its README.md) loads and resumes.</summary>
    [Fact]
    public void TheFirstFormatsRunFolderLoadsAndResumes()
    {
        string fixture = Path.Combine(AppContext.BaseDirectory, "Fixtures", "oldruns", "translate");
        string copy = Path.Combine(_dir, "old");
        foreach (var f in Directory.GetFiles(fixture, "*", SearchOption.AllDirectories))
        {
            string to = Path.Combine(copy, Path.GetRelativePath(fixture, f));
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(f, to);
        }
        var ck = TranslateCheckpoint.Instance.Load(copy, CheckpointKind.Latest);
        Assert.Equal(new Seq2SeqConfig
        {
            SourceVocab = 167, TargetVocab = 185, Embed = 4, Hidden = 4, Layers = 1, DecoderHidden = 4, Attention = "bahdanau", AttentionDim = 4,
            Dropout = 0.2f, LabelSmoothing = 0.1f, MaxTarget = 24, MaxSource = 160,
        }, ((Seq2SeqModel)ck.Model).Config);
        Assert.Equal(50, ck.Vocabulary.Bpe.Merges.Count);
        Assert.Equal(4, ck.Progress!.Iteration);
        var trainer = TranslateDefinition.Instance.Resume(ck, Sample, ck.Training! with { MaxIters = 6 });
        Assert.Equal(4, trainer.Iteration);
        trainer.Run();
        Assert.Equal(6, TranslateCheckpoint.Instance.Load(copy, CheckpointKind.Latest).Progress!.Iteration);
    }
}
