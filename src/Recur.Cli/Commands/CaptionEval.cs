using System.Globalization;
using System.Text;
using Recur.Data;
using Recur.Data.Scenes;
using Recur.Imaging;
using Recur.IO;
using Recur.Models.Captioning;
using Recur.Tasks;
using Recur.Tasks.Caption;

namespace Recur.Cli.Commands;

/// <summary>
/// <c>recur caption eval RUN</c>: BLEU, exact match and attention accuracy on both validation splits, or (<c>--split test</c>)
/// both test splits.
/// </summary>
internal static class CaptionEval
{
    public const string Usage = """
        recur caption eval RUN [FASHION_DIR] [--split validation|test] [--beam K] [--alpha A] [--ensemble RUN2,...]
                               [--attention report.html] [--figures N] [--threads N]
          Captions the run's validation scenes (drawn again from its recorded seed, --scenes and --val-frac, from the
          training images no training scene uses: the scenes training validated on), or with --split test its test
          scenes (from the Fashion-MNIST test images; score them once, for the figure that is published): seen
          compositions and held-out ones (splits SPLIT-seen and SPLIT-heldout). The first line says which split was
          scored. Prints, per split and decoding (greedy, and beam search of width K when --beam K > 1,
          length-normalised by n^A, default A = 1), corpus BLEU-1..4 against every true reference, the exact-match
          rate (the caption read back by the grammar's parser is exactly true of the scene) and, for attention
          captioners, how often the most-attended location of an object word lies in a cell holding that object:
          over the object words of exactly right captions, and over every object word of every scene's reference
          caption, teacher-forced (all scenes); and, as the reference, how many scenes the encoder's own classifier
          gets wholly right, each object alone. Writes RUN/eval.json ("split": validation or test) and
          RUN/captions.jsonl (every caption, whether it is exactly right, and its references); --attention FILE
          writes an HTML page of the first N (default 12) held-out scenes of the split with each word's attention
          map. --ensemble decodes with RUN and the other runs together (trained on the same encoder and scenes),
          averaging their next-word probabilities at every step and their attention maps, on either split; it
          writes RUN/eval-ensemble.json and RUN/captions-ensemble.jsonl.
        """;

    public static int Run(Args args)
    {
        if (args.Positional.Count < 2) throw new CliException("name a run: recur caption eval RUN [FASHION_DIR].");
        int beam = args.Int("beam", 1, min: 1, max: 100);
        double alpha = args.Double("alpha", 1.0, min: 0, max: 10);
        string? html = args.String("attention");
        int figures = args.Int("figures", 12, min: 1, max: 10_000);
        int threads = args.Int("threads", 0, min: 0, max: 1024);
        string? others = args.String("ensemble");
        string split = TaskCli.Split(args);
        args.ThrowOnUnused(3);
        var ck = CaptionCheckpoint.Instance.Load(args.Positional[1], CheckpointKind.Best);
        var decoder = Ensemble(ck, others);
        ck.Model.Threads = threads > 0 ? threads : Environment.ProcessorCount;
        string dataDir = args.Positional.Count > 2 ? args.Positional[2] : ck.Data?.Source ?? FashionMnist.DefaultDirectory;
        var sets = Report(ck, decoder, dataDir, split, beam, alpha, ck.RunDirectory ?? ck.Directory, decoder.Count > 1 ? "-ensemble" : "");
        if (html is not null)
        {
            if (ck.Model.Config.Kind != "attention") throw new CliException($"--attention needs an attention captioner; this run is {ck.Model.Config.Kind}.");
            var (set, images) = sets[$"{split}-heldout"];
            int n = Math.Min(figures, set.Count);
            var decoded = CaptionDecoder.Greedy(decoder, set.FeaturesOf(0, n), set.Vocabulary);
            var figs = Enumerable.Range(0, n).Select(i => new AttentionFigure($"{split} held-out scene {i}",
                new PixelImage(84, 84, 1, set.Scenes[i].Render(images)), decoded[i], CaptionGrammar.Canonical(set.Scenes[i]))).ToArray();
            File.WriteAllText(html,
                AttentionReport.Build($"attention of {ck.RunDirectory ?? ck.Directory}", figs, ck.Model.Config.GridRows, ck.Model.Config.GridCols),
                new UTF8Encoding(false));
            Console.WriteLine($"attention maps: {html}");
        }
        return 0;
    }

