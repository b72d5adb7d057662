using System.Globalization;
using Recur.Tasks.CharLm;
using Recur.Tasks.Gallery;
using Recur.Training;

namespace Recur.Cli.Commands;

/// <summary><c>recur gallery</c>: the lectures' char-rnn gallery (samples as training goes on, cells found automatically) as one HTML page.</summary>
internal sealed class GalleryCommand : ICommand
{
    /// <summary>The training options the gallery takes: the char-LM task's, less those its iterations decide and those of block models.</summary>
    private static readonly IReadOnlyList<OptionSpec> Specs =
    [
        .. TrainOptionSpecs.All.Where(s => s.Flag is not ("max-epochs" or "max-iters" or "minutes" or "patience" or "sample-every"
            or "state-size" or "expand" or "conv-width" or "heads" or "context")),
    ];

    public string Name => "gallery";
    public string Summary => "the lectures' char-rnn gallery: samples at 100..10k iterations on Shakespeare, Linux C and LaTeX, cells found; HTML";
    public string Usage => UsageText.Replace("{{OPTIONS}}", TrainingOptionsCli.Usage(CharLmDefinition.Instance.Defaults, Specs), StringComparison.Ordinal);

    private const string UsageText = """
        usage: recur gallery [--corpora shakespeare,linux-c,latex] [--iterations 100,300,1000,3000,10000] [--out DIR] [options]

        For each corpus in turn: trains a character model with `recur train`'s recipe (the char-LM task: a 2x256 LSTM,
        Adam with a cosine schedule over the last iteration, a moving average of the weights), drawing a sample at each
        of --iterations (as Karpathy's "The Unreasonable Effectiveness of Recurrent Neural Networks" shows them); then,
        for each named feature of the corpus (quotes, line position, if statements, code depth, comments; LaTeX
        mathematics, environment and group depth), chooses the cell (any h, c or gate of any layer) whose activation
        correlates most (Pearson |r|) with it on the validation split and measures its r on the test split. Writes
        DIR/gallery.html: per corpus the samples by iteration and each found cell over test text coloured by its
        activation, with its r (a cell below |r| 0.8 is shown with its best r and said not to be found).

        The page is rewritten after every sample and every search. Running the same command again continues a stopped
        gallery (each corpus's run goes on from its last checkpoint; a corpus with its cells found is skipped).
        The full gallery takes 40 minutes to an hour on 2 cores; see docs/GALLERY.md.

          --corpora LIST       comma-separated NAME or NAME=FILE among shakespeare (bundled), linux-c, latex
                               (default all three; linux-c and latex from --data, made by scripts/gallery-corpora.sh)
          --data DIR           where the corpora are (default /usr/local/share/recur/gallery)
          --iterations LIST    ascending iterations to sample at; training stops at the last (default 100,300,1000,3000,10000)
          --out DIR            the gallery folder (default runs/gallery)
          --sample-length N    characters per sample (default 600)
          --temperature T      sampling temperature (default 0.8)
          --max-chars N        characters of each held-out split searched for cells (default 100000)
          --excerpt N          characters shown for each cell (default 1000)

        training (the char-LM task's options; its recipe unless given)
        {{OPTIONS}}
        """;

    public int Run(Args args)
    {
        string corporaList = args.String("corpora", string.Join(",", GalleryCorpus.Names))!;
        string data = args.String("data", GalleryCorpus.DefaultDirectory)!;
        string outDir = args.String("out", Path.Combine("runs", "gallery"))!;
        var iterations = ParseIterations(args.String("iterations", string.Join(",", GalleryOptions.LectureIterations))!);
        int sampleLength = args.Int("sample-length", 600, 1, 1_000_000);
        double temperature = args.Double("temperature", 0.8, 1e-3, 100);
        int maxChars = args.Int("max-chars", 100_000, 100, int.MaxValue);
        int excerpt = args.Int("excerpt", 1_000, 10, 1_000_000);
        foreach (var flag in new[] { "max-epochs", "max-iters", "minutes", "patience" })
            if (args.Has(flag)) throw new CliException($"--{flag}: the gallery trains each corpus to the last of --iterations; give --iterations instead.");
        var training = TrainingOptionsCli.Read(args, CharLmDefinition.Instance.Defaults with { MaxIters = iterations[^1], MaxEpochs = 0 }, Specs);
        training = TrainCommand.FitEmbedToCell(training, args);
        args.ThrowOnUnused(0);
        if (Recur.Nn.Blocks.BlockRegistry.Contains(training.Model) || TrainOptionSpecs.TaskModels.ContainsKey(training.Model))
            throw new CliException($"--model {training.Model}: the cell search records the states and gates of recurrent cells; choose a cell "
                + $"({Recur.Nn.Cells.CellRegistry.NamesText}).");
        IReadOnlyList<GalleryCorpus> corpora;
        try { corpora = GalleryCorpus.Parse(corporaList, data); }
        catch (ArgumentException e) { throw new CliException(e.Message); }
        var options = new GalleryOptions
        {
            Iterations = iterations, SampleLength = sampleLength, Temperature = temperature, MaxChars = maxChars, ExcerptChars = excerpt,
            Training = training,
        };
        var run = new GalleryRun(outDir, options) { Subtitle = "recur gallery " + string.Join(' ', args.Raw) };
        Console.WriteLine($"gallery: {string.Join(", ", corpora.Select(c => c.Name))} in {outDir}; page: {run.PagePath}");
        var outcome = RunFolders.WithCtrlC(token => run.Run(corpora,
            () => new ConsoleProgress(Console.Out, ConsoleProgress.IsTerminal, 100, sampleLength: 0), Console.WriteLine, token));
        if (!outcome.Completed && outcome.Stopped is { } stop)
        {
            Console.Out.Flush();
            if (stop.Reason == StopReason.Cancelled)
            {
                Console.WriteLine($"interrupted in {outcome.Corpus} at iteration {stop.Iteration}; the page so far: {run.PagePath}. "
                    + "Run the same command again to continue.");
                return 130;
            }
            Console.Error.WriteLine($"recur gallery: {outcome.Corpus}: {stop.Message}.");
            return stop.Reason == StopReason.NonFinite ? 3 : 4;
        }
        Console.WriteLine($"wrote {run.PagePath}");
        return 0;
    }

    private static long[] ParseIterations(string list)
    {
        var items = list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var result = new long[items.Length];
        for (int i = 0; i < items.Length; i++)
            if (!long.TryParse(items[i], NumberStyles.Integer, CultureInfo.InvariantCulture, out result[i]) || result[i] <= 0
                || i > 0 && result[i] <= result[i - 1])
                throw new CliException($"--iterations must be positive whole numbers in ascending order, got '{list}'.");
        if (items.Length == 0) throw new CliException("--iterations names no iteration.");
        return result;
    }
}
