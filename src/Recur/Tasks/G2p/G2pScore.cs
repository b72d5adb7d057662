using Recur.Models.Decoding;
using Recur.Models.Seq2Seq;

namespace Recur.Tasks.G2p;

/// <summary>Word and phoneme error rates of a pronunciation model on a set of words.</summary>
/// <param name="Words">Words scored.</param>
/// <param name="Wer">Word error rate: the fraction of words whose output is none of their pronunciations.</param>
/// <param name="Per">Phoneme error rate: the edit distance to the closest pronunciation, summed, over that pronunciation's length, summed.</param>
/// <param name="Decoding">greedy, or beam k.</param>
/// <param name="WerWithoutStress">
/// The word error rate with the stress digits taken off every vowel of the output and the pronunciations, as most
/// published results on CMUdict count it.
/// </param>
public sealed record G2pScore(int Words, double Wer, double Per, string Decoding, double WerWithoutStress)
{
    /// <summary>
    /// Scores <paramref name="model"/> on every word of <paramref name="words"/> (greedy in batches of 256, or beam
    /// search of width <paramref name="beam"/> one word at a time); also returns the outputs.
    /// </summary>
    public static (G2pScore Score, IReadOnlyList<IReadOnlyList<string>> Outputs) Of(ISeq2SeqModel model, IReadOnlyList<string> words,
        IReadOnlyDictionary<string, IReadOnlyList<IReadOnlyList<string>>> lexicon, G2pSymbols symbols, int beam = 1, double alpha = 1.0)
        => Of([model], words, lexicon, symbols, beam, alpha);

    /// <summary>
    /// Scores the ensemble of <paramref name="models"/> (their mean next-phoneme probability) as
    /// <see cref="Of(ISeq2SeqModel, IReadOnlyList{string}, IReadOnlyDictionary{string, IReadOnlyList{IReadOnlyList{string}}}, G2pSymbols, int, double)"/>
    /// scores one model.
    /// </summary>
    public static (G2pScore Score, IReadOnlyList<IReadOnlyList<string>> Outputs) Of(IReadOnlyList<ISeq2SeqModel> models, IReadOnlyList<string> words,
        IReadOnlyDictionary<string, IReadOnlyList<IReadOnlyList<string>>> lexicon, G2pSymbols symbols, int beam = 1, double alpha = 1.0)
    {
        ArgumentNullException.ThrowIfNull(words);
        ArgumentNullException.ThrowIfNull(lexicon);
        var outputs = Pronounce(models, words, symbols, beam, alpha);
        return (Count(words, outputs, lexicon, beam <= 1 ? "greedy" : $"beam {beam}"), outputs);
    }

    /// <summary>
    /// The score of <paramref name="outputs"/> (one pronunciation per word of <paramref name="words"/>) against the
    /// pronunciations <paramref name="lexicon"/> gives each word: WER, PER (to the closest pronunciation, the shorter on
    /// a tie) and the WER without stress.
    /// </summary>
    public static G2pScore Count(IReadOnlyList<string> words, IReadOnlyList<IReadOnlyList<string>> outputs,
        IReadOnlyDictionary<string, IReadOnlyList<IReadOnlyList<string>>> lexicon, string decoding)
    {
        ArgumentNullException.ThrowIfNull(words);
        ArgumentNullException.ThrowIfNull(outputs);
        ArgumentNullException.ThrowIfNull(lexicon);
        if (outputs.Count != words.Count) throw new ArgumentException($"{words.Count} words but {outputs.Count} outputs.", nameof(outputs));
        int wrong = 0, wrongUnstressed = 0;
        long distance = 0, length = 0;
        for (int i = 0; i < words.Count; i++)
        {
            var refs = lexicon[words[i]];
            var best = Closest(outputs[i], refs);
            if (best.Distance != 0) wrong++;
            var bare = Unstressed(outputs[i]);
            if (!refs.Any(r => Unstressed(r).SequenceEqual(bare))) wrongUnstressed++;
            distance += best.Distance;
            length += best.Length;
        }
        double rate(int n) => words.Count == 0 ? double.NaN : (double)n / words.Count;
        return new G2pScore(words.Count, rate(wrong), length == 0 ? double.NaN : (double)distance / length, decoding, rate(wrongUnstressed));
    }

