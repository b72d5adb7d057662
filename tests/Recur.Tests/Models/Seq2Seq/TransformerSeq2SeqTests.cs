using Recur.Models.Decoding;
using Recur.Models.Seq2Seq;
using Recur.Tests.TestUtil;
using Xunit;

namespace Recur.Tests.Models.Seq2Seq;

/// <summary>
/// The Transformer encoder-decoder's own properties: the step-by-step decoder (with beam search's reordering, and past its
/// first cache) equals the teacher-forced forward; padding and the other rows of a batch change nothing; any thread count
/// gives the same bits; with dropout (and label smoothing) the gradients of a fixed mask are the loss's central differences.
/// </summary>
public sealed class TransformerSeq2SeqTests
{
    private static TransformerSeq2SeqConfig Small(int maxTarget = 5, float dropout = 0f) => new()
    {
        SourceVocab = 11, TargetVocab = 10, DModel = 16, Heads = 4, EncoderLayers = 2, DecoderLayers = 2, FeedForward = 24,
        MaxTarget = maxTarget, Dropout = dropout,
    };

    private static TransformerSeq2SeqModel Make(TransformerSeq2SeqConfig config, ulong seed = 3)
    {
        var m = new TransformerSeq2SeqModel(config);
        m.Reset(new Rng(seed));
        // a generic point: LayerNorm gains and biases away from 1 and 0
        var rng = new Rng(seed + 100);
        foreach (var p in m.Store.Parameters.Where(p => p.Name.Contains("norm", StringComparison.Ordinal)))
            for (int i = 0; i < p.Length; i++) p.Value[i] += 0.3f * (rng.NextFloat() - 0.5f);
        return m;
    }

    /// <summary>Random sources (time-major) of the given lengths and targets of the given lengths, width <c>maxTarget + 2</c>.</summary>
    private static Seq2SeqBatch Batch(int[] lengths, int[] targetLengths, int maxTarget, ulong seed, int sourceSteps = 0)
    {
        var rng = new Rng(seed);
        int B = lengths.Length, Ts = Math.Max(sourceSteps, lengths.Max()), W = maxTarget + 2;
        var src = new int[Ts * B];
        for (int b = 0; b < B; b++)
            for (int t = 0; t < lengths[b]; t++) src[t * B + b] = 1 + rng.NextInt(10);
        var tgt = new int[B * W];
        for (int b = 0; b < B; b++)
        {
            tgt[b * W] = Seq2SeqModel.Start;
            for (int t = 1; t <= targetLengths[b]; t++) tgt[b * W + t] = 3 + rng.NextInt(7);
            tgt[b * W + targetLengths[b] + 1] = Seq2SeqModel.End;
        }
        return new Seq2SeqBatch(src, lengths, tgt);
    }

    private static void Close(ReadOnlySpan<float> want, ReadOnlySpan<float> got, string what, double tol = 2e-5)
    {
        Assert.Equal(want.Length, got.Length);
        for (int i = 0; i < want.Length; i++)
            Assert.True(Math.Abs(want[i] - got[i]) <= tol * (1 + Math.Abs(want[i])), $"{what}[{i}]: want {want[i]}, got {got[i]}");
    }

    [Fact]
    public void TheStepperWithBeamReorderingEqualsTheFullForward()
    {
        var m = Make(Small());
        var batch = Batch([6, 3, 4], [5, 2, 4], 5, seed: 1);
        int B = 3, W = 7, V = 10, T = 6, Ts = 6;
        var full = m.Logits(batch).ToArray(); // (B, T, V)
        var alpha = new float[T][];
        for (int t = 0; t < T; t++) alpha[t] = m.AttentionWeights(t).ToArray();
        var s = m.Begin(batch);
        int[] rows = [0, 1, 2]; // stepper row b holds the batch's row rows[b]
        int[][] reorders = [[2, 0, 1], [1, 1, 0]];
        var ids = new int[B];
        for (int t = 0; t < T; t++)
        {
            if (t is 2 or 4)
            {
                var r = reorders[t / 2 - 1];
                s.Select(r);
                rows = [.. r.Select(i => rows[i])];
            }
            for (int b = 0; b < B; b++) ids[b] = batch.Targets![rows[b] * W + t];
            var logits = s.Step(ids);
            var attention = s.Attention;
            for (int b = 0; b < B; b++)
            {
                Close(full.AsSpan((rows[b] * T + t) * V, V), logits.Slice(b * V, V), $"logits t {t} row {b}");
                Close(alpha[t].AsSpan(rows[b] * Ts, Ts), attention.Slice(b * Ts, Ts), $"attention t {t} row {b}");
            }
        }
    }

    [Fact]
    public void TheStepperGrowsItsCachePastTheLongestTarget()
    {
        var longer = Make(Small(maxTarget: 9));
        var m = new TransformerSeq2SeqModel(longer.Config with { MaxTarget = 1 }); // cache for 3 positions
        longer.Store.Values.CopyTo(m.Store.Values, 0);
        var batch = Batch([4, 2], [9, 7], 9, seed: 2);
        int T = 10, V = 10, W = 11;
        var full = longer.Logits(batch).ToArray();
        var s = m.Begin(batch);
        for (int t = 0; t < T; t++)
        {
            var logits = s.Step([batch.Targets![t], batch.Targets![W + t]]);
            for (int b = 0; b < 2; b++) Close(full.AsSpan((b * T + t) * V, V), logits.Slice(b * V, V), $"t {t} row {b}");
        }
    }

