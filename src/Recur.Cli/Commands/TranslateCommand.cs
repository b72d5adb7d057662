using System.Globalization;
using System.Text;
using Recur.Data;
using Recur.Data.Translation;
using Recur.IO;
using Recur.Plotting;
using Recur.Tasks.Translate;

namespace Recur.Cli.Commands;

/// <summary><c>recur translate data|train|eval|RUN "text"</c>: English to French on Debian's gettext catalogues.</summary>
internal sealed class TranslateCommand : ICommand
{
    public string Name => "translate";
    public string Summary => TranslateDefinition.Instance.Summary;
    public string Usage => UsageText + "\n" + TaskCli.OptionsUsage(TranslateDefinition.Instance);

    private const string UsageText = """
        usage: recur translate data [DIR] [--split-seed S] [--max-chars C] [--merges M] [--out PAIRS.jsonl]
               recur translate train [DIR] [--attention bahdanau|luong|none] [options]
               recur translate train [DIR] --model transformer [--d-model D] [--heads H] [--ffn F] [--layers N] [options]
               recur translate train --resume RUN [--minutes M]
               recur translate eval RUN [DIR] [--split validation|test] [--beam K] [--threads N] [--latest] [--unconstrained]
                                                   (also: recur eval RUN)
               recur translate RUN "English text" ... [--beam K] [--attention out.png] [--latest]

        English to French on real software translations: the French gettext catalogues (.mo) of a fixed list of 66
        Debian packages (coreutils, bash, git, apt, dpkg, binutils, glibc, GTK, PostgreSQL, ...: docs/TRANSLATION.md;
        scripts/install-data.sh installs them), read from DIR (default /usr/share/locale/fr/LC_MESSAGES). Every message
        with a translation is a pair (a plural message gives its singular and its plural); pairs with a side over
        --max-chars characters are left out, a source seen several times keeps its most frequent translation, and the
        sources are split 90/5/5 by a hash (--split-seed), so a source is on one side only. Placeholders (printf %s,
        %1$s, %%, braces {0}, markup <b>, accelerators _File &File, line breaks) are kept whole; the ones a translation
        copies are masked as slots the model learns to copy. Byte-pair units (--merges) are learned on the training
        pairs, both languages jointly. The model: a bidirectional LSTM encoder (--hidden per direction, --layers), an
        LSTM decoder (--decoder-hidden) with attention (--attention bahdanau additive, luong multiplicative, none); or,
        with --model transformer, a Transformer encoder-decoder (--d-model 256, --heads 4, --ffn 1024, --layers 3 on
        each side, dropout 0.1, --lr 1e-3 unless given).
        data prints the catalogues, pairs, splits and vocabulary (--out writes the pairs with their split).
        eval scores the validation pairs (--split test: the test pairs, for the published figure, once): corpus BLEU
        as sacreBLEU computes it (13a), chrF, and the share of pairs whose output drops or invents a placeholder;
        greedy and beam search of widths 1, 2, 4, 8 (length-normalised), the width with the best validation BLEU is
        recorded in RUN/beam.json and the test split is decoded with it (--beam K scores greedy and width K only).
        It writes RUN/eval.json (naming the split) and RUN/translations.jsonl. Decoding keeps the source's placeholders
        (constrained decoding: slots, printf, tabs, line breaks at either end, accelerators, also when an output runs to
        its length limit; --unconstrained lets the model alone decide). RUN "text" translates (with the
        chosen width, else greedy) and --attention draws the alignment of the first text as a PNG.

        Ctrl-C saves latest/ and exits (code 130); resume with --resume RUN.
        """;

    public int Run(Args args)
    {
        string? sub = args.Positional.Count > 0 ? args.Positional[0] : null;
        return sub switch
        {
            "data" => TranslateData.Run(args),
            "train" => Train(args),
            "eval" => TranslateEval.Eval(args),
            null => throw new CliException("name what to do: recur translate data|train|eval, or recur translate RUN \"text\"."),
            _ when Directory.Exists(sub) => TranslateText(args),
            _ => throw new CliException($"unknown translate command '{sub}': the commands are data, train and eval, or a run folder followed by text."),
        };
    }

