using System.Globalization;
using Recur.IO;
using Recur.Models.Decoding;
using Recur.Models.Seq2Seq;
using Recur.Tests.TestUtil;
using Xunit;
using Xunit.Abstractions;

namespace Recur.Tests.Models.Seq2Seq;

/// <summary>
/// The Transformer encoder-decoder against PyTorch (Fixtures/make_transformer_fixtures.py: <c>nn.Transformer</c>'s pre-norm
/// encoder and decoder, <c>nn.Embedding</c>, sinusoidal positions, source padding and causal masks, float64 autograd, dropout
/// off): the evaluation loss, the logits, the last layer's head-averaged cross-attention, the training loss (label-smoothed in
/// one case, with tied embeddings) and every parameter's gradient, each within <c>1e-5 · max(1, max|want|) + 1e-4 |want|</c>;
/// the stepper fed the same symbols gives the same logits and attention. A gradient 1 % off fails the comparison.
/// </summary>
public sealed class TransformerFixtureTests(ITestOutputHelper output)
{
    private const double Rtol = 1e-4, Atol = 1e-5;

    private static string Dir => Path.Combine(AppContext.BaseDirectory, "Fixtures", "transformer");

    public static TheoryData<string> Files() => FixtureFiles.In("transformer");

    private static (TransformerSeq2SeqModel Model, SafeTensorsFile File, Seq2SeqBatch Batch) Load(string file)
    {
        var st = SafeTensors.Read(Path.Combine(Dir, file));
        int M(string k) => int.Parse(st.Metadata[k], CultureInfo.InvariantCulture);
        var m = new TransformerSeq2SeqModel(new TransformerSeq2SeqConfig
        {
            SourceVocab = M("source_vocab"), TargetVocab = M("target_vocab"), DModel = M("d_model"), Heads = M("heads"),
            EncoderLayers = M("encoder_layers"), DecoderLayers = M("decoder_layers"), FeedForward = M("feed_forward"), MaxTarget = M("max_target"),
            TieEmbeddings = M("tie_embeddings") == 1, Dropout = 0f,
            LabelSmoothing = float.Parse(st.Metadata["label_smoothing"], CultureInfo.InvariantCulture),
        });
        foreach (var p in m.Store.Parameters)
        {
            p.Value.Fill(float.NaN);
            p.CopyFrom(st.Tensors[p.Name]);
        }
        Assert.Equal(st.Tensors.Keys.Count(k => k.StartsWith("grad.", StringComparison.Ordinal)), m.Store.Parameters.Count);
        static int[] Ints(Tensor t) => t.Data.Select(v => (int)v).ToArray();
        return (m, st, new Seq2SeqBatch(Ints(st.Tensors["source"]), Ints(st.Tensors["lengths"]), Ints(st.Tensors["targets"])));
    }

    /// <summary>The comparisons of one case; with <paramref name="mutate"/>, that parameter's gradient is first scaled by 1.01.</summary>
    private static FixtureAssert.Report Compare(string file, string? mutate = null)
    {
        var (m, st, batch) = Load(file);
        var t = st.Tensors;
        var report = new FixtureAssert.Report(file, Rtol, Atol);
        var want = t["logits"];
        int B = want.Shape[0], T = want.Shape[1], V = want.Shape[2], Ts = t["alpha"].Shape[2];
        report.AddScaled("logits", new Tensor(m.Logits(batch).ToArray(), B, T, V), want);
        var alpha = new float[B * T * Ts];
        for (int s = 0; s < T; s++)
        {
            var w = m.AttentionWeights(s);
            for (int b = 0; b < B; b++) w.Slice(b * Ts, Ts).CopyTo(alpha.AsSpan((b * T + s) * Ts, Ts));
        }
        report.AddScaled("alpha", new Tensor(alpha, B, T, Ts), t["alpha"]);
        report.AddScaled("loss (eval)", new Tensor([(float)m.Loss(batch)], 1), t["loss"]);
        double loss = m.TrainStep(batch, new Rng(1));
        report.AddScaled("loss (train)", new Tensor([(float)loss], 1), t["train.loss"]);
        foreach (var p in m.Store.Parameters)
        {
            var grad = p.Grad.ToArray();
            if (p.Name == mutate) for (int i = 0; i < grad.Length; i++) grad[i] *= 1.01f;
            report.AddScaled("grad." + p.Name, new Tensor(grad, p.Shape), t["grad." + p.Name]);
        }
        return report;
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void LossLogitsAttentionAndEveryGradientMatchPyTorch(string file)
    {
        var report = Compare(file);
        output.WriteLine(report.ToString());
        report.AssertAll();
    }

    /// <summary>The comparison is sensitive: one gradient 1 % off (the smallest tensors included) fails it, and only that one.</summary>
    [Theory]
    [InlineData("base.safetensors", "encoder.layers.0.self_attn.in_proj_weight")]
    [InlineData("base.safetensors", "decoder.layers.1.multihead_attn.in_proj_bias")]
    [InlineData("base.safetensors", "encoder.norm.bias")]
    [InlineData("tied_smoothed.safetensors", "tgt_embed.weight")]
    [InlineData("tied_smoothed.safetensors", "src_embed.weight")]
    public void OneGradientOnePercentOffFailsTheComparison(string file, string parameter)
    {
        var report = Compare(file, parameter);
        Assert.False(report.AllPassed, $"a 1 % error in {parameter} went unnoticed:\n{report}");
        Assert.Equal(["grad." + parameter], report.Items.Where(i => !i.Passed).Select(i => i.Name));
    }

    [Fact]
    public void TiedEmbeddingsHaveNoSeparateHeadWeight()
    {
        var (tied, _, _) = Load("tied_smoothed.safetensors");
        var (untied, _, _) = Load("base.safetensors");
        Assert.False(tied.Store.Contains("head.weight"));
        Assert.True(untied.Store.Contains("head.weight"));
        Assert.True(tied.Store.Contains("head.bias"));
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void TheStepperFedTheSameSymbolsGivesTheSameLogitsAndAttention(string file)
    {
        var (m, st, batch) = Load(file);
        var logits = st.Tensors["logits"];
        var alpha = st.Tensors["alpha"];
        int B = logits.Shape[0], T = logits.Shape[1], V = logits.Shape[2], Ts = alpha.Shape[2], W = m.Config.MaxTarget + 2;
        IDecoderStepper s = m.Begin(batch);
        var report = new FixtureAssert.Report(file, Rtol, Atol);
        var ids = new int[B];
        var wantLogits = new float[B * V];
        var wantAlpha = new float[B * Ts];
        for (int t = 0; t < T; t++)
        {
            for (int b = 0; b < B; b++)
            {
                ids[b] = batch.Targets![b * W + t];
                logits.Data.AsSpan((b * T + t) * V, V).CopyTo(wantLogits.AsSpan(b * V));
                alpha.Data.AsSpan((b * T + t) * Ts, Ts).CopyTo(wantAlpha.AsSpan(b * Ts));
            }
            report.AddScaled($"logits[{t}]", new Tensor(s.Step(ids).ToArray(), B, V), new Tensor(wantLogits.ToArray(), B, V));
            report.AddScaled($"alpha[{t}]", new Tensor(s.Attention.ToArray(), B, Ts), new Tensor(wantAlpha.ToArray(), B, Ts));
        }
        report.AssertAll();
    }
}
