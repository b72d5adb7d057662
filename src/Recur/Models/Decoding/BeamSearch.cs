namespace Recur.Models.Decoding;

/// <summary>
/// A hypothesis of a beam search: its tokens (without start and end), each step's attention (empty without
/// attention), its log-probability (the end token included once reached) and its length-normalised score.
/// </summary>
public sealed record Hypothesis(IReadOnlyList<int> Tokens, IReadOnlyList<float[]> Attention, double LogProbability, double Score, bool Finished);

/// <summary>
/// Beam search with length normalisation, shared by every decoder of the project: keeps the <c>k</c> most probable
/// prefixes; a prefix that emits the end token is finished with the score <c>log p / n^α</c>, <c>n</c> its tokens with
/// the end one (α = 0: plain log-probability; α = 1: per token); the search stops when <c>k</c> hypotheses have finished
/// or after <c>maxTokens</c> tokens, where only the end token may follow. Ties break by parent, then token id, so the
/// result is deterministic.
/// </summary>
public static class BeamSearch
{
    /// <summary>
    /// The <paramref name="nbest"/> best hypotheses (finished first, by score) of a decoder started by
    /// <paramref name="begin"/> with <paramref name="beam"/> identical rows; <paramref name="never"/> are tokens never
    /// proposed (padding, the start token).
    /// </summary>
    public static IReadOnlyList<Hypothesis> Search(Func<int, IDecoderStepper> begin, int vocab, int start, int end, int maxTokens, int beam,
        double alpha = 1.0, int nbest = 1, IReadOnlyCollection<int>? never = null)
    {
        ArgumentNullException.ThrowIfNull(begin);
        if (beam < 1) throw new ArgumentOutOfRangeException(nameof(beam), beam, "the beam width must be at least 1.");
        if (nbest < 1 || nbest > beam) throw new ArgumentOutOfRangeException(nameof(nbest), nbest, $"n-best must be in [1, beam {beam}].");
        int k = beam;
        var stepper = begin(k);
        var beams = new List<Hypothesis> { new([], [], 0, 0, false) };
        var finished = new List<Hypothesis>();
        var previous = new int[k];
        Array.Fill(previous, start);
        var logsm = new float[vocab];
        for (int step = 0; step <= maxTokens && beams.Count > 0; step++)
        {
            var logits = stepper.Step(previous);
            var attention = stepper.Attention;
            int L = attention.IsEmpty ? 0 : attention.Length / k;
            var candidates = new List<(double LogP, int Parent, int Token)>();
            for (int b = 0; b < beams.Count; b++)
            {
                LogSoftmax(logits.Slice(b * vocab, vocab), logsm);
                if (step == maxTokens) { candidates.Add((beams[b].LogProbability + logsm[end], b, end)); continue; }
                AddBest(candidates, logsm, beams[b].LogProbability, b, 2 * k, never);
            }
            candidates.Sort((x, y) => y.LogP.CompareTo(x.LogP) is int c && c != 0 ? c
                : x.Parent != y.Parent ? x.Parent.CompareTo(y.Parent) : x.Token.CompareTo(y.Token));
            var next = new List<Hypothesis>();
            var parents = new List<int>();
            foreach (var (lp, parent, token) in candidates)
            {
                if (next.Count == k) break;
                var h = beams[parent];
                if (token == end)
                {
                    finished.Add(h with { LogProbability = lp, Score = lp / Math.Pow(h.Tokens.Count + 1, alpha), Finished = true });
                    continue;
                }
                var maps = L == 0 ? h.Attention : [.. h.Attention, attention.Slice(parent * L, L).ToArray()];
                next.Add(new Hypothesis([.. h.Tokens, token], maps, lp, lp / Math.Pow(h.Tokens.Count + 2, alpha), false));
                parents.Add(parent);
            }
            if (finished.Count >= k) break;
            beams = next;
            if (beams.Count == 0) break;
            var rows = new int[k];
            for (int b = 0; b < k; b++) rows[b] = parents[Math.Min(b, parents.Count - 1)];
            stepper.Select(rows);
            for (int b = 0; b < k; b++) previous[b] = beams[Math.Min(b, beams.Count - 1)].Tokens[^1];
        }
        return [.. finished.OrderByDescending(h => h.Score).Concat(beams.OrderByDescending(h => h.Score)).Take(nbest)];
    }

    /// <summary>
    /// Adds to <paramref name="candidates"/> the <paramref name="count"/> best continuations of one beam (<c>logP + logsm[v]</c>
    /// descending, ties by token), tokens of <paramref name="never"/> and of probability 0 left out. A step keeps at most k continuations and meets at
    /// most one end token per beam, so the 2k best of each beam hold every candidate the full sort would reach: the search is
    /// the same as over all <c>k V</c> candidates, without sorting them.
    /// </summary>
    private static void AddBest(List<(double LogP, int Parent, int Token)> candidates, float[] logsm, double logP, int parent, int count,
        IReadOnlyCollection<int>? never)
    {
        var best = new (double LogP, int Token)[count];
        int n = 0;
        for (int v = 0; v < logsm.Length; v++)
        {
            if (never is not null && never.Contains(v)) continue;
            double lp = logP + logsm[v];
            if (double.IsNegativeInfinity(lp)) continue; // a token the decoder rules out (a constraint's -inf) is no candidate
            if (n == count && lp <= best[n - 1].LogP) continue; // a later token never wins a tie
            int at = n < count ? n++ : n - 1;
            while (at > 0 && best[at - 1].LogP < lp) { best[at] = best[at - 1]; at--; }
            best[at] = (lp, v);
        }
        for (int i = 0; i < n; i++) candidates.Add((best[i].LogP, parent, best[i].Token));
    }

    /// <summary><c>log softmax(row)</c> into <paramref name="output"/>.</summary>
    public static void LogSoftmax(ReadOnlySpan<float> row, Span<float> output)
    {
        float max = System.Numerics.Tensors.TensorPrimitives.Max(row);
        double sum = 0;
        foreach (float x in row) sum += Math.Exp(x - max);
        float log = (float)Math.Log(sum);
        for (int v = 0; v < row.Length; v++) output[v] = row[v] - max - log;
    }
}