    /// <summary>
    /// The captioner of <paramref name="ck"/> with those of the runs listed in <paramref name="others"/> (comma-separated),
    /// each checked to read the same encoder's features of the same scenes with the same vocabulary.
    /// </summary>
    private static CaptionEnsemble Ensemble(LoadedCaptioner ck, string? others)
    {
        var members = new List<ICaptioner> { ck.Model };
        foreach (string run in (others ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var m = CaptionCheckpoint.Instance.Load(run, CheckpointKind.Best);
            SceneCli.CheckSameScenes(ck.Directory, ck.Encoder, ck.Scenes, run, m.Encoder, m.Scenes);
            if (!m.Vocabulary.Words.SequenceEqual(ck.Vocabulary.Words)) throw new CliException($"{run} has another vocabulary than {ck.Directory}.");
            members.Add(m.Model);
        }
        try { return new CaptionEnsemble(members); }
        catch (ArgumentException e) { throw new CliException(e.Message); }
    }

    /// <summary>
    /// Scores both scene splits of <paramref name="split"/> (validation or test, <see cref="SceneCli.EvalSplits"/>), prints
    /// the table, writes <c>eval{suffix}.json</c> and <c>captions{suffix}.jsonl</c> (every scene's caption) into
    /// <paramref name="folder"/>; returns the datasets by scene split name.
    /// </summary>
    internal static Dictionary<string, (CaptionDataset Set, LabeledImages Images)> Report(LoadedCaptioner ck, ICaptionDecoder decoder, string dataDir,
        string split, int beam, double alpha, string folder, string suffix = "")
    {
        string jsonPath = Path.Combine(folder, $"eval{suffix}.json"), captionsPath = Path.Combine(folder, $"captions{suffix}.jsonl");
        var (seen, held) = SceneCli.EvalSplits(dataDir, ck.Scenes, ValFrac(ck), split);
        ck.Encoder.Network.Threads = ck.Model.Threads;
        var sets = new Dictionary<string, (CaptionDataset, LabeledImages)>();
        var scores = new List<CaptionSplitScore>();
        var reference = new Dictionary<string, double>();
        using (var lines = new StreamWriter(captionsPath, append: false, new UTF8Encoding(false)))
            foreach (var part in new[] { seen, held })
            {
                var set = new CaptionDataset(ck.Encoder.Encode(part), part.Scenes, ck.Vocabulary, ck.Model.Config.MaxWords);
                sets[part.Name] = (set, part.Images);
                reference[part.Name] = EncoderReference.AllObjectsRecognised(part, EncoderReference.Predicted(ck.Encoder.Network, part));
                foreach (int k in beam > 1 ? new[] { 1, beam } : [1])
                {
                    var (score, captions) = CaptionEvaluation.Run(decoder, set, part.Name, k, alpha);
                    scores.Add(score);
                    CaptionEvalFiles.WriteCaptions(lines, part.Name, score.Decoding, part.Scenes, captions, decoder.Config.GridRows, decoder.Config.GridCols);
                }
            }
        var inv = CultureInfo.InvariantCulture;
        Console.WriteLine($"{ck.Model.Config.Kind} captioner, {ck.RunDirectory ?? ck.Directory}"
            + $"{(decoder is CaptionEnsemble { Count: > 1 } e ? $"; an ensemble of {e.Count} captioners" : "")}");
        Console.WriteLine("| split | decoding | scenes | BLEU-1 | BLEU-2 | BLEU-3 | BLEU-4 | exact match | attention on the object "
            + "| attention on the object, all scenes |");
        Console.WriteLine("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var s in scores)
            Console.WriteLine(string.Create(inv, $"| {s.Split} | {s.Decoding} | {s.Scenes:N0} | {s.Bleu.Scores[0]:F4} | {s.Bleu.Scores[1]:F4} | "
                + $"{s.Bleu.Scores[2]:F4} | {s.Bleu.Scores[3]:F4} | {s.ExactMatch:F4} | "
                + $"{(s.AttentionAccuracy is double a ? $"{a:F4} of {s.AttentionWords:N0} words" : "-")} | "
                + $"{(s.AttentionAccuracyAll is double u ? $"{u:F4} of {s.AttentionWordsAll:N0} words" : "-")} |"));
        Console.WriteLine(string.Create(inv,
            $"the encoder's own classifier, each object alone: every object right in {string.Join(", ", reference.Select(r => $"{r.Value:F4} of {r.Key}"))}"));
        CaptionEvalFiles.WriteJson(jsonPath, ck, decoder, split, scores, reference);
        Console.WriteLine($"wrote {jsonPath}");
        return sets;
    }

    /// <summary>The validation fraction <paramref name="ck"/> was trained with (the recipe's when it records none).</summary>
    internal static double ValFrac(LoadedCaptioner ck) => CaptionDefinition.Instance.RecordedOptions(ck).ValFrac;
}
