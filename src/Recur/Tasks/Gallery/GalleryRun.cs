using System.Globalization;
using System.Text;
using Recur.Analysis.Gallery;
using Recur.IO;
using Recur.Tasks.CharLm;
using Recur.Training;

namespace Recur.Tasks.Gallery;

/// <summary>How a gallery run ended: every corpus done, or stopped in one (interrupted, or training failed).</summary>
/// <param name="Completed">True when every corpus has its samples and cells.</param>
/// <param name="Stopped">The training result that stopped it, or null.</param>
/// <param name="Corpus">The corpus it stopped in, or null.</param>
public sealed record GalleryOutcome(bool Completed, TrainResult? Stopped = null, string? Corpus = null);

/// <summary>
/// <c>recur gallery</c>: the lectures' char-rnn gallery. For each corpus in turn, trains a character model with the char-LM task
/// (<see cref="GalleryTraining"/>), drawing samples at the chosen iterations, then finds its cells (<see cref="GalleryCellFinder"/>);
/// the page (<see cref="GalleryPage"/>, <c>gallery.html</c> in the gallery folder) is rewritten after every sample and every search,
/// so it shows the run as far as it has got. A corpus whose cells are written is done and skipped when the gallery runs again.
/// </summary>
public sealed class GalleryRun(string directory, GalleryOptions options)
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>The gallery folder.</summary>
    public string Directory { get; } = directory;

    /// <summary>The page.</summary>
    public string PagePath => Path.Combine(Directory, "gallery.html");

    /// <summary>The page's subtitle (e.g. the command that made it).</summary>
    public string Subtitle { get; init; } = "";

    /// <summary>
    /// Runs every corpus of <paramref name="corpora"/> that is not done yet; <paramref name="progress"/> makes each training run's
    /// progress display (or null), <paramref name="log"/> takes one line at a time.
    /// </summary>
    public GalleryOutcome Run(IReadOnlyList<GalleryCorpus> corpora, Func<TrainingMonitor?> progress, Action<string> log,
        CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(corpora);
        ArgumentNullException.ThrowIfNull(progress);
        ArgumentNullException.ThrowIfNull(log);
        options.Validate();
        foreach (var corpus in corpora) corpus.CheckAvailable(); // before hours of training on the ones before it
        WritePage(corpora);
        foreach (var corpus in corpora)
        {
            var folder = new GalleryFolder(Directory, corpus.Name);
            if (folder.ReadCells() is not null) { log($"{corpus.Name}: done already ({folder.Directory})"); continue; }
            string text = corpus.Load().Text;
            folder.CheckSettings(options);
            log($"{corpus.Name}: {text.Length.ToString("N0", Inv)} characters; samples at iterations {string.Join(", ", options.Iterations)}");
            var result = GalleryTraining.Train(corpus, CharText.Of(text), folder, options, progress(), () => WritePage(corpora), cancellation);
            if (result is { Reason: StopReason.Cancelled or StopReason.NonFinite or StopReason.SaveFailed })
            {
                WritePage(corpora);
                return new GalleryOutcome(false, result, corpus.Name);
            }
            log($"{corpus.Name}: searching cells");
            var run = CharCheckpoint.Instance.Load(folder.RunDirectory, CheckpointKind.Latest);
            var (cells, note) = GalleryCellFinder.Find(run, corpus.Kind, text, options);
            folder.WriteCells(cells, note);
            WritePage(corpora);
            foreach (var c in cells)
                log($"  {c.Feature,-18} {(c.Cell is { } id ? GalleryPage.Label(id) : "-"),-16} r = "
                    + $"{(double.IsFinite(c.TestR) ? c.TestR.ToString("+0.000;-0.000", Inv) : "-"),-7} {GalleryPage.Verdict(c, options.Threshold)}");
        }
        return new GalleryOutcome(true);
    }

    /// <summary>Writes the page from what the gallery folder holds for <paramref name="corpora"/>.</summary>
    public void WritePage(IReadOnlyList<GalleryCorpus> corpora)
    {
        ArgumentNullException.ThrowIfNull(corpora);
        var pages = new List<GalleryCorpusPage>();
        long last = options.Iterations[^1];
        foreach (var corpus in corpora)
        {
            var folder = new GalleryFolder(Directory, corpus.Name);
            var samples = folder.ReadSamples();
            var found = folder.ReadCells();
            string status = found is not null ? $"done: trained for {last.ToString("N0", Inv)} iterations, cells searched"
                : samples.Count > 0 ? $"training: samples drawn up to iteration {samples[^1].Iteration.ToString("N0", Inv)} of {last.ToString("N0", Inv)}"
                : "not started";
            pages.Add(new GalleryCorpusPage(corpus.Name, corpus.Description, status, samples, found?.Cells ?? [], found?.Note ?? ""));
        }
        string html = GalleryPage.Build("recur gallery", Subtitle, pages, options.Threshold);
        AtomicFile.WriteAllBytes(PagePath, Encoding.UTF8.GetBytes(html));
    }
}
