using System.Text;

namespace Recur.Data.Translation;

/// <summary>A source message as symbol ids, with each symbol's text and the placeholders its slots stand for.</summary>
/// <param name="Ids">Source symbol ids (unknown symbols as <see cref="TranslationVocabulary.SourceUnknown"/>).</param>
/// <param name="Tokens">Each symbol's text, a slot shown as its placeholder (for alignment pictures).</param>
/// <param name="Slots">The source's copied placeholders (<see cref="Placeholder.Copied"/>), distinct, in order: slot k stands for Slots[k].</param>
/// <param name="SlotCounts">How often the source holds each slot (as long as <paramref name="Slots"/>).</param>
/// <param name="Text">The message itself.</param>
public sealed record EncodedSource(int[] Ids, IReadOnlyList<string> Tokens, IReadOnlyList<string> Slots, IReadOnlyList<int> SlotCounts, string Text);

/// <summary>A translation written back as text: its text, each symbol's text, and how many slots it named that its source has not.</summary>
public sealed record DecodedTarget(string Text, IReadOnlyList<string> Tokens, int InventedSlots);

/// <summary>
/// The symbols a translation model reads and writes. A message is cut by <see cref="PreTokenizer"/>; its words and
/// punctuation become byte-pair units (<see cref="BpeMerges"/>, learned jointly on both sides of the training pairs, so
/// that names and identifiers are cut alike in English and French), a word's leading space the mark <c>▁</c> on its
/// first unit. The placeholders a translation copies (printf, brace, markup) are masked as slots: the source's distinct
/// ones, in order, become <c>slot 0</c>, <c>slot 1</c>, ... (at most <see cref="MaxSlots"/>; more stay as they are), and
/// the target names the slot of the source placeholder it repeats, so the model learns to copy placeholders it never
/// saw; <see cref="Decode"/> puts the source's placeholders back. Accelerators, line breaks, tabs and other whitespace
/// are whole symbols of their own. Source symbols are <c>&lt;pad&gt;</c>, <c>&lt;unk&gt;</c>, the slots, then those
/// of the training sources by frequency; target symbols <c>&lt;NULL&gt;</c>, <c>&lt;START&gt;</c>, <c>&lt;END&gt;</c>,
/// <c>&lt;unk&gt;</c>, the slots, then those of the training targets. (A literal U+2581 in a message decodes as a space.)
/// </summary>
public sealed class TranslationVocabulary
{
    /// <summary>The most placeholders of one source masked as slots.</summary>
    public const int MaxSlots = 8;

    /// <summary>The mark of a leading space.</summary>
    public const string SpaceMark = "\u2581";

    /// <summary>Source id of a symbol the model does not know; target id of one.</summary>
    public const int SourceUnknown = 1, TargetUnknown = 3;

    private const char SlotMark = '\uE000';
    private static readonly string[] SourceSpecials = ["<pad>", "<unk>"];
    private static readonly string[] TargetSpecials = ["<NULL>", "<START>", "<END>", "<unk>"];
    private readonly Dictionary<string, int> _source, _target;
    private readonly HashSet<int> _alphabet;

    public TranslationVocabulary(BpeMerges bpe, IReadOnlyList<string> sourceSymbols, IReadOnlyList<string> targetSymbols, string alphabet)
    {
        ArgumentNullException.ThrowIfNull(bpe);
        ArgumentNullException.ThrowIfNull(sourceSymbols);
        ArgumentNullException.ThrowIfNull(targetSymbols);
        ArgumentNullException.ThrowIfNull(alphabet);
        if (!sourceSymbols.Take(2).SequenceEqual(SourceSpecials)) throw new ArgumentException("the source symbols start with <pad>, <unk>.");
        if (!targetSymbols.Take(4).SequenceEqual(TargetSpecials)) throw new ArgumentException("the target symbols start with <NULL>, <START>, <END>, <unk>.");
        Bpe = bpe; SourceSymbols = sourceSymbols; TargetSymbols = targetSymbols; Alphabet = alphabet;
        _source = Index(sourceSymbols, "source");
        _target = Index(targetSymbols, "target");
        _alphabet = [.. alphabet.EnumerateRunes().Select(r => r.Value)];
    }

