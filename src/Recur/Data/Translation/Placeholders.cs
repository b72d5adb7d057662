using System.Text.RegularExpressions;

namespace Recur.Data.Translation;

/// <summary>What a placeholder is: what the program fills in or reads, which a translation must keep.</summary>
public enum PlaceholderKind
{
    /// <summary>
    /// A printf conversion (<c>%s</c>, <c>%d</c>, <c>%lu</c>, <c>%5.2f</c>, <c>%1$s</c>, <c>%-10s</c>, <c>%%</c>) or Python's
    /// <c>%(name)s</c>.
    /// </summary>
    Printf,

    /// <summary>A brace placeholder (<c>{0}</c>, <c>{name}</c>, <c>{}</c>, <c>{0:d}</c>).</summary>
    Brace,

    /// <summary>A markup tag (<c>&lt;b&gt;</c>, <c>&lt;/b&gt;</c>, <c>&lt;span weight="bold"&gt;</c>, <c>&lt;br/&gt;</c>) of the HTML and Pango tags.</summary>
    Markup,

    /// <summary>A keyboard accelerator's marker: GTK's <c>_</c> (<c>_File</c>) or Qt/KDE's <c>&amp;</c> (<c>&amp;File</c>) before a word's letter.</summary>
    Accelerator,

    /// <summary>
    /// A line break (<c>\n</c> in the catalogue's source). Only one that starts or ends the message must match between a
    /// source and its translation (what <c>msgfmt --check</c> compares): translators re-wrap the lines in between.
    /// </summary>
    Newline,

    /// <summary>A tab (<c>\t</c>).</summary>
    Tab,
}

/// <summary>One placeholder found in a text: where it is, what kind, its text.</summary>
public readonly record struct Placeholder(int Start, int Length, PlaceholderKind Kind, string Text)
{
    /// <summary>
    /// What must match between a source and its translation: the text, except that a printf conversion loses its position
    /// (<c>%2$s</c> counts as <c>%s</c>: French may reorder what English numbers) and an accelerator is only its marker.
    /// </summary>
    public string Key => Kind switch
    {
        PlaceholderKind.Printf => Placeholders.WithoutPosition(Text),
        _ => Text,
    };

    /// <summary>True for the placeholders a translation copies from its source unchanged (printf, brace, markup).</summary>
    public bool Copied => Kind is PlaceholderKind.Printf or PlaceholderKind.Brace or PlaceholderKind.Markup;
}

/// <summary>
/// Finds the placeholders of a message (<see cref="PlaceholderKind"/>) and compares a translation's with its source's.
/// The rules, applied alike to both sides: printf conversions without the space flag (French puts a space after
/// <c>%</c> in "50 % des"); the markup tags of HTML and Pango only (a usage string's <c>&lt;file&gt;</c> is text that
/// translators translate); an accelerator is <c>_</c> or <c>&amp;</c> at the start of a word before a letter (not an
/// <c>&amp;entity;</c>, not inside <c>snake_case</c> identifiers, which are copied as text).
/// </summary>
public static partial class Placeholders
{
    private const string Printf = @"%(?:\d+\$)?[-+#0']*(?:\d+|\*(?:\d+\$)?)?(?:\.(?:\d+|\*(?:\d+\$)?))?(?:hh|ll|[hlLqjzZt])?[diouxXeEfFgGaAcspnm%]"
        + @"|%\([A-Za-z_][A-Za-z0-9_]{0,39}\)[-+#0]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]";

    private const string Brace = @"\{(?:[A-Za-z_][A-Za-z0-9_]{0,39}|\d{1,3})?(?:[:!][^{}\s]{0,20})?\}";

    private const string Markup = @"</?(?i:b|big|i|s|sub|sup|small|tt|u|span|a|br|p|em|strong|code|pre|li|ul|ol|div|font|img|h[1-6]|hr|kbd|var|q"
        + @"|blockquote|table|tr|td|th)(?:\s[^<>]{0,200})?/?>";

