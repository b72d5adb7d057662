using Recur.Data.Language;
using Recur.Models.Sentiment;
using Recur.Nn;
using Recur.Tasks.Sentiment;
using Recur.Tests.TestUtil;
using Recur.Training;
using Xunit;

namespace Recur.Tests.Models.Sentiment;

/// <summary>The vocabulary, the classifier's gradients under both poolings, and the accuracy worked by hand.</summary>
public sealed class SentimentClassifierTests
{
    private static readonly Review[] Tiny =
    [
        new("A great film, great acting!", 1), new("Awful. Just awful.", 0), new("great fun", 1), new("the plot was awful and dull", 0),
    ];

    [Fact]
    public void VocabularyKeepsTrainingWordsSeenOftenEnoughAndCutsReviews()
    {
        // worked by hand: "great" 3, "awful" 3, "." 2, every other token once; ordinal order puts "." first
        var v = SentimentVocabulary.Build(Tiny.Select(r => r.Text), minCount: 2, maxTokens: 400);
        Assert.Equal(["<pad>", "<unk>", ".", "awful", "great"], v.Words);
        Assert.Equal([4, 1, 1, 1], v.Encode("Great plot, A", 400));
        Assert.Equal([4, 1], v.Encode("Great plot, A", 2));
        // only the first two tokens of each review count: a great | awful . | great fun | the plot
        var cut = SentimentVocabulary.Build(Tiny.Select(r => r.Text), minCount: 2, maxTokens: 2);
        Assert.Equal(["<pad>", "<unk>", "great"], cut.Words);
        Assert.Throws<ArgumentException>(() => SentimentVocabulary.Build(["one two"], minCount: 2, maxTokens: 10));
    }

    [Fact]
    public void OnePercentOffOneGradientFailsTheCheck() => GradCheck.AssertOnePercentOffFails(() => GradientsMatchCentralDifferences("max", 1));

    /// <remarks>
    /// Max pooling is not smooth where two steps of a feature tie: a central difference that straddles such a switch is wrong
    /// (seeds 3, 5 and 7 fail the check on one weight each, the difference moving toward the analytic gradient as h shrinks, as
    /// at such a switch; 1, 2, 4 and 6 pass), so the max case uses a seed whose sampled weights are away from every switch.
    /// Mean pooling is smooth.
    /// </remarks>
    [Theory]
    [InlineData("max", 1)]
    [InlineData("mean", 3)]
    public void GradientsMatchCentralDifferences(string pooling, int seed)
    {
        var v = SentimentVocabulary.Build(Tiny.Select(r => r.Text), minCount: 1, maxTokens: 400);
        var set = new SentimentDataset(Tiny, v, maxTokens: 5);
        var batch = set.Batch([0, 1, 2, 3]);
        Assert.NotEqual(batch.Lengths[0], batch.Lengths[2]); // packed: different lengths
        var m = new SentimentClassifier(new SentimentConfig { Words = v.Words.Count, Embed = 3, Hidden = 4, Pooling = pooling, MaxTokens = 5 });
        var rng = new Rng((ulong)seed);
        m.Reset(rng);
        m.TrainStep(batch, rng);
        var grads = (float[])m.Store.Grads.Clone();
        double Loss() => SoftmaxCrossEntropy.Loss<float>(m.Forward(batch).Data, batch.Batch, 2, batch.Labels!);
        foreach (var p in m.Store.Parameters)
            GradCheck.Check(p.Name, Loss, m.Store.Values, p.Offset, p.Length, grads.AsSpan(p.Offset, p.Length), samples: 8, h: 1e-2f);
    }

    [Fact]
    public void AccuracyAndConfusionAreCountedAsWorkedByHand()
    {
        // labels 1 1 0 0 1; predicted (p > 0.5) 1 0 0 1 1 (0.5 itself is negative): right 3 of 5
        var s = SentimentScore.FromProbabilities(2.5, [1, 1, 0, 0, 1], [0.9f, 0.5f, 0.1f, 0.7f, 0.51f]);
        Assert.Equal(0.6, s.Accuracy, 12);
        Assert.Equal(0.4, s.Error, 12);
        Assert.Equal(0.5, s.Loss, 12);
        Assert.Equal(5, s.Reviews);
        Assert.Equal((1L, 1L, 1L, 2L), (s.Confusion[0, 0], s.Confusion[0, 1], s.Confusion[1, 0], s.Confusion[1, 1]));
        Assert.Throws<ArgumentException>(() => SentimentScore.FromProbabilities(0, [2], [0.5f]));
    }

    [Fact]
    public void LearnsToTellTheTinyReviewsApartAndRefusesAnEmptyText()
    {
        var v = SentimentVocabulary.Build(Tiny.Select(r => r.Text), minCount: 1, maxTokens: 400);
        var set = new SentimentDataset(Tiny, v, maxTokens: 400);
        var m = new SentimentClassifier(new SentimentConfig { Words = v.Words.Count, Embed = 8, Hidden = 8 });
        var rng = new Rng(4);
        m.Reset(rng);
        var adam = new Adam(m.Store, 2e-2);
        for (int it = 0; it < 60; it++)
        {
            m.TrainStep(set.Batch([0, 1, 2, 3]), rng);
            GradClip.ClipByNorm(m.Store.Grads, 5);
            adam.Step();
        }
        var (score, positive) = SentimentScore.Of(m, set);
        Assert.Equal(1.0, score.Accuracy);
        Assert.True(positive[0] > 0.5f && positive[1] < 0.5f, string.Join(", ", positive));
        var e = Assert.Throws<ArgumentException>(() => SentimentBatch.Encode(["great", "  "], v, 400));
        Assert.Contains("no words", e.Message);
    }
}
