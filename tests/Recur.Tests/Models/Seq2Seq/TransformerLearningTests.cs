using System.Diagnostics;
using Recur.Models.Decoding;
using Recur.Models.Seq2Seq;
using Recur.Training;
using Xunit;
using Xunit.Abstractions;

namespace Recur.Tests.Models.Seq2Seq;

/// <summary>
/// The Transformer learns to reverse short sequences within a few seconds: trained with Adam on random sequences of 3 to 6
/// letters, it writes held-out sequences reversed, read by greedy decoding and by beam search through its step-by-step
/// decoder. Attention is what makes this possible (the last letter written first), so it also checks the cross-attention path.
/// </summary>
public sealed class TransformerLearningTests(ITestOutputHelper output)
{
    private const int Letters = 8, MaxLength = 6;

    /// <summary>Sources (letter ids 2..9, time-major) and their reversals as targets (ids 3..10 with start and end).</summary>
    private static (Seq2SeqBatch Batch, int[][] Words) Reversals(Rng rng, int count)
    {
        var words = new int[count][];
        for (int i = 0; i < count; i++)
        {
            words[i] = new int[3 + rng.NextInt(MaxLength - 2)];
            for (int t = 0; t < words[i].Length; t++) words[i][t] = rng.NextInt(Letters);
        }
        int Ts = words.Max(w => w.Length), W = MaxLength + 2;
        var src = new int[Ts * count];
        var tgt = new int[count * W];
        for (int b = 0; b < count; b++)
        {
            var w = words[b];
            for (int t = 0; t < w.Length; t++) src[t * count + b] = 2 + w[t];
            tgt[b * W] = Seq2SeqModel.Start;
            for (int t = 0; t < w.Length; t++) tgt[b * W + 1 + t] = 3 + w[w.Length - 1 - t];
            tgt[b * W + w.Length + 1] = Seq2SeqModel.End;
        }
        return (new Seq2SeqBatch(src, [.. words.Select(w => w.Length)], tgt), words);
    }

    private static bool IsReversal(IReadOnlyList<int> tokens, int[] word)
        => tokens.SequenceEqual(word.Reverse().Select(l => 3 + l));

    [Fact]
    public void ItLearnsToReverseSequencesInAFewSeconds()
    {
        var m = new TransformerSeq2SeqModel(new TransformerSeq2SeqConfig
        {
            SourceVocab = 2 + Letters, TargetVocab = 3 + Letters, DModel = 32, Heads = 4, EncoderLayers = 1, DecoderLayers = 1,
            FeedForward = 64, Dropout = 0f, MaxTarget = MaxLength,
        });
        var rng = new Rng(1);
        m.Reset(rng);
        var adam = new Adam(m.Store, 5e-3);
        var clock = Stopwatch.StartNew();
        double first = 0, last = 0;
        const int Steps = 800;
        for (int step = 0; step < Steps; step++)
        {
            double loss = m.TrainStep(Reversals(rng, 32).Batch, rng);
            adam.Step();
            if (step == 0) first = loss;
            last = loss;
        }
        var (held, words) = Reversals(new Rng(99), 100);
        int[] never = [Seq2SeqModel.Pad, Seq2SeqModel.Start];
        var greedy = GreedyDecoder.Decode(m.Begin(held), m.TargetVocab, Seq2SeqModel.Start, Seq2SeqModel.End, m.MaxTarget, never);
        double accuracy = greedy.Select((r, i) => IsReversal(r.Tokens, words[i])).Count(ok => ok) / (double)words.Length;
        int beamRight = 0;
        for (int i = 0; i < 20; i++)
        {
            var word = words[i];
            var one = new Seq2SeqBatch([.. word.Select(l => 2 + l)], [word.Length], null);
            IDecoderStepper Begin(int k) => m.Begin(new Seq2SeqBatch([.. one.Source.SelectMany(id => Enumerable.Repeat(id, k))],
                [.. Enumerable.Repeat(word.Length, k)], null));
            var best = BeamSearch.Search(Begin, m.TargetVocab, Seq2SeqModel.Start, Seq2SeqModel.End, m.MaxTarget, 3, never: never)[0];
            if (IsReversal(best.Tokens, word)) beamRight++;
            Assert.Equal(best.Tokens.Count, best.Attention.Count);
        }
        output.WriteLine($"loss {first:F3} -> {last:F3} in {Steps} steps, {clock.Elapsed.TotalSeconds:F1} s; "
            + $"greedy exact {accuracy:P0}, beam 3 exact {beamRight}/20");
        Assert.True(last < 0.1 * first, $"the loss fell from {first:F3} only to {last:F3}");
        Assert.True(accuracy >= 0.9, $"greedy decoding reversed only {accuracy:P0} of held-out sequences");
        Assert.True(beamRight >= 18, $"beam search reversed only {beamRight} of 20");
    }
}
