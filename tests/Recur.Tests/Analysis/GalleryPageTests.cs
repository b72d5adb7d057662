using System.Text;
using System.Text.Json;
using Recur.Analysis;
using Recur.Analysis.Gallery;
using Xunit;

namespace Recur.Tests.Analysis;

/// <summary>Gallery pages made by hand: a finished corpus with a found, a missed and an unmeasurable cell, and one still training.</summary>
internal static class GalleryPageFixture
{
    /// <summary>The excerpt each found cell shows, and its length.</summary>
    public const string Excerpt = "if (a) {\n  s = \"<b>\";\n}\n";

    public static FoundCell Cell(string feature, CellId? cell, double valR, double testR)
    {
        var chars = Excerpt.EnumerateRunes().Select(r => r.ToString()).ToArray();
        float scale = cell?.Kind == "c" ? 0.5f : 1;
        var values = cell is null ? [] : Enumerable.Range(0, chars.Length).Select(p => (float)Math.Sin(p * 0.7) * scale).ToArray();
        var feat = Enumerable.Range(0, chars.Length).Select(p => p is >= 13 and < 18 ? 1f : 0f).ToArray();
        return new FoundCell(feature, $"the {feature} feature", cell, valR, testR, chars, values, feat);
    }

    public static IReadOnlyList<GalleryCorpusPage> Corpora() =>
    [
        new("linux-c", "Linux C <kernel>", "done",
            [new GallerySample(100, 2.5, 0.8, "int main() { return \"<x>\"; }"), new GallerySample(300, double.NaN, 0.8, "static void f(void)\n{\n}\n")],
            [
                Cell("in_quote", new CellId(1, "c", 17), 0.95, -0.93),
                Cell("in_if_statement", new CellId(0, "h", 3), 0.55, 0.5),
                Cell("in_comment", null, double.NaN, double.NaN),
            ], "chosen on validation, measured on test"),
        new("latex", "LaTeX", "training: samples drawn up to iteration 100 of 300", [new GallerySample(100, 3.1, 0.8, "\\begin{x} $a$")], [], ""),
    ];
}

public sealed class GalleryPageTests
{
    [Fact]
    public void VerdictsFollowTheThresholdOnTestR()
    {
        Assert.Equal("found: |r| = 0.930 ≥ 0.8", GalleryPage.Verdict(GalleryPageFixture.Cell("q", new CellId(0, "h", 1), 0.9, -0.93), 0.8));
        Assert.Equal("not found: the best cell reaches |r| = 0.500 < 0.8",
            GalleryPage.Verdict(GalleryPageFixture.Cell("q", new CellId(0, "h", 1), 0.9, 0.5), 0.8));
        Assert.Equal("constant in the validation text: no cell can be chosen",
            GalleryPage.Verdict(GalleryPageFixture.Cell("q", null, double.NaN, double.NaN), 0.8));
        Assert.Equal("constant in the test text: r cannot be measured",
            GalleryPage.Verdict(GalleryPageFixture.Cell("q", new CellId(0, "h", 1), 0.9, double.NaN), 0.8));
        Assert.True(GalleryPageFixture.Cell("q", new CellId(0, "h", 1), 0.9, 0.8).Reaches(0.8));
        Assert.False(GalleryPageFixture.Cell("q", new CellId(0, "h", 1), 0.99, 0.79).Reaches(0.8)); // validation r does not count
        Assert.Equal("layer 2 c[17]", GalleryPage.Label(new CellId(1, "c", 17)));
    }

    [Fact]
    public void PageIsSelfContainedEscapedAndCarriesEachPanelsData()
    {
        string html = GalleryPage.Build("g <&>", "sub", GalleryPageFixture.Corpora());
        Assert.DoesNotContain("http://", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("https://", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<link", html, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("<title>g &lt;&amp;&gt;</title>", html, StringComparison.Ordinal);
        Assert.Contains("int main() { return &quot;&lt;x&gt;&quot;; }", html, StringComparison.Ordinal); // samples escaped
        Assert.Contains("Linux C &lt;kernel&gt;", html, StringComparison.Ordinal);
        Assert.Contains("(validation loss 2.500 nats/char)", html, StringComparison.Ordinal);
        Assert.Contains("<td>layer 2 c[17]</td><td>-0.930</td><td>+0.950</td>", html, StringComparison.Ordinal);
        Assert.Contains("not found: the best cell reaches |r| = 0.500 &lt; 0.8", html, StringComparison.Ordinal);
        Assert.Contains("Not searched yet", html, StringComparison.Ordinal);
        int i = html.IndexOf("<script id=\"gallery-data\" type=\"application/json\">", StringComparison.Ordinal);
        Assert.True(i > 0);
        i = html.IndexOf('>', i) + 1;
        using var doc = JsonDocument.Parse(html[i..html.IndexOf("</script>", i, StringComparison.Ordinal)].Replace("<\\/", "</", StringComparison.Ordinal));
        var corpora = doc.RootElement;
        Assert.Equal(2, corpora.GetArrayLength());
        Assert.Equal(3, corpora[0].GetArrayLength());
        Assert.Equal(0, corpora[1].GetArrayLength());
        var quote = corpora[0][0];
        Assert.Equal("c", quote.GetProperty("kind").GetString());
        Assert.Equal(GalleryPageFixture.Excerpt, quote.GetProperty("text").GetString());
        var cell = GalleryPageFixture.Corpora()[0].Cells[0];
        Assert.Equal(cell.Activations.Length, quote.GetProperty("values").GetArrayLength());
        Assert.Equal(cell.Activations[5], quote.GetProperty("values")[5].GetDouble(), 3);
        Assert.Equal(cell.Activations.Max(Math.Abs), quote.GetProperty("largest").GetDouble(), 3);
        Assert.Equal(1, quote.GetProperty("feature_values")[13].GetDouble());
    }
}
