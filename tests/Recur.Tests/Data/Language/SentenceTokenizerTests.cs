using Recur.Data.Language;
using Xunit;

namespace Recur.Tests.Data.Language;

public sealed class SentenceTokenizerTests
{
    [Fact]
    public void WordsAndPunctuationSplitAsTheBrownCorpusWritesThem()
    {
        Assert.Equal(["Atlanta's", "term-end", "U.S", ",", "``", "yes", "''", "--", "no", "..."],
            SentenceTokenizer.Tokenize("Atlanta's term-end U.S, ``yes'' --no..."));
        Assert.Empty(SentenceTokenizer.Tokenize(" \t\n"));
    }

    [Fact]
    public void AnEmojiIsOneTokenNeverTwoHalves()
    {
        // 🙂 is two UTF-16 units (a surrogate pair); the pattern alone would make each half a token of its own
        Assert.Equal(["🙂", "🙂", "🙂"], SentenceTokenizer.Tokenize("🙂🙂🙂"));
        Assert.All(SentenceTokenizer.Tokenize("🙂🙂🙂"), t => Assert.Equal(2, t.Length));
        Assert.Equal(["I", "like", "👍🏽", "and", "👨‍👩‍👧", "."], SentenceTokenizer.Tokenize("I like 👍🏽 and 👨‍👩‍👧."));
    }

    [Fact]
    public void ALetterKeepsItsCombiningAccentAndAstralLettersStayWhole()
    {
        Assert.Equal(["cafe\u0301", "au", "lait"], SentenceTokenizer.Tokenize("cafe\u0301 au lait"));
        // a letter outside the Basic Multilingual Plane is not a letter to the pattern, so it stands alone, but whole
        Assert.Equal(["𝐀", "𝐁", "ok"], SentenceTokenizer.Tokenize("𝐀𝐁 ok"));
    }
}
