using System.Globalization;
using System.Text.Json;
using Recur.Data;
using Recur.Data.Language;
using Recur.IO;
using Recur.Plotting;
using Recur.Tasks.G2p;
using Recur.Training;

namespace Recur.Cli.Commands;

/// <summary><c>recur g2p train|eval|RUN word...</c>: pronunciation of English words (CMU dictionary), sequence to sequence with attention.</summary>
internal sealed class G2pCommand : ICommand
{
    public string Name => "g2p";
    public string Summary => "pronunciation (CMU dictionary): letters -> BiLSTM encoder -> attention decoder -> phonemes; train, eval, RUN word...";
    public string Usage => """
        usage: recur g2p train [DICT] [--attention bahdanau|luong|none] [--model lstm|transformer] [options]
               recur g2p train --resume RUN [--minutes M]
               recur g2p eval RUN [DICT] [--beam K] [--ensemble RUN2,...] [--split validation|test]
                                                   (also: recur eval RUN)
               recur g2p RUN word... [--beam K] [--nbest N] [--attention out.png] [--ensemble RUN2,...]

        Sequence to sequence on the CMU pronouncing dictionary (Debian festlex-cmu: /usr/share/festival/dicts/cmu/
        cmudict-0.4.out), split by word 90/5/5 from --split-seed: the letters go through a bidirectional LSTM encoder
        (--hidden per direction, --layers), its final states start an LSTM decoder (--decoder-hidden) that attends over
        the letters (--attention: bahdanau additive, luong multiplicative, or none) and writes ARPAbet phonemes with
        stress. --model transformer swaps in a Transformer encoder-decoder (pre-norm, --layers each side, --d-model,
        --heads, --ffn, --dropout; its alignment is the last decoder layer's cross-attention averaged over heads). eval:
        word error rate (a word is right when the output is any of its pronunciations) and phoneme error rate (edit
        distance to the closest pronunciation over its length) on the validation words (--split test: the test words, for
        the published figure, once), greedy and, with --beam K, beam search. RUN word...: the pronunciations; --nbest N
        lists N with their log-probabilities; --attention draws the letter-to-phoneme alignment of the first word as a
        PNG. --ensemble decodes with RUN and the other runs together (same word split and symbols), averaging their
        next-phoneme probabilities at every step; eval then writes RUN/eval-ensemble.json. eval also writes
        RUN/pronunciations.jsonl (the first 500 words, then the wrong ones, of the last decoding: each output, right or
        wrong, with its letter-to-phoneme alignment; recur board draws them).
        """ + "\n" + TaskCli.OptionsUsage(G2pDefinition.Instance);

    public int Run(Args args)
    {
        string? sub = args.Positional.Count > 0 ? args.Positional[0] : null;
        return sub switch
        {
            "train" => Train(args),
            "eval" => Eval(args, 1),
            null => throw new CliException("name what to do: recur g2p train, recur g2p eval RUN, or recur g2p RUN word..."),
            _ when Directory.Exists(sub) => Pronounce(args),
            _ => throw new CliException($"unknown g2p command '{sub}': the commands are train and eval, or a run folder followed by words."),
        };
    }

    private static int Train(Args args)
    {
        var (exit, run, path) = TaskCli.Train(args, G2pDefinition.Instance);
        if (exit is int code) return code;
        var best = G2pCheckpoint.Instance.Load(run, CheckpointKind.Best);
        best.Model.Threads = best.Training?.EffectiveThreads ?? 1;
        Report(best, [best.Model], path, 1, Path.Combine(run, "eval.json"), "validation");
        return 0;
    }

    internal static int Eval(Args args, int offset)
    {
        int beam = args.Int("beam", 1, min: 1, max: 100);
        int threads = args.Int("threads", 0, min: 0, max: 1024);
        string? ensemble = args.String("ensemble");
        string split = TaskCli.Split(args);
        args.ThrowOnUnused(offset + 2);
        if (args.Positional.Count < offset + 1) throw new CliException("name a run: recur g2p eval RUN [DICT].");
        var ck = G2pCheckpoint.Instance.Load(args.Positional[offset], CheckpointKind.Best);
        var models = Ensemble(ck, ensemble);
        foreach (var m in models) m.Threads = threads > 0 ? threads : Environment.ProcessorCount;
        string path = args.Positional.Count > offset + 1 ? args.Positional[offset + 1] : ck.Data?.Source ?? CmuLexicon.DefaultPath;
        Report(ck, models, path, beam, Path.Combine(ck.RunDirectory ?? ck.Directory, models.Count > 1 ? "eval-ensemble.json" : "eval.json"), split);
        return 0;
    }

