using Recur.Data.Language;
using Recur.IO;
using Recur.Models.Seq2Seq;
using Recur.Training;

namespace Recur.Tasks.G2p;

/// <summary>
/// <c>recur g2p</c>: pronunciation of English words (the CMU dictionary), sequence to sequence. A <see cref="Seq2SeqModel"/>
/// (<c>--embed</c>, <c>--hidden</c> encoder width per direction, <c>--layers</c>) on <see cref="G2pTask"/>; the words split 90/5/5.
/// </summary>
public sealed class G2pDefinition : TaskDefinition<IReadOnlyList<Pronunciation>, G2pSettings, LoadedG2p>
{
    /// <summary>The definition.</summary>
    public static G2pDefinition Instance { get; } = new();

    /// <inheritdoc/>
    public override CheckpointFormat<LoadedG2p> Checkpoint => G2pCheckpoint.Instance;

    /// <inheritdoc/>
    public override TrainOptions Defaults { get; } = new()
    {
        Model = "lstm", Hidden = 128, Layers = 1, Embed = 64, BatchSize = 64, Optimizer = "adam", LearningRate = 2e-3,
        LrSchedule = "cosine", LrMin = 2e-5, GradClip = 5, MaxEpochs = 10, EvalEvery = 2000,
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
        var config = new Seq2SeqConfig
        {
            SourceVocab = symbols.Letters.Count, TargetVocab = symbols.Phones.Count, Embed = options.Embed, Hidden = options.Hidden, Layers = options.Layers,
            Dropout = (float)options.Dropout, DecoderHidden = settings.DecoderHidden, Attention = settings.Attention, AttentionDim = settings.AttentionDim,
            MaxTarget = settings.MaxTarget, LabelSmoothing = settings.LabelSmoothing,
        };
        return new LoadedG2p(new Seq2SeqModel(config), symbols, settings.SplitSeed);
    }

    /// <inheritdoc/>
    protected override LoadedG2p Rebuild(LoadedG2p saved) => new(new Seq2SeqModel(saved.Model.Config), saved.Symbols, saved.SplitSeed);

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
        int maxTarget = run.Model.Config.MaxTarget;
        var train = new G2pDataset(splits.Train, splits.Lexicon, run.Symbols, maxTarget);
        var val = new G2pDataset(splits.Validation, splits.Lexicon, run.Symbols, maxTarget);
        return new G2pTask(options, run.Model, train, val, write, info);
    }
}
