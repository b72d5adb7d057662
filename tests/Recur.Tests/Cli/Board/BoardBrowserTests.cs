using System.Text.RegularExpressions;
using Recur.Tests.Analysis;
using Xunit;
using Xunit.Abstractions;

namespace Recur.Tests.Cli.Board;

/// <summary>
/// The board's page in headless Chromium against the server in-process: it loads with no console error, a run started
/// after the server lists it, its training curve gains points while a writer appends lines, two ticked runs draw two
/// curves, and the eval browser draws an example's attention picture.
/// </summary>
public sealed class BoardBrowserTests(ITestOutputHelper output)
{
    [ChromiumFact]
    public async Task ThePageFollowsARunThatTrainsOverlaysTwoAndShowsAttention()
    {
        await using var f = await BoardFixture.StartAsync();
        // A run started after the server: its first lines, then a writer that appends a line every 100 ms while the page looks.
        string live = Path.Combine(f.Runs, "started-later");
        Directory.CreateDirectory(live);
        string metrics = Path.Combine(live, "metrics.jsonl");
        File.WriteAllText(metrics, BoardFixture.TrainLine(1, 3) + BoardFixture.TrainLine(2, 2.9));
        using var stop = new CancellationTokenSource();
        var writer = Task.Run(async () =>
        {
            for (int i = 3; !stop.IsCancellationRequested && i < 2000; i++)
            {
                await Task.Delay(100);
                File.AppendAllText(metrics, BoardFixture.TrainLine(i, 3.0 / i) + (i % 10 == 0 ? BoardFixture.ValLine(i, 2.0 / i, true) : ""));
            }
        });
        string profile = Path.Combine(f.Top, "profile");
        try
        {
            string url = f.Server.Url + "#runs=started-later,lm&run=cap&tab=examples&live=4";
            var (dom, console) = Chromium.RunWithConsole(url, profile, "--dump-dom", "--virtual-time-budget=30000");
            output.WriteLine($"DOM {dom.Length} characters; console: {string.Join(" | ", console)}");
            Assert.Empty(console);
            Assert.Contains("data-ready=\"1\"", dom, StringComparison.Ordinal);
            Assert.Contains("data-live-done=\"1\"", dom, StringComparison.Ordinal);
            Assert.Matches("<a class=\"run-link\">started-later</a>", dom);

            // Its training curve grew while the page watched: the line counts recorded at each update rise.
            var history = Regex.Match(dom, "data-points-history=\"([^\"]*)\"").Groups[1].Value;
            output.WriteLine("points history: " + history);
            var counts = history.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(h => int.Parse(h.Split('+')[0])).ToList();
            Assert.True(counts.Count >= 4, history);
            Assert.True(counts[^1] > counts[0], history);

            // Two runs ticked: two curves in the training chart, one per run.
            var train = Regex.Match(dom, "<svg id=\"train-chart\".*?</svg>", RegexOptions.Singleline).Value;
            Assert.Contains("data-curves=\"2\"", train, StringComparison.Ordinal);
            var curves = Regex.Matches(train, "<path class=\"curve\"[^>]*data-run=\"([^\"]+)\"").Select(m => m.Groups[1].Value).ToList();
            Assert.Equal(["lm", "started-later"], curves.Order());

            // The eval browser: the first example's attention picture, five steps, the attended cells shaded.
            var attention = Regex.Match(dom, "<svg class=\"attention\"[^>]*data-steps=\"5\".*?</svg>", RegexOptions.Singleline).Value;
            Assert.NotEqual("", attention);
            Assert.Contains("fill-opacity=\"0.900\"", attention, StringComparison.Ordinal);
            Assert.Contains(">sandal</text>", attention, StringComparison.Ordinal);
            Assert.Contains("class=\"example wrong\"", dom, StringComparison.Ordinal);
        }
        finally
        {
            stop.Cancel();
            await writer;
        }
    }

