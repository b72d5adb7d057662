using Recur.Data.Translation;

namespace Recur.Tasks.Translate;

/// <summary>
/// What one row of <see cref="PlaceholderConstraint"/> has written so far: its text (slots as their placeholders), its
/// symbols, the slots, written-out placeholders, tabs and accelerators it holds, and the state of its last characters
/// (a marker that a letter would make an accelerator, a literal <c>%</c>, an open bracket).
/// </summary>
internal sealed class ConstraintRow
{
    /// <summary>The text so far.</summary>
    public string Text { get; private set; } = "";

    /// <summary>Symbols written (an <c>&lt;unk&gt;</c>, which writes no text, counts).</summary>
    public int Symbols { get; private set; }

    /// <summary>How often each slot came.</summary>
    public int[] Slots { get; private init; } = new int[TranslationVocabulary.MaxSlots];

    /// <summary>How often each written-out placeholder came, by key.</summary>
    public Dictionary<string, int> Literals { get; private init; } = new(StringComparer.Ordinal);

    /// <summary>Tabs written.</summary>
    public int Tabs { get; private set; }

    /// <summary>Accelerators written with <c>_</c> and with <c>&amp;</c>.</summary>
    public int Underscores { get; private set; }

    /// <inheritdoc cref="Underscores"/>
    public int Ampersands { get; private set; }

    /// <summary>The marker the text ends with where a letter would make it an accelerator, else <c>'\0'</c>.</summary>
    public char Pending { get; private set; }

    /// <summary>True when the text ends with a literal <c>%</c> (a percent sign written as text, not a placeholder).</summary>
    public bool AfterPercent { get; private set; }

    /// <summary>True when a <c>&lt;</c> follows the text's last <c>&gt;</c>, or a <c>{</c> its last <c>}</c>: a later symbol may close a placeholder.</summary>
    public bool OpenBracket { get; private set; }

    /// <summary>The accelerators written with <paramref name="marker"/>.</summary>
    public int Accelerators(char marker) => marker == '_' ? Underscores : Ampersands;

    /// <summary>Writes symbol <paramref name="id"/> (the start, end and padding symbols write nothing and are not counted).</summary>
    public void Append(int id, ConstraintSymbols symbols, SourceRequirements need)
    {
        if (id < TranslationVocabulary.TargetUnknown || id >= symbols.Text.Length) return;
        Symbols++;
        int slot = symbols.Slot[id];
        string added = slot < 0 ? symbols.Text[id] : slot < need.SlotTexts.Count ? (symbols.SpaceBefore[id] ? " " : "") + need.SlotTexts[slot] : "";
        if (added.Length == 0) return; // <unk>, or a slot the source has not: no text, nothing changes
        if (Pending != '\0' && char.IsLetter(added[0]))
        {
            if (Pending == '_') Underscores++;
            else Ampersands++;
        }
        char marker = symbols.Marker[id];
        Pending = marker != '\0' && (symbols.SpaceBefore[id] || Text.Length == 0 || !ConstraintSymbols.BlocksAccelerator(Text[^1])) ? marker : '\0';
        if (slot >= 0) Slots[slot]++;
        else if (symbols.Key[id] is { } key) Literals[key] = Literals.GetValueOrDefault(key) + 1;
        else if (id == symbols.Tab) Tabs++;
        AfterPercent = symbols.Percent.Contains(id);
        Text += added;
        OpenBracket = Text.LastIndexOf('<') > Text.LastIndexOf('>') || Text.LastIndexOf('{') > Text.LastIndexOf('}');
    }

    /// <summary>A copy (beam search's reordering).</summary>
    public ConstraintRow Clone() => new()
    {
        Text = Text, Symbols = Symbols, Slots = (int[])Slots.Clone(), Literals = new(Literals, StringComparer.Ordinal), Tabs = Tabs,
        Underscores = Underscores, Ampersands = Ampersands, Pending = Pending, AfterPercent = AfterPercent, OpenBracket = OpenBracket,
    };
}
