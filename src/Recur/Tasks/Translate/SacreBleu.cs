using System.Text.RegularExpressions;

namespace Recur.Tasks.Translate;

/// <summary>
/// A corpus BLEU score as sacreBLEU reports it: the score (0 to 100), the matched and total n-grams per order, the
/// precisions (in percent, after smoothing), the brevity penalty and the hypothesis and reference lengths in tokens.
/// </summary>
public sealed record SacreBleuScore(double Score, long[] Counts, long[] Totals, double[] Precisions, double BrevityPenalty, long HypothesisLength,
    long ReferenceLength);

/// <summary>
/// Corpus-level BLEU exactly as sacreBLEU 2 (Post 2018, github.com/mjpost/sacrebleu, <c>sacrebleu/metrics/bleu.py</c>)
/// computes it by default: each segment right-stripped and tokenised by the <c>13a</c> tokenizer (mteval-v13a's, the
/// WMT standard; <see cref="Tokenize13a"/>), word n-grams of orders 1 to 4 split on whitespace, a hypothesis n-gram
/// matched up to its largest count in any one reference of its segment, statistics summed over the corpus, the
/// reference length per segment the closest to the hypothesis's (the shorter on a tie), the brevity penalty
/// <c>exp(1 - r/c)</c> when <c>c &lt; r</c> (0 when <c>c = 0</c>), and
/// <c>BLEU = BP · exp(Σ log p_n / 4)</c> with precisions in percent, so the score runs 0 to 100. Smoothing as sacreBLEU's
/// <c>compute_bleu</c>: <c>exp</c> (the default, mteval's: the k-th order without a match gets <c>100 / (2^k · total)</c>),
/// <c>floor</c>, <c>add-k</c> or <c>none</c>; no match at all scores 0; <c>log 0</c> counts as -9999999999 as in
/// sacreBLEU's <c>my_log</c>.
/// </summary>
public static partial class SacreBleu
{
    /// <summary>The n-gram orders by default (sacreBLEU's <c>MAX_NGRAM_ORDER</c>).</summary>
    public const int MaxOrder = 4;

    /// <summary>sacreBLEU's smoothing methods.</summary>
    public static IReadOnlyList<string> SmoothMethods { get; } = ["exp", "floor", "add-k", "none"];

    [GeneratedRegex(@"([{-~\[-` -&(-+:-@/])")]
    private static partial Regex Punctuation();

    [GeneratedRegex(@"([^0-9])([\.,])")]
    private static partial Regex PeriodCommaAfter();

    [GeneratedRegex(@"([\.,])([^0-9])")]
    private static partial Regex PeriodCommaBefore();

    [GeneratedRegex(@"([0-9])(-)")]
    private static partial Regex DashAfterDigit();

    /// <summary>
    /// sacreBLEU's <c>13a</c> tokenizer (<c>tokenizers/tokenizer_13a.py</c> and <c>tokenizer_re.py</c>): drops
    /// <c>&lt;skipped&gt;</c>, joins <c>-</c> line ends, turns line breaks into spaces, unescapes <c>&amp;quot;</c>,
    /// <c>&amp;amp;</c>, <c>&amp;lt;</c>, <c>&amp;gt;</c>; then spaces out the ASCII punctuation and symbols except
    /// <c>'</c>, <c>-</c>, <c>.</c> and <c>,</c>, spaces out a period or comma unless it sits between digits, a dash after a
    /// digit, and joins the tokens with single spaces.
    /// </summary>
    public static string Tokenize13a(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        line = line.Replace("<skipped>", "").Replace("-\n", "").Replace("\n", " ").Replace("&quot;", "\"").Replace("&amp;", "&")
            .Replace("&lt;", "<").Replace("&gt;", ">");
        line = " " + line + " ";
        line = Punctuation().Replace(line, " $1 ");
        line = PeriodCommaAfter().Replace(line, "$1 $2 ");
        line = PeriodCommaBefore().Replace(line, " $1 $2");
        line = DashAfterDigit().Replace(line, "$1 $2 ");
        return string.Join(' ', PythonText.Split(line));
    }

