using Recur.Data.Translation;

namespace Recur.Tasks.Translate;

/// <summary>
/// The figures of a set of translations against their references: corpus BLEU (<see cref="SacreBleu"/>, 13a, exp
/// smoothing) and chrF (<see cref="ChrF.Default"/>), both 0 to 100; the fraction of sentences whose placeholders differ
/// from their source's (<see cref="Placeholders.Compare"/>: one dropped or invented, or a slot named that the source has
/// not), and those sentences by kind of placeholder.
/// </summary>
public sealed record TranslationScore(string Decoding, int Sentences, double Bleu, double ChrF, int PlaceholderErrors,
    IReadOnlyDictionary<PlaceholderKind, int> ErrorsByKind)
{
    /// <summary>The fraction of sentences with a placeholder error.</summary>
    public double PlaceholderErrorRate => Sentences == 0 ? double.NaN : (double)PlaceholderErrors / Sentences;

    /// <summary>The score of <paramref name="outputs"/> (one per pair, with the slots each invented) against <paramref name="pairs"/>' targets.</summary>
    public static TranslationScore Of(string decoding, IReadOnlyList<TranslationPair> pairs, IReadOnlyList<string> outputs,
        IReadOnlyList<int>? inventedSlots = null)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        ArgumentNullException.ThrowIfNull(outputs);
        if (pairs.Count != outputs.Count) throw new ArgumentException($"{pairs.Count} pairs but {outputs.Count} outputs.");
        var references = pairs.Select(p => (IReadOnlyList<string>)[p.Target]).ToArray();
        double bleu = pairs.Count == 0 ? double.NaN : SacreBleu.Corpus(outputs, references).Score;
        double chrf = pairs.Count == 0 ? double.NaN : Translate.ChrF.Default.Corpus(outputs, references);
        int errors = 0;
        var byKind = Enum.GetValues<PlaceholderKind>().ToDictionary(k => k, _ => 0);
        for (int i = 0; i < pairs.Count; i++)
        {
            var check = Placeholders.Compare(pairs[i].Source, outputs[i]);
            bool invented = inventedSlots is not null && inventedSlots[i] > 0;
            if (check.Ok && !invented) continue;
            errors++;
            foreach (var k in byKind.Keys.ToArray()) if (check.Fails(k)) byKind[k]++;
        }
        return new TranslationScore(decoding, pairs.Count, bleu, chrf, errors, byKind);
    }
}
