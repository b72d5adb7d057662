using System.Text;
using Recur.Data;
using Xunit;

namespace Recur.Tests.Data;

public sealed class VocabularyTests
{
    private const string Mixed = "héllo wörld\n\t\"quoted\" 😀 snowman ☃ 𝄞 end";

    [Fact]
    public void BuiltFromTextIsSortedByCodePointAndDeterministic()
    {
        var v = Vocabulary.FromText(Mixed);
        var expected = new SortedSet<int>();
        foreach (var r in Mixed.EnumerateRunes()) expected.Add(r.Value);
        Assert.Equal(expected.ToArray(), v.Runes.Select(r => r.Value).ToArray());
        // Order of appearance does not matter: the same characters reversed give the same ids.
        Assert.True(v.SameAs(Vocabulary.FromText(string.Concat(Mixed.EnumerateRunes().Reverse().Select(r => r.ToString())))));
    }

    [Fact]
    public void EncodeDecodeRoundTripsWithAstralCharactersAsOneToken()
    {
        var v = Vocabulary.FromText(Mixed);
        int[] ids = v.Encode(Mixed);
        Assert.Equal(Mixed.EnumerateRunes().Count(), ids.Length);
        Assert.Equal(Mixed, v.Decode(ids));
        int emoji = Mixed.IndexOf("😀", StringComparison.Ordinal);
        int runeIndex = Mixed[..emoji].EnumerateRunes().Count();
        Assert.Equal(new Rune(0x1F600), v[ids[runeIndex]]);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => v.Decode([0, v.Count]));
        Assert.Contains($"id {v.Count} at position 1", e.Message);
    }

    [Fact]
    public void UnknownCharactersAreAllNamed()
    {
        var v = Vocabulary.FromText("abc \n");
        var e = Assert.Throws<UnknownCharactersException>(() => v.Encode("abcxbz€\u0001x"));
        Assert.Equal(["x", "z", "€", "\u0001"], e.Characters.Select(r => r.ToString()));
        Assert.Equal([2, 1, 1, 1], e.Counts);
        Assert.Equal(3, e.FirstIndices[0]);
        Assert.Contains("character 'x' (U+0078) at position 4 (2 times in all)", e.Message);
        Assert.Contains("U+20AC", e.Message);
        Assert.Contains("U+0001", e.Message);
        Assert.Contains("vocabulary of 5", e.Message);
    }

    [Fact]
    public void JsonRoundTripsAndRejectsMalformedInput()
    {
        var v = Vocabulary.FromText(Mixed);
        string json = v.ToJsonArray();
        Assert.StartsWith("[", json);
        var back = Vocabulary.FromJson(json);
        Assert.True(v.SameAs(back));
        Assert.Equal(v.Encode(Mixed), back.Encode(Mixed));

        // Order is preserved, not re-sorted: a vocabulary from elsewhere keeps its ids.
        var custom = Vocabulary.FromJson("""["z","a","\n"]""");
        Assert.Equal([1, 0, 2], custom.Encode("az\n"));

        Assert.Contains("exactly one", Assert.Throws<FormatException>(() => Vocabulary.FromJson("""["ab"]""")).Message);
        Assert.Contains("repeats", Assert.Throws<FormatException>(() => Vocabulary.FromJson("""["a","a"]""")).Message);
        Assert.Throws<FormatException>(() => Vocabulary.FromJson("""{"a":1}"""));
        Assert.Throws<FormatException>(() => Vocabulary.FromJson("""["a",1]"""));
        Assert.Throws<FormatException>(() => Vocabulary.FromJson("""["a" """));
        Assert.Throws<FormatException>(() => Vocabulary.FromJson("[]"));
        // an escaped lone surrogate (found by the checkpoint fuzzer) is a format error, not a crash
        Assert.Throws<FormatException>(() => Vocabulary.FromJson("""["a","\uDE42"]"""));
    }

    [Fact]
    public void LoneSurrogatesAreRejected()
    {
        Assert.Contains("surrogate", Assert.Throws<ArgumentException>(() => Vocabulary.FromText("ab\uD800c")).Message);
        var v = Vocabulary.FromText("abc");
        Assert.Throws<ArgumentException>(() => v.Encode("a\uDC00"));
    }

    [Fact]
    public void TinyShakespeareHasNanoGptsSixtyFiveCharacters()
    {
        var text = Corpus.TinyShakespeare().Text;
        var v = Vocabulary.FromText(text);
        Assert.Equal(65, v.Count); // nanoGPT data/shakespeare_char/prepare.py: "vocab size: 65"
        Assert.Equal('\n', v[0].Value);
        Assert.Equal(' ', v[1].Value);
        Assert.Equal('z', v[64].Value);
        Assert.Equal(text.Length, v.Encode(text).Length);
    }
}
