using System.Buffers.Binary;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Recur.IO;
using Xunit;

namespace Recur.Tests.IO;

public sealed class SafeTensorsTests
{
    private static SafeTensorsFile Sample(ulong seed)
    {
        var rng = new Rng(seed);
        var tensors = new List<KeyValuePair<string, Tensor>>
        {
            new("encoder.weight_ih_l0", Tensor.Randn(rng, 1f, 8, 5)),
            new("encoder.bias_ih_l0", Tensor.Randn(rng, 1f, 8)),
            new("scalar", new Tensor([3.25f], [])),
            new("empty", new Tensor(0, 3)),
            new("odd \"name\" ü ✓", Tensor.Randn(rng, 1f, 3)),
        };
        var ints = new List<KeyValuePair<string, IntegerArray>>
        {
            new("rng_state", IntegerArray.FromUInt64(rng.State)),
            new("position", new IntegerArray([long.MinValue, -1, 0, long.MaxValue], [2, 2])),
        };
        var md = new Dictionary<string, string> { ["format"] = "pt", ["note"] = "héllo\n\"quoted\"" };
        return new SafeTensorsFile(tensors, ints, md);
    }

    [Fact]
    public void RoundTripIsBitExact()
    {
        var original = Sample(42);
        string dir = Directory.CreateTempSubdirectory("recur-st-").FullName;
        try
        {
            string path = Path.Combine(dir, "ckpt.safetensors");
            SafeTensors.Write(path, original);
            var back = SafeTensors.Read(path);

            Assert.Equal(original.Tensors.Count, back.Tensors.Count);
            foreach (var (name, t) in original.Tensors)
            {
                var b = back.Tensors[name];
                Assert.Equal(t.Shape, b.Shape);
                Assert.Equal(
                    MemoryMarshal.AsBytes(t.Data.AsSpan()).ToArray(),
                    MemoryMarshal.AsBytes(b.Data.AsSpan()).ToArray());
                Assert.Equal("F32", back.DTypes[name]);
            }
            Assert.Equal(original.Integers.Count, back.Integers.Count);
            foreach (var (name, a) in original.Integers)
            {
                Assert.Equal(a.Shape, back.Integers[name].Shape);
                Assert.Equal(a.Data, back.Integers[name].Data);
                Assert.Equal("I64", back.DTypes[name]);
            }
            Assert.Equal(original.Metadata, back.Metadata);
            Assert.Equal(SampleRngState(), back.Integers["rng_state"].ToUInt64());
            Assert.Empty(back.Tensors["scalar"].Shape);

            // Only the target is left in the folder: the temporary file was renamed.
            Assert.Single(Directory.GetFiles(dir));
        }
        finally { Directory.Delete(dir, true); }
    }

    private static ulong[] SampleRngState()
    {
        // Replays the draws Sample() makes before it reads the state.
        var rng = new Rng(42);
        Tensor.Randn(rng, 1f, 8, 5); Tensor.Randn(rng, 1f, 8); Tensor.Randn(rng, 1f, 3);
        return rng.State;
    }

    [Fact]
    public void LayoutFollowsTheSpecification()
    {
        byte[] bytes = SafeTensors.ToBytes(Sample(7));
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0UL, n % 8);
        Assert.Equal((byte)'{', bytes[8]);
        string header = Encoding.UTF8.GetString(bytes, 8, (int)n);
        Assert.Equal(header.TrimEnd(' ').Length + (header.Length - header.TrimEnd(' ').Length), header.Length);
        using var doc = JsonDocument.Parse(header);
        long total = 0;
        foreach (var p in doc.RootElement.EnumerateObject())
        {
            if (p.Name == SafeTensors.MetadataKey) continue;
            var off = p.Value.GetProperty("data_offsets");
            long b = off[0].GetInt64(), e = off[1].GetInt64();
            long vol = 1;
            foreach (var d in p.Value.GetProperty("shape").EnumerateArray()) vol *= d.GetInt64();
            int size = p.Value.GetProperty("dtype").GetString() == "I64" ? 8 : 4;
            Assert.Equal(vol * size, e - b);
            total += e - b;
            if (size == 8) Assert.Equal(0, (8 + (long)n + b) % 8);
        }
        Assert.Equal(bytes.Length - 8 - (long)n, total);

