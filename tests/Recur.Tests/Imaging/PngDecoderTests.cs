using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using Recur.Imaging;
using Recur.Plotting;
using Recur.Tests.TestUtil;
using Xunit;

namespace Recur.Tests.Imaging;

/// <summary>
/// The PNG decoder against files written by independent encoders (Pillow and ImageMagick, Samples/make_png_samples.py):
/// every colour type and bit depth, Adam7, tRNS; round trips through Recur's own encoder; and damaged or crafted files,
/// which must give a <see cref="PngFormatException"/> and nothing else.
/// </summary>
public sealed class PngDecoderTests
{
    private static string Dir => Path.Combine(AppContext.BaseDirectory, "Imaging", "Samples");

    public static TheoryData<string> Samples()
    {
        var d = new TheoryData<string>();
        foreach (var f in Directory.GetFiles(Dir, "*.png").Select(Path.GetFileNameWithoutExtension).Order(StringComparer.Ordinal)) d.Add(f!);
        return d;
    }

    [Fact]
    public void EveryKindOfSampleIsThere() => Assert.True(Samples().Count >= 14, "run Imaging/Samples/make_png_samples.py");

    [Theory]
    [MemberData(nameof(Samples))]
    public void DecodesWhatPillowAndImageMagickWrote(string name)
    {
        var image = PngDecoder.Read(Path.Combine(Dir, name + ".png"));
        byte[] expected = File.ReadAllBytes(Path.Combine(Dir, name + ".expected"));
        int nl = Array.IndexOf(expected, (byte)'\n');
        var head = Encoding.ASCII.GetString(expected, 0, nl).Split(' ').Select(int.Parse).ToArray();
        Assert.Equal((head[0], head[1], head[2]), (image.Width, image.Height, image.Channels));
        Assert.Equal(expected.AsSpan(nl + 1).ToArray(), image.Pixels);
    }

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(37, 5, 1)]
    [InlineData(8, 13, 3)]
    public void RoundTripsThroughRecursEncoder(int w, int h, int channels)
    {
        var rng = new Rng(4);
        var pixels = new byte[w * h * channels];
        for (int i = 0; i < pixels.Length; i++) pixels[i] = (byte)rng.NextInt(256);
        var back = PngDecoder.Decode(Png.Encode(new PixelImage(w, h, channels, pixels)));
        Assert.Equal((w, h, channels), (back.Width, back.Height, back.Channels));
        Assert.Equal(pixels, back.Pixels);
    }

    [Fact]
    public void GreyAndResizeFollowTheirRules()
    {
        var rgb = new PixelImage(2, 1, 3, [255, 0, 0, 10, 20, 30]);
        Assert.Equal(new byte[] { 76, 18 }, rgb.ToGrey().Pixels); // 0.299*255 = 76.2; 2.99+11.74+3.42 = 18.15
        var g = new PixelImage(4, 2, 1, [0, 100, 200, 40, 10, 20, 30, 50]);
        Assert.Equal(new byte[] { 33, 80 }, g.Resize(2, 1).Pixels); // box means of the 2x2 blocks, 32.5 and 80, halves rounded away from zero
    }

    private static byte[] ValidPng()
    {
        var rng = new Rng(8);
        var pixels = new byte[20 * 12 * 3];
        for (int i = 0; i < pixels.Length; i++) pixels[i] = (byte)(i * 7 % 251);
        return Png.Encode(new PixelImage(20, 12, 3, pixels));
    }

    [Fact]
    public void DamagedFilesFailCleanly()
    {
        // 4,000 mutants of valid files of several kinds (Mutants: flipped bits, overwritten bytes, cuts, insertions), half of
        // them with the CRCs repaired so the damage reaches the header, the inflater and the unfilter.
        var seeds = new List<byte[]> { ValidPng() };
        seeds.AddRange(Directory.GetFiles(Dir, "*.png").Select(File.ReadAllBytes));
        var rng = new Rng(2026);
        int decoded = 0, refused = 0;
        for (int iter = 0; iter < 4000; iter++)
        {
            var file = Mutants.Mutate(seeds[iter % seeds.Count], rng, keep: 8);
            if (iter % 2 == 0) Mutants.RepairPngCrcs(file);
            try { PngDecoder.Decode(file, maxPixels: 1 << 20); decoded++; }
            catch (PngFormatException) { refused++; }
        }
        Assert.True(refused > 1000, $"only {refused} of 4000 mutants were refused");
        Assert.Equal(4000, decoded + refused);
    }

    [Fact]
    public void CraftedHeadersAreRefusedBeforeAllocating()
    {
        // A 60,000 x 60,000 RGB image (10.8 GB) announced by a 70-byte file: refused by the pixel limit; with the limit
        // raised, refused because the compressed data could not hold it.
        byte[] file = ValidPng();
        int ihdr = 8;
        BinaryPrimitives.WriteUInt32BigEndian(file.AsSpan(ihdr + 8), 60000);
        BinaryPrimitives.WriteUInt32BigEndian(file.AsSpan(ihdr + 12), 60000);
        Mutants.RepairPngCrc(file, ihdr);
        Assert.Contains("more than", Assert.Throws<PngFormatException>(() => PngDecoder.Decode(file)).Message);
        long before = GC.GetAllocatedBytesForCurrentThread();
        Assert.Contains("compressed bytes", Assert.Throws<PngFormatException>(() => PngDecoder.Decode(file, maxPixels: long.MaxValue)).Message);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1 << 20);

        // A decompression bomb: 1 MB of zeros inflating from ~1 KB into a 4x4 image's 52 bytes: only what the image needs is inflated.
        using var z = new MemoryStream();
        using (var zs = new ZLibStream(z, CompressionLevel.SmallestSize, leaveOpen: true)) zs.Write(new byte[1 << 20]);
        var bomb = BuildPng(4, 4, 2, z.ToArray());
        Assert.Equal(48, PngDecoder.Decode(bomb).Pixels.Length);

        Assert.Contains("signature", Assert.Throws<PngFormatException>(() => PngDecoder.Decode("GIF89a.."u8)).Message);
        Assert.Contains("IHDR", Assert.Throws<PngFormatException>(() => PngDecoder.Decode(file[..8])).Message);
        var badType = BuildPng(4, 4, 5, z.ToArray());
        Assert.Contains("colour type 5", Assert.Throws<PngFormatException>(() => PngDecoder.Decode(badType)).Message);
        Assert.Throws<FileNotFoundException>(() => PngDecoder.Read(Path.Combine(Dir, "missing.png")));
    }

    private static byte[] BuildPng(int w, int h, byte colour, byte[] idat)
    {
        var s = new MemoryStream();
        s.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteUInt32BigEndian(ihdr, (uint)w);
        BinaryPrimitives.WriteUInt32BigEndian(ihdr.AsSpan(4), (uint)h);
        ihdr[8] = 8; ihdr[9] = colour;
        Chunk(s, "IHDR", ihdr);
        Chunk(s, "IDAT", idat);
        Chunk(s, "IEND", []);
        return s.ToArray();
    }

    private static void Chunk(Stream s, string type, byte[] data)
    {
        var head = new byte[8];
        BinaryPrimitives.WriteUInt32BigEndian(head, (uint)data.Length);
        Encoding.ASCII.GetBytes(type, head.AsSpan(4));
        s.Write(head);
        s.Write(data);
        var crc = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32.Compute([.. head[4..], .. data]));
        s.Write(crc);
    }
}
