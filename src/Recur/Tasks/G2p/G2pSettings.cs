using System.Globalization;
using Recur.Data.Language;
using Recur.Models.Seq2Seq;
using Recur.Training;

namespace Recur.Tasks.G2p;

/// <summary>What a pronunciation run needs beyond <see cref="TrainOptions"/>, each option declared once in <see cref="Specs"/>.</summary>
public sealed record G2pSettings
{
    /// <summary><c>bahdanau</c>, <c>luong</c> or <c>none</c>.</summary>
    public string Attention { get; init; } = "bahdanau";

    /// <summary>Width of the decoder LSTM.</summary>
    public int DecoderHidden { get; init; } = 512;

    /// <summary>Width of the additive attention.</summary>
    public int AttentionDim { get; init; } = 128;

    /// <summary>Longest pronunciation the decoder writes.</summary>
    public int MaxTarget { get; init; } = 24;

    /// <summary>The word split's seed.</summary>
    public ulong SplitSeed { get; init; } = 1;

    /// <summary><see cref="Seq2SeqConfig.LabelSmoothing"/>.</summary>
    public float LabelSmoothing { get; init; }

    /// <summary><c>lstm</c> (<see cref="Seq2SeqModel"/>) or <c>transformer</c> (<see cref="TransformerSeq2SeqModel"/>).</summary>
    public string Model { get; init; } = G2pModels.Lstm;

    /// <summary>The Transformer's width <see cref="TransformerSeq2SeqConfig.DModel"/>.</summary>
    public int DModel { get; init; } = 256;

    /// <summary>The Transformer's attention heads.</summary>
    public int Heads { get; init; } = 4;

    /// <summary>The Transformer's feed-forward width.</summary>
    public int Ffn { get; init; } = 1024;

    private const string Group = "pronunciation";

    /// <summary>The task's own options: flag, default (this record's), range and help.</summary>
    public static IReadOnlyList<OptionSpec<G2pSettings>> Specs { get; } =
    [
        SettingSpecs.Choice<G2pSettings>("attention", Group, "bahdanau, luong or none; with RUN word...: the PNG to write", ["bahdanau", "luong", "none"],
            s => s.Attention, (s, v) => s with { Attention = (string)v }),
        SettingSpecs.Int<G2pSettings>("decoder-hidden", "N", Group, "decoder LSTM width", 1, 16384,
            s => s.DecoderHidden, (s, v) => s with { DecoderHidden = SettingSpecs.I(v) }),
        SettingSpecs.Int<G2pSettings>("attention-dim", "K", Group, "additive attention width", 1, 16384,
            s => s.AttentionDim, (s, v) => s with { AttentionDim = SettingSpecs.I(v) }),
        SettingSpecs.Int<G2pSettings>("split-seed", "S", Group, "the word split 90/5/5", 0, long.MaxValue,
            s => s.SplitSeed, (s, v) => s with { SplitSeed = (ulong)Convert.ToInt64(v, CultureInfo.InvariantCulture) }),
        SettingSpecs.Real<G2pSettings>("label-smoothing", "S", Group, "smooth the training targets: 1 - S on the right phoneme, S spread over all", 0, 0.999,
            s => s.LabelSmoothing, (s, v) => s with { LabelSmoothing = (float)SettingSpecs.D(v) }),
        SettingSpecs.Choice<G2pSettings>("model", Group,
            "lstm (BiLSTM encoder, attention decoder) or transformer (encoder-decoder, --layers each side)", G2pModels.Kinds,
            s => s.Model, (s, v) => s with { Model = (string)v }),
        SettingSpecs.Int<G2pSettings>("d-model", "D", Group, "transformer width (even, a multiple of --heads)", 2, 8192,
            s => s.DModel, (s, v) => s with { DModel = SettingSpecs.I(v) }),
        SettingSpecs.Int<G2pSettings>("heads", "H", Group, "transformer attention heads", 1, 256,
            s => s.Heads, (s, v) => s with { Heads = SettingSpecs.I(v) }),
        SettingSpecs.Int<G2pSettings>("ffn", "F", Group, "transformer feed-forward width", 1, 65536,
            s => s.Ffn, (s, v) => s with { Ffn = SettingSpecs.I(v) }),
    ];
}

/// <summary>The CMU dictionary's words split 90/5/5, with every word's pronunciations.</summary>
public sealed record G2pSplits(IReadOnlyDictionary<string, IReadOnlyList<IReadOnlyList<string>>> Lexicon, IReadOnlyList<string> Train,
    IReadOnlyList<string> Validation, IReadOnlyList<string> Test)
{
    /// <summary>The words of <paramref name="entries"/> split 90/5/5 from <paramref name="seed"/>.</summary>
    public static G2pSplits Of(IReadOnlyList<Pronunciation> entries, ulong seed)
    {
        var lexicon = CmuLexicon.ByWord(entries);
        var (tr, val, test) = CmuLexicon.Split(lexicon.Keys, seed);
        return new G2pSplits(lexicon, tr, val, test);
    }
}
