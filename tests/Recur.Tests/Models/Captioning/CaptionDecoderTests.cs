using Recur.Models.Captioning;
using Xunit;

namespace Recur.Tests.Models.Captioning;

public sealed class CaptionDecoderTests
{
    private static (ICaptioner Model, Tensor Features, CaptionVocabulary Vocab) Random(string kind, int maxWords = 12, int images = 4, ulong seed = 5)
    {
        var vocab = CaptionVocabulary.Grammar();
        var m = Captioners.Create(new CaptionerConfig { Kind = kind, Vocab = vocab.Count, Embed = 8, Hidden = 16, GridRows = 2, GridCols = 2, FeatureDim = 6, AttentionDim = 8, MaxWords = maxWords });
        var rng = new Rng(seed);
        m.Reset(rng);
        // Larger head weights than the default so that the words are not all alike.
        foreach (var p in m.Store.Parameters) for (int i = 0; i < p.Length; i++) p.Value[i] *= 3;
        return (m, Tensor.Randn(rng, 1f, images, 4, 6), vocab);
    }

    private static Tensor One(Tensor f, int i) => new(f.Data.AsSpan(i * 24, 24).ToArray(), 1, 4, 6);

    [Theory]
    [InlineData("rnn")]
    [InlineData("lstm")]
    [InlineData("attention")]
    public void BeamOfOneIsGreedyAndBatchingDoesNotMatter(string kind)
    {
        var (m, f, vocab) = Random(kind);
        var greedy = CaptionDecoder.Greedy(m, f, vocab);
        for (int i = 0; i < f.Shape[0]; i++)
        {
            var single = CaptionDecoder.Greedy(m, One(f, i), vocab)[0];
            Assert.Equal(greedy[i].Text, single.Text);
            Assert.Equal(greedy[i].LogProbability, single.LogProbability, 5);
            var beam = CaptionDecoder.Beam(m, One(f, i), vocab, 1, alpha: 0);
            Assert.Equal(greedy[i].Ids, beam.Ids);
            if (kind == "attention") Assert.Equal(greedy[i].Ids.Length, greedy[i].Attention.Count);
            else Assert.Empty(greedy[i].Attention);
        }
    }

    /// <summary>Log-probability of a whole token sequence (ending with END) under the model, by stepping it.</summary>
    private static double LogProb(ICaptioner m, Tensor f, int[] tokens)
    {
        var s = m.Begin(f);
        int prev = CaptionVocabulary.Start;
        double lp = 0;
        foreach (int t in tokens)
        {
            var logits = s.Step([prev]).ToArray();
            double max = logits.Max(), sum = logits.Sum(x => Math.Exp(x - max));
            lp += logits[t] - max - Math.Log(sum);
            prev = t;
        }
        return lp;
    }

    [Theory]
    [InlineData("lstm", 0.0)]
    [InlineData("attention", 0.0)]
    [InlineData("attention", 1.0)]
    public void AWideBeamFindsTheBestCaptionOfAllAtTwoWords(string kind, double alpha)
    {
        // With at most 2 words, every caption is END, w END or w w' END: enumerate them all.
        var (m, f, vocab) = Random(kind, maxWords: 2, images: 1, seed: 9);
        var words = Enumerable.Range(CaptionVocabulary.Unknown, vocab.Count - CaptionVocabulary.Unknown).ToArray();
        var all = new List<int[]> { new[] { CaptionVocabulary.End } };
        all.AddRange(words.Select(w => new[] { w, CaptionVocabulary.End }));
        all.AddRange(words.SelectMany(w => words.Select(w2 => new[] { w, w2, CaptionVocabulary.End })));
        var best = all.OrderByDescending(t => LogProb(m, f, t) / Math.Pow(t.Length, alpha)).First();
        var beam = CaptionDecoder.Beam(m, f, vocab, beam: vocab.Count * vocab.Count, alpha);
        Assert.Equal(best[..^1], beam.Ids);
        Assert.Equal(LogProb(m, f, best), beam.LogProbability, 4);
    }

    [Fact]
    public void SamplingIsSeededAndColdSamplingIsGreedy()
    {
        var (m, f, vocab) = Random("attention");
        var a = CaptionDecoder.Sample(m, f, vocab, 1f, new Rng(1)).Select(c => c.Text).ToArray();
        var b = CaptionDecoder.Sample(m, f, vocab, 1f, new Rng(1)).Select(c => c.Text).ToArray();
        Assert.Equal(a, b);
        var cold = CaptionDecoder.Sample(m, f, vocab, 1e-4f, new Rng(2)).Select(c => c.Text);
        Assert.Equal(CaptionDecoder.Greedy(m, f, vocab).Select(c => c.Text), cold);
        Assert.Throws<ArgumentOutOfRangeException>(() => CaptionDecoder.Sample(m, f, vocab, 0f, new Rng(1)));
        Assert.Throws<ArgumentException>(() => CaptionDecoder.Beam(m, f, vocab, 3));
    }
}
