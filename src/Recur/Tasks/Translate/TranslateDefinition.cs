using System.Text;
using Recur.Data.Translation;
using Recur.IO;
using Recur.Models.Seq2Seq;
using Recur.Training;

namespace Recur.Tasks.Translate;

/// <summary>
/// <c>recur translate</c>: English to French on the French gettext catalogues of a fixed list of Debian packages
/// (<see cref="CatalogueList"/>). The data is a folder of <c>.mo</c> files (default <c>/usr/share/locale/fr/LC_MESSAGES</c>);
/// a run makes its pairs from them (<see cref="TranslationCorpus.Build"/>: bounded, deduplicated, split by source 90/5/5),
/// learns its byte-pair vocabulary on the training pairs and trains a <see cref="Seq2SeqModel"/> (<c>--embed</c>,
/// <c>--hidden</c> encoder width per direction, <c>--layers</c>, <c>--decoder-hidden</c>, <c>--attention</c>) or, with
/// <c>--model transformer</c>, a <see cref="TransformerSeq2SeqModel"/> (<c>--d-model</c>, <c>--heads</c>, <c>--ffn</c>,
/// <c>--layers</c> each side; <see cref="TransformerDefaults"/>) on <see cref="TranslateTask"/>.
/// </summary>
public sealed class TranslateDefinition : TaskDefinition<CatalogueSet, TranslateSettings, LoadedTranslation>
{
    /// <summary>The definition.</summary>
    public static TranslateDefinition Instance { get; } = new();

    /// <inheritdoc/>
    public override CheckpointFormat<LoadedTranslation> Checkpoint => TranslateCheckpoint.Instance;

    /// <inheritdoc/>
    public override string Summary
        => "English to French on Debian's gettext catalogues: BPE, BiLSTM encoder and attention decoder or a Transformer; data, train, eval, RUN \"text\"";

    /// <summary>
    /// The recipe: a one-layer encoder of 128 per direction over embeddings of 128, a decoder of 256 with additive attention,
    /// dropout 0.2, label smoothing 0.1 (<see cref="TranslateSettings"/>), batches of 64 pairs of like length, Adam with a
    /// cosine schedule over 20 minutes, a validation score every 500 batches.
    /// </summary>
    public override TrainOptions Defaults { get; } = new()
    {
        Model = "lstm", Hidden = 128, Layers = 1, Embed = 128, Dropout = 0.2, Bucket = 50, BatchSize = 64, Optimizer = "adam",
        LearningRate = 2e-3, LrSchedule = "cosine", LrMin = 2e-5, GradClip = 5, MaxEpochs = 0, Minutes = 20, EvalEvery = 500,
    };

    /// <summary>
    /// The Transformer's recipe (<c>--model transformer</c>; its width, heads and feed-forward are <see cref="TranslateSettings"/>'s
    /// 256, 4 and 1,024): three layers on each side, dropout 0.1 (twenty minutes on one thread is about three epochs, too few
    /// to overfit much), Adam 1e-3 (half the recurrent model's: the trainer's cosine schedule has no warmup, and a Transformer
    /// started at a high rate without one is prone to diverge), the rest as <see cref="Defaults"/>. Chosen, not tuned.
    /// </summary>
    public TrainOptions TransformerDefaults => Defaults with { Layers = 3, Dropout = 0.1, LearningRate = 1e-3, LrMin = 1e-5 };

    /// <inheritdoc/>
    public override IReadOnlyList<OptionSpec> SharedOptions => TrainOptionSpecs.ForSplitSequences;

    /// <inheritdoc/>
    public override IReadOnlyList<OptionSpec<TranslateSettings>> Options => TranslateSettings.Specs;

    /// <inheritdoc/>
    public override string DefaultData => CatalogueList.DefaultFolder;

    /// <inheritdoc/>
    public override CatalogueSet LoadData(string path) => CatalogueSet.Load(path, CatalogueList.Debian);

