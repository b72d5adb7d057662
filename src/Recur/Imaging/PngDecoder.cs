using System.Buffers.Binary;
using System.IO.Compression;

namespace Recur.Imaging;

/// <summary>
/// A PNG decoder in managed code (the PNG specification, ISO/IEC 15948): every colour type (grey, RGB, palette,
/// grey with alpha, RGBA) at every bit depth the format allows, interlaced (Adam7) or not, to an 8-bit grey or RGB
/// <see cref="PixelImage"/>. 16-bit samples keep their high byte, low bit depths are scaled to 0..255, palettes are
/// expanded, and alpha (from the colour type or a <c>tRNS</c> chunk) is composited onto black, the scenes' background.
/// <para>
/// Built to meet damaged and crafted files: every chunk's length is checked against the bytes left and its CRC
/// against its contents; the header's size is bounded (<c>maxPixels</c>) and, before any image buffer is allocated,
/// against what the compressed data could possibly hold (deflate expands at most about 1,032 to 1); the inflated data
/// must fill exactly the rows the header announces, and every filter byte and palette index is checked. Any problem
/// is a <see cref="PngFormatException"/> naming the source and what is wrong, never another exception or a huge
/// allocation.
/// </para>
/// </summary>
public static class PngDecoder
{
    /// <summary>The largest image decoded by default: 64 million pixels.</summary>
    public const long DefaultMaxPixels = 1L << 26;

    /// <summary>Largest file read from disk (256 MiB).</summary>
    public const long MaxFileBytes = 1L << 28;

    private static ReadOnlySpan<byte> Signature => [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>Reads and decodes the PNG file at <paramref name="path"/>.</summary>
    public static PixelImage Read(string path, long maxPixels = DefaultMaxPixels)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var info = new FileInfo(path);
        if (!info.Exists) throw new FileNotFoundException($"{path}: no such file.", path);
        if (info.Length > MaxFileBytes)
            throw new PngFormatException($"{path}: {info.Length:N0} bytes is larger than the {MaxFileBytes:N0} a PNG is read from.");
        return Decode(File.ReadAllBytes(path), maxPixels, path);
    }

    /// <summary>Decodes the PNG file image <paramref name="file"/>; <paramref name="source"/> names it in messages.</summary>
    public static PixelImage Decode(ReadOnlySpan<byte> file, long maxPixels = DefaultMaxPixels, string source = "<memory>")
    {
        if (file.Length < Signature.Length || !file[..Signature.Length].SequenceEqual(Signature))
            throw new PngFormatException($"{source}: not a PNG file (the 8-byte PNG signature is missing).");
        Header? header = null;
        byte[]? palette = null, transparency = null;
        var idat = new MemoryStream();
        bool sawIdat = false, ended = false;
        int pos = Signature.Length;
        while (pos < file.Length && !ended)
        {
            if (file.Length - pos < 12) throw new PngFormatException($"{source}: truncated: a chunk at byte {pos} is cut off.");
            uint length = BinaryPrimitives.ReadUInt32BigEndian(file[pos..]);
            var typeBytes = file.Slice(pos + 4, 4);
            foreach (byte b in typeBytes)
                if (!(b is >= (byte)'A' and <= (byte)'Z' || b is >= (byte)'a' and <= (byte)'z'))
                    throw new PngFormatException($"{source}: damaged: the chunk at byte {pos} has an invalid type.");
            string type = System.Text.Encoding.ASCII.GetString(typeBytes);
            if (length > int.MaxValue || length > file.Length - pos - 12)
                throw new PngFormatException(
                    $"{source}: truncated or damaged: chunk {type} at byte {pos} says {length:N0} bytes " +
                    $"but {Math.Max(0, file.Length - pos - 12):N0} follow.");
            var data = file.Slice(pos + 8, (int)length);
            uint crc = BinaryPrimitives.ReadUInt32BigEndian(file[(pos + 8 + (int)length)..]);
            if (Crc32.Finish(Crc32.Update(Crc32.Update(Crc32.Start, typeBytes), data)) != crc)
                throw new PngFormatException($"{source}: damaged: the CRC of chunk {type} at byte {pos} does not match its contents.");
            if (header is null && type != "IHDR") throw new PngFormatException($"{source}: damaged: the first chunk is {type}, not IHDR.");
            switch (type)
            {
                case "IHDR":
                    if (header is not null) throw new PngFormatException($"{source}: damaged: a second IHDR chunk.");
                    header = Header.Parse(data, source, maxPixels);
                    break;
                case "PLTE":
                    if (length == 0 || length % 3 != 0 || length > 768)
                        throw new PngFormatException($"{source}: damaged: a PLTE chunk of {length} bytes (1 to 256 RGB entries expected).");
                    palette = data.ToArray();
                    break;
                case "tRNS":
                    transparency = data.ToArray();
                    break;
                case "IDAT":
                    sawIdat = true;
                    idat.Write(data);
                    break;
                case "IEND":
                    ended = true;
                    break;
                default:
                    if (char.IsAsciiLetterUpper(type[0])) throw new PngFormatException($"{source}: unsupported critical chunk {type}.");
                    break; // ancillary chunks (text, gamma, ...) are skipped
            }
            pos += 12 + (int)length;
        }
        if (header is null) throw new PngFormatException($"{source}: truncated: no IHDR chunk.");
        if (!sawIdat) throw new PngFormatException($"{source}: truncated: no image data (IDAT).");
        var h = header.Value;
        if (h.ColourType == 3 && palette is null) throw new PngFormatException($"{source}: damaged: a palette image without a PLTE chunk.");
        var raw = Inflate(idat, h, source);
        return PngPixels.Convert(raw, h, palette, transparency, source);
    }

