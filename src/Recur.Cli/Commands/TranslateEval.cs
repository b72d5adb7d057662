using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using Recur.Data.Translation;
using Recur.IO;
using Recur.Models.Seq2Seq;
using Recur.Tasks.Translate;

namespace Recur.Cli.Commands;

/// <summary>
/// <c>recur translate eval RUN [DIR]</c>: scores a translation run on its validation pairs (greedy and beams 1, 2, 4, 8; the
/// width of best BLEU is recorded in <c>RUN/beam.json</c>) or, with <c>--split test</c>, on its test pairs (greedy and the
/// width chosen on validation); writes <c>eval.json</c> and <c>translations.jsonl</c>.
/// </summary>
internal static class TranslateEval
{
    /// <summary>The beam widths validation chooses among.</summary>
    public static readonly int[] Widths = [1, 2, 4, 8];

    private const string BeamFile = "beam.json";

    /// <summary><c>recur translate eval RUN [DIR]</c> (or <c>recur eval RUN [DIR]</c>, which hands its arguments here).</summary>
    public static int Eval(Args args)
    {
        int threads = args.Int("threads", 0, min: 0, max: 1024);
        int? beam = args.Has("beam") ? args.Int("beam", 1, min: 1, max: 100) : null;
        bool latest = args.Flag("latest");
        bool free = args.Flag("unconstrained");
        string split = TaskCli.Split(args);
        args.ThrowOnUnused(3);
        if (args.Positional.Count < 2) throw new CliException("name a run: recur translate eval RUN [DIR].");
        var ck = TranslateCheckpoint.Instance.Load(args.Positional[1], latest ? CheckpointKind.Latest : CheckpointKind.Best);
        string dir = args.Positional.Count > 2 ? args.Positional[2] : ck.Data?.Source ?? TranslateDefinition.Instance.DefaultData;
        int workers = threads > 0 ? threads : Environment.ProcessorCount;
        if (beam is int k) Report(ck, dir, split, [0, k], workers, constrained: !free);
        else if (split == "validation") Report(ck, dir, split, [0, .. Widths], workers, choose: true, constrained: !free);
        else Report(ck, dir, split, [0, ChosenBeam(ck) ?? Choose(ck, dir, workers)], workers, constrained: !free);
        return 0;
    }

