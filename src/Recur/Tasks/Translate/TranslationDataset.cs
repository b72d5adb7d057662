using Recur.Data.Translation;
using Recur.Models.Seq2Seq;

namespace Recur.Tasks.Translate;

/// <summary>
/// Pairs as a translation model reads them: each source encoded (<see cref="TranslationVocabulary.EncodeSource"/>, its
/// placeholders masked as slots) and each target as the ids of its symbols. For training, pairs whose target is longer
/// than the model writes are left out (<see cref="LeftOut"/>); for scoring every pair is kept.
/// </summary>
public sealed class TranslationDataset
{
    public TranslationDataset(IReadOnlyList<TranslationPair> pairs, TranslationVocabulary vocabulary, int maxTarget, bool training)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        ArgumentNullException.ThrowIfNull(vocabulary);
        Vocabulary = vocabulary; MaxTarget = maxTarget;
        var kept = new List<TranslationPair>();
        var sources = new List<EncodedSource>();
        var targets = new List<int[]>();
        foreach (var p in pairs)
        {
            var s = vocabulary.EncodeSource(p.Source);
            var t = vocabulary.EncodeTarget(p.Target, s.Slots);
            if (training && t.Length > maxTarget) { LeftOut++; continue; }
            kept.Add(p); sources.Add(s); targets.Add(t.Length > maxTarget ? t[..maxTarget] : t);
        }
        Pairs = kept; Sources = sources; Targets = targets;
    }

    public TranslationVocabulary Vocabulary { get; }
    public int MaxTarget { get; }

    /// <summary>The pairs, in the order given (less those left out).</summary>
    public IReadOnlyList<TranslationPair> Pairs { get; }

    /// <summary>Each pair's encoded source.</summary>
    public IReadOnlyList<EncodedSource> Sources { get; }

    /// <summary>Each pair's target symbol ids (cut to <see cref="MaxTarget"/> for scoring the loss).</summary>
    public IReadOnlyList<int[]> Targets { get; }

    /// <summary>Training pairs left out for a target longer than <see cref="MaxTarget"/> symbols.</summary>
    public int LeftOut { get; }

    /// <summary>Each pair's length in symbols, source and target (what batches are bucketed by).</summary>
    public int[] Lengths => [.. Sources.Select((s, i) => s.Ids.Length + Targets[i].Length)];

    /// <summary>Pairs <paramref name="indices"/> as a padded batch with targets <c>(B, MaxTarget + 2)</c>.</summary>
    public Seq2SeqBatch Batch(ReadOnlySpan<int> indices)
    {
        int W = MaxTarget + 2;
        var targets = new int[indices.Length * W];
        var sources = new EncodedSource[indices.Length];
        for (int b = 0; b < indices.Length; b++)
        {
            sources[b] = Sources[indices[b]];
            var t = Targets[indices[b]];
            var row = targets.AsSpan(b * W, W);
            row[0] = Seq2SeqModel.Start;
            t.CopyTo(row[1..]);
            row[t.Length + 1] = Seq2SeqModel.End;
        }
        return SourceBatch(sources) with { Targets = targets };
    }

    /// <summary>Sources as a padded, time-major batch <c>(Ts, B)</c> without targets.</summary>
    public static Seq2SeqBatch SourceBatch(IReadOnlyList<EncodedSource> sources)
    {
        ArgumentNullException.ThrowIfNull(sources);
        if (sources.Count == 0 || sources.Any(s => s.Ids.Length == 0)) throw new ArgumentException("there is no message to translate.");
        int B = sources.Count, Ts = sources.Max(s => s.Ids.Length);
        var src = new int[Ts * B];
        for (int b = 0; b < B; b++) for (int t = 0; t < sources[b].Ids.Length; t++) src[t * B + b] = sources[b].Ids[t];
        return new Seq2SeqBatch(src, [.. sources.Select(s => s.Ids.Length)], null);
    }
}
