using System.Numerics.Tensors;

namespace Recur.Models.Captioning;

/// <summary>A decoded caption: its word ids (without <c>&lt;START&gt;</c> and <c>&lt;END&gt;</c>), its text, each word's attention <c>(L)</c> (empty without attention) and its log-probability under the model (<c>&lt;END&gt;</c> included when it was reached).</summary>
public sealed record DecodedCaption(int[] Ids, string Text, IReadOnlyList<float[]> Attention, double LogProbability);

/// <summary>
/// Decoding a captioner: greedy (the most probable word at each step), sampling with a temperature (softmax of
/// logits / T), and beam search of width k with length normalisation (a finished caption of n tokens, <c>&lt;END&gt;</c>
/// included, scores <c>log p / n^α</c>; α = 0 is plain log-probability, α = 1 the mean per token). Every caption stops
/// at <c>&lt;END&gt;</c> or after <see cref="CaptionerConfig.MaxWords"/> words.
/// </summary>
public static class CaptionDecoder
{
    /// <summary>Greedy captions of every image of <paramref name="features"/> <c>(B, L, D)</c>.</summary>
    public static DecodedCaption[] Greedy(ICaptioner model, Tensor features, CaptionVocabulary vocabulary)
        => Run(model, features, vocabulary, temperature: 0, rng: null);

