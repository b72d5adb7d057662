using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using Recur.Data.Translation;
using Recur.Tasks.Translate;
using Recur.Training;

namespace Recur.Cli.Commands;

/// <summary>
/// <c>recur translate data [DIR]</c>: what the catalogues give: per package its catalogues, messages and pairs; the pairs
/// after the length bound and deduplication; the split; the vocabulary a run would learn; how often the references
/// themselves change a placeholder. <c>--out FILE</c> writes the kept pairs with their split as JSON lines.
/// </summary>
internal static class TranslateData
{
    public static int Run(Args args)
    {
        var settings = TrainingOptionsCli.Apply(new TranslateSettings(), args, TranslateSettings.Specs);
        string? outPath = args.String("out");
        args.ThrowOnUnused(2);
        string dir = args.Positional.Count > 1 ? args.Positional[1] : CatalogueList.DefaultFolder;
        var data = TranslateDefinition.Instance.LoadData(dir);
        var inv = CultureInfo.InvariantCulture;
        int found = data.Catalogues.Count(c => c.Found);
        Console.WriteLine($"{dir}: {found} of the list's {data.Catalogues.Count} catalogues "
            + $"({data.Catalogues.Where(c => c.Found).Select(c => c.Package).Distinct().Count()} of {CatalogueList.Debian.Count} packages)");
        Console.WriteLine($"  {"package",-32} {"catalogues",10} {"messages",9} {"pairs",8}");
        foreach (var g in data.Catalogues.Where(c => c.Found).GroupBy(c => c.Package))
            Console.WriteLine($"  {g.Key,-32} {g.Count(),10} {g.Sum(c => c.Messages),9:N0} {g.Sum(c => c.Pairs),8:N0}");
        var missing = data.Catalogues.Where(c => !c.Found).ToList();
        if (missing.Count > 0)
            Console.WriteLine($"not found: {string.Join(", ", missing.Take(12).Select(c => $"{c.Domain}.mo ({c.Package})"))}"
                + (missing.Count > 12 ? $" and {missing.Count - 12} more" : ""));
        var corpus = TranslateDefinition.Corpus(data, new CorpusRecipe(settings.SplitSeed, settings.MaxCharacters));
        Console.WriteLine($"pairs: {corpus.RawPairs:N0} from the catalogues; {corpus.TooLong:N0} left out for a side over {settings.MaxCharacters} characters; "
            + $"{corpus.Duplicates:N0} repeated sources left out ({corpus.Conflicting:N0} kept sources had several translations)");
        Console.WriteLine($"kept {corpus.Pairs.Count:N0}: train {corpus.Train.Count:N0}, validation {corpus.Validation.Count:N0}, test {corpus.Test.Count:N0} "
            + $"(split by source, --split-seed {settings.SplitSeed})");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var v = TranslationVocabulary.Build(corpus.Train, settings.Merges);
        var train = new TranslationDataset(corpus.Train, v, settings.MaxTokens, training: true);
        Console.WriteLine(string.Create(inv, $"vocabulary: {v.Bpe.Merges.Count:N0} merges learned on the training pairs ({clock.Elapsed.TotalSeconds:F1} s); "
            + $"{v.SourceSymbols.Count:N0} source and {v.TargetSymbols.Count:N0} target symbols; {v.Alphabet.EnumerateRunes().Count()} source characters"));
        Console.WriteLine(string.Create(inv, $"symbols per training pair: source {train.Sources.Average(s => s.Ids.Length):F1}, target "
            + $"{train.Targets.Average(t => t.Length):F1} (mean); {train.LeftOut:N0} pairs with a target over --max-tokens {settings.MaxTokens}"));
        int withPlaceholders = corpus.Train.Count(p => Placeholders.Find(p.Source).Count > 0);
        Console.WriteLine($"placeholders: {withPlaceholders:N0} training sources hold at least one");
        foreach (var part in new[] { SplitPart.Validation, SplitPart.Test })
        {
            var pairs = corpus.Of(part);
            var s = TranslationScore.Of("references", pairs, [.. pairs.Select(p => p.Target)]);
            Console.WriteLine(string.Create(inv, $"  the {part.ToString().ToLowerInvariant()} references differ from their source's placeholders in "
                + $"{100 * s.PlaceholderErrorRate:F2} % of pairs ({Kinds(s)})"));
        }
        if (outPath is not null)
        {
            using var stream = File.Create(outPath);
            var options = new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
            foreach (var part in new[] { SplitPart.Train, SplitPart.Validation, SplitPart.Test })
                foreach (var p in corpus.Of(part))
                {
                    using (var w = new Utf8JsonWriter(stream, options))
                    {
                        w.WriteStartObject();
                        w.WriteString("split", part.ToString().ToLowerInvariant());
                        w.WriteString("catalogue", p.Catalogue);
                        if (p.Context is { } c) w.WriteString("context", c);
                        w.WriteString("source", p.Source);
                        w.WriteString("target", p.Target);
                        w.WriteEndObject();
                    }
                    stream.WriteByte((byte)'\n');
                }
            Console.WriteLine($"wrote {outPath}");
        }
        return 0;
    }

    private static string Kinds(TranslationScore s) => s.PlaceholderErrors == 0 ? "none"
        : string.Join(", ", s.ErrorsByKind.Where(k => k.Value > 0).Select(k => $"{k.Key.ToString().ToLowerInvariant()} {k.Value}"));
}
