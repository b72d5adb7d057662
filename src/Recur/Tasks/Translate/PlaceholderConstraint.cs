using Recur.Data.Translation;
using Recur.Models.Decoding;

namespace Recur.Tasks.Translate;

/// <summary>
/// Constrained decoding for placeholders (lexically constrained decoding, Hokamp and Liu 2017, for the words a translation
/// must copy): wraps a decoder and, row by row, gives <c>-∞</c> to what would make <see cref="Placeholders.Compare"/> find a
/// placeholder dropped or invented (<see cref="SourceRequirements"/>):
/// <list type="bullet">
/// <item>a slot the source does not hold or has already had as often as it holds it; a copied placeholder written out
/// (<c>%s</c> as a symbol, not a slot) beyond what the slots leave over; a tab beyond the source's;</item>
/// <item>a line break first unless the source starts with one (then nothing else comes first), and the end unless the output
/// ends with a line break exactly when the source does (a lone first line break does not end it);</item>
/// <item>a letter after an accelerator marker (<c>_</c>, <c>&amp;</c> where an accelerator may start) once the output has
/// the source's accelerators of that marker, and a second marker after it while one is lacking; a symbol whose first
/// character would continue a printf conversion after a literal <c>%</c>; a symbol that would close a brace or markup
/// placeholder out of text (<c>&lt;</c>, <c>b</c>, <c>/</c>, <c>&gt;</c>);</item>
/// <item>the end while a slot, a written-out placeholder or a tab is missing; and a free symbol where what is missing (an
/// accelerator too: a marker, then a letter) and the trailing line break would no longer fit before the row's length
/// limit: then only what is missing may come, the trailing line break once nothing else is, or the end where it is
/// allowed, so that an output that runs to its limit still holds its placeholders; at the limit, only the end.</item>
/// </list>
/// Missing accelerators are put back after decoding (<see cref="AcceleratorRepair"/>).
/// </summary>
public sealed class PlaceholderConstraint : IDecoderStepper
{
    private readonly IDecoderStepper _inner;
    private readonly int _vocab, _end;
    private readonly ConstraintSymbols _symbols;
    private readonly SourceRequirements[] _required;
    private readonly int[] _limits;
    private readonly float[] _logits;
    private ConstraintRow[] _rows;

