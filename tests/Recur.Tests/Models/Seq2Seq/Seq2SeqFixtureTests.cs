using System.Globalization;
using Recur.IO;
using Recur.Models.Decoding;
using Recur.Models.Seq2Seq;
using Recur.Tests.TestUtil;
using Xunit;

namespace Recur.Tests.Models.Seq2Seq;

/// <summary>
/// The sequence-to-sequence model against PyTorch (Fixtures/make_seq2seq_fixtures.py: packed BiLSTM encoder, masked
/// additive or multiplicative attention, or none): loss and every gradient, and the decoding stepper's logits and
/// attention fed the same symbols, within 1e-4. The dropout files (a stacked encoder among them) hold the keep decisions
/// the generator drew for the source embeddings, between the encoder's layers and on the head's input, which the
/// training step is handed in that order through <see cref="Rng.WithKeepDecisions"/>, and its loss (<c>train.loss</c>).
/// </summary>
public sealed class Seq2SeqFixtureTests
{
    private static string Dir => Path.Combine(AppContext.BaseDirectory, "Fixtures", "seq2seq");

    public static TheoryData<string> Files() => FixtureFiles.In("seq2seq");

    private static (Seq2SeqModel Model, SafeTensorsFile File, Seq2SeqBatch Batch) Load(string file)
    {
        var st = SafeTensors.Read(Path.Combine(Dir, file));
        int M(string k) => int.Parse(st.Metadata[k], CultureInfo.InvariantCulture);
        var m = new Seq2SeqModel(new Seq2SeqConfig
        {
            Attention = st.Metadata["attention"], SourceVocab = M("source_vocab"), TargetVocab = M("target_vocab"), Embed = M("embed"), Hidden = M("hidden"),
            DecoderHidden = M("decoder_hidden"), AttentionDim = M("attention_dim"), MaxTarget = M("max_target"),
            Layers = st.Metadata.ContainsKey("layers") ? M("layers") : 1,
            Dropout = st.Metadata.TryGetValue("dropout", out var drop) ? float.Parse(drop, CultureInfo.InvariantCulture) : 0f,
        });
        foreach (var p in m.Store.Parameters) p.CopyFrom(st.Tensors[p.Name]);
        Assert.Equal(st.Tensors.Keys.Count(k => k.StartsWith("grad.", StringComparison.Ordinal)), m.Store.Parameters.Count);
        static int[] Ints(Tensor t) => t.Data.Select(v => (int)v).ToArray();
        return (m, st, new Seq2SeqBatch(Ints(st.Tensors["source"]), Ints(st.Tensors["lengths"]), Ints(st.Tensors["targets"])));
    }

    /// <summary>Issue 27: dropout, and the stacked encoder it drops between, have a PyTorch fixture.</summary>
    [Fact]
    public void DropoutHasAFixture()
        => Assert.Contains(Directory.GetFiles(Dir, "*.safetensors"), f => SafeTensors.Read(f) is var st
            && st.Metadata.ContainsKey("dropout") && st.Tensors.ContainsKey("keep.encoder"));

    [Theory]
    [MemberData(nameof(Files))]
    public void LossAndGradientsMatchPyTorch(string file)
    {
        var (m, st, batch) = Load(file);
        var t = st.Tensors;
        var report = new FixtureAssert.Report(file, 1e-4, 1e-4);
        report.Add("loss (eval)", [(float)m.Loss(batch)], [1], t["loss"]);
        // the keep decisions in the order the training step draws its masks: source, between encoder layers, head
        float[] keeps = [.. new[] { "keep.source", "keep.encoder", "keep.head" }.Where(t.ContainsKey).SelectMany(k => t[k].Data)];
        var rng = keeps.Length > 0 ? Rng.WithKeepDecisions(keeps) : new Rng(1);
        double loss = m.TrainStep(batch, rng);
        Assert.Equal(0, rng.KeepDecisionsLeft);
        report.Add("loss", [(float)loss], [1], t.GetValueOrDefault("train.loss", t["loss"]));
        foreach (var p in m.Store.Parameters) report.Add("grad." + p.Name, p.Grad, p.Shape, st.Tensors["grad." + p.Name]);
        report.AssertAll();
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void TheStepperFedTheSameSymbolsGivesTheSameLogitsAndAttention(string file)
    {
        var (m, st, batch) = Load(file);
        var logits = st.Tensors["logits"];
        int T = logits.Shape[0], B = logits.Shape[1], V = logits.Shape[2], W = m.Config.MaxTarget + 2;
        IDecoderStepper s = m.Begin(batch);
        var report = new FixtureAssert.Report(file, 1e-4, 1e-4);
        var ids = new int[B];
        for (int t = 0; t < T; t++)
        {
            for (int b = 0; b < B; b++) ids[b] = batch.Targets![b * W + t];
            report.Add($"logits[{t}]", s.Step(ids), [B, V], new Tensor(logits.Data.AsSpan(t * B * V, B * V).ToArray(), B, V));
            if (st.Tensors.TryGetValue("alpha", out var alpha))
            {
                int Ts = alpha.Shape[2];
                report.Add($"alpha[{t}]", s.Attention, [B, Ts], new Tensor(alpha.Data.AsSpan(t * B * Ts, B * Ts).ToArray(), B, Ts));
            }
        }
        report.AssertAll();
    }
}
