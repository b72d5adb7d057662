using System.Numerics.Tensors;
using Recur.Models.Decoding;

namespace Recur.Models.Captioning;

/// <summary>
/// A decoded caption: its word ids (without <c>&lt;START&gt;</c> and <c>&lt;END&gt;</c>), its text, each word's
/// attention <c>(L)</c> (empty without attention) and its log-probability under the model (<c>&lt;END&gt;</c>
/// included when it was reached).
/// </summary>
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
    public static DecodedCaption[] Greedy(ICaptionDecoder model, Tensor features, CaptionVocabulary vocabulary)
        => Run(model, features, vocabulary, choose: null);

    /// <summary>Sampled captions at <paramref name="temperature"/> (&gt; 0), drawn from <paramref name="rng"/>.</summary>
    public static DecodedCaption[] Sample(ICaptionDecoder model, Tensor features, CaptionVocabulary vocabulary, float temperature, Rng rng)
    {
        if (!(temperature > 0)) throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "the temperature must be positive.");
        ArgumentNullException.ThrowIfNull(rng);
        return Run(model, features, vocabulary, row =>
        {
            TensorPrimitives.Divide(row, temperature, row);
            Kernels.Softmax.InPlace(row);
            return Draw(row, rng);
        });
    }

    private static DecodedCaption[] Run(ICaptionDecoder model, Tensor features, CaptionVocabulary vocabulary, TokenChooser? choose)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(vocabulary);
        var rows = GreedyDecoder.Decode(model.Begin(features), model.Config.Vocab, CaptionVocabulary.Start, CaptionVocabulary.End, model.Config.MaxWords,
            [CaptionVocabulary.Null, CaptionVocabulary.Start], choose);
        return [.. rows.Select(r => new DecodedCaption(r.Tokens, vocabulary.Decode(r.Tokens), r.Attention, r.LogProbability))];
    }

    /// <summary>
    /// Beam search of width <paramref name="beam"/> over one image, <paramref name="features"/> <c>(1, L, D)</c>, with
    /// length normalisation <paramref name="alpha"/> (<see cref="BeamSearch"/>): the best finished caption (or, when
    /// none finished, the best unfinished one).
    /// </summary>
    public static DecodedCaption Beam(ICaptionDecoder model, Tensor features, CaptionVocabulary vocabulary, int beam, double alpha = 1.0)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(vocabulary);
        if (features.Rank != 3 || features.Shape[0] != 1)
            throw new ArgumentException($"beam search takes one image, features (1, L, D), got {features.ShapeString}.");
        int perImage = features.Length;
        var best = BeamSearch.Search(k =>
        {
            var repeated = new Tensor(k, features.Shape[1], features.Shape[2]);
            for (int b = 0; b < k; b++) features.Data.CopyTo(repeated.Data, b * perImage);
            return model.Begin(repeated);
        }, model.Config.Vocab, CaptionVocabulary.Start, CaptionVocabulary.End, model.Config.MaxWords, beam, alpha, 1,
            [CaptionVocabulary.Null, CaptionVocabulary.Start])[0];
        return new DecodedCaption([.. best.Tokens], vocabulary.Decode([.. best.Tokens]), best.Attention, best.LogProbability);
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
}
