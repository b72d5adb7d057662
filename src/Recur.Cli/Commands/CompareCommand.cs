using System.Globalization;
using Recur.Data;
using Recur.Nn.Cells;
using Recur.Tasks.CharLm;
using Recur.Training;

namespace Recur.Cli.Commands;

/// <summary><c>recur compare [FILE] --models A,B,...</c>: races models side by side (<see cref="ModelComparison"/>).</summary>
internal sealed class CompareCommand : ICommand
{
    /// <summary>The models raced when <c>--models</c> is not given.</summary>
    internal const string DefaultModels = "lstm,gru,rnn";

    /// <summary>The training options compare takes: all but <c>--model</c> (it has <c>--models</c>) and <c>--sample-every</c>.</summary>
    private static readonly OptionSpec[] Specs = [.. TrainOptionSpecs.All.Where(s => s.Flag is not ("model" or "sample-every"))];

    public string Name => "compare";
    public string Summary => "race models side by side: same data, options and time budget; a table, a plot, the raw numbers";
    public string Usage => UsageText
        .Replace("{{CELLS}}", CellRegistry.Usage("                              ") + "\n"
            + Recur.Nn.Blocks.BlockRegistry.Usage("                              "))
        .Replace("{{OPTIONS}}", TrainingOptionsCli.Usage(Defaults(hasFile: true), Specs.Where(s => s.Flag != "eval-every"), Notes));

    private static readonly Dictionary<string, string> Notes = new()
    {
        ["embed"] = "32 without FILE; --hidden for block models and "
            + string.Join(", ", CellRegistry.All.Where(c => c.RequiresInputEqualsHidden).Select(c => c.Name)),
        ["lr"] = "3e-3 without FILE", ["minutes"] = "per model",
    };

    private const string UsageText = """
        usage: recur compare [FILE] [--models NAME,NAME,...] [--minutes M] [options]
               recur compare --merge DIR,DIR,... [--out DIR]

        Races models side by side: trains each cell of --models in turn, from scratch, on the same
        train/validation split of FILE (default: the bundled tiny-shakespeare, with recur train's settings
        for it) for the same budget (--minutes M of wall clock per model, evaluations included), with the
        same training options otherwise, then times sampling. Cells that add their input to the hidden
        state take --embed = --hidden. Each model first takes a few untimed steps on a throwaway copy (so
        the first is not charged for the JIT); without --eval-every, its evaluation rhythm is chosen from
        them so that about --evals evaluations fall within its budget.

        Per model: parameters, training tokens/s (characters trained over the seconds spent in training
        steps, evaluations excluded), sampling µs/char (batch 1, one thread, after training), best
        validation loss and the validation curve. Writes OUT/compare.md (command, data, budget, options,
        machine and the table), OUT/compare.png (validation loss against training minutes, one line per
        model) and OUT/compare.json (the raw numbers and curves); prints progress and the table.

        comparison
          --models LIST             comma-separated cells, each once (default lstm,gru,rnn):
        {{CELLS}}
          --evals N                 evaluations per model to aim for without --eval-every (default 10)
          --eval-every N            validation pass every N iterations, the same for every model (default: chosen
                                    per model for about --evals evaluations within its limit)
          --sample-chars N          characters sampled to time the sampler, 0 = none (default 2000)
          --out DIR                 where the files go (default runs/YYYYMMDD-HHMMSS-compare)
          --save-runs               also keep each model's run folder (best/, latest/, metrics.jsonl) in OUT/MODEL
          --print-every N           when output is not a terminal: a progress line every N iterations (default 100)
        {{OPTIONS}}
        Ctrl-C ends the current model's run, skips the rest, writes the files for what ran and exits (code 130).

        --merge DIR,DIR,... reads the compare.json of comparisons run apart (in parallel, or on different days; the
        same text and options are expected) and writes one table, one plot and one JSON of all their models, in order.
        """;

    /// <summary>The shared defaults: <c>recur train</c>'s (its tiny-shakespeare settings without FILE) with a 5-minute budget per model.</summary>
    internal static TrainOptions Defaults(bool hasFile)
        => (hasFile ? CharLmDefinition.Instance.Defaults : TrainCommand.ShakespeareDefaults) with { Minutes = TrainCommand.DefaultMinutes };

