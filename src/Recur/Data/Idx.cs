using System.Buffers.Binary;
using System.IO.Compression;
using Recur.IO;

namespace Recur.Data;

/// <summary>
/// An n-dimensional array of unsigned bytes read from an IDX file: <see cref="Data"/> holds the
/// elements in row-major order (the last dimension varies fastest), <c>Data.Length</c> is the
/// product of <see cref="Shape"/>.
/// </summary>
public sealed class IdxArray
{
    /// <summary>An array of <paramref name="shape"/> over <paramref name="data"/> (no copy); the product of the shape must equal the data length.</summary>
    public IdxArray(int[] shape, byte[] data)
    {
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(data);
        long n = 1;
        foreach (int d in shape)
        {
            if (d < 0) throw new ArgumentException($"shape {Idx.FormatShape(shape)} has a negative dimension.", nameof(shape));
            n = Math.Min(n * d, long.MaxValue / int.MaxValue);
        }
        if (n != data.Length)
            throw new ArgumentException($"shape {Idx.FormatShape(shape)} needs {n} bytes, data has {data.Length}.", nameof(data));
        Shape = shape;
        Data = data;
    }

    /// <summary>The dimension sizes, outermost first (for MNIST images: <c>[N, 28, 28]</c>).</summary>
    public int[] Shape { get; }

    /// <summary>The elements, row-major.</summary>
    public byte[] Data { get; }

    /// <summary>Number of dimensions (1 to 4).</summary>
    public int Rank => Shape.Length;

    /// <summary>The shape as text, e.g. <c>[600, 28, 28]</c>.</summary>
    public string ShapeString => Idx.FormatShape(Shape);
}

/// <summary>
/// Reads and writes IDX files, the format of LeCun's MNIST and of Fashion-MNIST. A file is a
/// 4-byte magic <c>00 00 type ndims</c>, then <c>ndims</c> big-endian int32 dimension sizes, then
/// the elements row-major. Only type <c>0x08</c> (unsigned byte) and 1 to 4 dimensions are
/// supported. Files may be gzip-compressed; gzip is recognised by its <c>1f 8b</c> header, not by
/// the file name. The reader checks the header before it allocates: a declared size larger than a
/// raw file holds is refused at once, and gzip data is read in bounded chunks, so a corrupt header
/// never causes a huge allocation. Every malformed file is an <see cref="IdxFormatException"/>.
/// </summary>
public static class Idx
{
    /// <summary>The element type byte for unsigned bytes, the only type this reader accepts.</summary>
    public const byte UnsignedByteType = 0x08;

    /// <summary>The largest number of dimensions accepted.</summary>
    public const int MaxRank = 4;

    private const int Chunk = 1 << 20;

