using Recur.Data.Translation;
using Recur.Models.Decoding;
using Recur.Models.Seq2Seq;

namespace Recur.Tasks.Translate;

/// <summary>
/// One translation: the text (slots replaced by the source's placeholders), the source's and the output's symbols, the
/// attention of each output symbol over the source's (empty without attention), the log-probability, and how many slots
/// it named that its source has not (each a made-up placeholder).
/// </summary>
public sealed record Translation(string Text, IReadOnlyList<string> SourceTokens, IReadOnlyList<string> Tokens, IReadOnlyList<float[]> Attention,
    double LogProbability, int InventedSlots);

/// <summary>
/// Decodes sources with a translation model: greedy (batches of sources of like length, in the given order's result) or
/// beam search of a width (<see cref="BeamSearch"/>, one source at a time, scores normalised by length: <c>log p / n^α</c>).
/// An output is at most <see cref="MaxOutput"/> symbols: twice the source's plus 10 (fairseq's <c>max_len_a</c>, <c>max_len_b</c>),
/// within the model's own limit.
/// </summary>
public static class Translator
{
    /// <summary>The longest output for a source of <paramref name="sourceSymbols"/> symbols: <c>min(2 n + 10, modelLimit)</c>.</summary>
    public static int MaxOutput(int sourceSymbols, int modelLimit) => Math.Min(modelLimit, 2 * sourceSymbols + 10);

    /// <summary>Sources per greedy batch.</summary>
    public const int GreedyBatch = 64;

    /// <summary>
    /// The translations of <paramref name="sources"/> by <paramref name="workers"/> (copies of one model, one thread each:
    /// <see cref="TranslationModels.Copy"/>), each decoding its own contiguous share; the result is the same for any number of
    /// workers, as each source is decoded alone (beam) or in the same batches (greedy).
    /// </summary>
    public static IReadOnlyList<Translation> Translate(IReadOnlyList<ISeq2SeqModel> workers, TranslationVocabulary vocabulary,
        IReadOnlyList<EncodedSource> sources, int beam = 1, double alpha = 1.0, bool greedy = true, bool constrained = true)
    {
        ArgumentNullException.ThrowIfNull(workers);
        ArgumentNullException.ThrowIfNull(sources);
        greedy &= beam <= 1;
        if (workers.Count <= 1) return Translate(workers[0], vocabulary, sources, beam, alpha, greedy, constrained);
        // greedy batches are cut before sharing, so that each source meets the same batch whatever the workers
        var order = greedy ? [.. Enumerable.Range(0, sources.Count).OrderBy(i => sources[i].Ids.Length).ThenBy(i => i)]
            : Enumerable.Range(0, sources.Count).ToArray();
        int unit = greedy ? GreedyBatch : 1, units = (order.Length + unit - 1) / unit;
        var result = new Translation[sources.Count];
        Parallel.For(0, workers.Count, new ParallelOptions { MaxDegreeOfParallelism = workers.Count }, w =>
        {
            int from = (int)((long)units * w / workers.Count) * unit, to = Math.Min(order.Length, (int)((long)units * (w + 1) / workers.Count) * unit);
            var share = order[from..to];
            if (share.Length == 0) return;
            var done = Translate(workers[w], vocabulary, [.. share.Select(i => sources[i])], beam, alpha, greedy, constrained);
            for (int k = 0; k < share.Length; k++) result[share[k]] = done[k];
        });
        return result;
    }