    [ChromiumFact]
    public async Task TheExamplesTabDrawsAlignmentsHeatMapsAndTaggedSentences()
    {
        await using var f = await BoardFixture.StartAsync();
        EvalExampleRuns.Write(f.Runs);
        string Page(string run, string filter = "all")
        {
            var (dom, console) = Chromium.RunWithConsole(f.Server.Url + $"#run={run}&tab=examples", Path.Combine(f.Top, "profile-" + run),
                "--dump-dom", "--virtual-time-budget=5000");
            output.WriteLine($"{run}: DOM {dom.Length} characters; console: {string.Join(" | ", console)}");
            Assert.Empty(console);
            Assert.Contains("data-examples=\"", dom, StringComparison.Ordinal);
            return dom;
        }

        // g2p: the alignment of "cat", three phonemes by three letters, its strongest cells darkest
        var g2p = Page("g2p");
        var alignment = Regex.Match(g2p, "<svg class=\"alignment\"[^>]*data-rows=\"3\" data-cols=\"3\".*?</svg>", RegexOptions.Singleline).Value;
        Assert.NotEqual("", alignment);
        Assert.Equal(3, Regex.Matches(alignment, "fill-opacity=\"0.900\"|fill-opacity=\"0.800\"").Count);
        Assert.Contains(">AE1</text>", alignment, StringComparison.Ordinal);
        Assert.Contains("class=\"example wrong\"", g2p, StringComparison.Ordinal);

        // VQA: a heat map over the 2 x 2 grid, the most-attended cell full, the objects named; the choices with their probabilities
        var vqa = Page("vqa");
        var map = Regex.Match(vqa, "<svg class=\"heatmap\"[^>]*data-cells=\"4\" data-max=\"0.700\".*?</svg>", RegexOptions.Singleline).Value;
        Assert.NotEqual("", map);
        Assert.Contains("fill-opacity=\"1.000\"", map, StringComparison.Ordinal);
        Assert.Contains(">sandal</text>", map, StringComparison.Ordinal);
        Assert.Contains("two (0.50)", vqa, StringComparison.Ordinal);

        // dialog: both rounds, the second marked wrong, two hops of attention each
        var dialog = Page("dialog");
        Assert.Equal(4, Regex.Matches(dialog, "<svg class=\"heatmap\"").Count);
        Assert.Contains("class=\"round wrong\"", dialog, StringComparison.Ordinal);

        // tags: coloured tokens, the wrong one struck through with the true tag beside it
        var tag = Page("tag");
        Assert.Equal(5, Regex.Matches(tag, "<span class=\"tok").Count);
        Assert.Matches("<span class=\"tok hue-[0-9]+ wrong-tag[^\"]*\"[^>]*>ran<sub><s>NOUN</s> VERB</sub>", tag);

        // video: the clip's strip from the run's examples/ folder, a mark per frame (the third red), the action and prediction
        var video = Page("video");
        Assert.Contains("<img class=\"picture\" src=\"files/video/examples/clips-validation-00000.png\" "
            + "alt=\"examples/clips-validation-00000.png\" width=\"256\">", video, StringComparison.Ordinal); // 4 frames of 64 pixels
        var marks = Regex.Match(video, "<svg class=\"frames\"[^>]*data-frames=\"4\" data-wrong=\"1\".*?</svg>", RegexOptions.Singleline).Value;
        Assert.Equal(["right", "right", "wrong", "right"], Regex.Matches(marks, "<rect class=\"(right|wrong)\"").Select(m => m.Groups[1].Value));
        Assert.Contains("visible bag; predicted coat", marks, StringComparison.Ordinal);
        Assert.Contains("class=\"example wrong\"", video, StringComparison.Ordinal);
        Assert.Contains("leaves-left (0.70)", video, StringComparison.Ordinal);

        // glimpse: the path picture and the path in order; draw: the canvases with the bound
        var glimpse = Page("glimpse");
        Assert.Contains("src=\"files/glimpse/examples/glimpses-validation-00000.png\"", glimpse, StringComparison.Ordinal);
        Assert.Contains("(0.00, 0.00) → (0.25, -0.50) → (0.30, -0.45)", glimpse, StringComparison.Ordinal);
        var draw = Page("draw");
        Assert.Contains("src=\"files/draw/examples/draws-validation-00000.png\"", draw, StringComparison.Ordinal);
        Assert.Contains("<b>bound</b>: 123.4567", draw, StringComparison.Ordinal);
    }
}
