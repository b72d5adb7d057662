using System.Text;
using System.Text.Json;
using Recur.Data;
using Recur.Data.Language;
using Recur.IO;
using Recur.Models;
using Recur.Nn;
using Recur.Tasks.Caption;
using Recur.Tasks.CharLm;
using Recur.Tasks.G2p;
using Recur.Tasks.Tag;
using Recur.Tasks.Vqa;
using Recur.Training;
using Recur.Tasks.Classify;
using Recur.Tests.TestUtil;
using Xunit;

namespace Recur.Tests.IO;

/// <summary>
/// Run folders of every checkpoint format, written by commit 48d1b38 (Fixtures/oldruns; see its README.md for the
/// commands) before the task layer's checkpoint code was moved and rewritten: they must keep loading, best/ and
/// latest/, with the configuration, the progress and the very weights they were saved with, and keep resuming.
/// The weight fingerprints were computed from the safetensors files by Fixtures/oldruns/fingerprints.py, not by
/// Recur's loader. Nothing here writes into the fixtures: resumes run on a copy in a temporary folder.
/// </summary>
public sealed class OldTaskRunFolderTests : IDisposable
{
    private static string Dir => Path.Combine(AppContext.BaseDirectory, "Fixtures", "oldruns");
    private static string FashionDir => Path.Combine(AppContext.BaseDirectory, "Data", "Samples", "fashion-mnist");
    private static string BrownDir => Path.Combine(AppContext.BaseDirectory, "Data", "Samples", "brown");
    private static string CmuDict => Path.Combine(AppContext.BaseDirectory, "Data", "Samples", "cmudict", "cmudict-sample.out");
    private const string FashionChecksum = "fefcec30578a425d";

    private readonly string _copy = Path.Combine(Path.GetTempPath(), "recur-oldruns-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_copy)) Directory.Delete(_copy, recursive: true);
    }

    // ---- classify: recurrent (gru) ----

    [Theory]
    [InlineData(CheckpointKind.Best, 2L, 3.9280208527491127, -55.10221019387245, 1706.9515916533317, -71.88773057953662)]
    [InlineData(CheckpointKind.Latest, 6L, 4.022709956070617, -168.74075648421422, 3940.9030213797487, -233.15566314101372)]
    public void RecurrentClassifierLoads(CheckpointKind kind, long iteration, double valLoss, double sum, double sumSq, double weighted)
    {
        string run = Path.Combine(Dir, "classify-gru");
        Assert.Equal(ClassifyTask.TaskName, CheckpointFiles.TaskOf(run, kind));
        var ck = ClassifierCheckpoint.Instance.Load(run, kind);
        Assert.Equal(CheckpointFiles.FolderName(kind), Path.GetFileName(ck.Directory));
        var model = Assert.IsType<SequenceClassifier>(ck.Model);
        Assert.Equal(new SequenceClassifierConfig { Cell = "gru", InputSize = 28, Hidden = 8, Layers = 1, Classes = 10, Dropout = 0.3f }, model.Config);
        Assert.Equal(FashionMnist.ClassNames, ck.ClassNames);
        Assert.Equal(1002, model.Store.Count);
        AssertProgress(ck.Progress, iteration, valLoss, bestValLoss: 3.9280208527491127);
        Assert.Equal(new DataInfo(ck.Data!.Source, 600, FashionChecksum), ck.Data);
        Assert.Equal(0.999, ck.Training!.Ema);
        Assert.Equal(6, ck.Training.MaxIters);
        AssertFingerprint(Fingerprint(model.Store), 1002, sum, sumSq, weighted);
    }

    [Fact]
    public void RecurrentClassifierResumes()
    {
        CopyRun("classify-gru");
        var ck = ClassifierCheckpoint.Instance.Load(_copy, CheckpointKind.Latest);
        var (train, _) = FashionMnist.Load(FashionDir);
        var trainer = ClassifyDefinition.Instance.Resume(ck, ClassifyData.Fashion(train), ck.Training! with { MaxIters = 8 });
        AssertResumedAt(trainer, ck.Model.Store, ck.StatePath, ck.Training!, 6);
        trainer.Run();
        Assert.Equal(8, trainer.Iteration);
        Assert.Equal(8, ClassifierCheckpoint.Instance.Load(_copy, CheckpointKind.Latest).Progress!.Iteration);
    }

