using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using Recur.Imaging;
using Recur.Plotting;
using Xunit;

namespace Recur.Tests.Plotting;

/// <summary>A small independent PNG reader: chunks, CRCs (bitwise, no table), IHDR, inflate, unfilter.</summary>
internal static class PngReader
{
    public static uint BitwiseCrc(ReadOnlySpan<byte> data)
    {
        uint c = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            c ^= b;
            for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xEDB88320u & (uint)-(int)(c & 1));
        }
        return ~c;
    }

    public static (int Width, int Height, byte[] Rgba, List<string> Chunks) Decode(byte[] png)
    {
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }, png[..8]);
        int pos = 8, width = 0, height = 0;
        var chunks = new List<string>();
        using var idat = new MemoryStream();
        while (pos < png.Length)
        {
            int len = checked((int)BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(pos)));
            string type = Encoding.ASCII.GetString(png, pos + 4, 4);
            var body = png.AsSpan(pos + 8, len);
            uint crc = BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(pos + 8 + len));
            Assert.Equal(BitwiseCrc(png.AsSpan(pos + 4, 4 + len)), crc);
            chunks.Add(type);
            if (type == "IHDR")
            {
                Assert.Equal(13, len);
                width = (int)BinaryPrimitives.ReadUInt32BigEndian(body);
                height = (int)BinaryPrimitives.ReadUInt32BigEndian(body[4..]);
                Assert.Equal(new byte[] { 8, 6, 0, 0, 0 }, body[8..].ToArray());
            }
            if (type == "IDAT") idat.Write(body);
            pos += 12 + len;
        }
        Assert.Equal(png.Length, pos);
        Assert.Equal("IHDR", chunks[0]);
        Assert.Equal("IEND", chunks[^1]);

        idat.Position = 0;
        using var z = new ZLibStream(idat, CompressionMode.Decompress);
        using var raw = new MemoryStream();
        z.CopyTo(raw);
        byte[] r = raw.ToArray();
        int stride = 4 * width;
        Assert.Equal(height * (1 + stride), r.Length);

        var rgba = new byte[height * stride];
        for (int y = 0; y < height; y++)
        {
            byte filter = r[y * (1 + stride)];
            for (int i = 0; i < stride; i++)
            {
                int a = i >= 4 ? rgba[y * stride + i - 4] : 0;
                int b = y > 0 ? rgba[(y - 1) * stride + i] : 0;
                int c = i >= 4 && y > 0 ? rgba[(y - 1) * stride + i - 4] : 0;
                int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
                int pred = filter switch
                {
                    0 => 0, 1 => a, 2 => b, 3 => (a + b) / 2,
                    4 => pa <= pb && pa <= pc ? a : pb <= pc ? b : c,
                    _ => throw new InvalidDataException($"bad filter {filter} on row {y}"),
                };
                rgba[y * stride + i] = (byte)(r[y * (1 + stride) + 1 + i] + pred);
            }
        }
        return (width, height, rgba, chunks);
    }
}

public sealed class PngTests
{
    [Fact]
    public void Crc32MatchesTheCheckValue()
    {
        Assert.Equal(0xCBF43926u, Crc32.Compute("123456789"u8)); // the standard CRC-32 check value
        var rng = new Rng(9);
        var data = new byte[1000];
        foreach (ref byte b in data.AsSpan()) b = (byte)rng.NextInt(256);
        Assert.Equal(PngReader.BitwiseCrc(data), Crc32.Compute(data));
    }

    [Fact]
    public void EncodesPixelsExactly()
    {
        int w = 37, h = 11;
        var rng = new Rng(3);
        var px = new byte[w * h * 4];
        foreach (ref byte b in px.AsSpan()) b = (byte)rng.NextInt(256);
        var (dw, dh, back, chunks) = PngReader.Decode(Png.Encode(px, w, h));
        Assert.Equal((w, h), (dw, dh));
        Assert.Equal(px, back);
        Assert.Equal(["IHDR", "IDAT", "IEND"], chunks);
        Assert.Throws<ArgumentException>(() => Png.Encode(px, w + 1, h));
    }
}
