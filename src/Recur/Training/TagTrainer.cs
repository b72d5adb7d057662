using Recur.Data.Language;
using Recur.IO;
using Recur.Models.Tagging;
using Recur.Tasks;

namespace Recur.Training;

/// <summary>What a tagging run needs beyond <see cref="TrainOptions"/>.</summary>
public sealed record TagSettings
{
    /// <summary><c>universal</c> (12 tags) or <c>fine</c> (the corpus's own, without the title/headline/citation suffixes).</summary>
    public string Tagset { get; init; } = "universal";

    public int CharEmbed { get; init; } = 16;
    public int CharHidden { get; init; } = 32;
    public int MaxWordChars { get; init; } = 24;

    /// <summary>The document split's seed.</summary>
    public ulong SplitSeed { get; init; } = 1;
}

/// <summary>The three document splits of a tagging run, as sentences.</summary>
public sealed record TagSplits(IReadOnlyList<TaggedSentence> Train, IReadOnlyList<TaggedSentence> Validation, IReadOnlyList<TaggedSentence> Test)
{
    /// <summary>The Brown corpus split by document 80/10/10 from <paramref name="seed"/>.</summary>
    public static TagSplits Of(IReadOnlyList<BrownDocument> documents, ulong seed)
    {
        var (tr, val, test) = BrownCorpus.Split(documents, seed);
        static TaggedSentence[] All(IEnumerable<BrownDocument> d) => [.. d.SelectMany(x => x.Sentences)];
        return new TagSplits(All(tr), All(val), All(test));
    }

    /// <summary>The training word types, lower case.</summary>
    public IReadOnlySet<string> SeenWords() => Train.SelectMany(s => s.Words).Select(w => w.ToLowerInvariant()).ToHashSet(StringComparer.Ordinal);
}

/// <summary><c>recur tag train</c>: a <see cref="Tagger"/> (<c>--embed</c> word vectors, <c>--hidden</c>, <c>--layers</c>, <c>--dropout</c>) on <see cref="TagTask"/> on the one <see cref="Trainer"/>.</summary>
public static class TagTrainer
{
    public static Trainer Create(TrainOptions options, TagSettings settings, IReadOnlyList<BrownDocument> documents, string source)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(documents);
        options.Validate();
        if (settings.Tagset is not ("universal" or "fine")) throw new ArgumentException($"--tagset must be universal or fine, got '{settings.Tagset}'.");
        var splits = TagSplits.Of(documents, settings.SplitSeed);
        var allTags = documents.SelectMany(d => d.Sentences).SelectMany(s => s.Tags).Select(t => settings.Tagset == "universal" ? BrownCorpus.Universal(t) : BrownCorpus.Fine(t));
        var vocab = TagVocabulary.Build(splits.Train, allTags, settings.Tagset);
        var config = new TaggerConfig
        {
            Words = vocab.Words.Count, Chars = vocab.Chars.Count, Tags = vocab.Tags.Count, WordEmbed = options.Embed, CharEmbed = settings.CharEmbed,
            CharHidden = settings.CharHidden, Hidden = options.Hidden, Layers = options.Layers, Dropout = (float)options.Dropout, MaxWordChars = settings.MaxWordChars,
        };
        return Build(options, config, vocab, settings.SplitSeed, splits, documents, source, null, null);
    }

    public static Trainer Resume(LoadedTagger checkpoint, IReadOnlyList<BrownDocument> documents, TrainOptions options)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        var state = TaskRuns.ResumeState(checkpoint.Training, options, checkpoint.Directory, checkpoint.StatePath, checkpoint.Model.Store.Count);
        var splits = TagSplits.Of(documents, checkpoint.SplitSeed);
        var trainer = Build(options, checkpoint.Model.Config, checkpoint.Vocabulary, checkpoint.SplitSeed, splits, documents, checkpoint.Data?.Source ?? "", state, checkpoint);
        if (checkpoint.RunDirectory is not null) trainer.OutputDirectory = checkpoint.RunDirectory;
        return trainer;
    }

    /// <summary>The record of the corpus a run used: its documents and a checksum of their tags.</summary>
    public static DataInfo DataOf(IReadOnlyList<BrownDocument> documents, string source)
        => new(source, documents.Count, Checkpoint.TokenChecksum([.. documents.SelectMany(d => d.Sentences).Select(s => s.Tags.Count)]));

    private static Trainer Build(TrainOptions options, TaggerConfig config, TagVocabulary vocab, ulong splitSeed, TagSplits splits, IReadOnlyList<BrownDocument> documents,
        string source, TrainingState? state, LoadedTagger? saved)
    {
        var model = new Tagger(config);
        var rng = new Rng(options.Seed);
        model.Reset(rng);
        var data = DataOf(documents, source);
        if (saved is not null)
        {
            if (saved.Data is { } d && (d.Characters != data.Characters || d.Checksum != data.Checksum))
                throw new ArgumentException($"the corpus ({documents.Count} documents) is not the one this run was trained on ({d.Source}, {d.Characters}); resume with the same data.");
            saved.Model.Store.Values.AsSpan(0, model.Store.Count).CopyTo(model.Store.Values);
        }
        var train = new TagDataset(splits.Train, vocab, config.MaxWordChars);
        var val = new TagDataset(splits.Validation, vocab, config.MaxWordChars);
        var task = new TagTask(options, model, train, val, splits.SeenWords(),
            (dir, progress) => TaggerCheckpoint.WriteModelFiles(dir, model, vocab, splitSeed, options, progress, data), data);
        return TaskRuns.Start(task, options, rng, state, saved?.Model.Store.Values, saved?.StatePath);
    }
}

/// <summary>The most-frequent-tag baseline: each word's most frequent training tag, and for a word never seen the most frequent tag of all.</summary>
public static class MostFrequentTag
{
    /// <summary>Accuracy on <paramref name="test"/> of the baseline learnt from <paramref name="train"/> (tags mapped by <paramref name="map"/>), overall and on unseen words.</summary>
    public static (double Accuracy, double UnseenAccuracy) Score(IEnumerable<TaggedSentence> train, IEnumerable<TaggedSentence> test, Func<string, string> map)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(test);
        ArgumentNullException.ThrowIfNull(map);
        var counts = new Dictionary<string, Dictionary<string, int>>(StringComparer.Ordinal);
        var overall = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var s in train)
            for (int i = 0; i < s.Words.Count; i++)
            {
                string w = s.Words[i].ToLowerInvariant(), t = map(s.Tags[i]);
                if (!counts.TryGetValue(w, out var c)) counts[w] = c = new Dictionary<string, int>(StringComparer.Ordinal);
                c[t] = c.GetValueOrDefault(t) + 1;
                overall[t] = overall.GetValueOrDefault(t) + 1;
            }
        string Best(Dictionary<string, int> c) => c.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal).First().Key;
        var best = counts.ToDictionary(kv => kv.Key, kv => Best(kv.Value), StringComparer.Ordinal);
        string fallback = Best(overall);
        long n = 0, right = 0, un = 0, unRight = 0;
        foreach (var s in test)
            for (int i = 0; i < s.Words.Count; i++)
            {
                string w = s.Words[i].ToLowerInvariant(), gold = map(s.Tags[i]);
                bool seen = best.TryGetValue(w, out var guess);
                bool ok = (seen ? guess : fallback) == gold;
                n++; if (ok) right++;
                if (!seen) { un++; if (ok) unRight++; }
            }
        return (n == 0 ? double.NaN : (double)right / n, un == 0 ? double.NaN : (double)unRight / un);
    }
}
