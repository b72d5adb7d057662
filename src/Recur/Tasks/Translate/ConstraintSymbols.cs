using System.Globalization;
using System.Runtime.CompilerServices;
using Recur.Data.Translation;

namespace Recur.Tasks.Translate;

/// <summary>
/// What each target symbol of a vocabulary is to <see cref="PlaceholderConstraint"/>, worked out once per vocabulary: its
/// text (the space mark as a space; a slot's text is its source's placeholder, so none here), the slot it names, the key
/// of the placeholder it is when it is one whole copied placeholder written out (<c>%s</c> beyond the slots, or one the
/// source does not mask), the accelerator marker it is (<c>_</c> or <c>&amp;</c>), whether it starts with a letter (what
/// turns a marker before it into an accelerator), and whether its first character would continue a printf conversion
/// after a literal <c>%</c>.
/// </summary>
public sealed class ConstraintSymbols
{
    private static readonly ConditionalWeakTable<TranslationVocabulary, ConstraintSymbols> Cache = [];

    /// <summary>The characters that may follow the <c>%</c> of a printf conversion (<see cref="Placeholders"/>' pattern).</summary>
    public const string PrintfContinuations = "0123456789-+#'*.hlLqjzZtdiouxXeEfFgGaAcspnm%(";

    private ConstraintSymbols(TranslationVocabulary vocabulary)
    {
        int V = vocabulary.TargetSymbols.Count;
        Text = new string[V];
        Slot = new int[V];
        Key = new string?[V];
        Marker = new char[V];
        ContinuesPercent = new bool[V];
        SpaceBefore = new bool[V];
        var percent = new List<int>();
        var letters = new List<int>();
        var markers = new List<int>();
        var literal = new List<int>();
        var closers = new List<int>();
        var slotOf = new Dictionary<int, int>();
        Slots = new (int, int)[TranslationVocabulary.MaxSlots];
        for (int k = 0; k < TranslationVocabulary.MaxSlots; k++)
        {
            var (plain, spaced) = vocabulary.TargetSlot(k);
            Slots[k] = (plain == TranslationVocabulary.TargetUnknown ? -1 : plain, spaced == TranslationVocabulary.TargetUnknown ? -1 : spaced);
            if (plain != TranslationVocabulary.TargetUnknown) slotOf[plain] = k;
            if (spaced != TranslationVocabulary.TargetUnknown) slotOf[spaced] = k;
        }
        for (int id = 0; id < V; id++)
        {
            Slot[id] = slotOf.GetValueOrDefault(id, -1);
            string symbol = vocabulary.TargetSymbols[id];
            bool space = symbol.StartsWith(TranslationVocabulary.SpaceMark, StringComparison.Ordinal);
            string body = space ? symbol[TranslationVocabulary.SpaceMark.Length..] : symbol;
            SpaceBefore[id] = space;
            if (id <= TranslationVocabulary.TargetUnknown || Slot[id] >= 0) { Text[id] = ""; continue; }
            Text[id] = (space ? " " : "") + body;
            var found = Placeholders.Find(body);
            if (found.Count == 1 && found[0].Length == body.Length && found[0].Copied) { Key[id] = found[0].Key; literal.Add(id); }
            if (found.Count == 1 && found[0].Length == body.Length && found[0].Kind == PlaceholderKind.Tab) Tab = id;
            if (body == "\n" && !space) Newline = id;
            if (body is "_" or "&") { Marker[id] = body[0]; markers.Add(id); }
            if (Text[id].Length > 0 && char.IsLetter(Text[id][0])) letters.Add(id);
            ContinuesPercent[id] = Text[id].Length > 0 && PrintfContinuations.Contains(Text[id][0], StringComparison.Ordinal);
            if (body.Contains('>', StringComparison.Ordinal) || body.Contains('}', StringComparison.Ordinal)) closers.Add(id);
            if (body == "%") percent.Add(id);
        }
        Literals = literal;
        Closers = closers;
        Percent = percent;
        Letters = letters;
        Markers = markers;
    }

    /// <summary>The table of <paramref name="vocabulary"/> (made once, kept while the vocabulary lives).</summary>
    public static ConstraintSymbols Of(TranslationVocabulary vocabulary)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        return Cache.GetValue(vocabulary, v => new ConstraintSymbols(v));
    }

    /// <summary>Each symbol's text (<c>""</c> for the specials and the slots).</summary>
    public string[] Text { get; }

    /// <summary>True for a symbol with the leading-space mark.</summary>
    public bool[] SpaceBefore { get; }

    /// <summary>The symbols of slot k, without and with a leading space (-1 where the vocabulary has none).</summary>
    public (int Plain, int Spaced)[] Slots { get; }

    /// <summary>The slot each symbol names, or -1.</summary>
    public int[] Slot { get; }

    /// <summary>The key (<see cref="Placeholder.Key"/>) of a symbol that is one whole copied placeholder written out, else null.</summary>
    public string?[] Key { get; }

    /// <summary>The symbols with a <see cref="Key"/>.</summary>
    public IReadOnlyList<int> Literals { get; }

    /// <summary><c>_</c> or <c>&amp;</c> for an accelerator marker (with or without a leading space), else <c>'\0'</c>.</summary>
    public char[] Marker { get; }

    /// <summary>The symbols that start with a letter.</summary>
    public IReadOnlyList<int> Letters { get; }

    /// <summary>The accelerator markers.</summary>
    public IReadOnlyList<int> Markers { get; }

    /// <summary>True for a symbol whose first character may continue a printf conversion after a <c>%</c>.</summary>
    public bool[] ContinuesPercent { get; }

    /// <summary>The symbols that may close a brace or markup placeholder (their text holds <c>}</c> or <c>&gt;</c>).</summary>
    public IReadOnlyList<int> Closers { get; }

    /// <summary>The literal percent signs (<c>%</c>, <c>▁%</c>): text, not a placeholder.</summary>
    public IReadOnlyList<int> Percent { get; }

    /// <summary>The tab and line break symbols (-1 where the vocabulary has none).</summary>
    public int Tab { get; } = -1;

    /// <inheritdoc cref="Tab"/>
    public int Newline { get; } = -1;

    /// <summary>True for a character that keeps a marker after it from being an accelerator (a letter, mark, digit, <c>_</c> or <c>&amp;</c>).</summary>
    public static bool BlocksAccelerator(char c) => c is '_' or '&' || CharUnicodeInfo.GetUnicodeCategory(c) is UnicodeCategory.UppercaseLetter
        or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter
        or UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark
        or UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber;
}