    [Fact]
    public void PaddingAndTheOtherRowsChangeNothing()
    {
        var m = Make(Small());
        var batch = Batch([5, 2, 4], [3, 5, 1], 5, seed: 3, sourceSteps: 7);
        int B = 3, T = 6, V = 10, W = 7, Ts = 7;
        var full = m.Logits(batch).ToArray();
        double loss = m.Loss(batch);
        // other ids on the padding: the same logits
        var noisy = batch.Source.ToArray();
        for (int t = 0; t < Ts; t++)
            for (int b = 0; b < B; b++)
                if (t >= batch.SourceLengths[b]) noisy[t * B + b] = 7;
        Assert.Equal(full, m.Logits(batch with { Source = noisy }).ToArray());
        Assert.Equal(loss, m.Loss(batch with { Source = noisy }));
        // each row alone, unpadded: its rows of the logits (up to its end; the batch's longer steps see only padding)
        for (int b = 0; b < B; b++)
        {
            int n = batch.SourceLengths[b];
            var one = new Seq2SeqBatch([.. Enumerable.Range(0, n).Select(t => batch.Source[t * B + b])], [n], batch.Targets!.AsSpan(b * W, W).ToArray());
            var alone = m.Logits(one).ToArray();
            int Tb = alone.Length / V;
            Close(full.AsSpan(b * T * V, Tb * V), alone, $"row {b} alone", 1e-5);
        }
    }

    [Fact]
    public void AnyThreadCountGivesTheSameBits()
    {
        var config = Small() with { DModel = 32, FeedForward = 64, Dropout = 0.2f };
        var batch = Batch([16, 9, 12, 16, 3, 14, 8, 11], [5, 4, 5, 2, 5, 3, 1, 5], 5, seed: 4);
        (double, float[], float[]) Run(int threads)
        {
            var m = Make(config);
            m.Threads = threads;
            double loss = m.TrainStep(batch, new Rng(9));
            var s = m.Begin(batch);
            var logits = s.Step([1, 1, 1, 1, 1, 1, 1, 1]).ToArray();
            return (loss, m.Store.Grads.ToArray(), logits);
        }
        var one = Run(1);
        var three = Run(3);
        Assert.Equal(one.Item1, three.Item1);
        Assert.Equal(one.Item2, three.Item2);
        Assert.Equal(one.Item3, three.Item3);
    }

    [Fact]
    public void BadShapesAreRefusedWithTheirValues()
    {
        Assert.Contains("divisible", Assert.Throws<ArgumentException>(() => new TransformerSeq2SeqModel(Small() with { Heads = 3 })).Message);
        Assert.Contains("even", Assert.Throws<ArgumentException>(() => new TransformerSeq2SeqModel(Small() with { DModel = 15, Heads = 5 })).Message);
        var m = Make(Small() with { MaxSource = 4 });
        Assert.Contains("longer than the 4", Assert.Throws<ArgumentException>(() => m.Loss(Batch([5, 2], [1, 1], 5, seed: 5))).Message);
    }

    /// <summary>Dropout with a fixed mask and label smoothing: the gradients are the loss's central differences.</summary>
    [Fact]
    public void GradientsWithAFixedMaskAreTheCentralDifferences()
    {
        var m = Make(Small(maxTarget: 4, dropout: 0.3f) with { EncoderLayers = 1, DModel = 8, Heads = 2, FeedForward = 12, LabelSmoothing = 0.1f });
        var batch = Batch([4, 2, 3], [3, 4, 1], 4, seed: 6);
        m.TrainStep(batch, new Rng(11));
        var grads = m.Store.Parameters.Select(p => p.Grad.ToArray()).ToArray();
        double Loss() => m.TrainStep(batch, new Rng(11));
        for (int i = 0; i < m.Store.Parameters.Count; i++)
        {
            var p = m.Store.Parameters[i];
            GradCheck.Check(p.Name, Loss, m.Store.Values, p.Offset, p.Value.Length, grads[i], samples: 8, h: 3e-3f, atol: 2e-6);
        }
    }

    /// <summary>The check is sensitive: a 1 % error in one tensor's gradient fails it.</summary>
    [Theory]
    [InlineData(2)]
    [InlineData(20)]
    public void OnePercentOffOneGradientFailsTheCheck(int call)
        => GradCheck.AssertOnePercentOffFails(GradientsWithAFixedMaskAreTheCentralDifferences, call);

    [Fact]
    public void TheMaskFollowsTheSeedAndEvaluationDoesNotDrop()
    {
        var m = Make(Small(dropout: 0.3f));
        var batch = Batch([4, 2, 3], [3, 4, 1], 5, seed: 7);
        double a = m.TrainStep(batch, new Rng(11)), b = m.TrainStep(batch, new Rng(11)), c = m.TrainStep(batch, new Rng(12));
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
        var plain = new TransformerSeq2SeqModel(m.Config with { Dropout = 0f });
        m.Store.Values.CopyTo(plain.Store.Values, 0);
        Assert.Equal(plain.Loss(batch), m.Loss(batch));
        Assert.Equal(plain.TrainStep(batch, new Rng(1)), m.Loss(batch), 12);
    }
}