    // ---- classify: convolutional (the encoder of the caption and vqa runs) ----

    [Theory]
    [InlineData(CheckpointKind.Best, 2L, 2.462343822480145, -4.3763998052018, 19.159019509470763, -6.920204564705131)]
    [InlineData(CheckpointKind.Latest, 6L, 2.471368642309787, -6.730874536050123, 19.1495718889295, -10.40353121411625)]
    public void ConvolutionalClassifierLoads(CheckpointKind kind, long iteration, double valLoss, double sum, double sumSq, double weighted)
    {
        string run = Path.Combine(Dir, "classify-cnn");
        Assert.Equal(ClassifyTask.TaskName, CheckpointFiles.TaskOf(run, kind));
        var ck = ClassifierCheckpoint.Instance.Load(run, kind);
        var net = Assert.IsType<ConvNet>(ck.Model);
        Assert.Equal("cnn", net.Config.Architecture);
        Assert.Equal(new[] { 32 }, net.Config.Channels);
        Assert.Equal((1, 28, 28, 3, 2, 1, 10, 0f, false, 0),
            (net.Config.InChannels, net.Config.Rows, net.Config.Cols, net.Config.Kernel, net.Config.Pool, net.Config.Fc, net.Config.Classes, net.Config.Dropout, net.Config.Flip, net.Config.Shift));
        Assert.Equal(FashionMnist.ClassNames, ck.ClassNames);
        AssertProgress(ck.Progress, iteration, valLoss, bestValLoss: 2.462343822480145);
        Assert.Equal(new DataInfo(ck.Data!.Source, 600, FashionChecksum), ck.Data);
        Assert.Equal((0.0, 5UL), (ck.Training!.Ema, ck.Training.Seed));
        AssertFingerprint(Fingerprint(net.Store), 6613, sum, sumSq, weighted);
    }

    [Fact]
    public void ConvolutionalClassifierResumes()
    {
        CopyRun("classify-cnn");
        var ck = ClassifierCheckpoint.Instance.Load(_copy, CheckpointKind.Latest);
        var (train, _) = FashionMnist.Load(FashionDir);
        var trainer = ClassifyDefinition.Instance.Resume(ck, ClassifyData.Fashion(train), ck.Training! with { MaxIters = 8 });
        AssertResumedAt(trainer, ck.Model.Store, ck.StatePath, ck.Training!, 6);
        trainer.Run();
        Assert.Equal(8, ClassifierCheckpoint.Instance.Load(_copy, CheckpointKind.Latest).Progress!.Iteration);
        // best/ is still the run's iteration 2 unless the two new steps beat it
        Assert.True(ClassifierCheckpoint.Instance.Load(_copy, CheckpointKind.Best).Progress!.Iteration is 2 or 8);
    }

    // ---- caption ----

