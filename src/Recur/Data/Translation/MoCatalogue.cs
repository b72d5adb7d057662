using System.Buffers.Binary;
using System.Text;

namespace Recur.Data.Translation;

/// <summary>
/// One message of a catalogue: its context (<c>msgctxt</c>, or null), its source text (<c>msgid</c>), the source's plural
/// (<c>msgid_plural</c>, or null) and its translations (<c>msgstr</c>, or <c>msgstr[0]</c>, <c>msgstr[1]</c>, ... of a
/// plural message).
/// </summary>
public sealed record MoEntry(string? Context, string Id, string? IdPlural, IReadOnlyList<string> Translations);

/// <summary>
/// A GNU gettext message catalogue (<c>.mo</c>) as read: its messages in file order (the header entry, whose
/// <c>msgid</c> is empty, among them), the header's charset and plural rule.
/// </summary>
/// <remarks>
/// The format (GNU gettext manual, "The Format of GNU MO Files"): a magic number <c>0x950412de</c> in the writer's byte
/// order (either is read), a revision (major.minor 0.0 to 1.1; 0.1, msgfmt's for catalogues with system-dependent strings
/// such as <c>&lt;PRIu64&gt;</c>, adds tables of them, which this reader leaves out),
/// the string count <c>N</c>, the offsets of the table of original strings and of the table of translations (<c>N</c>
/// entries of length and offset each, 32-bit), a hash table that is not needed to read every string. A key is
/// <c>[msgctxt \x04] msgid [\0 msgid_plural]</c>; a translation is <c>msgstr[0] [\0 msgstr[1] ...]</c>. Every size is
/// checked against the file's before anything is allocated from it; every malformed file is a
/// <see cref="MoFormatException"/>.
/// </remarks>
public sealed class MoCatalogue
{
    /// <summary>The magic number in the writer's byte order.</summary>
    public const uint Magic = 0x950412de;

    /// <summary>The largest catalogue read, in bytes (the largest Debian ships is under 1 MiB).</summary>
    public const int MaxBytes = 64 << 20;

    private const int HeaderBytes = 28;

    private MoCatalogue(IReadOnlyList<MoEntry> entries, string charset, PluralRule plural, bool bigEndian, int revision)
    {
        Entries = entries; Charset = charset; Plural = plural; BigEndian = bigEndian; Revision = revision;
    }

    /// <summary>The messages, in file order (sorted by key as msgfmt writes them).</summary>
    public IReadOnlyList<MoEntry> Entries { get; }

    /// <summary>The charset the header names (<c>UTF-8</c> when it names none).</summary>
    public string Charset { get; }

    /// <summary>The header's plural rule (<see cref="PluralRule.Default"/> when it has none).</summary>
    public PluralRule Plural { get; }

    /// <summary>True when the file was written big-endian.</summary>
    public bool BigEndian { get; }

    /// <summary>The file format revision (major in the high 16 bits).</summary>
    public int Revision { get; }

