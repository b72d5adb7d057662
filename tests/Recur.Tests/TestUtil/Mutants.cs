using System.Buffers.Binary;
using Recur.Imaging;
using Recur.Plotting;

namespace Recur.Tests.TestUtil;

/// <summary>
/// Seeded damage for the reader fuzzers, shared by the tests (short runs) and <c>bench/Recur.Bench fuzz</c> (10,000 cases
/// per reader; the bench links this file): flipped bits, overwritten bytes, cuts, insertions and duplicated spans, and
/// the PNG chunks' CRCs repaired so that damage reaches the parser behind them.
/// </summary>
internal static class Mutants
{
    /// <summary>A copy of <paramref name="good"/> with one to four edits.</summary>
    public static byte[] Mutate(byte[] good, Rng rng, int keep = 0)
    {
        var b = (byte[])good.Clone();
        int edits = 1 + rng.NextInt(4);
        for (int e = 0; e < edits && b.Length > keep; e++)
        {
            int at = keep + rng.NextInt(b.Length - keep);
            switch (rng.NextInt(5))
            {
                case 0: b[at] ^= (byte)(1 << rng.NextInt(8)); break;
                case 1: b[at] = (byte)rng.NextInt(256); break;
                case 2: b = b[..at]; break;
                case 3: b = [.. b[..at], (byte)rng.NextInt(256), .. b[at..]]; break;
                default:
                    int len = Math.Min(b.Length - at, 1 + rng.NextInt(64));
                    b = [.. b[..(at + len)], .. b[at..(at + len)], .. b[(at + len)..]];
                    break;
            }
        }
        return b;
    }

    /// <summary>Rewrites the CRC of every whole chunk of a PNG file (after its 8-byte signature) to match its bytes.</summary>
    public static void RepairPngCrcs(byte[] file)
    {
        int pos = 8;
        while (pos + 12 <= file.Length)
        {
            long len = BinaryPrimitives.ReadUInt32BigEndian(file.AsSpan(pos));
            if (len > file.Length - pos - 12) break;
            RepairPngCrc(file, pos);
            pos += 12 + (int)len;
        }
    }

    /// <summary>Rewrites the CRC of the chunk at <paramref name="at"/>.</summary>
    public static void RepairPngCrc(byte[] file, int at)
    {
        long len = BinaryPrimitives.ReadUInt32BigEndian(file.AsSpan(at));
        if (len > file.Length - at - 12) return;
        uint crc = Crc32.Compute(file.AsSpan(at + 4, 4 + (int)len));
        BinaryPrimitives.WriteUInt32BigEndian(file.AsSpan(at + 8 + (int)len), crc);
    }
}