    /// <summary>
    /// The pronunciation of <paramref name="references"/> closest to <paramref name="output"/> (the shorter on a tie): its
    /// index, its edit distance to the output and its length. The output is right when the distance is 0.
    /// </summary>
    public static (int Index, int Distance, int Length) Closest(IReadOnlyList<string> output, IReadOnlyList<IReadOnlyList<string>> references)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(references);
        if (references.Count == 0) throw new ArgumentException("a word with no pronunciation cannot be scored.", nameof(references));
        return references.Select((r, i) => (Index: i, Distance: EditDistance(output, r), Length: r.Count))
            .OrderBy(x => x.Distance).ThenBy(x => x.Length).First();
    }

    /// <summary>The phonemes without their stress digits (<c>AH0</c> becomes <c>AH</c>).</summary>
    public static IReadOnlyList<string> Unstressed(IReadOnlyList<string> phonemes)
    {
        ArgumentNullException.ThrowIfNull(phonemes);
        return [.. phonemes.Select(p => p.TrimEnd('0', '1', '2'))];
    }

    /// <summary>The pronunciations the model writes for <paramref name="words"/>.</summary>
    public static IReadOnlyList<IReadOnlyList<string>> Pronounce(ISeq2SeqModel model, IReadOnlyList<string> words, G2pSymbols symbols,
        int beam = 1, double alpha = 1.0)
        => Pronounce([model], words, symbols, beam, alpha);

    /// <summary>The pronunciations the ensemble of <paramref name="models"/> writes for <paramref name="words"/>.</summary>
    public static IReadOnlyList<IReadOnlyList<string>> Pronounce(IReadOnlyList<ISeq2SeqModel> models, IReadOnlyList<string> words,
        G2pSymbols symbols, int beam = 1, double alpha = 1.0)
        => [.. Decode(models, words, symbols, beam, alpha).Select(o => o.Phonemes)];

    /// <summary>
    /// The pronunciations the ensemble of <paramref name="models"/> writes for <paramref name="words"/> (greedy in batches
    /// of 256, or beam search of width <paramref name="beam"/> one word at a time), each with its alignment: per phoneme
    /// the attention over the word's letters (none without attention).
    /// </summary>
    public static IReadOnlyList<G2pOutput> Decode(IReadOnlyList<ISeq2SeqModel> models, IReadOnlyList<string> words,
        G2pSymbols symbols, int beam = 1, double alpha = 1.0)
    {
        CheckEnsemble(models);
        ArgumentNullException.ThrowIfNull(words);
        ArgumentNullException.ThrowIfNull(symbols);
        var first = models[0];
        var result = new List<G2pOutput>(words.Count);
        int[] never = [Seq2SeqModel.Pad, Seq2SeqModel.Start];
        if (beam <= 1)
        {
            for (int start = 0; start < words.Count; start += 256)
            {
                var chunk = words.Skip(start).Take(256).ToArray();
                var rows = GreedyDecoder.Decode(Begin(models, G2pDataset.Source(chunk, symbols)), first.TargetVocab, Seq2SeqModel.Start,
                    Seq2SeqModel.End, first.MaxTarget, never);
                result.AddRange(rows.Select((r, b) => G2pOutput.Of(symbols.Decode(r.Tokens), r.Attention, chunk[b].Length)));
            }
            return result;
        }
        foreach (var w in words)
        {
            var h = NBest(models, w, symbols, beam, 1, alpha)[0];
            result.Add(G2pOutput.Of(symbols.Decode(h.Tokens), h.Attention, w.Length));
        }
        return result;
    }

    /// <summary>The <paramref name="n"/> best pronunciations of <paramref name="word"/> by beam search of width <paramref name="beam"/>.</summary>
    public static IReadOnlyList<Hypothesis> NBest(ISeq2SeqModel model, string word, G2pSymbols symbols, int beam, int n, double alpha = 1.0)
        => NBest([model], word, symbols, beam, n, alpha);

    /// <summary>The <paramref name="n"/> best pronunciations of <paramref name="word"/> by the ensemble of <paramref name="models"/>.</summary>
    public static IReadOnlyList<Hypothesis> NBest(IReadOnlyList<ISeq2SeqModel> models, string word, G2pSymbols symbols, int beam, int n, double alpha = 1.0)
    {
        CheckEnsemble(models);
        var first = models[0];
        return BeamSearch.Search(k => Begin(models, G2pDataset.Source([.. Enumerable.Repeat(word, k)], symbols)), first.TargetVocab,
            Seq2SeqModel.Start, Seq2SeqModel.End, first.MaxTarget, beam, alpha, n, [Seq2SeqModel.Pad, Seq2SeqModel.Start]);
    }

    /// <summary>
    /// Starts decoding <paramref name="batch"/> with <paramref name="models"/> (checked by the caller,
    /// <see cref="CheckEnsemble"/>): the one model's own decoder, or an <see cref="EnsembleStepper"/> averaging their
    /// next-phoneme probabilities.
    /// </summary>
    private static IDecoderStepper Begin(IReadOnlyList<ISeq2SeqModel> models, Seq2SeqBatch batch)
        => EnsembleStepper.Of([.. models.Select(m => m.Begin(batch))], models[0].TargetVocab);

    /// <summary>Throws unless <paramref name="models"/> holds at least one model, all with the same letters and phonemes and output length.</summary>
    public static void CheckEnsemble(IReadOnlyList<ISeq2SeqModel> models)
    {
        ArgumentNullException.ThrowIfNull(models);
        if (models.Count == 0) throw new ArgumentException("name at least one model.", nameof(models));
        var c = models[0];
        foreach (var m in models.Skip(1))
            if (m.SourceVocab != c.SourceVocab || m.TargetVocab != c.TargetVocab || m.MaxTarget != c.MaxTarget || m.MaxSource != c.MaxSource)
                throw new ArgumentException(
                    "the models of an ensemble must read the same letters and write the same phonemes (their vocabularies or lengths differ).",
                    nameof(models));
    }

    /// <summary>Levenshtein distance between two symbol sequences.</summary>
    public static int EditDistance(IReadOnlyList<string> a, IReadOnlyList<string> b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var prev = new int[b.Count + 1];
        var cur = new int[b.Count + 1];
        for (int j = 0; j <= b.Count; j++) prev[j] = j;
        for (int i = 1; i <= a.Count; i++)
        {
            cur[0] = i;
            for (int j = 1; j <= b.Count; j++)
                cur[j] = Math.Min(Math.Min(prev[j] + 1, cur[j - 1] + 1), prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            (prev, cur) = (cur, prev);
        }
        return prev[b.Count];
    }
}