    public BpeMerges Bpe { get; }
    public IReadOnlyList<string> SourceSymbols { get; }
    public IReadOnlyList<string> TargetSymbols { get; }

    /// <summary>The characters of the training sources' words, in ordinal order: what the model has read.</summary>
    public string Alphabet { get; }

    /// <summary>
    /// The vocabulary of <paramref name="train"/>: at most <paramref name="merges"/> byte-pair merges learned on the words of
    /// both sides (<see cref="BpeMerges.Learn"/>), then the symbols each side uses.
    /// </summary>
    public static TranslationVocabulary Build(IReadOnlyList<TranslationPair> train, int merges)
    {
        ArgumentNullException.ThrowIfNull(train);
        var words = new Dictionary<string, long>(StringComparer.Ordinal);
        var alphabet = new SortedSet<int>();
        foreach (var p in train)
            foreach (var (text, isSource) in new[] { (p.Source, true), (p.Target, false) })
                foreach (var piece in PreTokenizer.Split(text).Where(x => x.Kind == PieceKind.Text))
                {
                    string w = (piece.SpaceBefore ? SpaceMark : "") + piece.Text;
                    words[w] = words.GetValueOrDefault(w) + 1;
                    if (isSource) foreach (var r in piece.Text.EnumerateRunes()) alphabet.Add(r.Value);
                }
        var bpe = BpeMerges.Learn(words, merges);
        var sourceCounts = new Dictionary<string, long>(StringComparer.Ordinal);
        var targetCounts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var p in train)
        {
            var slots = new List<string>();
            foreach (var s in Symbols(p.Source, bpe, slots, assign: true)) sourceCounts[s] = sourceCounts.GetValueOrDefault(s) + 1;
            foreach (var s in Symbols(p.Target, bpe, slots, assign: false)) targetCounts[s] = targetCounts.GetValueOrDefault(s) + 1;
        }
        var slotSymbols = Enumerable.Range(0, MaxSlots).SelectMany(k => new[] { Slot(k), SpaceMark + Slot(k) }).ToArray();
        IEnumerable<string> Ranked(Dictionary<string, long> counts) => counts.Where(kv => !slotSymbols.Contains(kv.Key))
            .OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Key);
        return new TranslationVocabulary(bpe, [.. SourceSpecials, .. slotSymbols, .. Ranked(sourceCounts)],
            [.. TargetSpecials, .. slotSymbols, .. Ranked(targetCounts)], string.Concat(alphabet.Select(char.ConvertFromUtf32)));
    }

    /// <summary>True when the model has read <paramref name="r"/> in its training sources.</summary>
    public bool Knows(Rune r) => _alphabet.Contains(r.Value);

    /// <summary>
    /// <paramref name="text"/> with its placeholders blanked out (each UTF-16 unit a space), so that a check of its characters
    /// against <see cref="Knows"/> (and whitespace) looks only at its words, at their own positions.
    /// </summary>
    public static string WordsOnly(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var chars = text.ToCharArray();
        foreach (var p in Placeholders.Find(text)) Array.Fill(chars, ' ', p.Start, p.Length);
        return new string(chars);
    }

    /// <summary>A source message as ids, its symbols' texts and its slots.</summary>
    public EncodedSource EncodeSource(string text)
    {
        var slots = new List<string>();
        var symbols = Symbols(text, Bpe, slots, assign: true);
        var counts = new int[slots.Count];
        foreach (var s in symbols) if (SlotOf(s.StartsWith(SpaceMark, StringComparison.Ordinal) ? s[SpaceMark.Length..] : s) is int k) counts[k]++;
        return new EncodedSource([.. symbols.Select(s => _source.GetValueOrDefault(s, SourceUnknown))], [.. symbols.Select(s => Shown(s, slots))], slots,
            counts, text);
    }

    /// <summary>The target id of the symbol <paramref name="symbol"/> (<see cref="TargetUnknown"/> when the targets never use it).</summary>
    public int TargetId(string symbol) => _target.GetValueOrDefault(symbol, TargetUnknown);

    /// <summary>The target ids of slot <paramref name="k"/>, without and with a leading space.</summary>
    public (int Plain, int Spaced) TargetSlot(int k)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(k, MaxSlots);
        return (_target.GetValueOrDefault(Slot(k), TargetUnknown), _target.GetValueOrDefault(SpaceMark + Slot(k), TargetUnknown));
    }

    /// <summary>A target message as ids (without start and end), its copied placeholders named by the source's <paramref name="slots"/>.</summary>
    public int[] EncodeTarget(string text, IReadOnlyList<string> slots)
        => [.. Symbols(text, Bpe, [.. slots], assign: false).Select(s => _target.GetValueOrDefault(s, TargetUnknown))];

    /// <summary>Target ids back to text, each slot replaced by the source's placeholder (<see cref="EncodedSource.Slots"/>).</summary>
    public DecodedTarget Decode(IEnumerable<int> ids, IReadOnlyList<string> slots)
    {
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentNullException.ThrowIfNull(slots);
        var sb = new StringBuilder();
        var tokens = new List<string>();
        int invented = 0;
        foreach (int id in ids)
        {
            if ((uint)id >= (uint)TargetSymbols.Count || id < TargetSpecials.Length) { tokens.Add("?"); continue; }
            string s = TargetSymbols[id];
            bool space = s.StartsWith(SpaceMark, StringComparison.Ordinal);
            string body = space ? s[SpaceMark.Length..] : s;
            if (SlotOf(body) is int k)
            {
                if (k >= slots.Count) { invented++; tokens.Add(s); continue; }
                body = slots[k];
            }
            sb.Append(space ? " " : "").Append(body);
            tokens.Add((space ? SpaceMark : "") + body);
        }
        return new DecodedTarget(sb.ToString(), tokens, invented);
    }

    /// <summary>The symbol texts of <paramref name="text"/>: slots are assigned to new copied placeholders when <paramref name="assign"/>.</summary>
    private static List<string> Symbols(string text, BpeMerges bpe, List<string> slots, bool assign)
    {
        ArgumentNullException.ThrowIfNull(text);
        var symbols = new List<string>();
        foreach (var piece in PreTokenizer.Split(text))
        {
            string space = piece.SpaceBefore ? SpaceMark : "";
            if (piece.Kind == PieceKind.Text) { symbols.AddRange(bpe.Segment(space + piece.Text)); continue; }
            if (piece.Kind == PieceKind.Placeholder && piece.Placeholder is PlaceholderKind.Printf or PlaceholderKind.Brace or PlaceholderKind.Markup)
            {
                int k = slots.IndexOf(piece.Text);
                if (k < 0 && assign && slots.Count < MaxSlots) { slots.Add(piece.Text); k = slots.Count - 1; }
                if (k >= 0) { symbols.Add(space + Slot(k)); continue; }
            }
            symbols.Add(space + piece.Text);
        }
        return symbols;
    }

    private static string Slot(int k) => $"{SlotMark}{(char)('0' + k)}";

    private static int? SlotOf(string body) => body.Length == 2 && body[0] == SlotMark && body[1] is >= '0' and < (char)('0' + MaxSlots) ? body[1] - '0' : null;

    private static string Shown(string symbol, IReadOnlyList<string> slots)
    {
        bool space = symbol.StartsWith(SpaceMark, StringComparison.Ordinal);
        string body = space ? symbol[SpaceMark.Length..] : symbol;
        return SlotOf(body) is int k && k < slots.Count ? (space ? SpaceMark : "") + slots[k] : symbol;
    }

    private static Dictionary<string, int> Index(IReadOnlyList<string> symbols, string side)
    {
        var d = new Dictionary<string, int>(symbols.Count, StringComparer.Ordinal);
        for (int i = 0; i < symbols.Count; i++)
            if (!d.TryAdd(symbols[i], i)) throw new ArgumentException($"the {side} symbol '{symbols[i]}' appears twice.");
        return d;
    }
}