    /// <summary>
    /// Constrains <paramref name="inner"/>, whose row b translates <paramref name="sources"/>[b] in at most
    /// <paramref name="limits"/>[b] symbols (null: no limit is known, so nothing is forced before one).
    /// </summary>
    public PlaceholderConstraint(IDecoderStepper inner, TranslationVocabulary vocabulary, IReadOnlyList<EncodedSource> sources, int vocab, int end,
        IReadOnlyList<int>? limits = null)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(vocabulary);
        ArgumentNullException.ThrowIfNull(sources);
        if (sources.Count != inner.Batch) throw new ArgumentException($"{sources.Count} sources for a batch of {inner.Batch}.");
        if (limits is not null && limits.Count != sources.Count) throw new ArgumentException($"{limits.Count} limits for {sources.Count} sources.");
        _inner = inner; _vocab = vocab; _end = end;
        _symbols = ConstraintSymbols.Of(vocabulary);
        if (_symbols.Text.Length != vocab) throw new ArgumentException($"the vocabulary has {_symbols.Text.Length} target symbols, the decoder {vocab}.");
        _required = [.. sources.Select(s => new SourceRequirements(s))];
        _limits = limits is null ? [.. Enumerable.Repeat(int.MaxValue, sources.Count)] : [.. limits];
        _rows = [.. _required.Select(_ => new ConstraintRow())];
        _logits = new float[inner.Batch * vocab];
    }

    public int Batch => _inner.Batch;

    public ReadOnlySpan<float> Attention => _inner.Attention;

    public ReadOnlySpan<float> Step(ReadOnlySpan<int> previous)
    {
        for (int b = 0; b < previous.Length; b++) _rows[b].Append(previous[b], _symbols, _required[b]);
        _inner.Step(previous).CopyTo(_logits);
        for (int b = 0; b < Batch; b++) Constrain(_logits.AsSpan(b * _vocab, _vocab), _rows[b], _required[b], _limits[b]);
        return _logits;
    }

    public void Select(ReadOnlySpan<int> rows)
    {
        _inner.Select(rows);
        var next = new ConstraintRow[rows.Length];
        for (int b = 0; b < rows.Length; b++) next[b] = _rows[rows[b]].Clone();
        _rows = next;
    }

    private void Constrain(Span<float> logits, ConstraintRow row, SourceRequirements need, int limit)
    {
        var s = _symbols;
        if (row.Symbols >= limit) { KeepOnly(logits, [_end]); return; }
        if (row.Text.Length == 0 && need.StartsWithNewline && s.Newline >= 0) { KeepOnly(logits, [s.Newline]); return; }
        var missing = new List<int>();
        int deficit = BarComplete(logits, row, need, missing);
        int accelerators = BarAccelerators(logits, row, need, missing);
        if (row.Text.Length == 0) Bar(logits, s.Newline);
        if (row.AfterPercent)
        {
            for (int id = 0; id < logits.Length; id++) if (s.ContinuesPercent[id]) logits[id] = float.NegativeInfinity;
            for (int k = 0; k < need.SlotTexts.Count; k++)
                if (ConstraintSymbols.PrintfContinuations.Contains(need.SlotTexts[k][0], StringComparison.Ordinal)) Bar(logits, SlotId(k, false));
        }
        if (row.OpenBracket) BarComposed(logits, row, need);
        if (deficit > 0 || SourceRequirements.EndsWithLineBreak(row.Text) != need.EndsWithNewline) Bar(logits, _end);
        // a free symbol leaves what is missing and the trailing line break to the symbols after it; where they do not fit,
        // only what is missing may come (the trailing line break once nothing else is), or the end where it is allowed and no
        // accelerator is missing (one that ends earlier is repaired after decoding)
        int trailing = need.EndsWithNewline ? 1 : 0, left = limit - row.Symbols, needed = deficit + accelerators;
        if (1 + needed + trailing > left) KeepOnly(logits, [.. missing, needed == 0 ? s.Newline : -1, accelerators == 0 ? _end : -1]);
        if (float.IsNegativeInfinity(System.Numerics.Tensors.TensorPrimitives.Max((ReadOnlySpan<float>)logits))) logits[_end] = 0; // nothing left: end
    }

    /// <summary>
    /// Bars each slot, written-out placeholder and tab the row already has as often as its source, adds those it lacks to
    /// <paramref name="missing"/>, and returns how many symbols it lacks.
    /// </summary>
    private int BarComplete(Span<float> logits, ConstraintRow row, SourceRequirements need, List<int> missing)
    {
        var s = _symbols;
        int deficit = 0;
        for (int k = 0; k < need.SlotCounts.Length; k++)
        {
            int lacking = need.SlotCounts[k] - row.Slots[k];
            if (lacking <= 0) { Bar(logits, SlotId(k, false)); Bar(logits, SlotId(k, true)); continue; }
            deficit += lacking;
            missing.Add(SlotId(k, false)); missing.Add(SlotId(k, true));
        }
        foreach (var (key, n) in need.LiteralKeys) deficit += Math.Max(0, n - row.Literals.GetValueOrDefault(key));
        foreach (int id in s.Literals)
        {
            if (row.Literals.GetValueOrDefault(s.Key[id]!) >= need.LiteralKeys.GetValueOrDefault(s.Key[id]!)) Bar(logits, id);
            else missing.Add(id);
        }
        if (s.Tab >= 0 && row.Tabs >= need.Tabs) Bar(logits, s.Tab);
        else if (s.Tab >= 0) { deficit += need.Tabs - row.Tabs; missing.Add(s.Tab); }
        return deficit;
    }

    /// <summary>
    /// Accelerators: after a marker where one may start, bars the letters once the row has the source's accelerators of that
    /// marker, else a second marker (which would undo it); adds to <paramref name="missing"/> what makes a lacking one (a
    /// letter after such a marker, else a marker where one may start); returns the symbols the lacking ones need (two each:
    /// the marker and a letter; one for a marker already written).
    /// </summary>
    private int BarAccelerators(Span<float> logits, ConstraintRow row, SourceRequirements need, List<int> missing)
    {
        var s = _symbols;
        int needed = 0;
        foreach (char m in "_&")
        {
            int lacking = need.Accelerators(m) - row.Accelerators(m);
            if (lacking > 0) needed += 2 * lacking - (row.Pending == m ? 1 : 0);
        }
        if (row.Pending != '\0' && row.Accelerators(row.Pending) >= need.Accelerators(row.Pending))
        {
            foreach (int id in s.Letters) logits[id] = float.NegativeInfinity;
            return needed;
        }
        if (row.Pending != '\0')
        {
            foreach (int id in s.Markers) if (!s.SpaceBefore[id]) logits[id] = float.NegativeInfinity;
            missing.AddRange(s.Letters);
            return needed;
        }
        bool starts = row.Text.Length == 0 || !ConstraintSymbols.BlocksAccelerator(row.Text[^1]);
        foreach (int id in s.Markers)
            if (need.Accelerators(s.Marker[id]) > row.Accelerators(s.Marker[id]) && (s.SpaceBefore[id] || starts)) missing.Add(id);
        return needed;
    }

    /// <summary>Bars the symbols that would close a brace or markup placeholder out of the text's open bracket.</summary>
    private void BarComposed(Span<float> logits, ConstraintRow row, SourceRequirements need)
    {
        var before = Placeholders.Find(row.Text).Where(p => p.Copied).ToList();
        foreach (int id in _symbols.Closers)
            if (!float.IsNegativeInfinity(logits[id]) && Composes(row.Text, _symbols.Text[id], before, own: _symbols.Key[id] is null ? 0 : 1))
                logits[id] = float.NegativeInfinity;
        for (int k = 0; k < need.SlotTexts.Count; k++)
            foreach (bool spaced in new[] { false, true })
            {
                int id = SlotId(k, spaced);
                if (id >= 0 && !float.IsNegativeInfinity(logits[id]) && Composes(row.Text, (spaced ? " " : "") + need.SlotTexts[k], before, own: 1))
                    logits[id] = float.NegativeInfinity;
            }
    }

    /// <summary>
    /// True when <paramref name="text"/> followed by <paramref name="added"/> holds other copied placeholders than
    /// <paramref name="before"/> (those of <paramref name="text"/>) and the <paramref name="own"/> one <paramref name="added"/> is.
    /// </summary>
    internal static bool Composes(string text, string added, IReadOnlyList<Placeholder> before, int own)
    {
        var after = Placeholders.Find(text + added).Where(p => p.Copied).ToList();
        if (after.Count != before.Count + own) return true;
        for (int i = 0; i < before.Count; i++)
            if (after[i].Start != before[i].Start || after[i].Length != before[i].Length) return true;
        return own == 1 && after[^1].Start + after[^1].Length != text.Length + added.Length;
    }

    private int SlotId(int k, bool spaced) => spaced ? _symbols.Slots[k].Spaced : _symbols.Slots[k].Plain;

    private static void Bar(Span<float> logits, int id)
    {
        if (id >= 0) logits[id] = float.NegativeInfinity;
    }

    private static void KeepOnly(Span<float> logits, int[] ids)
    {
        var kept = new float[ids.Length];
        for (int i = 0; i < ids.Length; i++) kept[i] = ids[i] >= 0 ? logits[ids[i]] : float.NegativeInfinity;
        logits.Fill(float.NegativeInfinity);
        for (int i = 0; i < ids.Length; i++) if (ids[i] >= 0) logits[ids[i]] = kept[i];
    }
}
