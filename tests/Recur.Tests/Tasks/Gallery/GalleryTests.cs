using Recur.Analysis;
using Recur.Analysis.Gallery;
using Recur.Data;
using Recur.Tasks.CharLm;
using Recur.Tasks.Gallery;
using Recur.Training;
using Xunit;

namespace Recur.Tests.Tasks.Gallery;

/// <summary>The gallery's corpora, its folder's files, its piecewise features, and a gallery that stops and continues exactly.</summary>
public sealed class GalleryTests
{
    private static string Samples => Path.Combine(AppContext.BaseDirectory, "Data", "Samples", "gallery");

    private static string TempDir() => Path.Combine(Path.GetTempPath(), "recur-gallery-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public void CorporaAreNamedWithAnOptionalFile()
    {
        var c = GalleryCorpus.Parse("shakespeare, linux-c=/x/c.txt,latex,fortunes", "/data");
        Assert.Equal(["shakespeare", "linux-c", "latex", "fortunes"], c.Select(x => x.Name));
        Assert.Equal([TextKind.Play, TextKind.C, TextKind.Latex, TextKind.Prose], c.Select(x => x.Kind));
        Assert.Equal(Path.Combine("/data", "fortunes.txt"), c[3].Source);
        Assert.Equal(Corpus.EmbeddedSource, c[0].Source);
        Assert.Equal("/x/c.txt", c[1].Source);
        Assert.Equal(Path.Combine("/data", "latex.txt"), c[2].Source);
        Assert.Contains("unknown gallery corpus 'python'", Assert.Throws<ArgumentException>(() => GalleryCorpus.Parse("python")).Message);
        Assert.Contains("twice", Assert.Throws<ArgumentException>(() => GalleryCorpus.Parse("latex,latex")).Message);
        Assert.Contains("no file", Assert.Throws<ArgumentException>(() => GalleryCorpus.Parse("latex=")).Message);
        var missing = Assert.Throws<FileNotFoundException>(() => GalleryCorpus.Named("latex", null, "/nowhere").Load());
        Assert.Contains("scripts/gallery-corpora.sh", missing.Message);
    }

    [Fact]
    public void FeaturesAreReadAfreshOverEachPiece()
    {
        // 8 characters in 2 streams: pieces "{{{{" and "}{a{"; the second piece starts from depth 0 as the model's stream does.
        var text = "{{{{}{a{".EnumerateRunes().ToArray();
        var depth = GalleryCellFinder.PieceFeatures(TextKind.C, text, 2).Single(f => f.Name == "code_depth").Values;
        Assert.Equal([1f, 2, 3, 4, 0, 1, 1, 2], depth);
        Assert.Equal(4, Cells.PieceLength(8, 2));
        Assert.Equal(3, Cells.PieceLength(8, 3)); // pieces of 3, 3, 2
    }

    [Fact]
    public void FolderKeepsSamplesCellsAndSettings()
    {
        string dir = TempDir();
        try
        {
            var folder = new GalleryFolder(dir, "latex");
            var options = new GalleryOptions { Iterations = [5, 10] };
            folder.CheckSettings(options);
            folder.CheckSettings(options); // the same settings continue
            var changed = Assert.Throws<ArgumentException>(() => folder.CheckSettings(options with { Iterations = [5, 20] }));
            Assert.Contains("other settings", changed.Message);
            Assert.Throws<ArgumentException>(() => folder.CheckSettings(options with { Training = options.Training with { Hidden = 7 } }));
            folder.CheckSettings(options with { Training = options.Training with { Threads = 3 } }); // threads may change
            folder.WriteSample(new GallerySample(10, double.NaN, 0.8, "b \"q\"\n"));
            folder.WriteSample(new GallerySample(5, 2.25, 0.8, "a"));
            var samples = folder.ReadSamples();
            Assert.Equal([5L, 10L], samples.Select(s => s.Iteration));
            Assert.Equal(2.25, samples[0].ValidationLoss);
            Assert.True(double.IsNaN(samples[1].ValidationLoss));
            Assert.Equal("b \"q\"\n", samples[1].Text);
            Assert.Null(folder.ReadCells());
            FoundCell[] cells =
            [
                new("in_math", "math", new CellId(1, "c", 7), 0.91, -0.875, ["$", "x", "é"], [0.5f, -1.25f, 2f], [1, 1, 0]),
                new("in_quote", "quotes", null, double.NaN, double.NaN, ["a"], [], [0]),
            ];
            folder.WriteCells(cells, "how");
            var (read, note) = folder.ReadCells()!.Value;
            Assert.Equal("how", note);
            Assert.Equal(new CellId(1, "c", 7), read[0].Cell);
            Assert.Equal(-0.875, read[0].TestR);
            Assert.Equal(["$", "x", "é"], read[0].ExcerptText);
            Assert.Equal([0.5f, -1.25f, 2f], read[0].Activations);
            Assert.Null(read[1].Cell);
            Assert.True(double.IsNaN(read[1].ValidationR));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    /// <summary>A tiny recipe: one layer of 16, batches of 4 x 16, one thread.</summary>
    private static GalleryOptions Tiny(long[] iterations) => new()
    {
        Iterations = iterations, SampleLength = 80, MaxChars = 1_500, ExcerptChars = 200, Streams = 4,
        Training = CharLmDefinition.Instance.Defaults with { Hidden = 16, Layers = 1, Embed = 8, BatchSize = 4, SeqLength = 16, Threads = 1, EvalEvery = 4 },
    };

    /// <summary>Cancels its token after iteration <paramref name="at"/>, as Ctrl-C would.</summary>
    private sealed class StopAfter(long at, CancellationTokenSource cts) : TrainingMonitor
    {
        public override void OnIteration(Trainer trainer, in IterationReport report)
        {
            if (report.Iteration == at) cts.Cancel();
        }
    }

    [Fact]
    public void AStoppedGalleryContinuesToTheSameSamplesAndCells()
    {
        string whole = TempDir(), stopped = TempDir();
        try
        {
            var corpora = GalleryCorpus.Parse($"latex={Path.Combine(Samples, "latex.txt")}");
            var options = Tiny([3, 9]);
            var lines = new List<string>();
            Assert.True(new GalleryRun(whole, options).Run(corpora, () => null, lines.Add).Completed);

            using var cts = new CancellationTokenSource();
            var first = new GalleryRun(stopped, options).Run(corpora, () => new StopAfter(6, cts), lines.Add, cts.Token);
            Assert.False(first.Completed);
            Assert.Equal(StopReason.Cancelled, first.Stopped!.Reason);
            Assert.Equal(6, first.Stopped.Iteration);
            var folder = new GalleryFolder(stopped, "latex");
            Assert.Equal([3L], folder.ReadSamples().Select(s => s.Iteration));
            Assert.Null(folder.ReadCells());
            Assert.Contains("samples drawn up to iteration 3 of 9", File.ReadAllText(Path.Combine(stopped, "gallery.html")));

            Assert.True(new GalleryRun(stopped, options).Run(corpora, () => null, lines.Add).Completed);
            var a = new GalleryFolder(whole, "latex");
            Assert.Equal(a.ReadSamples(), folder.ReadSamples());
            Assert.Equal(File.ReadAllText(a.CellsPath), File.ReadAllText(folder.CellsPath));
            var (cells, _) = folder.ReadCells()!.Value;
            Assert.Equal(["in_math", "environment_depth", "in_quote", "group_depth", "in_comment", "line_position"], cells.Select(c => c.Feature));
            // A finished corpus is skipped.
            lines.Clear();
            Assert.True(new GalleryRun(stopped, options).Run(corpora, () => null, lines.Add).Completed);
            Assert.Contains(lines, l => l.StartsWith("latex: done already", StringComparison.Ordinal));
        }
        finally
        {
            Directory.Delete(whole, recursive: true);
            Directory.Delete(stopped, recursive: true);
        }
    }
}