    [Theory]
    [InlineData(CheckpointKind.Best)]
    [InlineData(CheckpointKind.Latest)]
    public void CaptionerLoads(CheckpointKind kind)
    {
        string run = Path.Combine(Dir, "caption");
        Assert.Equal(CaptionTask.TaskName, CheckpointFiles.TaskOf(run, kind));
        var ck = CaptionCheckpoint.Instance.Load(run, kind);
        var c = ck.Model.Config;
        Assert.Equal(("attention", 36, 8, 8, 14, 14, 32, 8, 12), (c.Kind, c.Vocab, c.Embed, c.Hidden, c.GridRows, c.GridCols, c.FeatureDim, c.AttentionDim, c.MaxWords));
        Assert.Equal(36, ck.Vocabulary.Count);
        Assert.Equal(new[] { "<NULL>", "<START>", "<END>", "<UNK>", "a" }, ck.Vocabulary.Words.Take(5));
        Assert.Equal(new Recur.Data.Scenes.SceneOptions { Train = 40, TestSeen = 4, TestHeldOut = 4, HeldOutPairs = 8, Seed = 1 }, ck.Scenes);
        Assert.Equal((3, false, "conv", 32), (ck.Encoder.GridPool, ck.Encoder.Coordinates, ck.Encoder.Features, ck.Encoder.FeatureDim));
        Assert.Equal(new[] { 32 }, ck.Encoder.Network.Config.Channels);
        Assert.Equal(1, ck.Encoder.Network.Config.Fc);
        AssertProgress(ck.Progress, 4, 3.57378472292766, bestValLoss: 3.57378472292766);
        Assert.Equal(new DataInfo(ck.Data!.Source, 600, FashionChecksum), ck.Data);
        AssertFingerprint(Fingerprint(ck.Model.Store), 4237, -25.116550281436503, 359.1702338979628, -43.214156900268335);
        // the encoder is classify-cnn's best/ (iteration 2), stored under "encoder."
        AssertFingerprint(Fingerprint(ck.Encoder.Network.Store, "encoder."), 6613, -4.3763998052018, 19.159019509470763, -5.098342245401019);
        var encoder = ClassifierCheckpoint.Instance.Load(Path.Combine(Dir, "classify-cnn"), CheckpointKind.Best);
        Assert.Equal(encoder.Model.Store.Values, ck.Encoder.Network.Store.Values);
    }

    [Fact]
    public void CaptionerResumes()
    {
        CopyRun("caption");
        var ck = CaptionCheckpoint.Instance.Load(_copy, CheckpointKind.Latest);
        var (train, _) = FashionMnist.Load(FashionDir);
        var trainer = CaptionDefinition.Instance.Resume(ck, train, ck.Training! with { MaxIters = 6 });
        AssertResumedAt(trainer, ck.Model.Store, ck.StatePath, ck.Training!, 4);
        trainer.Run();
        var again = CaptionCheckpoint.Instance.Load(_copy, CheckpointKind.Latest);
        Assert.Equal(6, again.Progress!.Iteration);
        Assert.Equal(ck.Encoder.Network.Store.Values, again.Encoder.Network.Store.Values);
    }

    // ---- vqa ----

    [Theory]
    [InlineData(CheckpointKind.Best, 2L, 1.159424158016475, 118.91798823326826, 1226.468126940842, 173.34973909562592)]
    [InlineData(CheckpointKind.Latest, 6L, 2.4147705245234254, 208.10402751062065, 2019.248646349093, 311.2582514942271)]
    public void VqaModelLoads(CheckpointKind kind, long iteration, double valLoss, double sum, double sumSq, double weighted)
    {
        string run = Path.Combine(Dir, "vqa");
        Assert.Equal(VqaCheckpoint.TaskName, CheckpointFiles.TaskOf(run, kind));
        var ck = VqaCheckpoint.Instance.Load(run, kind);
        var c = ck.Model.Config;
        Assert.Equal((41, 14, 8, 8, 14, 14, 32, 8, 8, false, 8), (c.Vocab, c.Answers, c.Embed, c.Hidden, c.GridRows, c.GridCols, c.FeatureDim, c.AttentionDim, c.Fusion, c.Blind, c.MaxWords));
        Assert.Empty(c.VisualAnswers);
        Assert.Equal(2, ck.QuestionsPerScene);
        Assert.Equal(new Recur.Data.Scenes.SceneOptions { Train = 40, TestSeen = 4, TestHeldOut = 4, HeldOutPairs = 8, Seed = 1 }, ck.Scenes);
        Assert.Equal((3, false, "conv", 32), (ck.Encoder.GridPool, ck.Encoder.Coordinates, ck.Encoder.Features, ck.Encoder.FeatureDim));
        AssertProgress(ck.Progress, iteration, valLoss, bestValLoss: 1.159424158016475);
        Assert.Equal(new DataInfo(ck.Data!.Source, 600, FashionChecksum), ck.Data);
        Assert.Equal(0.5, ck.Training!.LearningRate);
        AssertFingerprint(Fingerprint(ck.Model.Store), 1694, sum, sumSq, weighted);
        AssertFingerprint(Fingerprint(ck.Encoder.Network.Store, "encoder."), 6613, -4.3763998052018, 19.159019509470763, -5.098342245401019);
    }

