using Recur.Models.Sentiment;
using Recur.Nn;

namespace Recur.Tasks.Sentiment;

/// <summary>How a sentiment classifier did on a set of reviews.</summary>
/// <param name="Loss">Mean cross-entropy per review (nats).</param>
/// <param name="Accuracy">Reviews classified right (the more probable class; a tie, probability exactly 0.5, counts as negative).</param>
/// <param name="Reviews">Reviews scored.</param>
/// <param name="Confusion">Counts <c>[true class, predicted class]</c>, 0 negative and 1 positive.</param>
public sealed record SentimentScore(double Loss, double Accuracy, int Reviews, long[,] Confusion)
{
    /// <summary>Reviews classified wrong: <c>1 - accuracy</c>.</summary>
    public double Error => 1 - Accuracy;

    /// <summary>
    /// Scores <paramref name="model"/> on <paramref name="set"/> in batches of 64 reviews; also returns each review's
    /// probability of being positive.
    /// </summary>
    public static (SentimentScore Score, float[] Positive) Of(SentimentClassifier model, SentimentDataset set)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(set);
        var positive = new float[set.Count];
        var labels = new int[set.Count];
        double loss = 0;
        for (int start = 0; start < set.Count; start += 64)
        {
            int n = Math.Min(64, set.Count - start);
            var batch = set.Batch([.. Enumerable.Range(start, n)]);
            var logits = model.Forward(batch).Data;                   // (n, 2)
            loss += SoftmaxCrossEntropy.Loss<float>(logits, n, SentimentConfig.Classes, batch.Labels!) * n;
            for (int b = 0; b < n; b++)
            {
                positive[start + b] = 1f / (1f + MathF.Exp(logits[2 * b] - logits[2 * b + 1]));
                labels[start + b] = batch.Labels![b];
            }
        }
        return (FromProbabilities(loss, labels, positive), positive);
    }

    /// <summary>
    /// The score of <paramref name="positive"/> (each review's probability of being positive) against the true
    /// <paramref name="labels"/>; <paramref name="totalLoss"/> is the cross-entropy summed over the reviews.
    /// </summary>
    public static SentimentScore FromProbabilities(double totalLoss, IReadOnlyList<int> labels, IReadOnlyList<float> positive)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(positive);
        if (labels.Count != positive.Count) throw new ArgumentException($"{labels.Count} labels and {positive.Count} probabilities.", nameof(positive));
        var confusion = new long[2, 2];
        int right = 0;
        for (int i = 0; i < labels.Count; i++)
        {
            if (labels[i] is not (0 or 1)) throw new ArgumentException($"label {i} is {labels[i]}, not 0 or 1.", nameof(labels));
            int predicted = positive[i] > 0.5f ? 1 : 0;
            confusion[labels[i], predicted]++;
            if (predicted == labels[i]) right++;
        }
        int n = labels.Count;
        return new SentimentScore(n == 0 ? double.NaN : totalLoss / n, n == 0 ? double.NaN : (double)right / n, n, confusion);
    }
}