    /// <summary>The width chosen on validation (<c>RUN/beam.json</c>), or null when validation has not been scored.</summary>
    public static int? ChosenBeam(LoadedTranslation ck)
    {
        string path = Path.Combine(ck.RunDirectory ?? ck.Directory, BeamFile);
        if (!File.Exists(path)) return null;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            return doc.RootElement.GetProperty("beam").GetInt32() is int w and >= 1 and <= 100 ? w : null;
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException) { return null; }
    }

    /// <summary>Chooses the width on validation first (for a test score of a run whose validation was never scored).</summary>
    private static int Choose(LoadedTranslation ck, string dir, int workers)
    {
        Console.WriteLine("no beam width chosen yet: scoring the validation pairs first");
        Report(ck, dir, "validation", [0, .. Widths], workers, choose: true);
        return ChosenBeam(ck) ?? 1;
    }

    /// <summary>
    /// Scores <paramref name="ck"/> on <paramref name="split"/> with each decoding of <paramref name="decodings"/> (0: greedy;
    /// K: beam search of width K), prints and writes the figures; with <paramref name="choose"/>,
    /// records the beam width of best BLEU (ties: the narrower) in <c>RUN/beam.json</c>. Decoding keeps the placeholders
    /// (<see cref="PlaceholderConstraint"/>) unless <paramref name="constrained"/> is false.
    /// </summary>
    public static void Report(LoadedTranslation ck, string dir, string split, IReadOnlyList<int> decodings, int threads, bool choose = false,
        bool constrained = true)
    {
        var data = TranslateDefinition.Instance.LoadData(dir);
        var now = TranslateDefinition.Instance.DataOf(data, dir);
        if (ck.Data is { } d && (now.Characters != d.Characters || now.Checksum != d.Checksum))
            throw new CliException($"the catalogues in {dir} ({now.Characters:N0} pairs) are not the ones {ck.Directory} was trained on "
                + $"({d.Characters:N0}); its split would differ. Score it on the same catalogues.", 1);
        var corpus = TranslateDefinition.Corpus(data, ck.Corpus);
        var set = new TranslationDataset(corpus.Of(split == "test" ? SplitPart.Test : SplitPart.Validation), ck.Vocabulary, ck.Model.MaxTarget,
            training: false);
        var workers = new List<ISeq2SeqModel> { ck.Model };
        while (workers.Count < Math.Max(1, threads)) workers.Add(TranslationModels.Copy(ck.Model));
        foreach (var w in workers) w.Threads = 1;
        var inv = CultureInfo.InvariantCulture;
        Console.WriteLine($"{split}: {set.Pairs.Count:N0} pairs ({ck.Architecture}, attention {TranslationModels.Attention(ck.Model)}; {ck.Directory})"
            + (constrained ? "" : "; placeholders not constrained"));
        var results = new List<(string Name, int Width, TranslationScore Score, IReadOnlyList<Translation> Outputs)>();
        foreach (int width in decodings)
        {
            bool greedy = width == 0;
            var outputs = Translator.Translate(workers, ck.Vocabulary, set.Sources, greedy ? 1 : width, greedy: greedy, constrained: constrained);
            string name = greedy ? "greedy" : $"beam {width}";
            var score = TranslationScore.Of(name, set.Pairs, [.. outputs.Select(o => o.Text)], [.. outputs.Select(o => o.InventedSlots)]);
            results.Add((name, width, score, outputs));
            Console.WriteLine(string.Create(inv, $"{name + ":",-8} BLEU {score.Bleu:F2}, chrF {score.ChrF:F2}, placeholder errors "
                + $"{100 * score.PlaceholderErrorRate:F2} % ({score.PlaceholderErrors:N0} pairs)"));
        }
        var references = TranslationScore.Of("references", set.Pairs, [.. set.Pairs.Select(p => p.Target)]);
        Console.WriteLine(string.Create(inv, $"the references themselves: placeholders differ from their source's in "
            + $"{100 * references.PlaceholderErrorRate:F2} % of the pairs ({references.PlaceholderErrors:N0})"));
        string folder = ck.RunDirectory ?? ck.Directory;
        var beams = results.Where(r => r.Width > 0).ToList();
        int? chosen = null;
        if (choose && beams.Count > 0)
        {
            var best = beams.OrderByDescending(r => r.Score.Bleu).ThenBy(r => r.Width).First();
            chosen = best.Width;
            WriteJson(Path.Combine(folder, BeamFile), w =>
            {
                w.WriteNumber("beam", best.Width);
                w.WriteString("chosen_on", "validation");
                w.WriteString("checkpoint", Path.GetFileName(Path.TrimEndingDirectorySeparator(ck.Directory)));
                w.WriteStartObject("validation_bleu");
                foreach (var r in results) w.WriteNumber(r.Name.Replace(' ', '_'), r.Score.Bleu);
                w.WriteEndObject();
            });
            Console.WriteLine(string.Create(inv,
                $"chosen on validation: beam {best.Width} (BLEU {best.Score.Bleu:F2}); recorded in {Path.Combine(folder, BeamFile)}"));
        }
        var shown = beams.Count == 0 ? results[0] : chosen is int cw ? results.First(r => r.Width == cw) : beams[^1];
        for (int i = 0; i < Math.Min(5, set.Pairs.Count); i++)
            Console.WriteLine($"  {Shown(set.Pairs[i].Source)} -> {Shown(shown.Outputs[i].Text)}   (reference: {Shown(set.Pairs[i].Target)})");
        WriteEval(Path.Combine(folder, "eval.json"), ck, split, set.Pairs.Count, results.Select(r => r.Score), references, chosen ?? ChosenBeam(ck),
            constrained);
        WriteTranslations(Path.Combine(folder, "translations.jsonl"), split, set.Pairs, results[0].Outputs, shown.Name, shown.Outputs);
        Console.WriteLine($"wrote {Path.Combine(folder, "eval.json")}, {Path.Combine(folder, "translations.jsonl")}");
    }

    /// <summary>A message on one line: line breaks and tabs written as <c>\n</c> and <c>\t</c>.</summary>
    private static string Shown(string s) => s.Replace("\n", "\\n", StringComparison.Ordinal).Replace("\t", "\\t", StringComparison.Ordinal);

    private static void WriteEval(string path, LoadedTranslation ck, string split, int pairs, IEnumerable<TranslationScore> scores, TranslationScore references,
        int? chosen, bool constrained) => WriteJson(path, w =>
    {
        w.WriteString("split", split);
        w.WriteBoolean("placeholders_constrained", constrained);
        w.WriteString("checkpoint", Path.GetFileName(Path.TrimEndingDirectorySeparator(ck.Directory)));
        w.WriteString("architecture", ck.Architecture);
        w.WriteString("attention", TranslationModels.Attention(ck.Model));
        w.WriteNumber("pairs", pairs);
        w.WriteStartObject("decodings");
        foreach (var s in scores) { w.WritePropertyName(s.Decoding.Replace(' ', '_')); Score(w, s); }
        w.WriteEndObject();
        w.WritePropertyName("references");
        Score(w, references);
        if (chosen is int b) w.WriteNumber("chosen_beam", b);
        else w.WriteNull("chosen_beam");
    });

    private static void Score(Utf8JsonWriter w, TranslationScore s)
    {
        w.WriteStartObject();
        w.WriteNumber("bleu", s.Bleu);
        w.WriteNumber("chrf", s.ChrF);
        w.WriteNumber("placeholder_error_rate", s.PlaceholderErrorRate);
        w.WriteNumber("placeholder_errors", s.PlaceholderErrors);
        w.WriteStartObject("placeholder_errors_by_kind");
        foreach (var (k, n) in s.ErrorsByKind) w.WriteNumber(k.ToString().ToLowerInvariant(), n);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    /// <summary>
    /// <c>translations.jsonl</c>: a line per message kept (<see cref="ExampleSelection"/>, right when its placeholders are), written
    /// whole; with attention, the output's <c>alignment</c> (per output subword, <c>output_tokens</c>, its weights over the source's,
    /// <c>source_tokens</c>: the attention LSTM's, or the Transformer's last decoder layer's cross-attention averaged over the heads).
    /// </summary>
    private static void WriteTranslations(string path, string split, IReadOnlyList<TranslationPair> pairs, IReadOnlyList<Translation> greedy,
        string decoding, IReadOnlyList<Translation> outputs)
    {
        var lines = new ExampleLines(path);
        var selection = ExampleLines.Selection();
        for (int i = 0; i < pairs.Count; i++)
        {
            bool ok = Placeholders.Compare(pairs[i].Source, outputs[i].Text).Ok && outputs[i].InventedSlots == 0;
            if (!selection.Keep(ok)) continue;
            var pair = pairs[i];
            var output = outputs[i];
            string greedyText = greedy[i].Text;
            int index = i;
            lines.Add(w =>
            {
                w.WriteString("split", split);
                w.WriteNumber("index", index);
                w.WriteString("catalogue", pair.Catalogue);
                if (pair.Context is { } ctx) w.WriteString("context", ctx);
                w.WriteString("source", pair.Source);
                w.WriteString("reference", pair.Target);
                w.WriteString("greedy", greedyText);
                w.WriteString("decoding", decoding);
                w.WriteString("output", output.Text);
                w.WriteBoolean("placeholders_ok", ok);
                if (output.Attention.Count == 0) return;
                ExampleLines.Strings(w, "source_tokens", output.SourceTokens);
                ExampleLines.Strings(w, "output_tokens", output.Tokens);
                w.WriteStartArray("alignment");
                foreach (var row in output.Attention) ExampleLines.Weights(w, null, row);
                w.WriteEndArray();
            });
        }
        lines.Save();
    }

    private static void WriteJson(string path, Action<Utf8JsonWriter> body)
    {
        using var stream = File.Create(path);
        using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        w.WriteStartObject();
        body(w);
        w.WriteEndObject();
    }
}
