using Recur.Data.Translation;

namespace Recur.Tasks.Translate;

/// <summary>
/// What a translation of one source must hold for <see cref="Placeholders.Compare"/> to find nothing dropped or invented:
/// each slot as often as the source holds it, the copied placeholders the slots do not cover (beyond
/// <see cref="TranslationVocabulary.MaxSlots"/>) by key, the tabs, the accelerators by marker, and a line break at the
/// start and at the end exactly where the source has one (a lone <c>"\n"</c> only starts its message).
/// </summary>
public sealed class SourceRequirements
{
    public SourceRequirements(EncodedSource source)
    {
        ArgumentNullException.ThrowIfNull(source);
        Source = source;
        SlotCounts = new int[TranslationVocabulary.MaxSlots];
        for (int k = 0; k < source.SlotCounts.Count && k < SlotCounts.Length; k++) SlotCounts[k] = source.SlotCounts[k];
        SlotKeys = [.. source.Slots.Select(s => Placeholders.Find(s) is [var p] ? p.Key : s)];
        SlotTexts = [.. source.Slots];
        string text = source.Text;
        var literal = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var p in Placeholders.Find(text))
        {
            if (p.Copied) literal[p.Key] = literal.GetValueOrDefault(p.Key) + 1;
            else if (p.Kind == PlaceholderKind.Tab) Tabs++;
            else if (p.Kind == PlaceholderKind.Accelerator && p.Text == "_") Underscores++;
            else if (p.Kind == PlaceholderKind.Accelerator) Ampersands++;
        }
        for (int k = 0; k < SlotKeys.Count; k++) literal[SlotKeys[k]] = literal.GetValueOrDefault(SlotKeys[k]) - SlotCounts[k];
        LiteralKeys = literal.Where(kv => kv.Value > 0).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        StartsWithNewline = text.Length > 0 && text[0] == '\n';
        EndsWithNewline = EndsWithLineBreak(text);
    }

    /// <summary>The source.</summary>
    public EncodedSource Source { get; }

    /// <summary>How often each slot must come (<see cref="TranslationVocabulary.MaxSlots"/> entries, 0 past the source's slots).</summary>
    public int[] SlotCounts { get; }

    /// <summary>The key of each of the source's slots (<c>%1$s</c>'s is <c>%s</c>).</summary>
    public IReadOnlyList<string> SlotKeys { get; }

    /// <summary>The placeholder each of the source's slots stands for.</summary>
    public IReadOnlyList<string> SlotTexts { get; }

    /// <summary>The copied placeholders the slots leave over, by key: what must be written out symbol by symbol.</summary>
    public IReadOnlyDictionary<string, int> LiteralKeys { get; }

    /// <summary>Tabs.</summary>
    public int Tabs { get; }

    /// <summary>Accelerators marked with <c>_</c> and with <c>&amp;</c>.</summary>
    public int Underscores { get; }

    /// <inheritdoc cref="Underscores"/>
    public int Ampersands { get; }

    /// <summary>True when the source starts with a line break.</summary>
    public bool StartsWithNewline { get; }

    /// <summary>True when the source ends with a line break that does not also start it (<see cref="EndsWithLineBreak"/>).</summary>
    public bool EndsWithNewline { get; }

    /// <summary>The accelerators of marker <paramref name="marker"/> the source holds.</summary>
    public int Accelerators(char marker) => marker == '_' ? Underscores : Ampersands;

    /// <summary>
    /// True when <paramref name="text"/> ends with a line break that the check counts as ending it: one that is not also its
    /// first character (<see cref="Placeholders.Compare"/> counts a line break at position 0 as the start only).
    /// </summary>
    public static bool EndsWithLineBreak(string text) => text.Length > 1 && text[^1] == '\n';
}