    /// <summary>The pairs a run with <paramref name="recipe"/> makes of <paramref name="data"/>.</summary>
    public static TranslationCorpus Corpus(CatalogueSet data, CorpusRecipe recipe)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(recipe);
        return TranslationCorpus.Build(data.Pairs, recipe.MaxCharacters, recipe.SplitSeed);
    }

    /// <inheritdoc/>
    protected override LoadedTranslation NewRun(TrainOptions options, TranslateSettings settings, CatalogueSet data)
    {
        var recipe = new CorpusRecipe(settings.SplitSeed, settings.MaxCharacters);
        var corpus = Corpus(data, recipe);
        if (corpus.Train.Count == 0) throw new ArgumentException($"{data.Folder}: gives no training pair.");
        var vocabulary = TranslationVocabulary.Build(corpus.Train, settings.Merges);
        if (settings.Model == TranslationModels.Transformer)
        {
            var transformer = new TransformerSeq2SeqConfig
            {
                SourceVocab = vocabulary.SourceSymbols.Count, TargetVocab = vocabulary.TargetSymbols.Count, DModel = settings.DModel, Heads = settings.Heads,
                EncoderLayers = options.Layers, DecoderLayers = options.Layers, FeedForward = settings.Ffn, Dropout = (float)options.Dropout,
                MaxTarget = settings.MaxTokens, MaxSource = settings.MaxCharacters, LabelSmoothing = settings.LabelSmoothing,
            };
            return new LoadedTranslation(settings.Model, new TransformerSeq2SeqModel(transformer), vocabulary, recipe);
        }
        if (settings.Model != TranslationModels.Rnn)
            throw new ArgumentException($"model must be one of {string.Join(", ", TranslationModels.Kinds)}, got '{settings.Model}'.");
        var config = new Seq2SeqConfig
        {
            SourceVocab = vocabulary.SourceSymbols.Count, TargetVocab = vocabulary.TargetSymbols.Count, Embed = options.Embed, Hidden = options.Hidden,
            Layers = options.Layers, Dropout = (float)options.Dropout, DecoderHidden = settings.DecoderHidden, Attention = settings.Attention,
            AttentionDim = settings.AttentionDim, MaxTarget = settings.MaxTokens, MaxSource = settings.MaxCharacters, LabelSmoothing = settings.LabelSmoothing,
        };
        return new LoadedTranslation(settings.Model, new Seq2SeqModel(config), vocabulary, recipe);
    }

    /// <inheritdoc/>
    protected override LoadedTranslation Rebuild(LoadedTranslation saved)
        => saved with { Model = TranslationModels.Rebuild(saved.Model) };

    /// <inheritdoc/>
    protected override void Initialize(LoadedTranslation run, TrainOptions options, Rng rng) => run.Model.Reset(rng);

    /// <summary>The record of the catalogues a run used: their pairs and a checksum of the pairs' texts.</summary>
    public override DataInfo DataOf(CatalogueSet data, string source)
    {
        ArgumentNullException.ThrowIfNull(data);
        var hashes = new int[data.Pairs.Count];
        for (int i = 0; i < hashes.Length; i++)
        {
            uint h = 2166136261;
            foreach (byte b in Encoding.UTF8.GetBytes(data.Pairs[i].Source + "\0" + data.Pairs[i].Target)) h = (h ^ b) * 16777619;
            hashes[i] = (int)h;
        }
        return new DataInfo(source, data.Pairs.Count, CheckpointFiles.TokenChecksum(hashes));
    }

    /// <inheritdoc/>
    protected override ITrainingTask NewTask(LoadedTranslation run, CatalogueSet data, TrainOptions options, DataInfo info,
        Action<string, CheckpointProgress> write)
    {
        var corpus = Corpus(data, run.Corpus);
        int maxTarget = run.Model.MaxTarget;
        var train = new TranslationDataset(corpus.Train, run.Vocabulary, maxTarget, training: true);
        var validation = new TranslationDataset(corpus.Validation, run.Vocabulary, maxTarget, training: false);
        return new TranslateTask(options, run.Model, train, validation, write, info, run.Architecture, data.Catalogues.Count(c => c.Found));
    }

    /// <inheritdoc/>
    protected override ITrainingTask? NewTestTask(LoadedTranslation run, CatalogueSet data, TrainOptions options, DataInfo info)
    {
        var corpus = Corpus(data, run.Corpus);
        int maxTarget = run.Model.MaxTarget;
        var train = new TranslationDataset(corpus.Train, run.Vocabulary, maxTarget, training: true);
        var test = new TranslationDataset(corpus.Test, run.Vocabulary, maxTarget, training: false);
        return new TranslateTask(options, run.Model, train, test, (_, _) => { }, info, run.Architecture, data.Catalogues.Count(c => c.Found));
    }
}