    /// <summary>The inflated scanlines, exactly as many bytes as the header's image needs.</summary>
    private static byte[] Inflate(MemoryStream idat, Header h, string source)
    {
        long expected = h.FilteredBytes();
        // Deflate cannot expand beyond ~1032:1; a header that promises more than the data could hold is refused before allocating.
        if (expected > idat.Length * 1040 + 1024)
            throw new PngFormatException(
                $"{source}: damaged or crafted: the header promises {h.Width}x{h.Height} pixels ({expected:N0} bytes) " +
                $"but only {idat.Length:N0} compressed bytes follow.");
        var raw = new byte[expected];
        idat.Position = 0;
        try
        {
            using var z = new ZLibStream(idat, CompressionMode.Decompress);
            int filled = 0;
            while (filled < raw.Length)
            {
                int n = z.Read(raw, filled, raw.Length - filled);
                if (n == 0) throw new PngFormatException($"{source}: truncated: the image data ends after {filled:N0} of {raw.Length:N0} bytes.");
                filled += n;
            }
        }
        // zlib reports some damage as its own IOException rather than InvalidDataException (CompressedData).
        catch (Exception e) when (IO.CompressedData.IsDamage(e))
        {
            throw new PngFormatException($"{source}: damaged: the compressed image data is corrupt ({e.Message}).", e);
        }
        return raw;
    }

    /// <summary>The fields of IHDR.</summary>
    internal readonly record struct Header(int Width, int Height, int BitDepth, int ColourType, bool Interlaced)
    {
        /// <summary>Samples per pixel of the colour type.</summary>
        public int Samples => ColourType switch { 0 => 1, 2 => 3, 3 => 1, 4 => 2, _ => 4 };

        /// <summary>Bytes of one filtered row of <paramref name="width"/> pixels (without its filter byte).</summary>
        public long RowBytes(int width) => ((long)width * Samples * BitDepth + 7) / 8;

        /// <summary>Filter distance: bytes per complete pixel, at least 1.</summary>
        public int Bpp => Math.Max(1, Samples * BitDepth / 8);

        /// <summary>Total bytes of the inflated data: every row (of every Adam7 pass) with its filter byte.</summary>
        public long FilteredBytes()
        {
            if (!Interlaced) return Height * (1 + RowBytes(Width));
            long total = 0;
            foreach (var p in Adam7.Passes)
            {
                int w = p.Columns(Width), hh = p.Rows(Height);
                if (w > 0 && hh > 0) total += hh * (1 + RowBytes(w));
            }
            return total;
        }

        public static Header Parse(ReadOnlySpan<byte> d, string source, long maxPixels)
        {
            if (d.Length != 13) throw new PngFormatException($"{source}: damaged: IHDR has {d.Length} bytes, not 13.");
            uint w = BinaryPrimitives.ReadUInt32BigEndian(d), hh = BinaryPrimitives.ReadUInt32BigEndian(d[4..]);
            int depth = d[8], colour = d[9];
            if (w == 0 || hh == 0 || w > int.MaxValue || hh > int.MaxValue) throw new PngFormatException($"{source}: damaged: the image is {w}x{hh}.");
            if ((long)w * hh > maxPixels)
                throw new PngFormatException($"{source}: the image is {w}x{hh}, more than the {maxPixels:N0} pixels this reader accepts.");
            bool ok = colour switch
            {
                0 => depth is 1 or 2 or 4 or 8 or 16,
                3 => depth is 1 or 2 or 4 or 8,
                2 or 4 or 6 => depth is 8 or 16,
                _ => false,
            };
            if (!ok) throw new PngFormatException($"{source}: damaged: colour type {colour} with bit depth {depth} is not a PNG combination.");
            if (d[10] != 0 || d[11] != 0) throw new PngFormatException($"{source}: damaged: unknown compression ({d[10]}) or filter method ({d[11]}).");
            if (d[12] > 1) throw new PngFormatException($"{source}: damaged: unknown interlace method {d[12]}.");
            return new Header((int)w, (int)hh, depth, colour, d[12] == 1);
        }
    }
}
