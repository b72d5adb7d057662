using System.Text.Json;
using Recur.Data.Language;
using Recur.IO;
using Recur.Models.Tagging;
using Recur.Nn;
using Recur.Training;

namespace Recur.Tasks.Tag;

/// <summary>A tagger as its checkpoint holds it: the model, its symbol tables and the corpus split seed.</summary>
public sealed record LoadedTagger(Tagger Model, TagVocabulary Vocabulary, ulong SplitSeed) : SavedRun
{
    /// <inheritdoc/>
    public override IReadOnlyList<(string Prefix, ParameterStore Store)> Stores => [("", Model.Store)];
}

/// <summary>
/// Tagger checkpoints: <c>model.safetensors</c> with <c>word_embed</c>, <c>char_embed</c>, <c>char_rnn</c> (a bidirectional
/// <c>nn.LSTM</c>'s names), <c>rnn</c> and <c>head</c>; config.json's sections <c>"model"</c>, <c>"tagset"</c>, <c>"words"</c>,
/// <c>"chars"</c>, <c>"tags"</c>, <c>"split_seed"</c>.
/// </summary>
public sealed class TaggerCheckpoint() : CheckpointFormat<LoadedTagger>(FormatName, TagTask.TaskName, "tagger")
{
    /// <summary>The <c>"format"</c> value.</summary>
    public const string FormatName = "recur-tagger";

    /// <summary>The format.</summary>
    public static TaggerCheckpoint Instance { get; } = new();


    /// <inheritdoc/>
    protected override void WriteSections(Utf8JsonWriter w, LoadedTagger run)
    {
        w.WritePropertyName("model");
        CheckpointSections.Write(w, run.Model.Config);
        w.WriteString("tagset", run.Vocabulary.Tagset);
        WriteNames(w, "words", run.Vocabulary.Words);
        WriteNames(w, "chars", run.Vocabulary.Chars);
        WriteNames(w, "tags", run.Vocabulary.Tags);
        w.WriteNumber("split_seed", run.SplitSeed);
    }

    /// <inheritdoc/>
    protected override LoadedTagger ReadSections(JsonElement root, string path, SafeTensorsFile weights)
    {
        var config = CheckpointSections.Section<TaggerConfig>(root, "model", path, required: true)!;
        string tagset = root.TryGetProperty("tagset", out var ts) && ts.ValueKind == JsonValueKind.String ? ts.GetString()!
            : throw new CheckpointFormatException($"{path}: no \"tagset\".");
        ulong seed = Whole(root, "split_seed", path);
        config.Validate();
        Bound((long)config.Words * config.WordEmbed > 1L << 28, path);
        var v = new TagVocabulary(ModelFiles.Strings(root, "words", path), ModelFiles.Strings(root, "chars", path),
            ModelFiles.Strings(root, "tags", path), tagset);
        if (v.Words.Count != config.Words || v.Chars.Count != config.Chars || v.Tags.Count != config.Tags)
            throw new CheckpointFormatException($"{path}: the word, character and tag lists ({v.Words.Count}, {v.Chars.Count}, {v.Tags.Count}) "
                + $"do not fit the model ({config.Words}, {config.Chars}, {config.Tags}).");
        return new LoadedTagger(new Tagger(config), v, seed);
    }
}

/// <summary>
/// <c>recur tag</c>: part-of-speech tagging of the Brown corpus (many-to-many). A <see cref="Tagger"/> (<c>--embed</c> word
/// vectors, <c>--hidden</c>, <c>--layers</c>, <c>--dropout</c>) on <see cref="TagTask"/>; the corpus split by document 80/10/10.
/// </summary>
public sealed class TagDefinition : TaskDefinition<IReadOnlyList<BrownDocument>, TagSettings, LoadedTagger>
{
    /// <summary>The definition.</summary>
    public static TagDefinition Instance { get; } = new();

    /// <inheritdoc/>
    public override CheckpointFormat<LoadedTagger> Checkpoint => TaggerCheckpoint.Instance;