    [Fact]
    public void VqaModelResumes()
    {
        CopyRun("vqa");
        var ck = VqaCheckpoint.Instance.Load(_copy, CheckpointKind.Latest);
        var (train, _) = FashionMnist.Load(FashionDir);
        var trainer = VqaDefinition.Instance.Resume(ck, train, ck.Training! with { MaxIters = 8 });
        AssertResumedAt(trainer, ck.Model.Store, ck.StatePath, ck.Training!, 6);
        trainer.Run();
        Assert.Equal(8, VqaCheckpoint.Instance.Load(_copy, CheckpointKind.Latest).Progress!.Iteration);
    }

    // ---- tag ----

    [Theory]
    [InlineData(CheckpointKind.Best)]
    [InlineData(CheckpointKind.Latest)]
    public void TaggerLoads(CheckpointKind kind)
    {
        string run = Path.Combine(Dir, "tag");
        Assert.Equal(TagTask.TaskName, CheckpointFiles.TaskOf(run, kind));
        var ck = TaggerCheckpoint.Instance.Load(run, kind);
        var c = ck.Model.Config;
        Assert.Equal((273, 71, 11, 8, 16, 4, 8, 1, 0.3f, 24), (c.Words, c.Chars, c.Tags, c.WordEmbed, c.CharEmbed, c.CharHidden, c.Hidden, c.Layers, c.Dropout, c.MaxWordChars));
        Assert.Equal("universal", ck.Vocabulary.Tagset);
        Assert.Equal((273, 71, 11), (ck.Vocabulary.Words.Count, ck.Vocabulary.Chars.Count, ck.Vocabulary.Tags.Count));
        Assert.Equal(new[] { ".", "ADJ", "ADP", "ADV", "CONJ" }, ck.Vocabulary.Tags.Take(5));
        Assert.Equal(1UL, ck.SplitSeed);
        AssertProgress(ck.Progress, 6, 2.4413747889984574, bestValLoss: 2.4413747889984574);
        Assert.Equal(new DataInfo(ck.Data!.Source, 10, "b00ef1773356924b"), ck.Data);
        AssertFingerprint(Fingerprint(ck.Model.Store), 5875, -73.68075252297785, 3306.7927826425475, -92.42457029742808);
    }

    [Fact]
    public void TaggerResumes()
    {
        CopyRun("tag");
        var ck = TaggerCheckpoint.Instance.Load(_copy, CheckpointKind.Latest);
        var trainer = TagDefinition.Instance.Resume(ck, BrownCorpus.Load(BrownDir), ck.Training! with { MaxIters = 9 });
        AssertResumedAt(trainer, ck.Model.Store, ck.StatePath, ck.Training!, 6);
        trainer.Run();
        Assert.Equal(9, TaggerCheckpoint.Instance.Load(_copy, CheckpointKind.Latest).Progress!.Iteration);
    }

    // ---- g2p ----

    [Theory]
    [InlineData(CheckpointKind.Best)]
    [InlineData(CheckpointKind.Latest)]
    public void PronunciationModelLoads(CheckpointKind kind)
    {
        string run = Path.Combine(Dir, "g2p");
        Assert.Equal(G2pTask.TaskName, CheckpointFiles.TaskOf(run, kind));
        var ck = G2pCheckpoint.Instance.Load(run, kind);
        var c = Assert.IsType<Recur.Models.Seq2Seq.Seq2SeqModel>(ck.Model).Config; // a run from before "model_kind" is an LSTM's
        Assert.Equal((28, 72, 8, 8, 1, 8, "bahdanau", 8, 24, 0f), (c.SourceVocab, c.TargetVocab, c.Embed, c.Hidden, c.Layers, c.DecoderHidden, c.Attention, c.AttentionDim, c.MaxTarget, c.LabelSmoothing));
        Assert.Equal((28, 72), (ck.Symbols.Letters.Count, ck.Symbols.Phones.Count));
        Assert.Equal(new[] { "<NULL>", "<START>", "<END>", "AA0", "AA1" }, ck.Symbols.Phones.Take(5));
        Assert.Equal(1UL, ck.SplitSeed);
        AssertProgress(ck.Progress, 6, 4.268780107281392, bestValLoss: 4.268780107281392);
        Assert.Equal(new DataInfo(ck.Data!.Source, 431, "55bb051703288552"), ck.Data);
        AssertFingerprint(Fingerprint(ck.Model.Store), 5184, -30.832658391918812, 930.4259620812227, -55.58790517461835);
    }

