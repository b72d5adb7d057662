using System.Text;
using Recur.Data;
using Recur.Data.Language;
using Recur.Data.Translation;
using Recur.Tests.TestUtil;
using Xunit;

namespace Recur.Tests.Data;

/// <summary>
/// The IDX, CMU dictionary, Brown corpus and gettext .mo readers against damaged input: seeded mutants of valid files (flipped bits,
/// overwritten bytes, cuts, insertions, duplicated spans), each either read or refused with the reader's own exception,
/// never another one, and never allocating more than a bounded multiple of the input (the PNG, safetensors and
/// checkpoint readers have their own such tests).
/// </summary>
public sealed class ReaderFuzzTests
{
    private static string Samples => Path.Combine(AppContext.BaseDirectory, "Data", "Samples");

    private static (int Read, int Refused) Run<TExpected>(byte[] good, int cases, ulong seed, Action<byte[]> read) where TExpected : Exception
    {
        var rng = new Rng(seed);
        int ok = 0, refused = 0;
        for (int i = 0; i < cases; i++)
        {
            var bad = Mutants.Mutate(good, rng);
            long before = GC.GetAllocatedBytesForCurrentThread();
            try { read(bad); ok++; }
            catch (TExpected e) { refused++; Assert.DoesNotContain('\n', e.Message); }
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.True(allocated < 64L * bad.Length + (8 << 20), $"case {i}: {allocated:N0} bytes allocated for a {bad.Length:N0}-byte input");
        }
        return (ok, refused);
    }

    [Fact]
    public void IdxMutantsAreReadOrRefused()
    {
        var good = Idx.Encode(Enumerable.Range(0, 6 * 7 * 5).Select(i => (byte)i).ToArray(), 6, 7, 5);
        var (ok, refused) = Run<IdxFormatException>(good, 3000, 11, bytes => Idx.Read(new MemoryStream(bytes), "fuzz"));
        Assert.True(refused > 1000, $"only {refused} refused ({ok} read)");
    }

    [Fact]
    public void DictionaryMutantsAreReadOrRefusedWithALineNumber()
    {
        var good = File.ReadAllBytes(Path.Combine(Samples, "cmudict", "cmudict-sample.out"))[..4000];
        int withLine = 0;
        var (ok, refused) = Run<CorpusFormatException>(good, 2000, 12, bytes =>
        {
            try { CmuLexicon.Parse(new StringReader(Encoding.Latin1.GetString(bytes)), "dict"); }
            catch (CorpusFormatException e) { if (System.Text.RegularExpressions.Regex.IsMatch(e.Message, @"^dict:\d+: ")) withLine++; throw; }
        });
        Assert.True(refused > 500, $"only {refused} refused ({ok} read)");
        Assert.Equal(refused, withLine); // every refusal names its line
    }

    [Fact]
    public void BrownMutantsAreReadOrRefused()
    {
        var good = File.ReadAllBytes(Path.Combine(Samples, "brown", "ca01"));
        var (ok, refused) = Run<CorpusFormatException>(good, 2000, 13, bytes => BrownCorpus.Parse(Encoding.UTF8.GetString(bytes), "ca01"));
        Assert.True(ok + refused == 2000 && refused > 100, $"{refused} refused, {ok} read");
    }

    [Theory]
    [InlineData("upower", 21UL)]
    [InlineData("gdk-pixbuf", 22UL)]
    [InlineData("net-tools", 23UL)]
    public void MoMutantsAreReadOrRefused(string catalogue, ulong seed)
    {
        // a real catalogue (contexts, plurals, a Latin-1 one), read and turned into pairs (which evaluates the plural rule)
        var good = File.ReadAllBytes(Path.Combine(Samples, "gettext-fr", catalogue + ".mo"));
        var (ok, refused) = Run<MoFormatException>(good, 1500, seed, bytes => CatalogueSet.PairsOf(MoCatalogue.Read(bytes, "fuzz.mo"), "fuzz", "fuzz.mo"));
        Assert.True(ok + refused == 1500 && refused > 300, $"{refused} refused, {ok} read");
    }
}