    /// <summary>
    /// Reads the IDX file at <paramref name="path"/> (raw or gzip). A missing or unreadable file is
    /// an <see cref="IOException"/>; a malformed one an <see cref="IdxFormatException"/> naming the file.
    /// </summary>
    public static IdxArray Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (Directory.Exists(path))
            throw new IdxFormatException($"{path}: is a folder, expected an IDX file (such as train-images-idx3-ubyte or its .gz).");
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        return Read(fs, path);
    }

    /// <summary>
    /// Reads one IDX array from <paramref name="stream"/>, from its current position to its end
    /// (raw or gzip); <paramref name="name"/> names the source in error messages. When the stream
    /// can seek, a raw file's declared size is compared with its length before any allocation.
    /// </summary>
    public static IdxArray Read(Stream stream, string name)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(name);
        byte[] first = new byte[4];
        int got = ReadUpTo(stream, first);
        var source = new PrefixedStream(first.AsSpan(0, got).ToArray(), stream);
        if (got >= 2 && first[0] == 0x1F && first[1] == 0x8B)
        {
            using var gz = new GZipStream(source, CompressionMode.Decompress);
            try
            {
                return ReadArray(gz, name, totalLength: null, gzip: true);
            }
            catch (Exception e) when (IO.CompressedData.IsDamage(e))
            {
                throw new IdxFormatException($"{name}: the gzip data is corrupt ({e.Message}); download or copy the file again.", e);
            }
        }
        long? total = stream.CanSeek ? got + Math.Max(0, stream.Length - stream.Position) : null;
        return ReadArray(source, name, total, gzip: false);
    }

    private static IdxArray ReadArray(Stream s, string name, long? totalLength, bool gzip)
    {
        string what = gzip ? "the decompressed data" : "the file";
        Span<byte> magic = stackalloc byte[4];
        int got = ReadUpTo(s, magic);
        if (got < 4)
            throw new IdxFormatException(
                $"{name}: {what} is {got} byte{(got == 1 ? "" : "s")} long, too short for an IDX header; expected the 4-byte magic 00 00 08 <ndims> first.");
        if (magic[0] != 0 || magic[1] != 0)
            throw new IdxFormatException(
                $"{name}: bad magic {Convert.ToHexString(magic)}; an IDX file starts with 00 00 <type> <ndims> (for MNIST images 00000803). " +
                $"This is not an IDX file{(gzip ? "" : " (nor gzip)")}.");
        if (magic[2] != UnsignedByteType)
            throw new IdxFormatException(
                $"{name}: element type 0x{magic[2]:X2} ({TypeName(magic[2])}) is not supported; only 0x08 (unsigned byte) is, as in MNIST and Fashion-MNIST.");
        int rank = magic[3];
        if (rank is < 1 or > MaxRank)
            throw new IdxFormatException($"{name}: header declares {rank} dimensions; expected 1 to {MaxRank} (labels have 1, images 3).");

        int headerBytes = 4 + 4 * rank;
        Span<byte> dimBytes = stackalloc byte[4 * rank];
        got = ReadUpTo(s, dimBytes);
        if (got < dimBytes.Length)
            throw new IdxFormatException(
                $"{name}: {what} ends inside the header: {rank} dimensions need {headerBytes} header bytes, found {4 + got}.");
        var shape = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            shape[i] = BinaryPrimitives.ReadInt32BigEndian(dimBytes[(4 * i)..]);
            if (shape[i] < 0)
                throw new IdxFormatException(
                    $"{name}: dimension {i} has size {shape[i]} (bytes {Convert.ToHexString(dimBytes.Slice(4 * i, 4))}); sizes must be >= 0. " +
                    "The header is corrupt.");
        }

        Int128 declared = 1;
        foreach (int d in shape) declared *= d;
        if (declared > Array.MaxLength)
            throw new IdxFormatException(
                $"{name}: header declares shape {FormatShape(shape)} = {declared} bytes of data, more than one array can hold ({Array.MaxLength}); " +
                "the header is corrupt or the file is too large for this reader.");
        int count = (int)declared;

        if (totalLength is long total)
        {
            long available = total - headerBytes;
            if (available < count)
                throw new IdxFormatException(
                    $"{name}: header declares shape {FormatShape(shape)} = {count} bytes of data, but the file holds only {available} after " +
                    $"the {headerBytes}-byte header; the file is truncated or the header is wrong.");
            if (available > count)
                throw new IdxFormatException(
                    $"{name}: header declares shape {FormatShape(shape)} = {count} bytes of data, but {available} bytes follow " +
                    $"the {headerBytes}-byte header ({available - count} extra); the header is wrong or the file is not one IDX array.");
            var exact = new byte[count];
            s.ReadExactly(exact);
            return new IdxArray(shape, exact);
        }

        var data = new byte[Math.Min(count, Chunk)];
        int filled = 0;
        while (filled < count)
        {
            if (filled == data.Length) Array.Resize(ref data, (int)Math.Min(count, 2L * data.Length));
            int n = s.Read(data, filled, data.Length - filled);
            if (n == 0)
                throw new IdxFormatException(
                    $"{name}: {what} ends after {filled} of the {count} data bytes the header declares for shape {FormatShape(shape)}; " +
                    "the file is truncated or the header is wrong.");
            filled += n;
        }
        long extra = CountRest(s);
        if (extra > 0)
            throw new IdxFormatException(
                $"{name}: {(extra > Chunk ? $"more than {Chunk}" : extra.ToString(System.Globalization.CultureInfo.InvariantCulture))} extra bytes " +
                $"follow the {count} data bytes the header declares for shape {FormatShape(shape)}; the header is wrong or the file is not one IDX array.");
        return new IdxArray(shape, data);
    }

    /// <summary>
    /// The IDX encoding of <paramref name="data"/> as an unsigned-byte array of <paramref name="shape"/>
    /// (1 to 4 dimensions, each &gt;= 0, product equal to the data length), uncompressed.
    /// </summary>
    public static byte[] Encode(ReadOnlySpan<byte> data, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        if (shape.Length is < 1 or > MaxRank)
            throw new ArgumentException($"an IDX array has 1 to {MaxRank} dimensions, got shape {FormatShape(shape)}.", nameof(shape));
        long n = 1;
        foreach (int d in shape)
        {
            if (d < 0) throw new ArgumentException($"shape {FormatShape(shape)} has a negative dimension.", nameof(shape));
            n = Math.Min(n * d, long.MaxValue / int.MaxValue);
        }
        if (n != data.Length)
            throw new ArgumentException($"shape {FormatShape(shape)} needs {n} bytes, data has {data.Length}.", nameof(data));
        int header = 4 + 4 * shape.Length;
        var bytes = new byte[header + data.Length];
        bytes[2] = UnsignedByteType;
        bytes[3] = (byte)shape.Length;
        for (int i = 0; i < shape.Length; i++) BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + 4 * i), shape[i]);
        data.CopyTo(bytes.AsSpan(header));
        return bytes;
    }

    /// <summary>Writes <paramref name="data"/> as an uncompressed IDX file of <paramref name="shape"/> (atomically); see <see cref="Encode"/>.</summary>
    public static void Write(string path, ReadOnlySpan<byte> data, params int[] shape)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        byte[] bytes = Encode(data, shape);
        AtomicFile.Write(path, s => s.Write(bytes));
    }

    /// <summary>A shape as text: <c>[600, 28, 28]</c>.</summary>
    public static string FormatShape(ReadOnlySpan<int> shape) => "[" + string.Join(", ", shape.ToArray()) + "]";

    private static string TypeName(byte t) => t switch
    {
        0x08 => "unsigned byte",
        0x09 => "signed byte",
        0x0B => "int16",
        0x0C => "int32",
        0x0D => "float32",
        0x0E => "float64",
        _ => "not an IDX type",
    };

    /// <summary>Reads until <paramref name="buffer"/> is full or the stream ends; returns the bytes read.</summary>
    private static int ReadUpTo(Stream s, Span<byte> buffer)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int n = s.Read(buffer[total..]);
            if (n == 0) break;
            total += n;
        }
        return total;
    }

    /// <summary>Bytes left in <paramref name="s"/>, counting at most a little over <see cref="Chunk"/>.</summary>
    private static long CountRest(Stream s)
    {
        var buf = new byte[1 << 16];
        long n = 0;
        int r;
        while (n <= Chunk && (r = s.Read(buf)) > 0) n += r;
        return n;
    }

    /// <summary>A read-only stream that yields <c>prefix</c> and then the rest of <c>inner</c> (which it does not dispose).</summary>
    private sealed class PrefixedStream(byte[] prefix, Stream inner) : Stream
    {
        private int _pos;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (buffer.IsEmpty) return 0;
            if (_pos < prefix.Length)
            {
                int n = Math.Min(buffer.Length, prefix.Length - _pos);
                prefix.AsSpan(_pos, n).CopyTo(buffer);
                _pos += n;
                return n;
            }
            return inner.Read(buffer);
        }

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
