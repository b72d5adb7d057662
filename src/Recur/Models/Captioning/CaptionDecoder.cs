using System.Numerics.Tensors;
using Recur.Models.Decoding;

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
    /// length normalisation <paramref name="alpha"/> (<see cref="BeamSearch"/>): the best finished caption (or, when
    /// none finished, the best unfinished one).
    /// </summary>
    public static DecodedCaption Beam(ICaptioner model, Tensor features, CaptionVocabulary vocabulary, int beam, double alpha = 1.0)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(vocabulary);
        if (features.Rank != 3 || features.Shape[0] != 1) throw new ArgumentException($"beam search takes one image, features (1, L, D), got {features.ShapeString}.");
        int perImage = features.Length;
        var best = BeamSearch.Search(k =>
        {
            var repeated = new Tensor(k, features.Shape[1], features.Shape[2]);
            for (int b = 0; b < k; b++) features.Data.CopyTo(repeated.Data, b * perImage);
            return model.Begin(repeated);
        }, model.Config.Vocab, CaptionVocabulary.Start, CaptionVocabulary.End, model.Config.MaxWords, beam, alpha, 1, [CaptionVocabulary.Null, CaptionVocabulary.Start])[0];
        return new DecodedCaption([.. best.Tokens], vocabulary.Decode([.. best.Tokens]), best.Attention, best.LogProbability);
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
}
