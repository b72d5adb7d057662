using Recur.Data.Language;

namespace Recur.Models.Sentiment;

/// <summary>A batch of reviews as ids: word ids <c>(T, B)</c> time-major (0 on padding), each review's length, its label.</summary>
/// <param name="Words">Word ids, time-major <c>(T, B)</c>.</param>
/// <param name="Lengths">Tokens of each review <c>(B)</c>, at least 1.</param>
/// <param name="Labels">Each review's class <c>(B)</c> (1 positive), or null when classifying.</param>
public sealed record SentimentBatch(int[] Words, int[] Lengths, int[]? Labels)
{
    /// <summary>Reviews <c>B</c>.</summary>
    public int Batch => Lengths.Length;

    /// <summary>Steps <c>T</c> (the longest review).</summary>
    public int Steps => Words.Length / Math.Max(1, Lengths.Length);

    /// <summary>Texts as a batch to classify (no labels); a text without a token is refused.</summary>
    public static SentimentBatch Encode(IReadOnlyList<string> texts, SentimentVocabulary vocabulary, int maxTokens)
    {
        ArgumentNullException.ThrowIfNull(texts);
        ArgumentNullException.ThrowIfNull(vocabulary);
        var ids = texts.Select(t => vocabulary.Encode(t, maxTokens)).ToArray();
        for (int i = 0; i < ids.Length; i++)
            if (ids[i].Length == 0) throw new ArgumentException($"text {i + 1} has no words to classify.");
        return Pack(ids, null);
    }

    /// <summary>Rows of ids padded into <c>(T, B)</c>.</summary>
    internal static SentimentBatch Pack(IReadOnlyList<int[]> rows, int[]? labels)
    {
        int B = rows.Count, T = Math.Max(1, rows.Max(r => r.Length));
        var words = new int[T * B];
        var lengths = new int[B];
        for (int b = 0; b < B; b++)
        {
            lengths[b] = rows[b].Length;
            for (int t = 0; t < rows[b].Length; t++) words[t * B + b] = rows[b][t];
        }
        return new SentimentBatch(words, lengths, labels);
    }
}

/// <summary>Labelled reviews ready for a <see cref="SentimentClassifier"/>: each cut to its first <c>maxTokens</c> tokens and encoded once.</summary>
public sealed class SentimentDataset
{
    private readonly int[][] _ids;

    /// <summary>The reviews, encoded with <paramref name="vocabulary"/>; a review without a token is kept as one <c>&lt;unk&gt;</c>.</summary>
    public SentimentDataset(IReadOnlyList<Review> reviews, SentimentVocabulary vocabulary, int maxTokens)
    {
        ArgumentNullException.ThrowIfNull(reviews);
        ArgumentNullException.ThrowIfNull(vocabulary);
        Reviews = reviews; Vocabulary = vocabulary;
        _ids = [.. reviews.Select(r => vocabulary.Encode(r.Text, maxTokens) is { Length: > 0 } ids ? ids : [SentimentVocabulary.Unknown])];
    }

    public IReadOnlyList<Review> Reviews { get; }
    public SentimentVocabulary Vocabulary { get; }
    public int Count => Reviews.Count;

    /// <summary>Each review's length in tokens, as read.</summary>
    public IReadOnlyList<int> Lengths => [.. _ids.Select(x => x.Length)];

    /// <summary>Tokens read of all reviews.</summary>
    public long Tokens => _ids.Sum(x => (long)x.Length);

    /// <summary>Reviews <paramref name="indices"/> as a padded batch with their labels.</summary>
    public SentimentBatch Batch(ReadOnlySpan<int> indices)
    {
        var rows = new int[indices.Length][];
        var labels = new int[indices.Length];
        for (int b = 0; b < indices.Length; b++) { rows[b] = _ids[indices[b]]; labels[b] = Reviews[indices[b]].Label; }
        return SentimentBatch.Pack(rows, labels);
    }
}