    /// <summary>
    /// The translations of <paramref name="sources"/>: greedy (batched) when <paramref name="greedy"/> and <paramref name="beam"/> is 1,
    /// else beam search of width <paramref name="beam"/> (width 1 one source at a time, which finds what greedy finds); with
    /// <paramref name="constrained"/> (the default), placeholders are neither dropped nor invented (<see cref="PlaceholderConstraint"/>).
    /// </summary>
    public static IReadOnlyList<Translation> Translate(ISeq2SeqModel model, TranslationVocabulary vocabulary, IReadOnlyList<EncodedSource> sources,
        int beam = 1, double alpha = 1.0, bool greedy = true, bool constrained = true)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(vocabulary);
        ArgumentNullException.ThrowIfNull(sources);
        var result = new Translation[sources.Count];
        int[] never = [Seq2SeqModel.Pad, Seq2SeqModel.Start];
        if (greedy && beam <= 1)
        {
            var order = Enumerable.Range(0, sources.Count).OrderBy(i => sources[i].Ids.Length).ThenBy(i => i).ToArray();
            for (int start = 0; start < order.Length; start += GreedyBatch)
            {
                var chunk = order.Skip(start).Take(GreedyBatch).ToArray();
                int longest = MaxOutput(chunk.Max(i => sources[i].Ids.Length), model.MaxTarget);
                EncodedSource[] batch = [.. chunk.Select(i => sources[i])];
                var rows = GreedyDecoder.Decode(Begin(model, vocabulary, batch, constrained), model.TargetVocab, Seq2SeqModel.Start,
                    Seq2SeqModel.End, longest, never);
                for (int k = 0; k < chunk.Length; k++)
                {
                    // each row's own limit (the batch ran to its longest source's): as beam search of width 1 would stop it
                    var src = sources[chunk[k]];
                    int own = MaxOutput(src.Ids.Length, model.MaxTarget);
                    result[chunk[k]] = Make(vocabulary, src, rows[k].Tokens.Take(own).ToArray(), Trim(rows[k].Attention.Take(own).ToArray(), src),
                        rows[k].LogProbability, constrained);
                }
            }
            return result;
        }
        for (int i = 0; i < sources.Count; i++)
        {
            var src = sources[i];
            var h = BeamSearch.Search(k => Begin(model, vocabulary, [.. Enumerable.Repeat(src, k)], constrained), model.TargetVocab,
                Seq2SeqModel.Start, Seq2SeqModel.End, MaxOutput(src.Ids.Length, model.MaxTarget), beam, alpha, 1, never)[0];
            result[i] = Make(vocabulary, src, h.Tokens, Trim(h.Attention, src), h.LogProbability, constrained);
        }
        return result;
    }

    /// <summary>
    /// The model's decoder over <paramref name="sources"/>, within <see cref="PlaceholderConstraint"/> (each row limited to
    /// <see cref="MaxOutput"/> symbols) when <paramref name="constrained"/>.
    /// </summary>
    private static IDecoderStepper Begin(ISeq2SeqModel model, TranslationVocabulary vocabulary, EncodedSource[] sources, bool constrained)
    {
        var stepper = model.Begin(TranslationDataset.SourceBatch(sources));
        return constrained ? new PlaceholderConstraint(stepper, vocabulary, sources, model.TargetVocab, Seq2SeqModel.End,
            [.. sources.Select(s => MaxOutput(s.Ids.Length, model.MaxTarget))]) : stepper;
    }

    /// <summary>
    /// The translation of <paramref name="ids"/>; when <paramref name="constrained"/>, with its missing accelerators put back
    /// (<see cref="AcceleratorRepair"/>).
    /// </summary>
    private static Translation Make(TranslationVocabulary vocabulary, EncodedSource source, IReadOnlyList<int> ids, IReadOnlyList<float[]> attention,
        double logProbability, bool constrained)
    {
        var decoded = vocabulary.Decode(ids, source.Slots);
        if (!constrained) return new Translation(decoded.Text, source.Tokens, decoded.Tokens, attention, logProbability, decoded.InventedSlots);
        var texts = ids.Select(id => vocabulary.Decode([id], source.Slots).Text).ToArray();
        var repaired = AcceleratorRepair.Apply(source, texts, attention);
        var tokens = decoded.Tokens.Select((t, i) => repaired[i] == texts[i] ? t
            : repaired[i].StartsWith(' ') ? TranslationVocabulary.SpaceMark + repaired[i][1..] : repaired[i]).ToArray();
        return new Translation(string.Concat(repaired), source.Tokens, tokens, attention, logProbability, decoded.InventedSlots);
    }

    /// <summary>Each step's attention cut to the source's own symbols (a batch pads shorter sources).</summary>
    private static IReadOnlyList<float[]> Trim(IReadOnlyList<float[]> attention, EncodedSource source)
        => [.. attention.Select(a => a.Length > source.Ids.Length ? a[..source.Ids.Length] : a)];
}
