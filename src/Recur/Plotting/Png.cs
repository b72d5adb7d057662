using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using Recur.IO;
using Recur.Imaging;

namespace Recur.Plotting;

/// <summary>
/// A minimal PNG encoder for 8-bit RGBA (colour type 6), RGB (2) and grey (0) images, no interlace. Each scanline is
/// stored with filter type 0 (None) and the whole image is zlib-compressed into one <c>IDAT</c>
/// chunk; chunks carry the CRC-32 (ISO 3309, polynomial 0xEDB88320) of their type and data.
/// </summary>
public static class Png
{
    private static ReadOnlySpan<byte> Signature => [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>
    /// Encodes <paramref name="rgba"/> (<c>height</c> rows of <c>width</c> pixels, top row first,
    /// 4 bytes R, G, B, A per pixel) as a PNG file image.
    /// </summary>
    public static byte[] Encode(ReadOnlySpan<byte> rgba, int width, int height) => Encode(rgba, width, height, 4);

    /// <summary>Encodes an 8-bit grey or RGB <paramref name="image"/> (colour type 0 or 2).</summary>
    public static byte[] Encode(Imaging.PixelImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        return Encode(image.Pixels, image.Width, image.Height, image.Channels);
    }

    /// <summary>Encodes and writes a grey or RGB image to <paramref name="path"/> atomically.</summary>
    public static void Save(string path, Imaging.PixelImage image) => AtomicFile.WriteAllBytes(path, Encode(image));

    private static byte[] Encode(ReadOnlySpan<byte> pixels, int width, int height, int channels)
    {
        Guard.Positive(width, nameof(width));
        Guard.Positive(height, nameof(height));
        long rowBytes = (long)channels * width;
        if (rowBytes * height != pixels.Length)
            throw new ArgumentException(
                $"the pixels are {pixels.Length} bytes, a {width}x{height} image of {channels} channel(s) needs {rowBytes * height}.", nameof(pixels));
        var rgba = pixels;

        using var output = new MemoryStream();
        output.Write(Signature);

        Span<byte> ihdr = stackalloc byte[13];
        BinaryPrimitives.WriteUInt32BigEndian(ihdr, (uint)width);
        BinaryPrimitives.WriteUInt32BigEndian(ihdr[4..], (uint)height);
        ihdr[8] = 8;  // bit depth
        ihdr[9] = channels switch { 1 => 0, 3 => 2, _ => 6 }; // colour type: grey, RGB, RGBA
        ihdr[10] = 0; // compression: deflate
        ihdr[11] = 0; // filter method 0
        ihdr[12] = 0; // no interlace
        WriteChunk(output, "IHDR", ihdr);

        using (var compressed = new MemoryStream())
        {
            using (var z = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
            {
                for (int y = 0; y < height; y++)
                {
                    z.WriteByte(0); // filter: None
                    z.Write(rgba.Slice((int)(y * rowBytes), (int)rowBytes));
                }
            }
            WriteChunk(output, "IDAT", compressed.GetBuffer().AsSpan(0, (int)compressed.Length));
        }
        WriteChunk(output, "IEND", []);
        return output.ToArray();
    }

    /// <summary>Encodes and writes a PNG to <paramref name="path"/> atomically.</summary>
    public static void Save(string path, ReadOnlySpan<byte> rgba, int width, int height)
        => AtomicFile.WriteAllBytes(path, Encode(rgba, width, height));

    private static void WriteChunk(Stream s, string type, ReadOnlySpan<byte> data)
    {
        Span<byte> head = stackalloc byte[8];
        BinaryPrimitives.WriteUInt32BigEndian(head, (uint)data.Length);
        Encoding.ASCII.GetBytes(type, head[4..]);
        s.Write(head);
        s.Write(data);
        uint crc = Crc32.Update(Crc32.Start, head[4..]);
        crc = Crc32.Update(crc, data);
        Span<byte> tail = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(tail, Crc32.Finish(crc));
        s.Write(tail);
    }
}
