using System.Text.Json;
using Recur.Data.Language;
using Recur.IO;
using Recur.Models.Sentiment;
using Recur.Nn;
using Recur.Training;

namespace Recur.Tasks.Sentiment;

/// <summary>A sentiment classifier as its checkpoint holds it: the model, its vocabulary and the split seed.</summary>
public sealed record LoadedSentiment(SentimentClassifier Model, SentimentVocabulary Vocabulary, ulong SplitSeed) : SavedRun
{
    /// <inheritdoc/>
    public override IReadOnlyList<(string Prefix, ParameterStore Store)> Stores => [("", Model.Store)];
}

/// <summary>
/// Sentiment checkpoints: <c>model.safetensors</c> with <c>embed</c>, <c>rnn</c> (a bidirectional <c>nn.LSTM</c>'s names) and
/// <c>head</c>; config.json's sections <c>"model"</c>, <c>"words"</c>, <c>"split_seed"</c>.
/// </summary>
public sealed class SentimentCheckpoint() : CheckpointFormat<LoadedSentiment>(FormatName, SentimentTask.TaskName, "sentiment classifier")
{
    /// <summary>The <c>"format"</c> value.</summary>
    public const string FormatName = "recur-sentiment";

    /// <summary>The format.</summary>
    public static SentimentCheckpoint Instance { get; } = new();

    /// <inheritdoc/>
    protected override void WriteSections(Utf8JsonWriter w, LoadedSentiment run)
    {
        w.WritePropertyName("model");
        CheckpointSections.Write(w, run.Model.Config);
        WriteNames(w, "words", run.Vocabulary.Words);
        w.WriteNumber("split_seed", run.SplitSeed);
    }

    /// <inheritdoc/>
    protected override LoadedSentiment ReadSections(JsonElement root, string path, SafeTensorsFile weights)
    {
        var config = CheckpointSections.Section<SentimentConfig>(root, "model", path, required: true)!;
        ulong seed = Whole(root, "split_seed", path);
        config.Validate();
        Bound((long)config.Words * config.Embed > 1L << 28, path);
        var v = new SentimentVocabulary(ModelFiles.Strings(root, "words", path));
        if (v.Words.Count != config.Words)
            throw new CheckpointFormatException($"{path}: the word list ({v.Words.Count}) does not fit the model ({config.Words}).");
        return new LoadedSentiment(new SentimentClassifier(config), v, seed);
    }
}

/// <summary>
/// <c>recur sentiment</c>: positive or negative movie reviews (many-to-one), the Large Movie Review Dataset of Maas et al.
/// (2011). A <see cref="SentimentClassifier"/> (<c>--embed</c>, <c>--hidden</c>, <c>--layers</c>, <c>--dropout</c>) on
/// <see cref="SentimentTask"/>; the reviews split 90/5/5 by a hash of each text.
/// </summary>
public sealed class SentimentDefinition : TaskDefinition<IReadOnlyList<Review>, SentimentSettings, LoadedSentiment>
{
    /// <summary>The definition.</summary>
    public static SentimentDefinition Instance { get; } = new();

    /// <inheritdoc/>
    public override CheckpointFormat<LoadedSentiment> Checkpoint => SentimentCheckpoint.Instance;

    /// <summary>
    /// The recipe: a one-layer BiLSTM of 128 over word vectors of 128, dropout 0.3, batches of 32 reviews of like length,
    /// Adam with a cosine schedule and clipping at 5, for 30 minutes (docs/SENTIMENT.md; not tuned).
    /// </summary>
    public override TrainOptions Defaults { get; } = new()
    {
        Model = "lstm", Hidden = 128, Layers = 1, Embed = 128, Dropout = 0.3, BatchSize = 32, Optimizer = "adam", LearningRate = 1e-3,
        LrSchedule = "cosine", LrMin = 1e-5, GradClip = 5, MaxEpochs = 0, Minutes = 30, EvalEvery = 500, Bucket = 20,
    };

    /// <inheritdoc/>
    public override IReadOnlyList<OptionSpec> SharedOptions => TrainOptionSpecs.ForSplitSequences;

    /// <inheritdoc/>
    public override IReadOnlyList<OptionSpec<SentimentSettings>> Options => SentimentSettings.Specs;

    /// <inheritdoc/>
    public override string DefaultData => ImdbReviews.DefaultFile;

    /// <inheritdoc/>
    public override IReadOnlyList<Review> LoadData(string path) => ImdbReviews.Load(path);

    /// <summary>Without <c>--eval-every</c>, a new run evaluates once an epoch.</summary>
    protected override int? TrainingExamples(TrainOptions options, SentimentSettings settings, IReadOnlyList<Review> data)
        => (int)(data.Count * 0.9);

    /// <inheritdoc/>
    protected override LoadedSentiment NewRun(TrainOptions options, SentimentSettings settings, IReadOnlyList<Review> reviews)
    {
        ArgumentNullException.ThrowIfNull(reviews);
        var splits = SentimentSplits.Of(reviews, settings.SplitSeed);
        var vocab = SentimentVocabulary.Build(splits.Train.Select(r => r.Text), settings.MinCount, settings.MaxTokens);
        var config = new SentimentConfig
        {
            Words = vocab.Words.Count, Embed = options.Embed, Hidden = options.Hidden, Layers = options.Layers, Dropout = (float)options.Dropout,
            Pooling = settings.Pooling, MaxTokens = settings.MaxTokens,
        };
        return new LoadedSentiment(new SentimentClassifier(config), vocab, settings.SplitSeed);
    }

    /// <inheritdoc/>
    protected override LoadedSentiment Rebuild(LoadedSentiment saved) => new(new SentimentClassifier(saved.Model.Config), saved.Vocabulary, saved.SplitSeed);

    /// <inheritdoc/>
    protected override void Initialize(LoadedSentiment run, TrainOptions options, Rng rng) => run.Model.Reset(rng);

    /// <summary>The record of the reviews a run used: their count and a checksum of their lengths in characters.</summary>
    public override DataInfo DataOf(IReadOnlyList<Review> reviews, string source)
        => new(source, reviews.Count, CheckpointFiles.TokenChecksum([.. reviews.Select(r => r.Text.Length * 2 + r.Label)]));

    /// <inheritdoc/>
    protected override ITrainingTask NewTask(LoadedSentiment run, IReadOnlyList<Review> reviews, TrainOptions options, DataInfo info,
        Action<string, CheckpointProgress> write)
    {
        var splits = SentimentSplits.Of(reviews, run.SplitSeed);
        int max = run.Model.Config.MaxTokens;
        return new SentimentTask(options, run.Model, new SentimentDataset(splits.Train, run.Vocabulary, max),
            new SentimentDataset(splits.Validation, run.Vocabulary, max), write, info);
    }
}