    /// <summary>
    /// The model of <paramref name="ck"/> and those of the runs listed in <paramref name="others"/> (comma-separated),
    /// checked to decode together.
    /// </summary>
    private static IReadOnlyList<Recur.Models.Seq2Seq.ISeq2SeqModel> Ensemble(LoadedG2p ck, string? others)
    {
        var models = new List<Recur.Models.Seq2Seq.ISeq2SeqModel> { ck.Model };
        foreach (string run in (others ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var m = G2pCheckpoint.Instance.Load(run, CheckpointKind.Best);
            if (m.SplitSeed != ck.SplitSeed)
                throw new CliException($"{run} was trained on the word split of --split-seed {m.SplitSeed}, {ck.Directory} on {ck.SplitSeed}: an ensemble must "
                    + "share the split, or its test words were another's training words.");
            if (!m.Symbols.Letters.SequenceEqual(ck.Symbols.Letters) || !m.Symbols.Phones.SequenceEqual(ck.Symbols.Phones))
                throw new CliException($"{run} reads other letters or writes other phonemes than {ck.Directory}; an ensemble needs the same symbols.");
            models.Add(m.Model);
        }
        try { G2pScore.CheckEnsemble(models); }
        catch (ArgumentException e) { throw new CliException(e.Message); }
        return models;
    }

    private static void Report(LoadedG2p ck, IReadOnlyList<Recur.Models.Seq2Seq.ISeq2SeqModel> models, string path, int beam, string jsonPath,
        string split)
    {
        var splits = G2pSplits.Of(G2pDefinition.Instance.LoadData(path), ck.SplitSeed);
        var words = split == "test" ? splits.Test : splits.Validation;
        var outputs = G2pScore.Decode(models, words, ck.Symbols);
        var scores = new List<G2pScore> { G2pScore.Count(words, [.. outputs.Select(o => o.Phonemes)], splits.Lexicon, "greedy") };
        if (beam > 1)
        {
            outputs = G2pScore.Decode(models, words, ck.Symbols, beam);
            scores.Add(G2pScore.Count(words, [.. outputs.Select(o => o.Phonemes)], splits.Lexicon, $"beam {beam}"));
        }
        var inv = CultureInfo.InvariantCulture;
        Console.WriteLine($"{split}: {words.Count:N0} words ({G2pModels.KindOf(ck.Model)}, attention "
            + $"{G2pModels.Attention(ck.Model)}{(models.Count > 1 ? $"; an ensemble of {models.Count} models" : "")})");
        foreach (var s in scores)
            Console.WriteLine(string.Create(inv, $"{s.Decoding}: WER {s.Wer:P2}, PER {s.Per:P2}; without stress: WER {s.WerWithoutStress:P2}"));
        var sample = words.Take(6).ToArray();
        var outs = G2pScore.Pronounce(models, sample, ck.Symbols);
        for (int i = 0; i < sample.Length; i++)
            Console.WriteLine($"  {sample[i]}: {string.Join(' ', outs[i])}   (dictionary: "
                + $"{string.Join(" | ", splits.Lexicon[sample[i]].Select(p => string.Join(' ', p)))})");
        using var stream = File.Create(jsonPath);
        using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        w.WriteStartObject();
        w.WriteString("split", split);
        w.WriteString("model", G2pModels.KindOf(ck.Model));
        w.WriteString("attention", G2pModels.Attention(ck.Model));
        w.WriteNumber("words", words.Count);
        w.WriteNumber("models", models.Count);
        foreach (var s in scores)
        {
            w.WriteStartObject(s.Decoding.Replace(' ', '_'));
            w.WriteNumber("wer", s.Wer);
            w.WriteNumber("per", s.Per);
            w.WriteNumber("wer_without_stress", s.WerWithoutStress);
            w.WriteEndObject();
        }
        w.WriteEndObject();
        w.Flush();
        var examples = G2pExamples.Write(jsonPath, split, scores[^1].Decoding, words, outputs, splits.Lexicon);
        Console.WriteLine($"wrote {jsonPath} and {examples.FilePath} ({examples.Count:N0} words, {scores[^1].Decoding})");
    }

    private static int Pronounce(Args args)
    {
        int beam = args.Int("beam", 1, min: 1, max: 100);
        int nbest = args.Int("nbest", 1, min: 1, max: 100);
        string? png = args.String("attention");
        string? ensemble = args.String("ensemble");
        args.ThrowOnUnused(int.MaxValue);
        if (args.Positional.Count < 2) throw new CliException("give words to pronounce: recur g2p RUN word...");
        if (nbest > Math.Max(beam, 1)) beam = nbest;
        var ck = G2pCheckpoint.Instance.Load(args.Positional[0], CheckpointKind.Best);
        var models = Ensemble(ck, ensemble);
        var inv = CultureInfo.InvariantCulture;
        var words = args.Positional.Skip(1).ToArray();
        foreach (var w in words)
        {
            UnseenInput.CheckText(UnseenInput.Quote(w), w, ck.Symbols.Knows,
                $"the model's alphabet of {ck.Symbols.LetterCount} letters (those of its training words)");
            if (w.Length > ck.Model.MaxSource)
                throw new CliException($"'{w[..Math.Min(20, w.Length)]}...' has {w.Length:N0} characters; this model reads words of at most "
                    + $"{ck.Model.MaxSource}.");
            if (w.Length == 0) throw new CliException("an empty word has no pronunciation.");
        }
        foreach (var w in words)
        {
            if (beam <= 1) { Console.WriteLine($"{w}: {string.Join(' ', G2pScore.Pronounce(models, [w], ck.Symbols)[0])}"); continue; }
            var best = G2pScore.NBest(models, w, ck.Symbols, beam, nbest);
            if (nbest == 1) Console.WriteLine($"{w}: {string.Join(' ', ck.Symbols.Decode(best[0].Tokens))}");
            else foreach (var h in best)
                Console.WriteLine(string.Create(inv,
                    $"{w}: {string.Join(' ', ck.Symbols.Decode(h.Tokens))}   (log p {h.LogProbability:F3}, score {h.Score:F3})"));
        }
        if (png is not null)
        {
            if (!ck.Model.Attends) throw new CliException("--attention needs a model with attention; this one has none.");
            var h = G2pScore.NBest(models, words[0], ck.Symbols, Math.Max(beam, 1), 1)[0];
            var image = AlignmentPlot.Render([.. words[0].ToLowerInvariant().Select(c => c.ToString())], ck.Symbols.Decode(h.Tokens), h.Attention);
            Png.Save(png, image);
            Console.WriteLine($"alignment of '{words[0]}': {png}");
        }
        return 0;
    }
}