    /// <summary>Reads the catalogue at <paramref name="path"/> (at most <see cref="MaxBytes"/>, checked before reading).</summary>
    public static MoCatalogue Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var stream = File.OpenRead(path);
        if (stream.Length > MaxBytes) throw new MoFormatException($"{path}: is {stream.Length:N0} bytes; a catalogue of more than {MaxBytes:N0} is refused.");
        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        return Read(bytes, path);
    }

    /// <summary>Reads a catalogue from its bytes; <paramref name="name"/> names it in messages.</summary>
    public static MoCatalogue Read(ReadOnlySpan<byte> bytes, string name)
    {
        if (bytes.Length < HeaderBytes) throw Bad(name, $"is {bytes.Length} bytes, shorter than the {HeaderBytes}-byte header of a .mo file");
        if (bytes.Length > MaxBytes) throw Bad(name, $"is {bytes.Length:N0} bytes; a catalogue of more than {MaxBytes:N0} is refused");
        uint magic = BinaryPrimitives.ReadUInt32LittleEndian(bytes);
        bool big = magic != Magic;
        if (big && BinaryPrimitives.ReadUInt32BigEndian(bytes) != Magic)
            throw Bad(name, $"starts with 0x{magic:x8}, not the .mo magic number 0x{Magic:x8} in either byte order");
        uint revision = U32(bytes, big, 4);
        if (revision >> 16 > 1 || (revision & 0xffff) > 1)
            throw Bad(name, $"has format revision {revision >> 16}.{revision & 0xffff}; this reader knows 0.0 to 1.1");
        uint count = U32(bytes, big, 8), originals = U32(bytes, big, 12), translations = U32(bytes, big, 16);
        foreach (var (what, offset) in new[] { ("original strings", originals), ("translations", translations) })
            if (offset % 4 != 0 || (ulong)offset + 8UL * count > (ulong)bytes.Length)
                throw Bad(name, $"its table of {what} ({count:N0} entries at offset {offset:N0}) does not fit in the file's {bytes.Length:N0} bytes");
        var utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
        // (offset, length) of every key and value, checked against the file; their total bounds what decoding allocates
        var spans = new (int Offset, int Length)[2 * (int)count];
        long total = 0;
        for (int i = 0; i < count; i++)
        {
            spans[2 * i] = Check(bytes, big, (int)originals + 8 * i, name, i, "original");
            spans[2 * i + 1] = Check(bytes, big, (int)translations + 8 * i, name, i, "translation");
            total += spans[2 * i].Length + spans[2 * i + 1].Length;
        }
        if (total > 2L * bytes.Length)
            throw Bad(name, $"its strings add up to {total:N0} bytes, more than twice the file's {bytes.Length:N0}: the tables point into each other");
        string charset = "UTF-8";
        PluralRule plural = PluralRule.Default;
        int header = Enumerable.Range(0, (int)count).FirstOrDefault(i => spans[2 * i].Length == 0, -1);
        if (header >= 0)
        {
            var (at, length) = spans[2 * header + 1];
            string text = Decode(bytes.Slice(at, length), utf8, name, header, "header");
            foreach (var line in text.Split('\n'))
            {
                if (line.StartsWith("Content-Type:", StringComparison.OrdinalIgnoreCase))
                {
                    int c = line.IndexOf("charset=", StringComparison.OrdinalIgnoreCase);
                    if (c >= 0) charset = line[(c + 8)..].Trim().TrimEnd(';').Trim();
                }
                else if (line.StartsWith("Plural-Forms:", StringComparison.OrdinalIgnoreCase)) plural = PluralRule.Parse(line[13..], name);
            }
        }
        Encoding encoding = charset.ToUpperInvariant() switch
        {
            "UTF-8" or "UTF8" or "CHARSET" => utf8, // "CHARSET" is the template's placeholder, left by catalogues that are ASCII
            "ASCII" or "US-ASCII" or "ANSI_X3.4-1968" => new ASCIIEncoding(), // checked below: bytes above 0x7f are refused
            "ISO-8859-1" or "ISO8859-1" or "LATIN1" or "LATIN-1" => Encoding.Latin1,
            _ => throw Bad(name, $"is in charset '{charset}'; this reader converts UTF-8, ASCII and ISO-8859-1 (convert it with msgconv -t UTF-8)"),
        };
        var entries = new List<MoEntry>((int)count);
        for (int i = 0; i < count; i++)
        {
            var (k, kl) = spans[2 * i];
            var (v, vl) = spans[2 * i + 1];
            string key = Decode(bytes.Slice(k, kl), encoding, name, i, "original"), value = Decode(bytes.Slice(v, vl), encoding, name, i, "translation");
            string? context = null;
            int eot = key.IndexOf('\x04');
            if (eot >= 0) { context = key[..eot]; key = key[(eot + 1)..]; }
            int nul = key.IndexOf('\0');
            string id = nul < 0 ? key : key[..nul];
            string? idPlural = nul < 0 ? null : key[(nul + 1)..];
            if (idPlural is not null && idPlural.Contains('\0')) throw Bad(name, $"string {i} has more than one plural source (two NULs in its key)");
            entries.Add(new MoEntry(context, id, idPlural, value.Split('\0')));
        }
        return new MoCatalogue(entries, charset, plural, big, (int)revision);
    }

    private static uint U32(ReadOnlySpan<byte> bytes, bool big, int at)
        => big ? BinaryPrimitives.ReadUInt32BigEndian(bytes[at..]) : BinaryPrimitives.ReadUInt32LittleEndian(bytes[at..]);

    /// <summary>The (offset, length) of the string whose table entry is at <paramref name="entry"/>, checked to lie inside the file.</summary>
    private static (int Offset, int Length) Check(ReadOnlySpan<byte> bytes, bool big, int entry, string name, int index, string what)
    {
        uint length = U32(bytes, big, entry), offset = U32(bytes, big, entry + 4);
        if ((ulong)offset + length > (ulong)bytes.Length)
            throw Bad(name, $"{what} string {index} ({length:N0} bytes at offset {offset:N0}) runs past the end of the file ({bytes.Length:N0} bytes)");
        return ((int)offset, (int)length);
    }

    private static string Decode(ReadOnlySpan<byte> bytes, Encoding encoding, string name, int index, string what)
    {
        if (encoding is ASCIIEncoding && bytes.IndexOfAnyInRange((byte)0x80, (byte)0xff) is int high and >= 0)
            throw Bad(name, $"{what} string {index} has byte 0x{bytes[high]:x2} at {high}, which is not ASCII as its header says");
        try { return encoding.GetString(bytes); }
        catch (DecoderFallbackException) { throw Bad(name, $"{what} string {index} is not valid {encoding.WebName}"); }
    }

    private static MoFormatException Bad(string name, string why) => new($"{name}: {why}.");
}