    /// <summary>Sampled captions at <paramref name="temperature"/> (&gt; 0), drawn from <paramref name="rng"/>.</summary>
    public static DecodedCaption[] Sample(ICaptioner model, Tensor features, CaptionVocabulary vocabulary, float temperature, Rng rng)
    {
        if (!(temperature > 0)) throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "the temperature must be positive.");
        ArgumentNullException.ThrowIfNull(rng);
        return Run(model, features, vocabulary, temperature, rng);
    }

    private static DecodedCaption[] Run(ICaptioner model, Tensor features, CaptionVocabulary vocabulary, float temperature, Rng? rng)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(vocabulary);
        int B = features.Shape[0], V = model.Config.Vocab, L = model.Config.Locations;
        var stepper = model.Begin(features);
        var previous = new int[B];
        Array.Fill(previous, CaptionVocabulary.Start);
        var ids = Enumerable.Range(0, B).Select(_ => new List<int>()).ToArray();
        var maps = Enumerable.Range(0, B).Select(_ => new List<float[]>()).ToArray();
        var logp = new double[B];
        var done = new bool[B];
        var probs = new float[V];
        var row = new float[V];
        for (int step = 0; step <= model.Config.MaxWords && !done.All(d => d); step++)
        {
            var logits = stepper.Step(previous);
            var attention = stepper.Attention;
            for (int b = 0; b < B; b++)
            {
                if (done[b]) { previous[b] = CaptionVocabulary.Null; continue; }
                logits.Slice(b * V, V).CopyTo(row);
                row[CaptionVocabulary.Null] = row[CaptionVocabulary.Start] = float.NegativeInfinity; // never written
                int next;
                if (rng is null) next = TensorPrimitives.IndexOfMax(row);
                else
                {
                    TensorPrimitives.Divide(row, temperature, probs);
                    Kernels.Softmax.InPlace(probs);
                    next = Draw(probs, rng);
                }
                if (step == model.Config.MaxWords && next != CaptionVocabulary.End) { done[b] = true; continue; } // cut at MaxWords words
                logp[b] += LogSoftmaxAt(logits.Slice(b * V, V), next);
                if (next == CaptionVocabulary.End) done[b] = true;
                else { ids[b].Add(next); AddMap(maps[b], attention, b, L); }
                previous[b] = next;
            }
        }
        return [.. Enumerable.Range(0, B).Select(b => new DecodedCaption([.. ids[b]], vocabulary.Decode([.. ids[b]]), maps[b], logp[b]))];
    }

    /// <summary>
    /// Beam search of width <paramref name="beam"/> over one image, <paramref name="features"/> <c>(1, L, D)</c>, with
    /// length normalisation <paramref name="alpha"/>: the best finished caption (or, when none finished, the best unfinished one).
    /// </summary>
    public static DecodedCaption Beam(ICaptioner model, Tensor features, CaptionVocabulary vocabulary, int beam, double alpha = 1.0)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(vocabulary);
        if (features.Rank != 3 || features.Shape[0] != 1) throw new ArgumentException($"beam search takes one image, features (1, L, D), got {features.ShapeString}.");
        if (beam < 1) throw new ArgumentOutOfRangeException(nameof(beam), beam, "the beam width must be at least 1.");
        int k = beam, V = model.Config.Vocab, L = model.Config.Locations, perImage = features.Length;
        var repeated = new Tensor(k, features.Shape[1], features.Shape[2]);
        for (int b = 0; b < k; b++) features.Data.CopyTo(repeated.Data, b * perImage);
        var stepper = model.Begin(repeated);
        var beams = new List<Hypothesis> { new([], [], 0) };
        var finished = new List<(Hypothesis H, double Score)>();
        var previous = new int[k];
        Array.Fill(previous, CaptionVocabulary.Start);
        var logsm = new float[V];
        for (int step = 0; step <= model.Config.MaxWords && beams.Count > 0; step++)
        {
            var logits = stepper.Step(previous);
            var attention = stepper.Attention;
            var candidates = new List<(double LogP, int Parent, int Token)>();
            for (int b = 0; b < beams.Count; b++)
            {
                LogSoftmax(logits.Slice(b * V, V), logsm);
                if (step == model.Config.MaxWords) { candidates.Add((beams[b].LogP + logsm[CaptionVocabulary.End], b, CaptionVocabulary.End)); continue; }
                for (int v = 0; v < V; v++)
                    if (v != CaptionVocabulary.Null && v != CaptionVocabulary.Start) candidates.Add((beams[b].LogP + logsm[v], b, v));
            }
            candidates.Sort((x, y) => y.LogP.CompareTo(x.LogP) is int c && c != 0 ? c : x.Parent != y.Parent ? x.Parent.CompareTo(y.Parent) : x.Token.CompareTo(y.Token));
            var next = new List<Hypothesis>();
            var parents = new List<int>();
            foreach (var (lp, parent, token) in candidates)
            {
                if (next.Count == k) break;
                var h = beams[parent];
                var map = attention.IsEmpty ? null : attention.Slice(parent * L, L).ToArray();
                if (token == CaptionVocabulary.End)
                {
                    finished.Add((h with { LogP = lp }, lp / Math.Pow(h.Ids.Count + 1, alpha)));
                    continue;
                }
                next.Add(h.Extend(token, map, lp));
                parents.Add(parent);
            }
            if (finished.Count >= k) break;
            beams = next;
            if (beams.Count == 0) break;
            var rows = new int[k];
            for (int b = 0; b < k; b++) rows[b] = parents[Math.Min(b, parents.Count - 1)];
            stepper.Select(rows);
            for (int b = 0; b < k; b++) previous[b] = b < beams.Count ? beams[b].Ids[^1] : beams[^1].Ids[^1];
        }
        var best = finished.Count > 0
            ? finished.OrderByDescending(f => f.Score).First().H
            : beams.OrderByDescending(h => h.LogP / Math.Pow(h.Ids.Count + 1, alpha)).First();
        return new DecodedCaption([.. best.Ids], vocabulary.Decode([.. best.Ids]), best.Maps, best.LogP);
    }

    private sealed record Hypothesis(List<int> Ids, List<float[]> Maps, double LogP)
    {
        public Hypothesis Extend(int token, float[]? map, double logp)
        {
            var maps = new List<float[]>(Maps);
            if (map is not null) maps.Add(map);
            return new Hypothesis([.. Ids, token], maps, logp);
        }
    }

    private static void AddMap(List<float[]> maps, ReadOnlySpan<float> attention, int b, int L)
    {
        if (!attention.IsEmpty) maps.Add(attention.Slice(b * L, L).ToArray());
    }

    private static int Draw(ReadOnlySpan<float> probs, Rng rng)
    {
        double u = rng.NextDouble(), acc = 0;
        for (int v = 0; v < probs.Length; v++)
        {
            acc += probs[v];
            if (u < acc) return v;
        }
        return TensorPrimitives.IndexOfMax(probs);
    }

    private static double LogSoftmaxAt(ReadOnlySpan<float> row, int i)
    {
        float max = TensorPrimitives.Max(row);
        double sum = 0;
        foreach (float x in row) sum += Math.Exp(x - max);
        return row[i] - max - Math.Log(sum);
    }

    private static void LogSoftmax(ReadOnlySpan<float> row, Span<float> output)
    {
        float max = TensorPrimitives.Max(row);
        double sum = 0;
        foreach (float x in row) sum += Math.Exp(x - max);
        float log = (float)Math.Log(sum);
        for (int v = 0; v < row.Length; v++) output[v] = row[v] - max - log;
    }
}
