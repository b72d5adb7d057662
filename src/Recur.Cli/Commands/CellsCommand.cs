using System.Globalization;
using System.Text;
using Recur.Analysis;
using Recur.Data;

namespace Recur.Cli.Commands;

/// <summary><c>recur cells</c>: interpretable cells of a trained character model, as an HTML report.</summary>
internal sealed class CellsCommand : ICommand
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public string Name => "cells";
    public string Summary => "find interpretable cells (quotes, line position, brackets, comments) and gate saturation; HTML report";
    public string Usage => """
        usage: recur cells RUN_OR_CHECKPOINT [FILE] [--out DIR] [--max-chars 100000] [--show 20000]
                           [--streams 16] [--top 5] [--threads N]

        Runs the model over FILE (default: the validation split of the text the run was trained on; at
        most --max-chars characters from its start) and records, per character, every layer's h_t, the
        LSTM cell state c_t and the gates. Each is correlated (Pearson r over all characters) with
        built-in features: inside a quotation, position in the line, depth of (), [] and {} nesting,
        inside a comment, inside a string literal, distance to the next newline.

        Writes DIR/cells.html (default DIR: RUN/cells): one self-contained page (no network) with the
        best cells per feature, the text coloured by each, a viewer for any layer and cell, and the
        gate-saturation scatter plots; DIR/gates_layerK.png; DIR/correlations.csv (every cell, every feature).
        The text is cut into --streams pieces run as a batch (each from a zero state).
        """;

    public int Run(Args args)
    {
        string? outDir = args.String("out");
        int maxChars = args.Int("max-chars", 100_000, 100, int.MaxValue);
        int show = args.Int("show", 20_000, 100, 10_000_000);
        int streams = args.Int("streams", 16, 1, 4096);
        int top = args.Int("top", 5, 1, 100);
        int threads = args.Int("threads", 0, 0, 1024);
        args.ThrowOnUnused(2);
        if (args.Positional.Count == 0) throw new CliException("name a run or checkpoint folder: recur cells RUN [FILE]. See --help.");
        string run = args.Positional[0];
        var loaded = CheckpointAccess.Load(run);
        int[] tokens;
        string source;
        if (args.Positional.Count > 1)
        {
            string path = args.Positional[1];
            tokens = TrainCommand.Encode(loaded.Vocabulary, Corpus.Load(path));
            source = path;
        }
        else (tokens, source) = CheckpointAccess.ValidationTokens(loaded);
        if (tokens.Length == 0) throw new CliException($"{source} is empty.");
        if (tokens.Length > maxChars) tokens = tokens[..maxChars];
        var runes = tokens.Select(id => loaded.Vocabulary[id]).ToArray();
        var model = loaded.Model;
        var cfg = model.Config;
        outDir ??= Path.Combine(loaded.RunDirectory ?? loaded.Directory, "cells");
        Directory.CreateDirectory(outDir);

        string modelLine = $"{cfg.Cell}{(cfg.Cell == "rnn" ? "-" + cfg.Nonlinearity : "")}, {cfg.Layers} layer{(cfg.Layers > 1 ? "s" : "")} x {cfg.Hidden}, "
            + $"vocabulary {cfg.VocabSize}";
        Console.WriteLine($"cells: {loaded.Directory} ({modelLine}); {tokens.Length:N0} characters of {source}");
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var analysis = Cells.Analyze(model, tokens, runes, new CellsOptions
        {
            Streams = streams,
            RenderChars = show,
            TopCells = top,
            Threads = threads > 0 ? threads : Environment.ProcessorCount,
        });
        Console.WriteLine(string.Create(Inv,
            $"recorded {analysis.Layout.Count:N0} values per character ({string.Join(", ", analysis.Layout.Kinds)} per layer) in "
            + $"{sw.Elapsed.TotalSeconds:F1} s"));
        Console.WriteLine();
        Console.WriteLine("best cells per feature (h = hidden state, c = cell state, gates i f g o / r z n; layers from 1):");
        Console.Write(CellsReport.Summary(analysis));

        var pngs = Cells.SaturationPlots(analysis);
        foreach (var (layer, png) in pngs)
            Recur.IO.AtomicFile.WriteAllBytes(Path.Combine(outDir, $"gates_layer{layer + 1}.png"), png);
        if (analysis.Saturation.Count > 0)
        {
            Console.WriteLine();
            Console.WriteLine("gate saturation (mean over units of the fraction of characters < 0.1 | > 0.9):");
            foreach (var g in analysis.Saturation)
                Console.WriteLine(string.Create(Inv, $"  layer {g.Layer + 1} {g.Gate}: {g.LeftFraction.Average():F3} | {g.RightFraction.Average():F3}"
                    + $"   units mostly left-saturated (>50% of the time): {g.LeftFraction.Count(v => v > 0.5)}, mostly right-saturated: "
                        + $"{g.RightFraction.Count(v => v > 0.5)}"));
        }

        var html = CellsReport.Build(analysis, new CellsReportOptions
        {
            Title = $"recur cells: {Path.GetFileName(Path.GetFullPath(loaded.RunDirectory ?? loaded.Directory).TrimEnd(Path.DirectorySeparatorChar))}",
            Subtitle = $"{modelLine}; {analysis.Characters:N0} characters of {source}",
            MaxChars = show,
        }, pngs);
        string htmlPath = Path.Combine(outDir, "cells.html");
        Recur.IO.AtomicFile.WriteAllBytes(htmlPath, Encoding.UTF8.GetBytes(html));

        var csv = new StringBuilder("feature,layer,kind,index,r\n");
        for (int f = 0; f < analysis.FeatureNames.Count; f++)
        {
            var r = analysis.Correlation[f];
            for (int k = 0; k < r.Length; k++)
            {
                var id = analysis.Layout.At(k);
                csv.Append(string.Create(Inv,
                    $"{analysis.FeatureNames[f]},{id.Layer + 1},{id.Kind},{id.Index},{(double.IsFinite(r[k]) ? r[k].ToString("R", Inv) : "")}\n"));
            }
        }
        Recur.IO.AtomicFile.WriteAllBytes(Path.Combine(outDir, "correlations.csv"), Encoding.UTF8.GetBytes(csv.ToString()));
        Console.WriteLine();
        Console.WriteLine($"wrote {htmlPath} ({new FileInfo(htmlPath).Length / 1e6:F1} MB), correlations.csv" + (pngs.Count > 0 ? $", gates_layer*.png" : ""));
        return 0;
    }
}