    private const string Accelerator = @"(?<![\p{L}\p{M}\p{N}_&])(?:_|&(?!(?:[A-Za-z]{2,8}|#\d{1,7}|#x[0-9A-Fa-f]{1,6});))(?=\p{L})";

    [GeneratedRegex($"(?<printf>{Printf})|(?<brace>{Brace})|(?<markup>{Markup})|(?<accel>{Accelerator})|(?<nl>\n)|(?<tab>\t)",
        RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();

    [GeneratedRegex(@"^%\d+\$")]
    private static partial Regex Position();

    /// <summary>The placeholders of <paramref name="text"/>, left to right, none overlapping.</summary>
    public static IReadOnlyList<Placeholder> Find(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var found = new List<Placeholder>();
        foreach (Match m in Pattern().Matches(text))
        {
            var kind = m.Groups["printf"].Success ? PlaceholderKind.Printf : m.Groups["brace"].Success ? PlaceholderKind.Brace
                : m.Groups["markup"].Success ? PlaceholderKind.Markup : m.Groups["accel"].Success ? PlaceholderKind.Accelerator
                : m.Groups["nl"].Success ? PlaceholderKind.Newline : PlaceholderKind.Tab;
            found.Add(new Placeholder(m.Index, m.Length, kind, m.Value));
        }
        return found;
    }

    /// <summary>A printf conversion without its <c>N$</c> position (<c>%2$s</c> becomes <c>%s</c>).</summary>
    public static string WithoutPosition(string conversion) => Position().Replace(conversion, "%");

    /// <summary>
    /// What <paramref name="output"/> does to the placeholders of <paramref name="source"/>: those it lost (in the
    /// source's multiset of <see cref="Placeholder.Key"/>s, not in the output's) and those it made up (the other way).
    /// </summary>
    public static PlaceholderCheck Compare(string source, string output)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(output);
        var fromSource = Checked(source);
        var fromOutput = Checked(output);
        var want = Count(fromSource);
        var got = Count(fromOutput);
        var dropped = new List<Placeholder>();
        var invented = new List<Placeholder>();
        foreach (var (p, key) in fromSource)
            if (got.TryGetValue(key, out int n) && n > 0) got[key] = n - 1;
            else dropped.Add(p);
        foreach (var (p, key) in fromOutput)
            if (want.TryGetValue(key, out int n) && n > 0) want[key] = n - 1;
            else invented.Add(p);
        return new PlaceholderCheck(dropped, invented);
    }

    /// <summary>The placeholders of <paramref name="text"/> that a translation must keep, with their keys: a line break only at either end.</summary>
    private static List<(Placeholder P, string Key)> Checked(string text)
    {
        var list = new List<(Placeholder, string)>();
        foreach (var p in Find(text))
        {
            if (p.Kind != PlaceholderKind.Newline) list.Add((p, p.Key));
            else if (p.Start == 0) list.Add((p, "^\n"));
            else if (p.Start + p.Length == text.Length) list.Add((p, "\n$"));
        }
        return list;
    }

    private static Dictionary<string, int> Count(IEnumerable<(Placeholder P, string Key)> found)
    {
        var d = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (_, key) in found) d[key] = d.GetValueOrDefault(key) + 1;
        return d;
    }
}

/// <summary>A translation's placeholders against its source's: those it dropped and those it invented.</summary>
public sealed record PlaceholderCheck(IReadOnlyList<Placeholder> Dropped, IReadOnlyList<Placeholder> Invented)
{
    /// <summary>True when the translation keeps exactly the source's placeholders.</summary>
    public bool Ok => Dropped.Count == 0 && Invented.Count == 0;

    /// <summary>True when a placeholder of <paramref name="kind"/> was dropped or invented.</summary>
    public bool Fails(PlaceholderKind kind) => Dropped.Any(p => p.Kind == kind) || Invented.Any(p => p.Kind == kind);
}
