using System.Text;
using Recur.Data.Translation;
using Xunit;

namespace Recur.Tests.Data.Translation;

/// <summary>
/// The .mo reader on catalogues written here byte by byte (<see cref="MoBytes"/>) in both byte orders, on real Debian
/// catalogues (Data/Samples/gettext-fr), and its one-line refusals of what is malformed.
/// </summary>
public sealed class MoCatalogueTests
{
    internal static string Samples => Path.Combine(AppContext.BaseDirectory, "Data", "Samples", "gettext-fr");

    private static readonly (string, string)[] Entries =
    [
        ("", MoBytes.Header()),
        ("Open", "Ouvrir"),
        ("menu\u0004_File", "_Fichier"),
        ("%d file\0%d files", "%d fichier\0%d fichiers"),
        ("Untranslated", ""),
    ];

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ReadsEveryPartOfAnEntryInEitherByteOrder(bool bigEndian)
    {
        var c = MoCatalogue.Read(MoBytes.Write(Entries, bigEndian), "test.mo");
        Assert.Equal(bigEndian, c.BigEndian);
        Assert.Equal("UTF-8", c.Charset);
        Assert.Equal(2, c.Plural.Count);
        Assert.Equal(5, c.Entries.Count);
        // msgfmt sorts by key: "", "%d file\0...", "Open", "Untranslated", "menu\x04_File"
        Assert.Equal(new MoEntry(null, "%d file", "%d files", ["%d fichier", "%d fichiers"]), c.Entries[1], EntryComparer.Instance);
        Assert.Equal(new MoEntry(null, "Open", null, ["Ouvrir"]), c.Entries[2], EntryComparer.Instance);
        Assert.Equal(new MoEntry("menu", "_File", null, ["_Fichier"]), c.Entries[4], EntryComparer.Instance);
    }

    [Fact]
    public void PairsTakeBothFormsOfAPluralAndSkipTheHeaderAndEmptyTranslations()
    {
        var c = MoCatalogue.Read(MoBytes.Write(Entries), "test.mo");
        var pairs = CatalogueSet.PairsOf(c, "pkg/test", "test.mo");
        Assert.Equal(
        [
            new("%d file", "%d fichier", null, "pkg/test"),   // the singular: the form the rule gives n = 1 (n > 1: form 0)
            new("%d files", "%d fichiers", null, "pkg/test"), // the plural: the form for n = 2 (form 1)
            new("Open", "Ouvrir", null, "pkg/test"),
            new TranslationPair("_File", "_Fichier", "menu", "pkg/test"),
        ], pairs);
    }

    [Fact]
    public void AThreeFormRuleSendsThePluralToTheFormForTwo()
    {
        // French as gettext 0.22 writes it: 0 for 0 and 1, 1 for exact millions, 2 for the rest
        var bytes = MoBytes.Write([("", MoBytes.Header(plural: "nplurals=3; plural=(n == 0 || n == 1) ? 0 : n != 0 && n % 1000000 == 0 ? 1 : 2;")),
            ("%d item\0%d items", "%d élément\0%d millions d'éléments\0%d éléments")]);
        var pairs = CatalogueSet.PairsOf(MoCatalogue.Read(bytes, "t.mo"), "t", "t.mo");
        Assert.Equal(["%d élément", "%d éléments"], pairs.Select(p => p.Target));
    }

    [Fact]
    public void ALatin1CatalogueIsConvertedAndAnUnknownCharsetRefused()
    {
        var latin = MoBytes.Write([("", MoBytes.Header("ISO-8859-1")), ("Error", "Erreur réseau")], encoding: Encoding.Latin1);
        Assert.Equal("Erreur réseau", MoCatalogue.Read(latin, "l.mo").Entries[1].Translations[0]);
        var koi = MoBytes.Write([("", MoBytes.Header("KOI8-R")), ("Error", "x")]);
        var e = Assert.Throws<MoFormatException>(() => MoCatalogue.Read(koi, "k.mo"));
        Assert.Equal("k.mo: is in charset 'KOI8-R'; this reader converts UTF-8, ASCII and ISO-8859-1 (convert it with msgconv -t UTF-8).", e.Message);
    }

