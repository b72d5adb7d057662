using System.Buffers.Binary;

namespace Recur.Imaging;

/// <summary>
/// The seven passes of Adam7 interlacing: each a sub-image of every <c>DX</c>-th column from <c>X0</c> and every
/// <c>DY</c>-th row from <c>Y0</c>.
/// </summary>
internal readonly record struct Adam7(int X0, int Y0, int DX, int DY)
{
    public static readonly Adam7[] Passes =
    [
        new(0, 0, 8, 8), new(4, 0, 8, 8), new(0, 4, 4, 8), new(2, 0, 4, 4), new(0, 2, 2, 4), new(1, 0, 2, 2), new(0, 1, 1, 2),
    ];

    /// <summary>The whole image as one pass (no interlace).</summary>
    public static readonly Adam7 Whole = new(0, 0, 1, 1);

    public int Columns(int width) => width <= X0 ? 0 : (width - X0 + DX - 1) / DX;
    public int Rows(int height) => height <= Y0 ? 0 : (height - Y0 + DY - 1) / DY;
}

/// <summary>Undoes PNG's row filters and turns the samples of any colour type and bit depth into 8-bit grey or RGB.</summary>
internal static class PngPixels
{
    public static PixelImage Convert(byte[] raw, PngDecoder.Header h, byte[]? palette, byte[]? trns, string source)
    {
        int outChannels = h.ColourType is 0 or 4 ? 1 : 3;
        var pixels = new byte[(long)h.Width * h.Height * outChannels];
        int entries = palette is null ? 0 : palette.Length / 3;
        if (trns is not null && (h.ColourType is 4 or 6 || (h.ColourType == 0 && trns.Length < 2) || (h.ColourType == 2 && trns.Length < 6)
            || (h.ColourType == 3 && trns.Length > entries)))
            trns = null; // a tRNS that does not fit the colour type is ignored, as libpng does with a warning
        long offset = 0;
        foreach (var pass in h.Interlaced ? Adam7.Passes : [Adam7.Whole])
        {
            int w = pass.Columns(h.Width), rows = pass.Rows(h.Height);
            if (w == 0 || rows == 0) continue;
            int rowBytes = (int)h.RowBytes(w), bpp = h.Bpp;
            var prior = new byte[rowBytes];
            var row = new byte[rowBytes];
            for (int y = 0; y < rows; y++)
            {
                byte filter = raw[offset];
                if (filter > 4) throw new PngFormatException($"{source}: damaged: row {y} has filter type {filter} (0 to 4 exist).");
                raw.AsSpan((int)offset + 1, rowBytes).CopyTo(row);
                Unfilter(filter, row, prior, bpp);
                offset += 1 + rowBytes;
                int oy = pass.Y0 + y * pass.DY;
                for (int x = 0; x < w; x++)
                    Store(h, row, x, palette, entries, trns, pixels, ((long)oy * h.Width + pass.X0 + x * pass.DX) * outChannels, source);
                (prior, row) = (row, prior);
            }
        }
        return new PixelImage(h.Width, h.Height, outChannels, pixels);
    }

    /// <summary>Reverses filter <paramref name="filter"/> on <paramref name="row"/> in place, given the previous unfiltered row.</summary>
    private static void Unfilter(byte filter, Span<byte> row, ReadOnlySpan<byte> prior, int bpp)
    {
        switch (filter)
        {
            case 1: for (int i = bpp; i < row.Length; i++) row[i] += row[i - bpp]; break;
            case 2: for (int i = 0; i < row.Length; i++) row[i] += prior[i]; break;
            case 3:
                for (int i = 0; i < row.Length; i++) row[i] += (byte)(((i >= bpp ? row[i - bpp] : 0) + prior[i]) >> 1);
                break;
            case 4:
                for (int i = 0; i < row.Length; i++)
                {
                    int a = i >= bpp ? row[i - bpp] : 0, b = prior[i], c = i >= bpp ? prior[i - bpp] : 0;
                    int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
                    row[i] += (byte)(pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
                }
                break;
        }
    }

    /// <summary>Sample <paramref name="s"/> of an unfiltered row at full precision (0 .. 2^depth - 1).</summary>
    private static int Sample(ReadOnlySpan<byte> row, int s, int depth) => depth switch
    {
        8 => row[s],
        16 => BinaryPrimitives.ReadUInt16BigEndian(row[(2 * s)..]),
        _ => (row[s * depth / 8] >> (8 - depth - s * depth % 8)) & ((1 << depth) - 1),
    };

    /// <summary>A full-precision sample scaled to 8 bits (16-bit: the high byte; 1, 2, 4 bits: spread over 0..255).</summary>
    private static byte To8(int v, int depth) => depth switch
    {
        8 => (byte)v,
        16 => (byte)(v >> 8),
        _ => (byte)(v * 255 / ((1 << depth) - 1)),
    };

    private static byte Over(int v, int alpha) => (byte)((v * alpha + 127) / 255);

    private static void Store(PngDecoder.Header h, ReadOnlySpan<byte> row, int x, byte[]? palette, int entries, byte[]? trns, byte[] output,
        long at, string source)
    {
        int d = h.BitDepth, max = (1 << d) - 1;
        switch (h.ColourType)
        {
            case 0:
            {
                int v = Sample(row, x, d);
                bool clear = trns is not null && v == (BinaryPrimitives.ReadUInt16BigEndian(trns) & max);
                output[at] = clear ? (byte)0 : To8(v, d);
                break;
            }
            case 4:
            {
                int v = Sample(row, 2 * x, d), a = Sample(row, 2 * x + 1, d);
                output[at] = Over(To8(v, d), To8(a, d));
                break;
            }
            case 2:
            {
                int r = Sample(row, 3 * x, d), g = Sample(row, 3 * x + 1, d), b = Sample(row, 3 * x + 2, d);
                bool clear = trns is not null && r == (BinaryPrimitives.ReadUInt16BigEndian(trns) & max)
                    && g == (BinaryPrimitives.ReadUInt16BigEndian(trns.AsSpan(2)) & max) && b == (BinaryPrimitives.ReadUInt16BigEndian(trns.AsSpan(4)) & max);
                output[at] = clear ? (byte)0 : To8(r, d);
                output[at + 1] = clear ? (byte)0 : To8(g, d);
                output[at + 2] = clear ? (byte)0 : To8(b, d);
                break;
            }
            case 6:
            {
                int a = To8(Sample(row, 4 * x + 3, d), d);
                for (int c = 0; c < 3; c++) output[at + c] = Over(To8(Sample(row, 4 * x + c, d), d), a);
                break;
            }
            default: // 3: palette
            {
                int i = Sample(row, x, d);
                if (i >= entries) throw new PngFormatException($"{source}: damaged: palette index {i} but the palette has {entries} entries.");
                int a = trns is not null && i < trns.Length ? trns[i] : 255;
                for (int c = 0; c < 3; c++) output[at + c] = Over(palette![3 * i + c], a);
                break;
            }
        }
    }
}
