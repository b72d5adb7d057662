using System.Text.Json;
using Recur.Data.Translation;
using Recur.Export.PyTorch;
using Recur.IO;
using Recur.Models.Decoding;
using Recur.Models.Seq2Seq;
using Recur.Models.Tagging;
using Recur.Tasks.G2p;
using Recur.Tasks.Tag;
using Recur.Tasks.Translate;
using Recur.Tests.TestUtil;
using Xunit;

namespace Recur.Tests.Export.PyTorch;

/// <summary>
/// The tagger and the sequence-to-sequence models (g2p's BiLSTM with attention and its Transformer, translate's BiLSTM)
/// exported with <c>recur export --pytorch</c>: the package's model.py gives Recur's tag logits, its teacher-forced loss
/// and first step's logits within 1e-4, and its greedy output is Recur's <see cref="GreedyDecoder"/>'s, symbol for
/// symbol; a copy with one weight tensor scaled by 1 % does not give the logits (each family's check can fail).
/// </summary>
public sealed class PyTorchTaskModelTests : IDisposable
{
    private const int Vs = 9, Vt = 8, MaxTarget = 6;
    private readonly string _dir = Directory.CreateTempSubdirectory("recur-pytorch-tasks-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private static readonly string[][] Sentences = [["The", "cat", "sat"], ["Dogs", "extraordinarily", "bark", "!", "zzz"], ["a"]];

    [SkippableFact]
    public void TaggersAndSeq2SeqModelsGiveRecursOutputsInPyTorch()
    {
        TorchPython.RequireTorch();
        var args = new List<string> { Path.Combine(AppContext.BaseDirectory, "Fixtures", "pytorch", "task_outputs.py") };
        // The tagger: an unknown word, one longer than max_word_chars (its first and last characters kept), an unknown character.
        var vocab = new TagVocabulary(["<pad>", "<unk>", "the", "cat", "dogs", "bark"], ["<pad>", "<unk>", "T", "a", "c", "e", "h", "s", "t", "!", "o"],
            ["DET", "NOUN", "VERB", "."], "universal");
        var tagger = new Tagger(new TaggerConfig
        {
            Words = 6, Chars = 11, Tags = 4, WordEmbed = 5, CharEmbed = 3, CharHidden = 4, Hidden = 6, Layers = 2, MaxWordChars = 6,
        });
        tagger.Reset(new Rng(5));
        string tagRun = Path.Combine(_dir, "tag"), tagPackage = Path.Combine(_dir, "tag.pkg"), sentences = Path.Combine(_dir, "sentences.json");
        TaggerCheckpoint.Instance.Write(tagRun, new LoadedTagger(tagger, vocab, 1), null, null, null);
        PyTorchExport.Write(tagRun, tagPackage);
        File.WriteAllText(sentences, JsonSerializer.Serialize(Sentences));
        float[] tagLogits = tagger.Forward(TagDataset.Encode(Sentences, vocab, 6)).Data[..(5 * 3 * 4)];
        args.AddRange(["tag", tagPackage, sentences, Path.Combine(_dir, "tag.out.safetensors")]);
        string tagMutant = Mutant(tagPackage, "rnn.weight_ih_l1");
        args.AddRange(["tag", tagMutant, sentences, Path.Combine(_dir, "tag.mutant.safetensors")]);

        var batch = Batch(new Rng(8));
        string inputs = Path.Combine(_dir, "seq2seq.safetensors");
        SafeTensors.Write(inputs, new SafeTensorsFile(null,
        [
            new("source", Longs(batch.Source, batch.SourceSteps, batch.Batch)), new("lengths", Longs(batch.SourceLengths, batch.Batch)),
            new("targets", Longs(batch.Targets!, batch.Batch, MaxTarget + 2)),
        ]));
        var expected = new Dictionary<string, (double Loss, float[] First, int[][] Greedy)>();
        var models = Seq2SeqModels();
        ulong seed = 30;
        foreach (var (name, model, mutate) in models)
        {
            model.Reset(new Rng(seed++));
            string run = Path.Combine(_dir, name), package = Path.Combine(_dir, name + ".pkg");
            Save(name, model, run);
            PyTorchExport.Write(run, package);
            double loss = model.Loss(batch);
            float[] first = model.Begin(batch).Step([.. Enumerable.Repeat(Seq2SeqModel.Start, batch.Batch)]).ToArray();
            var greedy = GreedyDecoder.Decode(model.Begin(batch with { Targets = null }), Vt, Seq2SeqModel.Start, Seq2SeqModel.End, MaxTarget)
                .Select(r => r.Tokens).ToArray();
            expected[name] = (loss, first, greedy);
            args.AddRange(["seq2seq", package, inputs, Path.Combine(_dir, name + ".out.safetensors")]);
            args.AddRange(["seq2seq", Mutant(package, mutate), inputs, Path.Combine(_dir, name + ".mutant.safetensors")]);
        }

        TorchPython.Check(_dir, [.. args]);

        var gotTag = SafeTensors.Read(Path.Combine(_dir, "tag.out.safetensors")).GetTensor("logits").Data;
        Assert.True(MaxDiff(tagLogits, gotTag) <= 1e-4, $"tagger: max |logit difference| {MaxDiff(tagLogits, gotTag):G3}");
        double tagMutated = MaxDiff(tagLogits, SafeTensors.Read(Path.Combine(_dir, "tag.mutant.safetensors")).GetTensor("logits").Data);
        Assert.True(tagMutated > 1e-4, $"the tagger's mutant moved the logits only {tagMutated:G3}");
        foreach (var (name, (loss, first, greedy)) in expected)
        {
            var got = SafeTensors.Read(Path.Combine(_dir, name + ".out.safetensors"));
            Assert.True(Math.Abs(got.GetTensor("loss").Data[0] - loss) <= 1e-4, $"{name}: loss {got.GetTensor("loss").Data[0]} against Recur's {loss}");
            Assert.True(MaxDiff(first, got.GetTensor("first").Data) <= 1e-4, $"{name}: first step's logits differ by {MaxDiff(first, got.GetTensor("first").Data):G3}");
            var rows = got.GetIntegers("greedy");
            int width = rows.Shape[1];
            for (int b = 0; b < greedy.Length; b++)
                Assert.Equal(greedy[b], rows.Data.Skip(b * width).Take(width).TakeWhile(v => v >= 0).Select(v => (int)v).ToArray());
            var mutant = SafeTensors.Read(Path.Combine(_dir, name + ".mutant.safetensors")).GetTensor("first").Data;
            Assert.True(MaxDiff(first, mutant) > 1e-4, $"{name}: the mutant moved the first step's logits only {MaxDiff(first, mutant):G3}");
        }
    }

    /// <summary>Each family (name, untrained model, the weight its mutant scales).</summary>
    private static (string Name, ISeq2SeqModel Model, string Mutate)[] Seq2SeqModels() =>
    [
        ("g2p-lstm", new Seq2SeqModel(new Seq2SeqConfig
        {
            SourceVocab = Vs, TargetVocab = Vt, Embed = 4, Hidden = 3, Layers = 2, DecoderHidden = 5, Attention = "bahdanau", AttentionDim = 4, MaxTarget = MaxTarget,
        }), "decoder.weight_hh"),
        ("g2p-transformer", new TransformerSeq2SeqModel(new TransformerSeq2SeqConfig
        {
            SourceVocab = Vs, TargetVocab = Vt, DModel = 8, Heads = 2, EncoderLayers = 2, DecoderLayers = 1, FeedForward = 12, MaxTarget = MaxTarget,
            TieEmbeddings = true,
        }), "decoder.layers.0.linear1.weight"),
        ("translate-rnn", new Seq2SeqModel(new Seq2SeqConfig
        {
            SourceVocab = Vs, TargetVocab = Vt, Embed = 4, Hidden = 3, Layers = 1, DecoderHidden = 5, Attention = "luong", MaxTarget = MaxTarget,
        }), "decoder.weight_ih"),
    ];

    private static void Save(string name, ISeq2SeqModel model, string run)
    {
        if (name.StartsWith("g2p", StringComparison.Ordinal))
        {
            var symbols = new G2pSymbols(["<pad>", "<unk>", "a", "b", "c", "d", "e", "f", "g"], ["<NULL>", "<START>", "<END>", "AA0", "B", "K", "D", "EH1"]);
            G2pCheckpoint.Instance.Write(run, new LoadedG2p(model, symbols, 1), null, null, null);
            return;
        }
        var vocabulary = new TranslationVocabulary(new BpeMerges([]), ["<pad>", "<unk>", "a", "b", "c", "d", "e", "f", "g"],
            ["<NULL>", "<START>", "<END>", "<unk>", "a", "b", "c", "d"], "abcdefg");
        TranslateCheckpoint.Instance.Write(run, new LoadedTranslation("rnn", (Seq2SeqModel)model, vocabulary, new CorpusRecipe(1, 100)), null, null, null);
    }

    /// <summary>Four sources of different lengths and their targets of different lengths.</summary>
    private static Seq2SeqBatch Batch(Rng rng)
    {
        int[] lengths = [5, 2, 4, 1], targetLengths = [3, 6, 1, 2];
        int B = lengths.Length, Ts = lengths.Max(), W = MaxTarget + 2;
        var source = new int[Ts * B];
        var targets = new int[B * W];
        for (int b = 0; b < B; b++)
        {
            for (int t = 0; t < lengths[b]; t++) source[t * B + b] = 1 + rng.NextInt(Vs - 1);
            targets[b * W] = Seq2SeqModel.Start;
            for (int k = 1; k <= targetLengths[b]; k++) targets[b * W + k] = 3 + rng.NextInt(Vt - 3);
            targets[b * W + targetLengths[b] + 1] = Seq2SeqModel.End;
        }
        return new Seq2SeqBatch(source, lengths, targets);
    }

    /// <summary>A copy of <paramref name="package"/> with the weight <paramref name="name"/> scaled by 1 %.</summary>
    private static string Mutant(string package, string name)
    {
        string mutant = package + ".mutant";
        Directory.CreateDirectory(mutant);
        foreach (string f in Directory.GetFiles(package)) File.Copy(f, Path.Combine(mutant, Path.GetFileName(f)), overwrite: true);
        var w = SafeTensors.Read(Path.Combine(mutant, "weights.safetensors"));
        Assert.Contains(name, w.Names);
        SafeTensors.Write(Path.Combine(mutant, "weights.safetensors"), w.Names.Select(n => KeyValuePair.Create(n,
            n == name ? new Tensor([.. w.GetTensor(n).Data.Select(v => v * 1.01f)], w.GetTensor(n).Shape) : w.GetTensor(n))).ToList());
        return mutant;
    }

    private static IntegerArray Longs(int[] values, params int[] shape) => new([.. values.Select(v => (long)v)], shape);

    private static double MaxDiff(float[] a, float[] b)
    {
        if (a.Length != b.Length) return double.PositiveInfinity;
        double d = 0;
        for (int i = 0; i < a.Length; i++) d = Math.Max(d, Math.Abs(a[i] - b[i]));
        return d;
    }
}