    private static int Train(Args args)
    {
        // the Transformer starts from its own recipe (the flags given still win); a resumed run keeps its recorded options
        bool transformer = !args.Has("resume") && args.String("model") == TranslationModels.Transformer;
        var hooks = new TaskCli.StartHooks<TranslateSettings> { Defaults = transformer ? TranslateDefinition.Instance.TransformerDefaults : null };
        var (exit, run, dir) = TaskCli.Train(args, TranslateDefinition.Instance, hooks);
        if (exit is int code) return code;
        var best = TranslateCheckpoint.Instance.Load(run, CheckpointKind.Best);
        best.Model.Threads = best.Training?.EffectiveThreads ?? 1;
        TranslateEval.Report(best, dir, "validation", [0], threads: 1);
        return 0;
    }

    private static int TranslateText(Args args)
    {
        int? beamGiven = args.Has("beam") ? args.Int("beam", 1, min: 1, max: 100) : null;
        string? png = args.String("attention");
        bool latest = args.Flag("latest");
        args.ThrowOnUnused(int.MaxValue);
        if (args.Positional.Count < 2) throw new CliException("give text to translate: recur translate RUN \"English text\".");
        var ck = TranslateCheckpoint.Instance.Load(args.Positional[0], latest ? CheckpointKind.Latest : CheckpointKind.Best);
        ck.Model.Threads = 1;
        var v = ck.Vocabulary;
        var texts = args.Positional.Skip(1).ToArray();
        foreach (var t in texts)
        {
            if (t.Length == 0) throw new CliException("an empty message has no translation.");
            if (t.EnumerateRunes().Count() > ck.Model.MaxSource)
                throw new CliException($"{UnseenInput.Quote(t)} has {t.EnumerateRunes().Count():N0} characters; this model reads messages of at most "
                    + $"{ck.Model.MaxSource:N0}.");
            UnseenInput.CheckText(UnseenInput.Quote(t), TranslationVocabulary.WordsOnly(t), r => v.Knows(r) || Rune.IsWhiteSpace(r),
                $"the model's alphabet of {v.Alphabet.EnumerateRunes().Count()} characters (those of its training sources)");
        }
        int beam = beamGiven ?? TranslateEval.ChosenBeam(ck) ?? 1;
        var outputs = Translator.Translate(ck.Model, v, [.. texts.Select(v.EncodeSource)], beam, greedy: beam == 1);
        for (int i = 0; i < texts.Length; i++)
        {
            Console.WriteLine(outputs[i].Text);
            var check = Placeholders.Compare(texts[i], outputs[i].Text);
            if (!check.Ok || outputs[i].InventedSlots > 0)
                Console.WriteLine($"  (placeholders differ from the source's: dropped {Names(check.Dropped)}, invented {Names(check.Invented)}"
                    + (outputs[i].InventedSlots > 0 ? $" and {outputs[i].InventedSlots} slot(s) the source has not" : "") + ")");
        }
        if (png is not null)
        {
            if (!ck.Model.Attends) throw new CliException("--attention needs a model with attention; this one has none.");
            var o = outputs[0];
            Png.Save(png, AlignmentPlot.Render([.. o.SourceTokens.Select(Label)], [.. o.Tokens.Select(Label)], o.Attention,
                Math.Max(22, o.SourceTokens.Max(s => Label(s).Length) * 6 + 6)));
            Console.WriteLine($"alignment of {UnseenInput.Quote(texts[0])} ({(beam > 1 ? $"beam {beam}" : "greedy")}): {png}");
        }
        return 0;
    }

    private static string Names(IReadOnlyList<Placeholder> found)
        => found.Count == 0 ? "none"
            : string.Join(" ", found.Select(p => p.Kind == PlaceholderKind.Newline ? "\\n" : p.Kind == PlaceholderKind.Tab ? "\\t" : p.Text));

    /// <summary>A symbol as the plot's font can draw it: the space mark as a space, accents taken off, whitespace named.</summary>
    internal static string Label(string symbol)
    {
        string s = symbol.Replace(TranslationVocabulary.SpaceMark, " ", StringComparison.Ordinal).Replace("\n", "\\n").Replace("\t", "\\t");
        var sb = new StringBuilder();
        foreach (char c in s.Normalize(NormalizationForm.FormD))
            if (CharUnicodeInfo.GetUnicodeCategory(c) != UnicodeCategory.NonSpacingMark) sb.Append(c);
        return sb.ToString();
    }
}
