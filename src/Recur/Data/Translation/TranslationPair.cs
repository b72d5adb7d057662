namespace Recur.Data.Translation;

/// <summary>
/// An English message and its French translation, with the message's context (<c>msgctxt</c>, or null) and the catalogue
/// it came from (<c>package/domain</c>).
/// </summary>
public sealed record TranslationPair(string Source, string Target, string? Context, string Catalogue);

/// <summary>What one catalogue of the list gave: its messages (the header left out) and the pairs taken from them.</summary>
public sealed record CatalogueCount(string Package, string Domain, bool Found, int Messages, int Pairs);

/// <summary>
/// The pairs of a set of catalogues as read, before deduplication: every message with a translation gives a pair
/// (<c>msgid</c> → <c>msgstr</c>); a plural message gives two, its singular (<c>msgid</c> → the form the plural rule
/// gives for 1) and its plural (<c>msgid_plural</c> → the form for 2, French's plural); the header entry and empty
/// translations give none.
/// </summary>
public sealed class CatalogueSet
{
    public CatalogueSet(string folder, IReadOnlyList<CatalogueCount> catalogues, IReadOnlyList<TranslationPair> pairs)
    {
        ArgumentNullException.ThrowIfNull(catalogues);
        ArgumentNullException.ThrowIfNull(pairs);
        Folder = folder; Catalogues = catalogues; Pairs = pairs;
    }

    /// <summary>Where the catalogues were read from.</summary>
    public string Folder { get; }

    /// <summary>Every catalogue of the list, found or not, with its counts.</summary>
    public IReadOnlyList<CatalogueCount> Catalogues { get; }

    /// <summary>The pairs in catalogue order, then file order.</summary>
    public IReadOnlyList<TranslationPair> Pairs { get; }

    /// <summary>
    /// Reads the catalogues of <paramref name="list"/> that <paramref name="folder"/> holds (<c>DOMAIN.mo</c>); throws
    /// <see cref="DirectoryNotFoundException"/> for a missing folder and <see cref="FileNotFoundException"/> when it holds
    /// none of them, <see cref="MoFormatException"/> for a malformed one.
    /// </summary>
    public static CatalogueSet Load(string folder, IReadOnlyList<CataloguePackage> list)
    {
        ArgumentNullException.ThrowIfNull(folder);
        ArgumentNullException.ThrowIfNull(list);
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"{folder}: no such folder (the French catalogues: scripts/install-data.sh).");
        var counts = new List<CatalogueCount>();
        var pairs = new List<TranslationPair>();
        foreach (var (package, domain) in CatalogueList.Catalogues(list))
        {
            string path = Path.Combine(folder, domain + ".mo");
            if (!File.Exists(path)) { counts.Add(new CatalogueCount(package, domain, false, 0, 0)); continue; }
            var catalogue = MoCatalogue.Load(path);
            var found = PairsOf(catalogue, $"{package}/{domain}", path);
            counts.Add(new CatalogueCount(package, domain, true, catalogue.Entries.Count(e => e.Id.Length > 0 || e.Context is not null), found.Count));
            pairs.AddRange(found);
        }
        if (counts.All(c => !c.Found))
            throw new FileNotFoundException($"{folder}: holds none of the {counts.Count} catalogues of the list (such as {counts[0].Domain}.mo); "
                + "install them with scripts/install-data.sh.");
        return new CatalogueSet(folder, counts, pairs);
    }

    /// <summary>The pairs of one catalogue (<paramref name="name"/> is recorded in each; <paramref name="file"/> names it in messages).</summary>
    public static IReadOnlyList<TranslationPair> PairsOf(MoCatalogue catalogue, string name, string file)
    {
        ArgumentNullException.ThrowIfNull(catalogue);
        var pairs = new List<TranslationPair>();
        int? one = null, two = null;
        foreach (var e in catalogue.Entries)
        {
            if (e.Id.Length == 0 && e.Context is null) continue; // the header
            if (e.IdPlural is null)
            {
                if (e.Translations[0].Length > 0) pairs.Add(new TranslationPair(e.Id, e.Translations[0], e.Context, name));
                continue;
            }
            one ??= catalogue.Plural.IndexOf(1, file);
            two ??= catalogue.Plural.IndexOf(2, file);
            if (one < e.Translations.Count && e.Translations[one.Value].Length > 0)
                pairs.Add(new TranslationPair(e.Id, e.Translations[one.Value], e.Context, name));
            if (two < e.Translations.Count && e.Translations[two.Value].Length > 0)
                pairs.Add(new TranslationPair(e.IdPlural, e.Translations[two.Value], e.Context, name));
        }
        return pairs;
    }
}
