using Recur.Data.Language;
using Recur.IO;
using Recur.Models.Seq2Seq;
using Recur.Training;

namespace Recur.Tasks.G2p;

/// <summary>
/// <c>recur g2p</c>: pronunciation of English words (the CMU dictionary), sequence to sequence. A <see cref="Seq2SeqModel"/>
/// (<c>--embed</c>, <c>--hidden</c> encoder width per direction, <c>--layers</c>) or, with <c>--model transformer</c>, a
/// <see cref="TransformerSeq2SeqModel"/> (<c>--d-model</c>, <c>--heads</c>, <c>--ffn</c>, <c>--layers</c> each side) on
/// <see cref="G2pTask"/>; the words split 90/5/5.
/// </summary>
public sealed class G2pDefinition : TaskDefinition<IReadOnlyList<Pronunciation>, G2pSettings, LoadedG2p>
{
    /// <summary>The definition.</summary>
    public static G2pDefinition Instance { get; } = new();

    /// <inheritdoc/>
    public override CheckpointFormat<LoadedG2p> Checkpoint => G2pCheckpoint.Instance;

    /// <summary>
    /// The recipe (session 14's, its dropout chosen on the validation WER): a two-layer encoder of 256 with dropout 0.3, a
    /// decoder of 512 (<see cref="G2pSettings.DecoderHidden"/>), a moving average of the weights (0.999), batches of words of
    /// like length (<c>--bucket 50</c>), Adam with a cosine schedule over 60 minutes, no cap on epochs (docs/SEQUENCES.md).
    /// </summary>
    public override TrainOptions Defaults { get; } = new()
    {
        Model = "lstm", Hidden = 256, Layers = 2, Embed = 64, Dropout = 0.3, Ema = 0.999, Bucket = 50, BatchSize = 64, Optimizer = "adam",
        LearningRate = 2e-3, LrSchedule = "cosine", LrMin = 2e-5, GradClip = 5, MaxEpochs = 0, Minutes = 60, EvalEvery = 2000,
    };

    /// <inheritdoc/>
    public override IReadOnlyList<OptionSpec> SharedOptions => TrainOptionSpecs.ForSplitSequences;

    /// <inheritdoc/>
    public override IReadOnlyList<OptionSpec<G2pSettings>> Options => G2pSettings.Specs;

    /// <inheritdoc/>
    public override string DefaultData => CmuLexicon.DefaultPath;

    /// <inheritdoc/>
    public override IReadOnlyList<Pronunciation> LoadData(string path) => CmuLexicon.Load(path);

    /// <inheritdoc/>
    protected override LoadedG2p NewRun(TrainOptions options, G2pSettings settings, IReadOnlyList<Pronunciation> entries)
    {
        var splits = G2pSplits.Of(entries, settings.SplitSeed);
        var symbols = G2pSymbols.Build(splits.Train);
        if (settings.Model == G2pModels.Transformer)
        {
            var transformer = new TransformerSeq2SeqConfig
            {
                SourceVocab = symbols.Letters.Count, TargetVocab = symbols.Phones.Count, DModel = settings.DModel, Heads = settings.Heads,
                EncoderLayers = options.Layers, DecoderLayers = options.Layers, FeedForward = settings.Ffn, Dropout = (float)options.Dropout,
                MaxTarget = settings.MaxTarget, LabelSmoothing = settings.LabelSmoothing,
            };
            return new LoadedG2p(new TransformerSeq2SeqModel(transformer), symbols, settings.SplitSeed);
        }
        var config = new Seq2SeqConfig
        {
            SourceVocab = symbols.Letters.Count, TargetVocab = symbols.Phones.Count, Embed = options.Embed, Hidden = options.Hidden, Layers = options.Layers,
            Dropout = (float)options.Dropout, DecoderHidden = settings.DecoderHidden, Attention = settings.Attention, AttentionDim = settings.AttentionDim,
            MaxTarget = settings.MaxTarget, LabelSmoothing = settings.LabelSmoothing,
        };
        return new LoadedG2p(new Seq2SeqModel(config), symbols, settings.SplitSeed);
    }

    /// <inheritdoc/>
    protected override LoadedG2p Rebuild(LoadedG2p saved) => new(G2pModels.Rebuild(saved.Model), saved.Symbols, saved.SplitSeed);

    /// <inheritdoc/>
    protected override void Initialize(LoadedG2p run, TrainOptions options, Rng rng) => run.Model.Reset(rng);

    /// <summary>The record of the dictionary a run used: its entries and a checksum of their pronunciations' lengths.</summary>
    public override DataInfo DataOf(IReadOnlyList<Pronunciation> entries, string source)
        => new(source, entries.Count, CheckpointFiles.TokenChecksum([.. entries.Select(e => e.Phones.Count)]));

    /// <inheritdoc/>
    protected override ITrainingTask NewTask(LoadedG2p run, IReadOnlyList<Pronunciation> entries, TrainOptions options, DataInfo info,
        Action<string, CheckpointProgress> write)
    {
        var splits = G2pSplits.Of(entries, run.SplitSeed);
        int maxTarget = run.Model.MaxTarget;
        var train = new G2pDataset(splits.Train, splits.Lexicon, run.Symbols, maxTarget);
        var val = new G2pDataset(splits.Validation, splits.Lexicon, run.Symbols, maxTarget);
        return new G2pTask(options, run.Model, train, val, write, info);
    }
}
