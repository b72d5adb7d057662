namespace Recur.Tasks.Translate;

/// <summary>
/// chrF (Popović 2015) exactly as sacreBLEU 2 computes it (<c>sacrebleu/metrics/chrf.py</c>) with its defaults:
/// character n-grams of orders 1 to 6 (<see cref="CharOrder"/>) over each segment with every whitespace character taken
/// out (Unicode scalar values, as Python's strings), no word n-grams, β = 2. Per segment and order: the hypothesis's
/// n-grams (counted only when the reference has n-grams of that order), the reference's, and the matches (each n-gram
/// up to its count in the reference); with several references, the statistics of the one with the best segment score.
/// The corpus statistics are summed; the score averages precision and recall over the orders where both sides have
/// n-grams (sacreBLEU's "effective order") and is <c>100 (1+β²) P R / (β² P + R)</c>; with <c>eps_smoothing</c> it is
/// instead the mean of each order's F-score, an order without n-grams counting 1e-16 (chrF++.py's, Moses', NLTK's).
/// </summary>
public sealed class ChrF(int charOrder = 6, double beta = 2, bool whitespace = false, bool epsSmoothing = false)
{
    public int CharOrder { get; } = charOrder;
    public double Beta { get; } = beta;
    public bool Whitespace { get; } = whitespace;
    public bool EpsSmoothing { get; } = epsSmoothing;

    /// <summary>sacreBLEU's default chrF (the chrF2 of its signature <c>nc:6|nw:0|space:no</c>).</summary>
    public static ChrF Default { get; } = new();

    /// <summary>The corpus chrF (0 to 100) of <paramref name="hypotheses"/> against their <paramref name="references"/>.</summary>
    public double Corpus(IReadOnlyList<string> hypotheses, IReadOnlyList<IReadOnlyList<string>> references)
    {
        ArgumentNullException.ThrowIfNull(hypotheses);
        ArgumentNullException.ThrowIfNull(references);
        if (hypotheses.Count != references.Count) throw new ArgumentException($"{hypotheses.Count} hypotheses but {references.Count} reference sets.");
        var sum = new long[3 * CharOrder];
        for (int i = 0; i < hypotheses.Count; i++)
        {
            var refs = references[i].Where(r => !string.IsNullOrEmpty(r)).ToList();
            if (refs.Count == 0) throw new ArgumentException($"segment {i} has no reference (an empty reference is left out).");
            var hyp = Ngrams(hypotheses[i]);
            long[]? best = null;
            double bestScore = -1;
            foreach (var r in refs)
            {
                var stats = Statistics(hyp, Ngrams(r));
                double f = Score(stats);
                if (f > bestScore) { bestScore = f; best = stats; }
            }
            for (int k = 0; k < sum.Length; k++) sum[k] += best![k];
        }
        return Score(sum);
    }

    /// <summary>The score of summed statistics: per order (hypothesis n-grams, reference n-grams, matches).</summary>
    public double Score(IReadOnlyList<long> statistics)
    {
        ArgumentNullException.ThrowIfNull(statistics);
        const double eps = 1e-16;
        double factor = Beta * Beta, score = 0, avgPrecision = 0, avgRecall = 0;
        int effective = 0;
        for (int i = 0; i < CharOrder; i++)
        {
            long nHyp = statistics[3 * i], nRef = statistics[3 * i + 1], nMatch = statistics[3 * i + 2];
            double precision = nHyp > 0 ? (double)nMatch / nHyp : eps;
            double recall = nRef > 0 ? (double)nMatch / nRef : eps;
            double denominator = factor * precision + recall;
            score += denominator > 0 ? (1 + factor) * precision * recall / denominator : eps;
            if (nHyp > 0 && nRef > 0) { avgPrecision += precision; avgRecall += recall; effective++; }
        }
        if (EpsSmoothing) return 100 * score / CharOrder;
        if (effective == 0) return 0.0;
        avgPrecision /= effective;
        avgRecall /= effective;
        if (avgPrecision + avgRecall == 0) return 0.0;
        return 100 * (1 + factor) * avgPrecision * avgRecall / (factor * avgPrecision + avgRecall);
    }

    private long[] Statistics(List<Dictionary<string, int>> hyp, List<Dictionary<string, int>> reference)
    {
        var stats = new long[3 * CharOrder];
        for (int n = 0; n < CharOrder; n++)
        {
            long match = 0, count = 0;
            foreach (var (g, c) in hyp[n])
            {
                count += c;
                if (reference[n].TryGetValue(g, out int rc)) match += Math.Min(c, rc);
            }
            stats[3 * n] = reference[n].Count > 0 ? count : 0;
            stats[3 * n + 1] = reference[n].Values.Sum();
            stats[3 * n + 2] = match;
        }
        return stats;
    }

    /// <summary>Character n-grams of orders 1 to <see cref="CharOrder"/>, over Unicode scalar values.</summary>
    private List<Dictionary<string, int>> Ngrams(string line)
    {
        if (!Whitespace) line = PythonText.WithoutSpaces(line);
        var starts = new List<int>();
        for (int i = 0; i < line.Length; i += char.IsHighSurrogate(line[i]) && i + 1 < line.Length && char.IsLowSurrogate(line[i + 1]) ? 2 : 1)
            starts.Add(i);
        starts.Add(line.Length);
        int chars = starts.Count - 1;
        var all = new List<Dictionary<string, int>>(CharOrder);
        for (int n = 1; n <= CharOrder; n++)
        {
            var grams = new Dictionary<string, int>(StringComparer.Ordinal);
            for (int i = 0; i + n <= chars; i++)
            {
                string g = line[starts[i]..starts[i + n]];
                grams[g] = grams.GetValueOrDefault(g) + 1;
            }
            all.Add(grams);
        }
        return all;
    }
}