    public int Run(Args args)
    {
        if (args.Has("merge")) return Merge(args);
        if (args.Has("model")) throw new CliException("compare takes --models NAME,NAME,... (comma-separated), not --model.");
        IReadOnlyList<string> models;
        try { models = ModelComparison.ParseModels(args.String("models", DefaultModels)!); }
        catch (ArgumentException e) { throw new CliException("--models: " + e.Message); }
        bool hasFile = args.Positional.Count >= 1;
        var o = TrainingOptionsCli.Read(args, Defaults(hasFile), Specs);
        bool calibrate = !args.Has("eval-every");
        int evals = args.Int("evals", 10, min: 1, max: 1_000_000);
        int sampleChars = args.Int("sample-chars", 2000, min: 0, max: 10_000_000);
        string outDir = args.String("out") ?? RunFolders.Default("compare");
        bool saveRuns = args.Flag("save-runs");
        int printEvery = args.Int("print-every", 100, min: 1);
        args.ThrowOnUnused(1);
        if (o.Minutes == 0 && o.MaxIters == 0 && o.MaxEpochs == 0)
            throw new CliException("every model needs a limit: give --minutes, --max-iters or --max-epochs.");

        var corpus = hasFile ? Corpus.FromSource(args.Positional[0]) : Corpus.TinyShakespeare();
        o = o with { Data = corpus.Source };
        var vocab = Vocabulary.FromText(corpus.Text);
        var tokens = TrainCommand.Encode(vocab, corpus);
        ModelComparison comparison;
        try
        {
            comparison = new ModelComparison(models, o, vocab, tokens, corpus.Source)
            {
                CalibrateEvalEvery = calibrate,
                TargetEvaluations = evals,
                SampleLength = sampleChars,
                RunsDirectory = saveRuns ? outDir : null,
            };
        }
        catch (ArgumentException e) { throw new CliException($"{corpus.Source}: {e.Message}", 1); }

        var d = comparison.Data;
        Console.WriteLine(Inv($"comparing {string.Join(", ", models)} on {d.Source} ({d.Characters:N0} characters; train {d.Train:N0} / val {d.Val:N0})"));
        Console.WriteLine($"budget per model: {ComparisonReport.Budget(o)}; results in {outDir}");
        foreach (string m in models)
            if (Recur.Models.CharModelConfig.EmbedsAtHidden(m) && o.Embed != o.Hidden)
                Console.WriteLine(Inv($"{m}: --embed {o.Hidden} (= --hidden: the model embeds at its hidden width)"));

        var progress = new ComparisonProgress(Console.Out, ConsoleProgress.IsTerminal, printEvery);
        var result = RunFolders.WithCtrlC(token => comparison.Run(progress, token));
        string command = "recur compare " + string.Join(" ", args.Raw.Select(Quote));
        ComparisonReport.WriteAll(result, outDir, command);

        Console.WriteLine();
        Console.Write(ComparisonReport.Table(result));
        Console.WriteLine();
        Console.WriteLine($"wrote {Path.Combine(outDir, ComparisonReport.MarkdownFile)}, {Path.Combine(outDir, ComparisonReport.PlotFile)}, "
            + $"{Path.Combine(outDir, ComparisonReport.JsonFile)}");
        if (result.Cancelled)
        {
            Console.WriteLine("interrupted: the last run is partial and the models after it did not run.");
            return 130;
        }
        return 0;
    }

    private static string Quote(string a) => a.Length > 0 && a.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '/' or ',' or '=' or ':')
        ? a
        : "'" + a.Replace("'", "'\\''") + "'";

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    private static int Merge(Args args)
    {
        var dirs = args.String("merge")!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        string outDir = args.String("out") ?? RunFolders.Default("compare");
        args.ThrowOnUnused(0);
        if (dirs.Length == 0) throw new CliException("--merge needs comparison folders: --merge DIR,DIR,...");
        var parts = new List<ComparisonResult>();
        foreach (var d in dirs)
        {
            string path = File.Exists(d) ? d : Path.Combine(d, ComparisonReport.JsonFile);
            if (!File.Exists(path)) throw new CliException($"{path}: not found; --merge takes folders written by recur compare.", 1);
            try { parts.Add(ComparisonJson.Parse(File.ReadAllText(path), path)); }
            catch (FormatException e) { throw new CliException(e.Message, 1); }
        }
        var first = parts[0];
        foreach (var p in parts.Skip(1))
            if (p.Data.Characters != first.Data.Characters || p.Data.Train != first.Data.Train || p.Data.Val != first.Data.Val)
                throw new CliException($"the comparisons trained on different texts or splits ({first.Data.Source}, {first.Data.Characters:N0} characters, "
                    + $"val {first.Data.Val:N0} vs {p.Data.Source}, {p.Data.Characters:N0}, val {p.Data.Val:N0}); they cannot share a table.", 1);
        var merged = new ComparisonResult([.. parts.SelectMany(p => p.Runs)], first.Options, first.Data, parts.Any(p => p.Cancelled),
            parts.Min(p => p.Started));
        string command = "recur compare " + string.Join(" ", args.Raw.Select(Quote));
        ComparisonReport.WriteAll(merged, outDir, command);
        Console.Write(ComparisonReport.Table(merged));
        Console.WriteLine();
        Console.WriteLine($"merged {parts.Count} comparison(s), {merged.Runs.Count} model(s): {Path.Combine(outDir, ComparisonReport.MarkdownFile)}, "
            + $"{Path.Combine(outDir, ComparisonReport.PlotFile)}, {Path.Combine(outDir, ComparisonReport.JsonFile)}");
        return 0;
    }
}
