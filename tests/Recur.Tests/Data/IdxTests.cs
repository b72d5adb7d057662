using System.Buffers.Binary;
using System.IO.Compression;
using Recur.Data;
using Xunit;

namespace Recur.Tests.Data;

public sealed class IdxTests
{
    private static string TempPath(string suffix = "") => Path.Combine(Path.GetTempPath(), "recur-idx-" + Guid.NewGuid() + suffix);

    private static byte[] Gzip(byte[] raw)
    {
        using var ms = new MemoryStream();
        using (var z = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true)) z.Write(raw);
        return ms.ToArray();
    }

    private static byte[] Header(byte type, params int[] dims)
    {
        var h = new byte[4 + 4 * dims.Length];
        h[2] = type;
        h[3] = (byte)dims.Length;
        for (int i = 0; i < dims.Length; i++) BinaryPrimitives.WriteInt32BigEndian(h.AsSpan(4 + 4 * i), dims[i]);
        return h;
    }

    /// <summary>Writes <paramref name="bytes"/> to a temp file, reads it, and returns the refusal.</summary>
    private static IdxFormatException ReadFails(byte[] bytes, out string path)
    {
        path = TempPath();
        File.WriteAllBytes(path, bytes);
        try { string p = path; return Assert.Throws<IdxFormatException>(() => Idx.Read(p)); }
        finally { File.Delete(path); }
    }

    private static byte[] Sequence(int n) => Enumerable.Range(0, n).Select(i => (byte)(i * 7 + 3)).ToArray();

    [Fact]
    public void WriteThenReadRoundTripsEveryRank()
    {
        int[][] shapes = [[5], [3, 4], [3, 2, 4], [2, 3, 1, 2], [0, 28, 28]];
        foreach (var shape in shapes)
        {
            var data = Sequence(shape.Aggregate(1, (a, b) => a * b));
            string path = TempPath();
            try
            {
                Idx.Write(path, data, shape);
                byte[] file = File.ReadAllBytes(path);
                Assert.Equal(new byte[] { 0, 0, 0x08, (byte)shape.Length }, file[..4]);
                Assert.Equal(4 + 4 * shape.Length + data.Length, file.Length);
                var a = Idx.Read(path);
                Assert.Equal(shape, a.Shape);
                Assert.Equal(data, a.Data);
                Assert.Equal(shape.Length, a.Rank);
            }
            finally { File.Delete(path); }
        }
    }

    [Fact]
    public void EncodeWritesBigEndianDimensions()
    {
        byte[] e = Idx.Encode(new byte[300 * 2], 300, 2);
        Assert.Equal(new byte[] { 0, 0, 8, 2, 0, 0, 0x01, 0x2C, 0, 0, 0, 2 }, e[..12]);
        var ex = Assert.Throws<ArgumentException>(() => Idx.Encode(new byte[5], 2, 3));
        Assert.Contains("needs 6 bytes, data has 5", ex.Message);
        Assert.Throws<ArgumentException>(() => Idx.Encode(new byte[1], 1, 1, 1, 1, 1));
    }

    [Fact]
    public void GzipIsDetectedByItsHeaderNotByTheName()
    {
        var data = Sequence(2 * 3 * 5);
        byte[] raw = Idx.Encode(data, 2, 3, 5);
        string gzNoSuffix = TempPath(), rawWithGzSuffix = TempPath(".gz");
        try
        {
            File.WriteAllBytes(gzNoSuffix, Gzip(raw));
            File.WriteAllBytes(rawWithGzSuffix, raw);
            foreach (string p in new[] { gzNoSuffix, rawWithGzSuffix })
            {
                var a = Idx.Read(p);
                Assert.Equal(new[] { 2, 3, 5 }, a.Shape);
                Assert.Equal(data, a.Data);
            }
        }
        finally { File.Delete(gzNoSuffix); File.Delete(rawWithGzSuffix); }
    }

    [Fact]
    public void ReadsFromANonSeekableStream()
    {
        var data = Sequence(3 * 4);
        var a = Idx.Read(new ForwardOnlyStream(Idx.Encode(data, 3, 4)), "pipe");
        Assert.Equal(data, a.Data);
        var ex = Assert.Throws<IdxFormatException>(() => Idx.Read(new ForwardOnlyStream(Idx.Encode(data, 3, 4)[..^2]), "pipe"));
        Assert.Contains("pipe", ex.Message);
        Assert.Contains("ends after 10 of the 12 data bytes", ex.Message);
        ex = Assert.Throws<IdxFormatException>(() => Idx.Read(new ForwardOnlyStream([.. Idx.Encode(data, 3, 4), 1]), "pipe"));
        Assert.Contains("1 extra bytes", ex.Message);
    }

    [Fact]
    public void BadMagicIsRefused()
    {
        var ex = ReadFails([0x89, (byte)'P', (byte)'N', (byte)'G', 0, 0, 0, 0], out string path);
        Assert.Contains(path, ex.Message);
        Assert.Contains("bad magic 89504E47", ex.Message);
        Assert.Contains("not an IDX file", ex.Message);
    }

    [Fact]
    public void OtherElementTypesAreRefused()
    {
        var ex = ReadFails([.. Header(0x0D, 2), 0, 0, 0, 0, 0, 0, 0, 0], out string path);
        Assert.Contains(path, ex.Message);
        Assert.Contains("element type 0x0D (float32) is not supported", ex.Message);
        Assert.Contains("only 0x08 (unsigned byte)", ex.Message);
        ex = ReadFails([.. Header(0x42, 1), 0], out _);
        Assert.Contains("0x42 (not an IDX type)", ex.Message);
    }

    [Fact]
    public void RanksOutside1To4AreRefused()
    {
        Assert.Contains("declares 0 dimensions; expected 1 to 4", ReadFails([0, 0, 8, 0], out _).Message);
        Assert.Contains("declares 5 dimensions; expected 1 to 4", ReadFails(Header(8, 1, 1, 1, 1, 1), out _).Message);
    }

    [Fact]
    public void ShortHeadersAndNegativeDimensionsAreRefused()
    {
        Assert.Contains("is 2 bytes long, too short for an IDX header", ReadFails([0, 0], out _).Message);
        Assert.Contains("ends inside the header: 3 dimensions need 16 header bytes, found 10", ReadFails(Header(8, 1, 1, 1)[..10], out _).Message);
        var ex = ReadFails(Header(8, 4, -1), out _);
        Assert.Contains("dimension 1 has size -1", ex.Message);
        Assert.Contains(">= 0", ex.Message);
    }

    [Fact]
    public void TruncatedDataIsRefused()
    {
        byte[] full = Idx.Encode(Sequence(6 * 5), 6, 5);
        var ex = ReadFails(full[..^7], out string path);
        Assert.Contains(path, ex.Message);
        Assert.Contains("[6, 5] = 30 bytes of data, but the file holds only 23", ex.Message);
        Assert.Contains("truncated", ex.Message);

        ex = ReadFails(Gzip(full[..^7]), out _);
        Assert.Contains("ends after 23 of the 30 data bytes", ex.Message);
        Assert.Contains("truncated", ex.Message);
    }

    [Fact]
    public void ExtraBytesAfterTheDataAreRefused()
    {
        byte[] full = Idx.Encode(Sequence(6 * 5), 6, 5);
        var ex = ReadFails([.. full, 1, 2, 3], out string path);
        Assert.Contains(path, ex.Message);
        Assert.Contains("33 bytes follow the 12-byte header (3 extra)", ex.Message);

        ex = ReadFails(Gzip([.. full, 1, 2, 3]), out _);
        Assert.Contains("3 extra bytes follow the 30 data bytes", ex.Message);
    }

    [Fact]
    public void CorruptGzipIsAFormatError()
    {
        byte[] gz = Gzip(Idx.Encode(Sequence(4000), 40, 100));
        byte[] bad = (byte[])gz.Clone();
        for (int i = 20; i < bad.Length - 8; i += 3) bad[i] ^= 0x5A;
        Assert.Throws<IdxFormatException>(() => Idx.Read(new MemoryStream(bad), "bad.gz"));
        var ex = Assert.Throws<IdxFormatException>(() => Idx.Read(new MemoryStream(gz[..^30]), "cut.gz"));
        Assert.Contains("cut.gz", ex.Message);
    }

    [Fact]
    public void HugeDeclaredSizesFailFastWithoutAllocating()
    {
        // 2^31 elements in a 100-byte file: more than any array, refused from the header alone.
        byte[] file = [.. Header(8, 32768, 65536), .. new byte[88]];
        Assert.Equal(100, file.Length);
        string path = TempPath();
        File.WriteAllBytes(path, file);
        try
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            var ex = Assert.Throws<IdxFormatException>(() => Idx.Read(path));
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.Contains("[32768, 65536] = 2147483648 bytes", ex.Message);
            Assert.True(allocated < 1 << 20, $"refusing the header allocated {allocated} bytes");

            // 2^30 elements would fit in an array, but not in this file: compared with the length first.
            File.WriteAllBytes(path, [.. Header(8, 1024, 1024, 1024), .. new byte[84]]);
            before = GC.GetAllocatedBytesForCurrentThread();
            ex = Assert.Throws<IdxFormatException>(() => Idx.Read(path));
            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.Contains("1073741824 bytes of data, but the file holds only 84", ex.Message);
            Assert.True(allocated < 1 << 20, $"refusing the header allocated {allocated} bytes");

            // Gzip cannot be measured up front; it is read in bounded chunks and ends early.
            byte[] gz = Gzip([.. Header(8, 1024, 1024, 1024), .. new byte[84]]);
            before = GC.GetAllocatedBytesForCurrentThread();
            ex = Assert.Throws<IdxFormatException>(() => Idx.Read(new MemoryStream(gz), "bomb.gz"));
            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.Contains("ends after 84 of the 1073741824 data bytes", ex.Message);
            Assert.True(allocated < 4 << 20, $"refusing the gzip file allocated {allocated} bytes");
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void AFolderIsNotAnIdxFile()
    {
        string dir = TempPath();
        Directory.CreateDirectory(dir);
        try { Assert.Contains("is a folder", Assert.Throws<IdxFormatException>(() => Idx.Read(dir)).Message); }
        finally { Directory.Delete(dir); }
    }

    /// <summary>A stream that reads in small pieces and cannot seek, as a pipe would.</summary>
    private sealed class ForwardOnlyStream(byte[] bytes) : Stream
    {
        private int _pos;
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count)
        {
            int n = Math.Min(Math.Min(count, 5), bytes.Length - _pos);
            Array.Copy(bytes, _pos, buffer, offset, n);
            _pos += n;
            return n;
        }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
