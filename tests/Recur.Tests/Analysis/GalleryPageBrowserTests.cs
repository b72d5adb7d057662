using System.Text;
using System.Text.RegularExpressions;
using Recur.Analysis.Gallery;
using Xunit;
using Xunit.Abstractions;

namespace Recur.Tests.Analysis;

public sealed class GalleryPageBrowserTests(ITestOutputHelper output)
{
    [ChromiumFact]
    public void PageRendersSamplesAndColouredCellsWithoutConsoleMessages()
    {
        var corpora = GalleryPageFixture.Corpora();
        string html = GalleryPage.Build("browser test", "made by hand", corpora);
        string dir = Path.Combine(Path.GetTempPath(), "recur-gallery-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            string page = Path.Combine(dir, "gallery.html");
            File.WriteAllText(page, html, Encoding.UTF8);
            string url = new Uri(page).AbsoluteUri;
            var (dom, console) = Chromium.RunWithConsole(url, Path.Combine(dir, "profile1"), "--dump-dom");
            output.WriteLine($"DOM after scripts: {dom.Length} characters; console: {console.Count} line(s)");
            Assert.True(console.Count == 0, "the page wrote to the console:\n" + string.Join("\n", console));
            Assert.Contains("data-ready=\"1\"", dom, StringComparison.Ordinal); // the script ran to its end
            // Three samples, each in its own block with its iteration.
            Assert.Equal(3, Regex.Matches(dom, "<div class=\"sample\"><h4>iteration ").Count);
            Assert.Contains("<h4>iteration 300</h4>", dom, StringComparison.Ordinal);
            // Two cells have a cell to show (the third is constant): each excerpt character is a coloured span.
            int shown = GalleryPageFixture.Excerpt.Length;
            int spans = Regex.Matches(dom, "<span class=\"ch( on)?\" data-i=\"\\d+\" style=\"background-color:rgba\\(").Count;
            Assert.Equal(2 * shown, spans);
            // The binary feature is underlined where it is 1: five characters in each panel.
            Assert.Equal(2 * 5, Regex.Matches(dom, "<span class=\"ch on\"").Count);
            Assert.Equal(2, Regex.Matches(dom, "<div class=\"panel (found|missed)\">").Count);
            Assert.Contains("<div class=\"panel found\"><h4>in_quote: layer 2 c[17], r = -0.930", dom, StringComparison.Ordinal);
            Assert.Contains("<div class=\"panel missed\"><h4>in_if_statement: layer 1 h[3], r = +0.500", dom, StringComparison.Ordinal);
            // A positive value is red, a negative one blue; c is scaled by its largest |c| in the excerpt, h by 1 (its range).
            string Panel(string cls)
                => Regex.Match(dom, $"<div class=\"panel {cls}\">(.*?)</div><div class=\"featurebar\"", RegexOptions.Singleline).Groups[1].Value;
            // c[17]: 0.5 sin(0.7) = 0.322 over the largest 0.5 |sin(0.7 p)| = 0.4953 (p = 20) gives 0.650 (0.322 if it were read as h).
            Assert.Contains("data-i=\"1\" style=\"background-color:rgba(230,50,30,0.650)\"", Panel("found"), StringComparison.Ordinal);
            // h[3]: sin(3.5) = -0.351 on [-1, 1].
            Assert.Contains("data-i=\"5\" style=\"background-color:rgba(40,90,230,0.351)\"", Panel("missed"), StringComparison.Ordinal);

            string shot = Path.Combine(dir, "shot.png");
            Chromium.Run(url, Path.Combine(dir, "profile2"), $"--screenshot={shot}", "--window-size=1200,2000");
            Assert.True(File.Exists(shot), "no screenshot was written");
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }
}
