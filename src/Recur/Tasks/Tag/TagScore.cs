using Recur.Models.Tagging;
using Recur.Nn;

namespace Recur.Tasks.Tag;

/// <summary>
/// The tags a tagger gave a set of sentences: per sentence the true tag ids and the predicted ones (one per word), and
/// the cross-entropy summed over every token.
/// </summary>
public sealed record TaggedSentences(double TotalLoss, IReadOnlyList<int[]> Gold, IReadOnlyList<int[]> Predicted)
{
    /// <summary>Words of sentence <paramref name="i"/> tagged wrong.</summary>
    public int WrongIn(int i) => Gold[i].Where((g, t) => Predicted[i][t] != g).Count();
}

/// <summary>How a tagger did on a set of sentences.</summary>
/// <param name="Loss">Mean cross-entropy per token.</param>
/// <param name="Accuracy">Tokens tagged right.</param>
/// <param name="Tokens">Tokens scored.</param>
/// <param name="UnseenAccuracy">Accuracy on the tokens whose word (lower-cased) never occurs in training.</param>
/// <param name="Unseen">Such tokens.</param>
/// <param name="Confusion">Counts <c>[true tag, predicted tag]</c>.</param>
public sealed record TagScore(double Loss, double Accuracy, long Tokens, double UnseenAccuracy, long Unseen, long[,] Confusion)
{
    /// <summary>
    /// Scores <paramref name="model"/> on <paramref name="set"/> in batches of 64 sentences; <paramref name="seen"/>
    /// holds the training words (lower case).
    /// </summary>
    public static TagScore Of(Tagger model, TagDataset set, IReadOnlySet<string> seen)
    {
        ArgumentNullException.ThrowIfNull(model);
        return Of(Tag(model, set), set, seen, model.Config.Tags);
    }

    /// <summary>The score of the tags <paramref name="tagged"/> gave the sentences of <paramref name="set"/>, of <paramref name="tags"/> tags.</summary>
    public static TagScore Of(TaggedSentences tagged, TagDataset set, IReadOnlySet<string> seen, int tags)
    {
        ArgumentNullException.ThrowIfNull(tagged);
        ArgumentNullException.ThrowIfNull(set);
        ArgumentNullException.ThrowIfNull(seen);
        var words = set.Sentences.SelectMany((s, i) => s.Words.Take(tagged.Gold[i].Length)).ToArray();
        return FromPredictions(tagged.TotalLoss, [.. tagged.Gold.SelectMany(g => g)], [.. tagged.Predicted.SelectMany(p => p)], words, seen, tags);
    }

    /// <summary>
    /// The tags <paramref name="model"/> gives every sentence of <paramref name="set"/> (the highest-scoring tag of each
    /// word), in batches of 64 sentences, with the true ones and the cross-entropy summed over the tokens.
    /// </summary>
    public static TaggedSentences Tag(Tagger model, TagDataset set)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(set);
        int K = model.Config.Tags;
        var gold = new int[set.Count][];
        var predicted = new int[set.Count][];
        double loss = 0;
        for (int start = 0; start < set.Count; start += 64)
        {
            int n = Math.Min(64, set.Count - start);
            var idx = Enumerable.Range(start, n).ToArray();
            var batch = set.Batch(idx);
            var logits = model.Forward(batch); // (Steps * n, K), row t * n + b
            long count = batch.Lengths.Sum();
            loss += SoftmaxCrossEntropy.Loss<float>(logits.Data, batch.Steps * batch.Batch, K, batch.Targets!) * count;
            for (int b = 0; b < n; b++)
            {
                int length = batch.Lengths[b];
                gold[start + b] = new int[length];
                predicted[start + b] = new int[length];
                for (int t = 0; t < length; t++)
                {
                    int row = t * n + b;
                    gold[start + b][t] = batch.Targets![row];
                    predicted[start + b][t] = System.Numerics.Tensors.TensorPrimitives.IndexOfMax(logits.Data.AsSpan(row * K, K));
                }
            }
        }
        return new TaggedSentences(loss, gold, predicted);
    }

    /// <summary>
    /// The score of <paramref name="predicted"/> tags against <paramref name="gold"/> ones, one per token, the tokens'
    /// words in <paramref name="words"/>: accuracy, and accuracy on the words (lower-cased) that <paramref name="seen"/>
    /// lacks; <paramref name="totalLoss"/> is the cross-entropy summed over the tokens.
    /// </summary>
    public static TagScore FromPredictions(double totalLoss, IReadOnlyList<int> gold, IReadOnlyList<int> predicted, IReadOnlyList<string> words,
        IReadOnlySet<string> seen, int tags)
    {
        ArgumentNullException.ThrowIfNull(gold);
        ArgumentNullException.ThrowIfNull(predicted);
        ArgumentNullException.ThrowIfNull(words);
        ArgumentNullException.ThrowIfNull(seen);
        if (predicted.Count != gold.Count || words.Count != gold.Count)
            throw new ArgumentException($"{gold.Count} gold tags, {predicted.Count} predicted and {words.Count} words.", nameof(predicted));
        var confusion = new long[tags, tags];
        long tokens = gold.Count, right = 0, unseen = 0, unseenRight = 0;
        for (int i = 0; i < gold.Count; i++)
        {
            confusion[gold[i], predicted[i]]++;
            bool ok = predicted[i] == gold[i];
            if (ok) right++;
            if (!seen.Contains(words[i].ToLowerInvariant())) { unseen++; if (ok) unseenRight++; }
        }
        return new TagScore(tokens == 0 ? double.NaN : totalLoss / tokens, tokens == 0 ? double.NaN : (double)right / tokens, tokens,
            unseen == 0 ? double.NaN : (double)unseenRight / unseen, unseen, confusion);
    }
}