    [Fact]
    public void PronunciationModelResumes()
    {
        CopyRun("g2p");
        var ck = G2pCheckpoint.Instance.Load(_copy, CheckpointKind.Latest);
        var trainer = G2pDefinition.Instance.Resume(ck, CmuLexicon.Load(CmuDict), ck.Training! with { MaxIters = 9 });
        AssertResumedAt(trainer, ck.Model.Store, ck.StatePath, ck.Training!, 6);
        trainer.Run();
        Assert.Equal(9, G2pCheckpoint.Instance.Load(_copy, CheckpointKind.Latest).Progress!.Iteration);
    }

    // ---- character LM ----

    [Theory]
    [InlineData(CheckpointKind.Best)]
    [InlineData(CheckpointKind.Latest)]
    public void CharacterModelLoads(CheckpointKind kind)
    {
        string run = Path.Combine(Dir, "char-lm");
        Assert.Equal(CharCheckpoint.TaskName, CheckpointFiles.TaskOf(run, kind));
        var ck = CharCheckpoint.Read(run, kind);
        var c = ck.Config;
        Assert.Equal(("lstm", 39, 8, 8, 2, false), (c.Cell, c.VocabSize, c.Embed, c.Hidden, c.Layers, c.Highway));
        Assert.Equal(39, ck.Vocabulary.Count);
        Assert.Equal((16, 4, 0.9), (ck.Training!.SeqLength, ck.Training.BatchSize, ck.Training.Ema));
        AssertProgress(ck.Progress, 6, 3.6675146376626353, bestValLoss: 3.6675146376626353);
        Assert.Equal(new DataInfo("char-lm.txt", 2773, "e2cfab6a4a00c04c"), ck.Data);
        AssertFingerprint(Fingerprint(ck.Model.Store), 1815, -10.669385799737938, 348.4584662275009, -13.60912139336085);
        // the text still encodes to what the run recorded
        var tokens = ck.Vocabulary.Encode(Corpus.Load(Path.Combine(Dir, "char-lm.txt")).Text);
        Assert.Equal(ck.Data!.Checksum, CheckpointFiles.TokenChecksum(tokens));
    }

    [Fact]
    public void CharacterModelResumesBitForBitAsTodaysCodeRunsStraight()
    {
        // The character LM's learning rate is constant, so 6 saved + 3 resumed iterations must equal 9 straight ones.
        CopyRun("char-lm");
        var ck = CharCheckpoint.Read(_copy, CheckpointKind.Latest);
        var tokens = ck.Vocabulary.Encode(Corpus.Load(Path.Combine(Dir, "char-lm.txt")).Text);
        var o = ck.Training! with { MaxIters = 9 };
        var resumed = CharRuns.Resume(ck, tokens, o);
        AssertResumedAt(resumed, ck.Model.Store, ck.StatePath, ck.Training!, 6);
        resumed.Run();
        var straight = CharRuns.New(o, ck.Vocabulary, tokens);
        straight.Run();
        Assert.Equal(straight.TrainLosses, resumed.TrainLosses);
        Assert.Equal(straight.Model.Store.Values, resumed.Model.Store.Values);
        Assert.Equal(straight.Average!.Values, resumed.Average!.Values);
        Assert.Equal(9, CharCheckpoint.Read(_copy, CheckpointKind.Latest).Progress!.Iteration);
    }

