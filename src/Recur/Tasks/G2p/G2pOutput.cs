namespace Recur.Tasks.G2p;

/// <summary>
/// A pronunciation a model wrote for a word, and its alignment: per phoneme the attention over the word's letters
/// <c>(phonemes, letters)</c>, empty for a model without attention.
/// </summary>
public sealed record G2pOutput(IReadOnlyList<string> Phonemes, IReadOnlyList<float[]> Alignment)
{
    /// <summary>
    /// The output of <paramref name="phonemes"/> with the decoder's attention maps <paramref name="maps"/> (one per step,
    /// over the padded batch's letters), each cut to the word's <paramref name="letters"/> and one kept per phoneme.
    /// </summary>
    public static G2pOutput Of(IReadOnlyList<string> phonemes, IReadOnlyList<float[]> maps, int letters)
    {
        ArgumentNullException.ThrowIfNull(phonemes);
        ArgumentNullException.ThrowIfNull(maps);
        var rows = maps.Take(phonemes.Count).Select(m => m.AsSpan(0, Math.Min(letters, m.Length)).ToArray()).ToArray();
        return new G2pOutput(phonemes, rows);
    }
}
