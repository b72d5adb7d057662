using Recur.Data.Translation;
using Xunit;

namespace Recur.Tests.Data.Translation;

/// <summary>What counts as a placeholder, and the check of a translation's placeholders against its source's.</summary>
public sealed class PlaceholderTests
{
    private static string[] Found(string text) => [.. Placeholders.Find(text).Select(p => $"{p.Kind}:{p.Text}")];

    [Theory]
    [InlineData("%s of %d, %lu bytes, %5.2f%%", new[] { "Printf:%s", "Printf:%d", "Printf:%lu", "Printf:%5.2f", "Printf:%%" })]
    [InlineData("%1$s before %2$s; %-10s|%'d", new[] { "Printf:%1$s", "Printf:%2$s", "Printf:%-10s", "Printf:%'d" })]
    [InlineData("%(name)s has %(count)d", new[] { "Printf:%(name)s", "Printf:%(count)d" })]
    [InlineData("{0} and {name}, {} or {0:d}", new[] { "Brace:{0}", "Brace:{name}", "Brace:{}", "Brace:{0:d}" })]
    [InlineData("<b>bold</b> <span weight=\"bold\">x</span><br/>", new[] { "Markup:<b>", "Markup:</b>", "Markup:<span weight=\"bold\">",
        "Markup:</span>", "Markup:<br/>" })]
    [InlineData("_File, Save _As, &Edit", new[] { "Accelerator:_", "Accelerator:_", "Accelerator:&" })]
    [InlineData("a\tb\n", new[] { "Tab:\t", "Newline:\n" })]
    // not placeholders: French's "50 % des", a usage's <file>, snake_case, an entity, "&&", "R&D"
    [InlineData("50 % des fichiers, usage: cp <file>, file_name, &amp; a && b, R&D", new string[0])]
    public void FindsEachKindAndNothingElse(string text, string[] expected) => Assert.Equal(expected, Found(text));

    [Fact]
    public void TheCheckIgnoresOrderAndPositionsAndInteriorLineBreaks()
    {
        Assert.True(Placeholders.Compare("Copy %s to %s", "Copier %2$s vers %1$s").Ok);           // French reorders what English numbers
        Assert.True(Placeholders.Compare("%d of %s\n", "%s : %d\n").Ok);
        Assert.True(Placeholders.Compare("a long line\nwrapped here", "une longue ligne reprise\nailleurs\nencore").Ok); // re-wrapped lines
        Assert.True(Placeholders.Compare("_Open", "_Ouvrir").Ok);
    }

    [Fact]
    public void TheCheckNamesWhatWasDroppedAndWhatWasInvented()
    {
        var c = Placeholders.Compare("\n<b>%s</b> has {0} items", "<b>%d</b> a des éléments\n");
        Assert.False(c.Ok);
        Assert.Equal(["\n", "%s", "{0}"], c.Dropped.Select(p => p.Text));   // the leading line break, %s and {0}
        Assert.Equal(["%d", "\n"], c.Invented.Select(p => p.Text));        // %d, and a trailing line break the source has not
        Assert.True(c.Fails(PlaceholderKind.Brace) && c.Fails(PlaceholderKind.Newline) && !c.Fails(PlaceholderKind.Markup));
        Assert.False(Placeholders.Compare("_Save", "Enregistrer").Ok);       // a lost accelerator
        Assert.False(Placeholders.Compare("%s", "%s %s").Ok);                // a repeated one is invented
    }
}