    // ---- helpers ----

    /// <summary>Weight count, sum, sum of squares and a name- and position-weighted sum (as fingerprints.py computes them).</summary>
    internal static (long Count, double Sum, double SumSq, double Weighted) Fingerprint(ParameterStore store, string prefix = "")
    {
        long n = 0;
        double s = 0, sq = 0, w = 0;
        foreach (var p in store.Parameters)
        {
            ulong h = Fnv1a32(prefix + p.Name);
            var v = p.Value;
            for (int j = 0; j < v.Length; j++)
            {
                double x = v[j];
                s += x;
                sq += x * x;
                w += x * (1 + (double)((h + (ulong)j) % 13) / 13.0);
            }
            n += v.Length;
        }
        return (n, s, sq, w);
    }

    private static uint Fnv1a32(string s)
    {
        uint h = 2166136261;
        foreach (byte b in Encoding.UTF8.GetBytes(s)) h = (h ^ b) * 16777619;
        return h;
    }

    private static void AssertFingerprint((long Count, double Sum, double SumSq, double Weighted) actual, long count, double sum, double sumSq, double weighted)
    {
        Assert.Equal(count, actual.Count);
        AssertRelative(sum, actual.Sum, "sum");
        AssertRelative(sumSq, actual.SumSq, "sum of squares");
        AssertRelative(weighted, actual.Weighted, "weighted sum");
    }

    private static void AssertRelative(double expected, double actual, string what)
    {
        double tol = 1e-9 * Math.Abs(expected);
        Assert.True(Math.Abs(actual - expected) <= tol, $"{what} of the loaded weights: expected {expected:R}, got {actual:R} (tolerance {tol:G3})");
    }

    private static void AssertProgress(CheckpointProgress? progress, long iteration, double valLoss, double bestValLoss)
    {
        Assert.NotNull(progress);
        Assert.Equal(iteration, progress.Iteration);
        AssertRelative(valLoss, progress.ValLoss!.Value, "recorded val loss");
        AssertRelative(bestValLoss, progress.BestValLoss!.Value, "recorded best val loss");
    }

    /// <summary>
    /// The resumed trainer stands where the saved run stopped: its iteration and loss history are the run's (as in
    /// metrics.jsonl), and its weights are the saved ones; under --ema the saved weights are the average and the
    /// trainer's raw weights are those in state.safetensors.
    /// </summary>
    private void AssertResumedAt(Trainer trainer, ParameterStore saved, string statePath, TrainOptions training, long iteration)
    {
        Assert.Equal(iteration, trainer.Iteration);
        var recorded = File.ReadLines(Path.Combine(_copy, "metrics.jsonl"))
            .Select(l => JsonDocument.Parse(l).RootElement)
            .Where(e => e.GetProperty("type").GetString() == "train")
            .Select(e => e.GetProperty("loss").GetDouble()).ToArray();
        Assert.Equal(recorded, trainer.TrainLosses);
        int n = saved.Count;
        var current = trainer.Task.Store.Values.AsSpan(0, n).ToArray();
        if (training.Ema > 0)
        {
            Assert.Equal(saved.Values.AsSpan(0, n).ToArray(), trainer.Average!.Values.AsSpan(0, n).ToArray());
            var raw = TrainingState.Read(statePath, n).TrainWeights;
            Assert.NotNull(raw);
            Assert.Equal(raw, current);
        }
        else
        {
            Assert.Null(trainer.Average);
            Assert.Equal(saved.Values.AsSpan(0, n).ToArray(), current);
        }
    }

    private void CopyRun(string name)
    {
        string from = Path.Combine(Dir, name);
        Directory.CreateDirectory(_copy);
        foreach (string d in Directory.GetDirectories(from, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(Path.Combine(_copy, Path.GetRelativePath(from, d)));
        foreach (string f in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
            File.Copy(f, Path.Combine(_copy, Path.GetRelativePath(from, f)));
    }
}