    /// <summary>
    /// The recipe: a one-layer LSTM of 128 with dropout 0.3 over word vectors and character features, Adam with a cosine
    /// schedule, trained for 15 minutes with no cap on epochs (docs/SEQUENCES.md).
    /// </summary>
    public override TrainOptions Defaults { get; } = new()
    {
        Model = "lstm", Hidden = 128, Layers = 1, Embed = 64, Dropout = 0.3, BatchSize = 32, Optimizer = "adam", LearningRate = 2e-3,
        LrSchedule = "cosine", LrMin = 2e-5, GradClip = 5, MaxEpochs = 0, Minutes = 15, EvalEvery = 1000,
    };

    /// <inheritdoc/>
    public override IReadOnlyList<OptionSpec> SharedOptions => TrainOptionSpecs.ForSplitSequences;

    /// <inheritdoc/>
    public override IReadOnlyList<OptionSpec<TagSettings>> Options => TagSettings.Specs;

    /// <inheritdoc/>
    public override string DefaultData => BrownCorpus.DefaultDirectory;

    /// <inheritdoc/>
    public override IReadOnlyList<BrownDocument> LoadData(string path) => BrownCorpus.Load(path);

    /// <summary>Without <c>--eval-every</c>, a new run evaluates once an epoch.</summary>
    protected override int? TrainingExamples(TrainOptions options, TagSettings settings, IReadOnlyList<BrownDocument> data)
        => (int)(data.Sum(x => x.Sentences.Count) * 0.8);

    /// <inheritdoc/>
    protected override LoadedTagger NewRun(TrainOptions options, TagSettings settings, IReadOnlyList<BrownDocument> documents)
    {
        ArgumentNullException.ThrowIfNull(documents);
        if (settings.Tagset is not ("universal" or "fine")) throw new ArgumentException($"--tagset must be universal or fine, got '{settings.Tagset}'.");
        var splits = TagSplits.Of(documents, settings.SplitSeed);
        var allTags = documents.SelectMany(d => d.Sentences).SelectMany(s => s.Tags)
            .Select(t => settings.Tagset == "universal" ? BrownCorpus.Universal(t) : BrownCorpus.Fine(t));
        var vocab = TagVocabulary.Build(splits.Train, allTags, settings.Tagset);
        var config = new TaggerConfig
        {
            Words = vocab.Words.Count, Chars = vocab.Chars.Count, Tags = vocab.Tags.Count, WordEmbed = options.Embed, CharEmbed = settings.CharEmbed,
            CharHidden = settings.CharHidden, Hidden = options.Hidden, Layers = options.Layers, Dropout = (float)options.Dropout,
            MaxWordChars = settings.MaxWordChars,
        };
        return new LoadedTagger(new Tagger(config), vocab, settings.SplitSeed);
    }

    /// <inheritdoc/>
    protected override LoadedTagger Rebuild(LoadedTagger saved) => new(new Tagger(saved.Model.Config), saved.Vocabulary, saved.SplitSeed);

    /// <inheritdoc/>
    protected override void Initialize(LoadedTagger run, TrainOptions options, Rng rng) => run.Model.Reset(rng);

    /// <summary>The record of the corpus a run used: its documents and a checksum of their sentence lengths.</summary>
    public override DataInfo DataOf(IReadOnlyList<BrownDocument> documents, string source)
        => new(source, documents.Count, CheckpointFiles.TokenChecksum([.. documents.SelectMany(d => d.Sentences).Select(s => s.Tags.Count)]));

    /// <inheritdoc/>
    protected override ITrainingTask NewTask(LoadedTagger run, IReadOnlyList<BrownDocument> documents, TrainOptions options, DataInfo info,
        Action<string, CheckpointProgress> write)
    {
        var splits = TagSplits.Of(documents, run.SplitSeed);
        int maxChars = run.Model.Config.MaxWordChars;
        var train = new TagDataset(splits.Train, run.Vocabulary, maxChars);
        var val = new TagDataset(splits.Validation, run.Vocabulary, maxChars);
        return new TagTask(options, run.Model, train, val, splits.SeenWords(), write, info);
    }
}
