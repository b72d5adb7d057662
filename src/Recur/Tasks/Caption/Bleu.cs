namespace Recur.Tasks.Caption;

/// <summary>BLEU-1 to BLEU-4 of a corpus, and the parts they are made of.</summary>
/// <param name="Scores">BLEU-n for n = 1..4 (index n - 1).</param>
/// <param name="Precisions">The clipped n-gram precisions p_n, n = 1..4.</param>
/// <param name="BrevityPenalty">BP = 1 when the candidates are longer than the references, else exp(1 - r/c).</param>
/// <param name="CandidateLength">c: words in all candidates.</param>
/// <param name="ReferenceLength">r: the sum over sentences of the reference length closest to the candidate's.</param>
public sealed record BleuScore(double[] Scores, double[] Precisions, double BrevityPenalty, long CandidateLength, long ReferenceLength);

/// <summary>
/// Corpus-level BLEU as Papineni et al. (2002) define it: for each n, the candidates' n-gram counts clipped by the
/// largest count of that n-gram in any one reference of the same sentence, summed over the corpus, over all candidate
/// n-grams: <c>p_n</c>; the brevity penalty from the total candidate length <c>c</c> and the effective reference length
/// <c>r</c> (per sentence the reference length closest to the candidate's, the shorter on a tie);
/// <c>BLEU-N = BP exp(Σ_{n≤N} log p_n / N)</c>, 0 when any <c>p_n</c> is 0 (no smoothing), as NLTK's <c>corpus_bleu</c>.
/// </summary>
public static class Bleu
{
    /// <summary>
    /// The score of <paramref name="candidates"/> (word lists) against <paramref name="references"/> (per candidate,
    /// one or more word lists).
    /// </summary>
    public static BleuScore Corpus(IReadOnlyList<IReadOnlyList<string>> candidates, IReadOnlyList<IReadOnlyList<IReadOnlyList<string>>> references)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        ArgumentNullException.ThrowIfNull(references);
        if (candidates.Count != references.Count) throw new ArgumentException($"{candidates.Count} candidates but {references.Count} reference sets.");
        var matched = new long[4];
        var total = new long[4];
        long c = 0, r = 0;
        for (int s = 0; s < candidates.Count; s++)
        {
            var cand = candidates[s];
            var refs = references[s];
            if (refs.Count == 0) throw new ArgumentException($"sentence {s} has no reference.");
            c += cand.Count;
            r += refs.Select(x => x.Count).OrderBy(len => Math.Abs(len - cand.Count)).ThenBy(len => len).First();
            for (int n = 1; n <= 4; n++)
            {
                var counts = NGrams(cand, n);
                var maxRef = new Dictionary<string, int>(StringComparer.Ordinal);
                foreach (var reference in refs)
                    foreach (var (gram, count) in NGrams(reference, n))
                        maxRef[gram] = Math.Max(maxRef.GetValueOrDefault(gram), count);
                foreach (var (gram, count) in counts) matched[n - 1] += Math.Min(count, maxRef.GetValueOrDefault(gram));
                total[n - 1] += Math.Max(0, cand.Count - n + 1);
            }
        }
        var p = new double[4];
        for (int n = 0; n < 4; n++) p[n] = total[n] == 0 ? 0 : (double)matched[n] / total[n];
        double bp = c == 0 ? 0 : c > r ? 1 : Math.Exp(1 - (double)r / c);
        var scores = new double[4];
        for (int n = 1; n <= 4; n++)
        {
            double logSum = 0;
            bool zero = false;
            for (int k = 0; k < n; k++) { if (p[k] == 0) { zero = true; break; } logSum += Math.Log(p[k]); }
            scores[n - 1] = zero ? 0 : bp * Math.Exp(logSum / n);
        }
        return new BleuScore(scores, p, bp, c, r);
    }

    /// <summary>Corpus BLEU of space-separated sentences.</summary>
    public static BleuScore Corpus(IReadOnlyList<string> candidates, IReadOnlyList<IReadOnlyList<string>> references)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        ArgumentNullException.ThrowIfNull(references);
        return Corpus([.. candidates.Select(Words)], [.. references.Select(rs => (IReadOnlyList<IReadOnlyList<string>>)[.. rs.Select(Words)])]);
    }

    private static IReadOnlyList<string> Words(string s) => s.Split(' ', StringSplitOptions.RemoveEmptyEntries);

    private static Dictionary<string, int> NGrams(IReadOnlyList<string> words, int n)
    {
        var d = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i + n <= words.Count; i++)
        {
            string key = string.Join('\u0001', Enumerable.Range(i, n).Select(j => words[j]));
            d[key] = d.GetValueOrDefault(key) + 1;
        }
        return d;
    }
}
