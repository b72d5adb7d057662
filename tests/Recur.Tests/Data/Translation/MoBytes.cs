using System.Buffers.Binary;
using System.Text;

namespace Recur.Tests.Data.Translation;

/// <summary>
/// Writes small <c>.mo</c> files for the tests, as GNU msgfmt lays them out (GNU gettext manual, "The Format of GNU MO
/// Files"): a 28-byte header (magic, revision, count, the two table offsets, an empty hash table), the table of original
/// strings, the table of translations (length and offset of each), then the strings, each followed by a NUL.
/// </summary>
internal static class MoBytes
{
    /// <summary>A catalogue of <paramref name="entries"/> (key as the file holds it: <c>ctx\x04id\0plural</c>; value <c>s0\0s1</c>).</summary>
    public static byte[] Write(IReadOnlyList<(string Key, string Value)> entries, bool bigEndian = false, uint revision = 0, Encoding? encoding = null)
    {
        encoding ??= Encoding.UTF8;
        var sorted = entries.OrderBy(e => e.Key, StringComparer.Ordinal).ToList();
        int n = sorted.Count, originals = 28, translations = originals + 8 * n, strings = translations + 8 * n;
        var data = new List<byte>();
        var table = new byte[strings];
        void U32(int at, uint v)
        {
            if (bigEndian) BinaryPrimitives.WriteUInt32BigEndian(table.AsSpan(at), v);
            else BinaryPrimitives.WriteUInt32LittleEndian(table.AsSpan(at), v);
        }
        U32(0, 0x950412de);
        U32(4, revision);
        U32(8, (uint)n);
        U32(12, (uint)originals);
        U32(16, (uint)translations);
        U32(20, 0);
        U32(24, (uint)strings);
        for (int pass = 0; pass < 2; pass++)
            for (int i = 0; i < n; i++)
            {
                var bytes = encoding.GetBytes(pass == 0 ? sorted[i].Key : sorted[i].Value);
                U32((pass == 0 ? originals : translations) + 8 * i, (uint)bytes.Length);
                U32((pass == 0 ? originals : translations) + 8 * i + 4, (uint)(strings + data.Count));
                data.AddRange(bytes);
                data.Add(0);
            }
        return [.. table, .. data];
    }

    /// <summary>A header entry's value with <paramref name="charset"/> and, when given, a <c>Plural-Forms</c> line.</summary>
    public static string Header(string charset = "UTF-8", string? plural = "nplurals=2; plural=(n > 1);")
        => $"Project-Id-Version: test\nContent-Type: text/plain; charset={charset}\nContent-Transfer-Encoding: 8bit\n"
            + (plural is null ? "" : $"Plural-Forms: {plural}\n");
}
