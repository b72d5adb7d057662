using Recur.Data.Language;
using Recur.IO;
using Recur.Models.G2p;
using Recur.Models.Seq2Seq;
using Recur.Tasks;

namespace Recur.Training;

/// <summary>What a pronunciation run needs beyond <see cref="TrainOptions"/>.</summary>
public sealed record G2pSettings
{
    /// <summary><c>bahdanau</c>, <c>luong</c> or <c>none</c>.</summary>
    public string Attention { get; init; } = "bahdanau";
    public int DecoderHidden { get; init; } = 256;
    public int AttentionDim { get; init; } = 128;
    public int MaxTarget { get; init; } = 24;
    public ulong SplitSeed { get; init; } = 1;
    /// <summary><see cref="Seq2SeqConfig.LabelSmoothing"/>.</summary>
    public float LabelSmoothing { get; init; }
}

/// <summary>The CMU dictionary's words split 90/5/5, with every word's pronunciations.</summary>
public sealed record G2pSplits(IReadOnlyDictionary<string, IReadOnlyList<IReadOnlyList<string>>> Lexicon, IReadOnlyList<string> Train, IReadOnlyList<string> Validation, IReadOnlyList<string> Test)
{
    public static G2pSplits Of(IReadOnlyList<Pronunciation> entries, ulong seed)
    {
        var lexicon = CmuLexicon.ByWord(entries);
        var (tr, val, test) = CmuLexicon.Split(lexicon.Keys, seed);
        return new G2pSplits(lexicon, tr, val, test);
    }
}

/// <summary><c>recur g2p train</c>: a <see cref="Seq2SeqModel"/> (<c>--embed</c>, <c>--hidden</c> encoder width per direction, <c>--layers</c>) on <see cref="G2pTask"/> on the one <see cref="Trainer"/>.</summary>
public static class G2pTrainer
{
    public static Trainer Create(TrainOptions options, G2pSettings settings, IReadOnlyList<Pronunciation> entries, string source)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(settings);
        options.Validate();
        var splits = G2pSplits.Of(entries, settings.SplitSeed);
        var symbols = G2pSymbols.Build(splits.Train);
        var config = new Seq2SeqConfig
        {
            SourceVocab = symbols.Letters.Count, TargetVocab = symbols.Phones.Count, Embed = options.Embed, Hidden = options.Hidden, Layers = options.Layers,
            Dropout = (float)options.Dropout, DecoderHidden = settings.DecoderHidden, Attention = settings.Attention, AttentionDim = settings.AttentionDim, MaxTarget = settings.MaxTarget,
            LabelSmoothing = settings.LabelSmoothing,
        };
        return Build(options, config, symbols, settings.SplitSeed, splits, entries, source, null, null);
    }

    public static Trainer Resume(LoadedG2p checkpoint, IReadOnlyList<Pronunciation> entries, TrainOptions options)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        var state = TaskRuns.ResumeState(checkpoint.Training, options, checkpoint.Directory, checkpoint.StatePath, checkpoint.Model.Store.Count);
        var trainer = Build(options, checkpoint.Model.Config, checkpoint.Symbols, checkpoint.SplitSeed, G2pSplits.Of(entries, checkpoint.SplitSeed), entries,
            checkpoint.Data?.Source ?? "", state, checkpoint);
        if (checkpoint.RunDirectory is not null) trainer.OutputDirectory = checkpoint.RunDirectory;
        return trainer;
    }

    private static Trainer Build(TrainOptions options, Seq2SeqConfig config, G2pSymbols symbols, ulong splitSeed, G2pSplits splits, IReadOnlyList<Pronunciation> entries,
        string source, TrainingState? state, LoadedG2p? saved)
    {
        var model = new Seq2SeqModel(config);
        var rng = new Rng(options.Seed);
        model.Reset(rng);
        var data = new DataInfo(source, entries.Count, CheckpointFiles.TokenChecksum([.. entries.Select(e => e.Phones.Count)]));
        if (saved is not null)
        {
            if (saved.Data is { } d && (d.Characters != data.Characters || d.Checksum != data.Checksum))
                throw new ArgumentException($"the dictionary ({entries.Count} entries) is not the one this run was trained on ({d.Source}, {d.Characters}); resume with the same data.");
            saved.Model.Store.Values.AsSpan(0, model.Store.Count).CopyTo(model.Store.Values);
        }
        var train = new G2pDataset(splits.Train, splits.Lexicon, symbols, config.MaxTarget);
        var val = new G2pDataset(splits.Validation, splits.Lexicon, symbols, config.MaxTarget);
        var task = new G2pTask(options, model, train, val, (dir, progress) => G2pCheckpoint.WriteModelFiles(dir, model, symbols, splitSeed, options, progress, data), data);
        return TaskRuns.Start(task, options, rng, state, saved?.Model.Store.Values, saved?.StatePath);
    }
}
