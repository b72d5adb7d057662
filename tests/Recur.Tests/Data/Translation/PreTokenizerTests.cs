using Recur.Data.Translation;
using Xunit;

namespace Recur.Tests.Data.Translation;

/// <summary>The pieces a message is cut into before subword units, and that they give the message back exactly.</summary>
public sealed class PreTokenizerTests
{
    private static string Show(IEnumerable<Piece> pieces)
        => string.Join("|", pieces.Select(p => (p.SpaceBefore ? "▁" : "") + (p.Kind == PieceKind.Placeholder ? $"[{p.Text}]" : p.Text)));

    [Theory]
    [InlineData("Open %s now", "Open|▁[%s]|▁now")]
    [InlineData("_File: l'éditeur", "[_]|File|:|▁l|'|éditeur")]
    [InlineData("  two  spaces \n", " |▁two| |▁spaces| |[\n]")]
    [InlineData("<b>x</b>,y2z", "[<b>]|x|[</b>]|,|y2z")]
    [InlineData("Important\u00a0: {0}", "Important|\u00a0|:|▁[{0}]")]
    public void CutsWordsPunctuationPlaceholdersAndSpaces(string text, string pieces) => Assert.Equal(pieces, Show(PreTokenizer.Split(text)));

    [Fact]
    public void JoinGivesEveryTextBack()
    {
        var rng = new Rng(5);
        string alphabet = "ab é%sd{}0<b>_&\n\t  .,'\u00a0\ud83d\ude00\ud800";
        for (int i = 0; i < 2000; i++)
        {
            var chars = new char[rng.NextInt(24)];
            for (int k = 0; k < chars.Length; k++) chars[k] = alphabet[rng.NextInt(alphabet.Length)];
            string s = new(chars);
            Assert.Equal(s, PreTokenizer.Join(PreTokenizer.Split(s)));
        }
    }
}