    /// <summary>
    /// The corpus BLEU of <paramref name="hypotheses"/> against <paramref name="references"/> (per hypothesis, its
    /// references; empty ones are left out, as sacreBLEU does, and a segment needs at least one), with
    /// <paramref name="tokenize"/> <c>13a</c> or <c>none</c>, n-grams of orders 1 to <paramref name="maxOrder"/>.
    /// </summary>
    public static SacreBleuScore Corpus(IReadOnlyList<string> hypotheses, IReadOnlyList<IReadOnlyList<string>> references, string tokenize = "13a",
        string smooth = "exp", double? smoothValue = null, bool effectiveOrder = false, bool lowercase = false, int maxOrder = MaxOrder)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxOrder, 1);
        ArgumentNullException.ThrowIfNull(hypotheses);
        ArgumentNullException.ThrowIfNull(references);
        if (hypotheses.Count != references.Count) throw new ArgumentException($"{hypotheses.Count} hypotheses but {references.Count} reference sets.");
        if (tokenize is not ("13a" or "none")) throw new ArgumentException($"tokenize must be 13a or none, got '{tokenize}'.", nameof(tokenize));
        string Prepare(string s)
        {
            if (lowercase) s = s.ToLowerInvariant();
            s = PythonText.RStrip(s);
            return tokenize == "13a" ? Tokenize13a(s) : s;
        }
        var correct = new long[maxOrder];
        var total = new long[maxOrder];
        long sys = 0, reference = 0;
        for (int i = 0; i < hypotheses.Count; i++)
        {
            var refs = references[i].Where(r => !string.IsNullOrEmpty(r)).Select(Prepare).ToList();
            if (refs.Count == 0) throw new ArgumentException($"segment {i} has no reference (an empty reference is left out).");
            var refNgrams = new Dictionary<string, int>(StringComparer.Ordinal);
            var refLengths = new List<int>();
            foreach (var r in refs)
            {
                var (grams, length) = Ngrams(r, maxOrder);
                refLengths.Add(length);
                foreach (var (g, c) in grams) refNgrams[g] = Math.Max(refNgrams.GetValueOrDefault(g), c);
            }
            var (hyp, hypLength) = Ngrams(Prepare(hypotheses[i]), maxOrder);
            sys += hypLength;
            reference += Closest(hypLength, refLengths);
            foreach (var (g, c) in hyp)
            {
                int n = g.Count(ch => ch == ' ');
                total[n] += c;
                if (refNgrams.TryGetValue(g, out int rc)) correct[n] += Math.Min(c, rc);
            }
        }
        return Compute(correct, total, sys, reference, smooth, smoothValue, effectiveOrder);
    }

    /// <summary>
    /// The score from summed statistics, as sacreBLEU's <c>BLEU.compute_bleu</c>: <paramref name="correct"/> and
    /// <paramref name="total"/> n-grams per order, the hypothesis and reference lengths, the smoothing and its value
    /// (<c>floor</c> 0.1 and <c>add-k</c> 1 when null), and whether orders past the last with any n-gram are left out.
    /// </summary>
    public static SacreBleuScore Compute(IReadOnlyList<long> correct, IReadOnlyList<long> total, long sysLength, long refLength, string smooth = "exp",
        double? smoothValue = null, bool effectiveOrder = false)
    {
        ArgumentNullException.ThrowIfNull(correct);
        ArgumentNullException.ThrowIfNull(total);
        if (!SmoothMethods.Contains(smooth)) throw new ArgumentException($"smooth must be one of {string.Join(", ", SmoothMethods)}, got '{smooth}'.");
        int order = correct.Count;
        double value = smoothValue ?? (smooth == "floor" ? 0.1 : smooth == "add-k" ? 1 : 0);
        double bp = sysLength < refLength ? (sysLength > 0 ? Math.Exp(1 - (double)refLength / sysLength) : 0.0) : 1.0;
        var precisions = new double[order];
        long[] counts = [.. correct], totals = [.. total];
        if (counts.All(c => c == 0)) return new SacreBleuScore(0.0, counts, totals, precisions, bp, sysLength, refLength);
        double smoothMteval = 1.0;
        int effective = order;
        var c = counts.Select(x => (double)x).ToArray();
        var t = totals.Select(x => (double)x).ToArray();
        for (int n = 1; n <= order; n++)
        {
            if (smooth == "add-k" && n > 1) { c[n - 1] += value; t[n - 1] += value; }
            if (t[n - 1] == 0) break;
            if (effectiveOrder) effective = n;
            if (c[n - 1] == 0)
            {
                if (smooth == "exp") { smoothMteval *= 2; precisions[n - 1] = 100.0 / (smoothMteval * t[n - 1]); }
                else if (smooth == "floor") precisions[n - 1] = 100.0 * value / t[n - 1];
            }
            else precisions[n - 1] = 100.0 * c[n - 1] / t[n - 1];
        }
        double sum = 0;
        for (int n = 0; n < effective; n++) sum += precisions[n] == 0.0 ? -9999999999 : Math.Log(precisions[n]);
        return new SacreBleuScore(bp * Math.Exp(sum / effective), counts, totals, precisions, bp, sysLength, refLength);
    }

    /// <summary>The word n-grams of orders 1 to <paramref name="maxOrder"/> of a tokenised line (joined by single spaces) and its length.</summary>
    private static (Dictionary<string, int> Grams, int Length) Ngrams(string line, int maxOrder)
    {
        var tokens = PythonText.Split(line);
        var grams = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int n = 1; n <= maxOrder; n++)
            for (int i = 0; i + n <= tokens.Count; i++)
            {
                string g = string.Join(' ', tokens.Skip(i).Take(n));
                grams[g] = grams.GetValueOrDefault(g) + 1;
            }
        return (grams, tokens.Count);
    }

    private static int Closest(int hyp, List<int> refs)
    {
        int bestDiff = -1, best = -1;
        foreach (int r in refs)
        {
            int d = Math.Abs(hyp - r);
            if (bestDiff == -1 || d < bestDiff) { bestDiff = d; best = r; }
            else if (d == bestDiff && r < best) best = r;
        }
        return best;
    }
}
