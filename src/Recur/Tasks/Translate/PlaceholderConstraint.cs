using Recur.Data.Translation;
using Recur.Models.Decoding;

namespace Recur.Tasks.Translate;

/// <summary>
/// Constrained decoding for placeholders (lexically constrained decoding, Hokamp and Liu 2017, for the one kind of word a
/// translation must copy): wraps a decoder and, row by row, gives <c>-∞</c> to each slot (and tab) the source does not
/// hold or has already had as often as the source holds it, and to the end symbol while one is still missing; a line
/// break starts the output exactly when one starts the source, and the end may follow a line break exactly when the
/// source ends with one (what <c>msgfmt --check</c> asks). A translation then neither invents nor drops a masked
/// placeholder (printf, brace, markup), a tab or an edge line break, unless it runs into its length limit, where the
/// end is forced. Accelerators and placeholders beyond the slots are left to the model.
/// </summary>
public sealed class PlaceholderConstraint : IDecoderStepper
{
    private readonly IDecoderStepper _inner;
    private readonly int _vocab, _end;
    private readonly (int Plain, int Spaced)[] _slotIds; // the counted symbols: the slots, then the tab (twice its one id)
    private readonly int _newline;
    private readonly int[][] _required;
    private readonly bool[] _startsWithNewline, _endsWithNewline;
    private int[][] _emitted;
    private int[] _last;
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
        int tab = vocabulary.TargetId("\t");
        _newline = vocabulary.TargetId("\n");
        _slotIds = [.. Enumerable.Range(0, TranslationVocabulary.MaxSlots).Select(vocabulary.TargetSlot), (tab, tab)];
        _required = [.. sources.Select(s => Enumerable.Range(0, TranslationVocabulary.MaxSlots).Select(k => k < s.SlotCounts.Count ? s.SlotCounts[k] : 0)
            .Append(s.Tokens.Count(t => t == "\t")).ToArray())];
        _startsWithNewline = [.. sources.Select(s => s.Tokens.Count > 0 && s.Tokens[0] == "\n")];
        _endsWithNewline = [.. sources.Select(s => s.Tokens.Count > 0 && s.Tokens[^1] == "\n")];
        _emitted = [.. sources.Select(_ => new int[_slotIds.Length])];
        _last = new int[inner.Batch];
        _logits = new float[inner.Batch * vocab];
    }

    public int Batch => _inner.Batch;

    public ReadOnlySpan<float> Attention => _inner.Attention;

    public ReadOnlySpan<float> Step(ReadOnlySpan<int> previous)
    {
        bool first = !_started;
        if (_started)
            for (int b = 0; b < previous.Length; b++)
            {
                _last[b] = previous[b];
                for (int k = 0; k < _slotIds.Length; k++)
                    if (previous[b] == _slotIds[k].Plain || previous[b] == _slotIds[k].Spaced) _emitted[b][k]++;
            }
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
            bool afterNewline = !first && _last[b] == _newline;
            if (missing || (_newline != TranslationVocabulary.TargetUnknown && afterNewline != _endsWithNewline[b])) row[_end] = float.NegativeInfinity;
            if (_newline == TranslationVocabulary.TargetUnknown) continue;
            if (first && _startsWithNewline[b])
            {
                float keep = row[_newline];
                row.Fill(float.NegativeInfinity);
                row[_newline] = keep;
            }
            else if (first) row[_newline] = float.NegativeInfinity;
        }
        return _logits;
    }

    public void Select(ReadOnlySpan<int> rows)
    {
        _inner.Select(rows);
        var emitted = new int[rows.Length][];
        var last = new int[rows.Length];
        for (int b = 0; b < rows.Length; b++) { emitted[b] = (int[])_emitted[rows[b]].Clone(); last[b] = _last[rows[b]]; }
        _emitted = emitted;
        _last = last;
    }
}
