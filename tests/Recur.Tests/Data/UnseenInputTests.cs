using System.Text;
using Recur.Data;
using Recur.Imaging;
using Xunit;

namespace Recur.Tests.Data;

public sealed class UnseenInputTests
{
    private static bool Abc(Rune r) => r.Value is 'a' or 'b' or 'c' or ' ' or '\n';

    [Fact]
    public void CharactersAreNamedWithTheirCodePoint()
    {
        Assert.Equal("'é' (U+00E9)", UnseenInput.Describe(new Rune('é')));
        Assert.Equal("'🙂' (U+1F642)", UnseenInput.Describe(new Rune(0x1F642)));
        Assert.Equal("'\\n' (U+000A)", UnseenInput.Describe(new Rune('\n')));
        Assert.Equal("U+200B", UnseenInput.Describe(new Rune(0x200B)));
        Assert.Equal("'\u25CC\u0301' (U+0301)", UnseenInput.Describe(new Rune(0x0301)));
    }

    [Fact]
    public void TheFirstUnseenCharacterIsNamedWithItsPositionInWholeCharacters()
    {
        Assert.Null(UnseenInput.Message("x", "abc cab", Abc, "ABC"));
        // 🙂 counts as one character, so é is the third, not the fourth
        string m = UnseenInput.Message("--prime", "🙂aé🙂", Abc, "the model's vocabulary of 5 characters")!;
        Assert.Equal("--prime: character '🙂' (U+1F642) at position 1 (2 times in all) is not in the model's vocabulary of 5 characters; "
            + "nor is 'é' (U+00E9) at position 3. The model never saw them.", m);
        Assert.DoesNotContain('\n', m);
    }

    [Fact]
    public void TextOfSeveralLinesGivesLineAndColumnAndAHalfCharacterIsNamedAsSuch()
    {
        string m = UnseenInput.Message(null, "ab\ncxa", Abc, "V")!;
        Assert.StartsWith("character 'x' (U+0078) at line 2, column 2 is not in V.", m);
        string half = UnseenInput.Message(null, "a\uD83Db", Abc, "V")!;
        Assert.StartsWith("half a character (a lone UTF-16 surrogate U+D83D) at position 2 is not in V", half);
        string many = UnseenInput.Message(null, "defghijklm", Abc, "V")!;
        Assert.EndsWith("and 4 more. The model never saw them.", many);
        Assert.Throws<UnseenInputException>(() => UnseenInput.CheckText("w", "abz", Abc, "V"));
        UnseenInput.CheckText("w", "abc", Abc, "V");
    }

    [Fact]
    public void QuotingCutsBetweenWholeCharacters()
    {
        Assert.Equal("'abc'", UnseenInput.Quote("abc"));
        Assert.Equal("'🙂🙂...'", UnseenInput.Quote("🙂🙂🙂", 2));
        Assert.Equal(["🙂", "e\u0301", "x"], UnseenInput.TextElements("🙂e\u0301x"));
    }

    [Fact]
    public void ABlankImageOrOneOfAnotherSizeIsRefused()
    {
        var blank = new PixelImage(84, 84, 1, new byte[84 * 84]);
        var e = Assert.Throws<UnseenInputException>(() => UnseenInput.CheckImage("b.png", blank, 84, 84, false, "scenes", "hint."));
        Assert.Equal("b.png is blank (every pixel 0): there is nothing in it to describe, and the model's training scenes never were.", e.Message);
        var pixels = new byte[30 * 10];
        pixels[7] = 200;
        var wide = new PixelImage(30, 10, 1, pixels);
        e = Assert.Throws<UnseenInputException>(() => UnseenInput.CheckImage("w.png", wide, 84, 84, false, "scenes", "give one that size."));
        Assert.Equal("w.png is 30x10; the model reads 84x84 images, the size of its training scenes; give one that size.", e.Message);
        UnseenInput.CheckImage("w.png", wide, 84, 84, true, "scenes", "");
        var scene = new byte[84 * 84];
        scene[100] = 1;
        UnseenInput.CheckImage("s.png", new PixelImage(84, 84, 1, scene), 84, 84, false, "scenes", "");
    }
}
