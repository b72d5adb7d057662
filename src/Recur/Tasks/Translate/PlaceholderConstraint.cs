using Recur.Data.Translation;
using Recur.Models.Decoding;

namespace Recur.Tasks.Translate;

/// <summary>
/// Constrained decoding for placeholders (lexically constrained decoding, Hokamp and Liu 2017, for the one kind of word a
/// translation must copy): wraps a decoder and, row by row, gives <c>-∞</c> to each slot the source does not hold or has
/// already had as often as the source holds it, and to the end symbol while a slot of the source is still missing. A
/// translation then neither invents nor drops a masked placeholder (printf, brace, markup), unless it runs into its
/// length limit, where the end is forced. Accelerators, line breaks and placeholders beyond the slots are left to the model.
/// </summary>
public sealed class PlaceholderConstraint : IDecoderStepper
{
    private readonly IDecoderStepper _inner;
    private readonly int _vocab, _end;
    private readonly (int Plain, int Spaced)[] _slotIds;
    private readonly int[][] _required;
    private int[][] _emitted;
    private readonly float[] _logits;
    private bool _started;

    /// <summary>Constrains <paramref name="inner"/>, whose row b translates <paramref name="sources"/>[b].</summary>
    public PlaceholderConstraint(IDecoderStepper inner, TranslationVocabulary vocabulary, IReadOnlyList<EncodedSource> sources, int vocab, int end)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(vocabulary);
        ArgumentNullException.ThrowIfNull(sources);
        if (sources.Count != inner.Batch) throw new ArgumentException($"{sources.Count} sources for a batch of {inner.Batch}.");
        _inner = inner; _vocab = vocab; _end = end;
        _slotIds = [.. Enumerable.Range(0, TranslationVocabulary.MaxSlots).Select(vocabulary.TargetSlot)];
        _required = [.. sources.Select(s => Enumerable.Range(0, TranslationVocabulary.MaxSlots).Select(k => k < s.SlotCounts.Count ? s.SlotCounts[k] : 0)
            .ToArray())];
        _emitted = [.. sources.Select(_ => new int[TranslationVocabulary.MaxSlots])];
        _logits = new float[inner.Batch * vocab];
    }

    public int Batch => _inner.Batch;

    public ReadOnlySpan<float> Attention => _inner.Attention;

    public ReadOnlySpan<float> Step(ReadOnlySpan<int> previous)
    {
        if (_started)
            for (int b = 0; b < previous.Length; b++)
                for (int k = 0; k < _slotIds.Length; k++)
                    if (previous[b] == _slotIds[k].Plain || previous[b] == _slotIds[k].Spaced) _emitted[b][k]++;
        _started = true;
        _inner.Step(previous).CopyTo(_logits);
        for (int b = 0; b < Batch; b++)
        {
            var row = _logits.AsSpan(b * _vocab, _vocab);
            bool missing = false;
            for (int k = 0; k < _slotIds.Length; k++)
            {
                if (_emitted[b][k] < _required[b][k]) { missing = true; continue; }
                row[_slotIds[k].Plain] = float.NegativeInfinity;
                row[_slotIds[k].Spaced] = float.NegativeInfinity;
            }
            if (missing) row[_end] = float.NegativeInfinity;
        }
        return _logits;
    }

    public void Select(ReadOnlySpan<int> rows)
    {
        _inner.Select(rows);
        var emitted = new int[rows.Length][];
        for (int b = 0; b < rows.Length; b++) emitted[b] = (int[])_emitted[rows[b]].Clone();
        _emitted = emitted;
    }
}
