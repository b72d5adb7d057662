using System.Text;
using Recur.Data;
using Xunit;

namespace Recur.Tests.Data;

public sealed class CorpusTests
{
    private static string WriteTemp(byte[] bytes)
    {
        string p = Path.Combine(Path.GetTempPath(), "recur-corpus-" + Guid.NewGuid() + ".txt");
        File.WriteAllBytes(p, bytes);
        return p;
    }

    private static CorpusException LoadFails(byte[] bytes, out string path)
    {
        path = WriteTemp(bytes);
        try { string p = path; return Assert.Throws<CorpusException>(() => Corpus.Load(p)); }
        finally { File.Delete(path); }
    }

    [Fact]
    public void LoadsUtf8AndDropsTheByteOrderMark()
    {
        string text = "First line\r\nsecond: é 😀\n";
        string path = WriteTemp([0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes(text)]);
        try
        {
            var c = Corpus.Load(path);
            Assert.Equal(text, c.Text);
            Assert.Equal(path, c.Source);
            Assert.Equal(Encoding.UTF8.GetByteCount(text), c.ByteLength);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void MissingEmptyAndFolderAreClearErrors()
    {
        string missing = Path.Combine(Path.GetTempPath(), "recur-no-such-" + Guid.NewGuid() + ".txt");
        var e = Assert.Throws<CorpusException>(() => Corpus.Load(missing));
        Assert.Contains(missing, e.Message);
        Assert.Contains("not found", e.Message);

        var empty = LoadFails([], out var p1);
        Assert.Contains("empty", empty.Message);
        Assert.Contains(p1, empty.Message);
        Assert.Contains("byte-order mark", LoadFails([0xEF, 0xBB, 0xBF], out _).Message);
        Assert.Contains("folder", Assert.Throws<CorpusException>(() => Corpus.Load(Path.GetTempPath())).Message);
    }

    [Theory]
    [InlineData(new byte[] { 0x61, 0x62, 0x63, 0xC3, 0x28, 0x64 }, 3)]      // bad continuation byte
    [InlineData(new byte[] { 0x61, 0xC0, 0xAF }, 1)]                         // overlong '/'
    [InlineData(new byte[] { 0x61, 0x62, 0xED, 0xA0, 0x80 }, 2)]             // UTF-8 encoded surrogate
    [InlineData(new byte[] { 0x61, 0x62, 0x63, 0x64, 0xF0, 0x9F, 0x98 }, 4)] // truncated 4-byte sequence
    [InlineData(new byte[] { 0xFF, 0x61 }, 0)]
    public void InvalidUtf8NamesTheByteOffset(byte[] bytes, int offset)
    {
        var e = LoadFails(bytes, out string path);
        Assert.Contains($"invalid UTF-8 at byte offset {offset}", e.Message);
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void BinaryContentIsRejectedAtTheNulByte()
    {
        var e = LoadFails([0xEF, 0xBB, 0xBF, 0x61, 0x62, 0x00, 0x63], out _);
        Assert.Contains("NUL byte at byte offset 5", e.Message);
    }

    [Fact]
    public void TinyShakespeareIsEmbedded()
    {
        var c = Corpus.TinyShakespeare();
        Assert.Equal(1115394, c.ByteLength);
        Assert.StartsWith("First Citizen:\nBefore we proceed any further, hear me speak.", c.Text);
    }

    [Fact]
    public void SplitsFollowNanoGpt()
    {
        var text = Corpus.TinyShakespeare().Text;
        var ids = Vocabulary.FromText(text).Encode(text);
        var s = DataSplits.Create(ids, 0.1);
        // nanoGPT data/shakespeare_char/prepare.py: "train has 1,003,854 tokens", "val has 111,540 tokens".
        Assert.Equal(1_003_854, s.Train.Length);
        Assert.Equal(111_540, s.Val.Length);
        Assert.Equal(0, s.Test.Length);

        int[] t = Enumerable.Range(0, 1000).ToArray();
        var three = DataSplits.Create(t, 0.1, 0.05);
        Assert.Equal(850, three.Train.Length);
        Assert.Equal(100, three.Val.Length);
        Assert.Equal(50, three.Test.Length);
        Assert.Equal(t, (int[])[.. three.Train.ToArray(), .. three.Val.ToArray(), .. three.Test.ToArray()]);

        Assert.Throws<ArgumentException>(() => DataSplits.Create(t, 0.6, 0.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => DataSplits.Create(t, -0.1));
        Assert.Contains("empty validation", Assert.Throws<ArgumentException>(() => DataSplits.Create(new int[5], 0.1, 0.1)).Message);
    }
}