        // Decode one tensor by hand, independently of the reader.
        var w = doc.RootElement.GetProperty("encoder.bias_ih_l0");
        long begin = w.GetProperty("data_offsets")[0].GetInt64();
        var expected = Sample(7).Tensors["encoder.bias_ih_l0"].Data;
        for (int i = 0; i < expected.Length; i++)
            Assert.Equal(expected[i], BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan((int)(8 + (long)n + begin) + 4 * i)));
    }

    [Fact]
    public void OverwriteReplacesAtomically()
    {
        string dir = Directory.CreateTempSubdirectory("recur-st-").FullName;
        try
        {
            string path = Path.Combine(dir, "m.safetensors");
            SafeTensors.Write(path, [new("a", new Tensor([1f, 2f], 2))]);
            SafeTensors.Write(path, [new("b", new Tensor([5f], 1))], new Dictionary<string, string> { ["k"] = "v" });
            var f = SafeTensors.Read(path);
            Assert.Equal(["b"], f.Names);
            Assert.Equal("v", f.Metadata["k"]);
            Assert.Single(Directory.GetFiles(dir));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void WriterRejectsBadNames()
    {
        Assert.Throws<ArgumentException>(() => new SafeTensorsFile([new("__metadata__", new Tensor(1))]));
        Assert.Throws<ArgumentException>(() => new SafeTensorsFile(
            [new("x", new Tensor(1))], [new("x", new IntegerArray([1L]))]));
    }

    [Fact]
    public void MissingFileIsAnIOError()
    {
        Assert.Throws<FileNotFoundException>(() => SafeTensors.Read(Path.Combine(Path.GetTempPath(), Guid.NewGuid() + ".safetensors")));
    }

    [Fact]
    public void MissingEntryNamesIt()
    {
        var f = SafeTensors.Parse(SafeTensors.ToBytes(Sample(1)));
        var e = Assert.Throws<CheckpointFormatException>(() => f.GetTensor("nope"));
        Assert.Contains("nope", e.Message);
        Assert.Equal(f.Integers["position"].Data[1], f.GetTensor("position").Data[1]);
    }

    private static byte[] Build(string header, int dataBytes, ulong? lengthField = null)
    {
        byte[] h = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + h.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, lengthField ?? (ulong)h.Length);
        h.CopyTo(bytes, 8);
        return bytes;
    }

    [Theory]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", 8, null, null)] // valid control
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", 4, null, "past the end")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", 12, null, "trailing")]
    [InlineData("""{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}""", 8, null, "needs 12 bytes")]
    [InlineData("""{"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}""", 8, null, "negative")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[-8,0]}}""", 8, null, "negative")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}""", 8, null, "end before")]
    [InlineData("""{"a":{"dtype":"F16","shape":[4],"data_offsets":[0,8]}}""", 8, null, "not supported")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2147483647,2147483647,2147483647],"data_offsets":[0,8]}}""", 8, null, "more bytes than the file")]
    [InlineData("""{"a":{"dtype":"F32","shape":[99999999999],"data_offsets":[0,8]}}""", 8, null, "too large")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""", 12, null, "overlap")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}""", 12, null, "gap")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", 8, null, "twice")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}""", 8, null, "not valid JSON")]
    [InlineData("""[1,2]""", 0, null, "does not start with")]
    [InlineData("""{"a":[1]}""", 0, null, "must be an object")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"x":1}}""", 8, null, "unexpected header field")]
    [InlineData("""{"a":{"dtype":"F32","data_offsets":[0,8]}}""", 8, null, "missing 'shape'")]
    [InlineData("""{"__metadata__":{"k":1}}""", 0, null, "must be a string")]
    [InlineData("""{}""", 0, 18446744073709551615UL, "only")]
    [InlineData("""{}""", 0, 1UL, "too short")]
    public void HostileHeadersAreRejectedClearly(string header, int dataBytes, ulong? lengthField, string? expected)
    {
        byte[] bytes = Build(header, dataBytes, lengthField);
        if (expected is null)
        {
            Assert.Single(SafeTensors.Parse(bytes).Tensors);
            return;
        }
        var e = Assert.Throws<CheckpointFormatException>(() => SafeTensors.Parse(bytes, "hostile.safetensors"));
        Assert.Contains(expected, e.Message);
        Assert.StartsWith("hostile.safetensors: ", e.Message);
    }

    [Fact]
    public void TruncatedAndCorruptedFilesLoadOrThrowTheFormatError()
    {
        byte[] good = SafeTensors.ToBytes(Sample(3));
        var sw = Stopwatch.StartNew();
        int loaded = 0, rejected = 0;

        void Attempt(byte[] bytes)
        {
            try { SafeTensors.Parse(bytes); loaded++; }
            catch (CheckpointFormatException) { rejected++; }
            // Any other exception type escapes and fails the test.
        }

        // Every proper prefix is a truncated file and must be rejected.
        for (int len = 0; len < good.Length; len++)
        {
            int before = rejected;
            Attempt(good[..len]);
            Assert.True(rejected == before + 1, $"prefix of {len} of {good.Length} bytes was accepted");
        }

        var rng = new Rng(20240601);
        for (int trial = 0; trial < 20000; trial++)
        {
            byte[] bad = (byte[])good.Clone();
            int flips = 1 + rng.NextInt(4);
            // Bias half the flips into the first 8 + header bytes, where structure lives.
            int headerEnd = 8 + (int)BinaryPrimitives.ReadUInt64LittleEndian(good);
            for (int k = 0; k < flips; k++)
            {
                int at = rng.NextInt(2) == 0 ? rng.NextInt(headerEnd) : rng.NextInt(bad.Length);
                bad[at] = rng.NextInt(3) == 0 ? (byte)(bad[at] ^ (1 << rng.NextInt(8))) : (byte)rng.NextInt(256);
            }
            if (rng.NextInt(4) == 0) bad = bad[..rng.NextInt(bad.Length + 1)];
            Attempt(bad);
        }

        // Also through the file path (a real handle, not memory).
        string path = Path.Combine(Path.GetTempPath(), "recur-fuzz-" + Guid.NewGuid() + ".safetensors");
        try
        {
            for (int trial = 0; trial < 50; trial++)
            {
                byte[] bad = (byte[])good.Clone();
                bad[rng.NextInt(64)] = (byte)rng.NextInt(256);
                File.WriteAllBytes(path, bad[..(good.Length - rng.NextInt(16))]);
                try { SafeTensors.Read(path); loaded++; }
                catch (CheckpointFormatException) { rejected++; }
            }
        }
        finally { File.Delete(path); }

        Assert.True(loaded > 0, "no corrupted file loaded (flips in tensor data should still load)");
        Assert.True(rejected > good.Length, "too few corrupted files were rejected");
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(20), $"fuzzing took {sw.Elapsed}");
    }
}