    [Fact]
    public void RealDebianCataloguesRead()
    {
        var gdk = MoCatalogue.Load(Path.Combine(Samples, "gdk-pixbuf.mo"));
        Assert.Contains(gdk.Entries, e => e.Context is not null);
        Assert.Contains(gdk.Entries, e => e.IdPlural is not null && e.Translations.Count == 2);
        var xz = MoCatalogue.Load(Path.Combine(Samples, "xz.mo"));
        Assert.Equal(1, xz.Revision); // revision 0.1: its system-dependent strings are left out, the rest read
        Assert.True(xz.Entries.Count > 100);
        var kit = MoCatalogue.Load(Path.Combine(Samples, "PackageKit.mo"));
        Assert.Equal((3, 0, 2), (kit.Plural.Count, kit.Plural.IndexOf(1, "k"), kit.Plural.IndexOf(2, "k")));
        var net = MoCatalogue.Load(Path.Combine(Samples, "net-tools.mo"));
        Assert.Equal("ISO-8859-1", net.Charset, ignoreCase: true);
        Assert.Contains(net.Entries, e => e.Translations[0].Contains('é'));
        Assert.DoesNotContain(net.Entries, e => e.Translations.Any(t => t.Contains('\uFFFD')));
    }

    public static TheoryData<string, Func<byte[], byte[]>, string> Damaged => new()
    {
        { "short", b => b[..20], "t.mo: is 20 bytes, shorter than the 28-byte header of a .mo file." },
        { "magic", b => [0xde, 0x12, 0x04, 0x94, .. b[4..]], "t.mo: starts with 0x940412de, not the .mo magic number 0x950412de in either byte order." },
        { "revision", b => Set(b, 4, 2 << 16), "t.mo: has format revision 2.0; this reader knows 0.0 to 1.1." },
        { "count", b => Set(b, 8, 1_000_000), "t.mo: its table of original strings (1,000,000 entries at offset 28) does not fit in the file's "
            + $"{MoBytes.Write(Entries).Length} bytes." },
        { "string", b => Set(b, 28 + 8 + 4, 1 << 30), "t.mo: original string 1 (16 bytes at offset 1,073,741,824) runs past the end of the file "
            + $"({MoBytes.Write(Entries).Length} bytes)." },
    };

    [Theory]
    [MemberData(nameof(Damaged))]
    public void AMalformedFileIsRefusedInOneLine(string what, Func<byte[], byte[]> damage, string message)
    {
        var e = Assert.Throws<MoFormatException>(() => MoCatalogue.Read(damage(MoBytes.Write(Entries)), "t.mo"));
        Assert.True(message == e.Message, $"{what}: {e.Message}");
    }

    [Fact]
    public void OverlappingStringsInvalidTextAndTwoPluralsAreRefused()
    {
        // every entry pointing at the whole file: more text than twice the file, refused before it is decoded
        var b = MoBytes.Write(Entries);
        for (int i = 0; i < Entries.Length; i++) { Set(b, 28 + 8 * i, b.Length - 1); Set(b, 28 + 8 * i + 4, 0); }
        Assert.Contains("the tables point into each other", Assert.Throws<MoFormatException>(() => MoCatalogue.Read(b, "t.mo")).Message);
        var bad = MoBytes.Write([("", MoBytes.Header()), ("A", "B")]);
        bad[^2] = 0xff; // the translation "B" becomes an invalid UTF-8 byte
        Assert.Equal("t.mo: translation string 1 is not valid utf-8.", Assert.Throws<MoFormatException>(() => MoCatalogue.Read(bad, "t.mo")).Message);
        var two = MoBytes.Write([("a\0b\0c", "x\0y")]);
        Assert.Contains("more than one plural source", Assert.Throws<MoFormatException>(() => MoCatalogue.Read(two, "t.mo")).Message);
    }

    private static byte[] Set(byte[] b, int at, int value)
    {
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(at), value);
        return b;
    }

    private sealed class EntryComparer : IEqualityComparer<MoEntry>
    {
        public static EntryComparer Instance { get; } = new();

        public bool Equals(MoEntry? x, MoEntry? y) => x is not null && y is not null && x.Context == y.Context && x.Id == y.Id
            && x.IdPlural == y.IdPlural && x.Translations.SequenceEqual(y.Translations);

        public int GetHashCode(MoEntry obj) => obj.Id.GetHashCode(StringComparison.Ordinal);
    }
}
