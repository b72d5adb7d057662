using System.Globalization;
using Recur.Data.Translation;
using Recur.Models.Seq2Seq;
using Recur.Training;

namespace Recur.Tasks.Translate;

/// <summary>What a translation run needs beyond <see cref="TrainOptions"/>, each option declared once in <see cref="Specs"/>.</summary>
public sealed record TranslateSettings
{
    /// <summary>The models <c>--model</c> chooses among (<see cref="TranslationModels"/>).</summary>
    public static IReadOnlyList<string> Models => TranslationModels.Kinds;

    /// <summary>
    /// <c>rnn</c>: the BiLSTM encoder and LSTM decoder of <see cref="Seq2SeqModel"/>; <c>transformer</c>: the encoder-decoder of
    /// <see cref="TransformerSeq2SeqModel"/> (<c>--layers</c> on each side).
    /// </summary>
    public string Model { get; init; } = TranslationModels.Rnn;

    /// <summary><c>bahdanau</c>, <c>luong</c> or <c>none</c>.</summary>
    public string Attention { get; init; } = "bahdanau";

    /// <summary>Width of the decoder LSTM.</summary>
    public int DecoderHidden { get; init; } = 256;

    /// <summary>Width of the additive attention.</summary>
    public int AttentionDim { get; init; } = 128;

    /// <summary><see cref="Seq2SeqConfig.LabelSmoothing"/>.</summary>
    public float LabelSmoothing { get; init; } = 0.1f;

    /// <summary>The byte-pair merges learned on the training pairs.</summary>
    public int Merges { get; init; } = 2000;

    /// <summary>The longest message kept, either side, in characters.</summary>
    public int MaxCharacters { get; init; } = TranslationCorpus.DefaultMaxCharacters;

    /// <summary>The longest translation written, in symbols (a training pair with a longer target is left out).</summary>
    public int MaxTokens { get; init; } = 96;

    /// <summary>The split's seed.</summary>
    public ulong SplitSeed { get; init; } = 1;

    /// <summary>The Transformer's width <see cref="TransformerSeq2SeqConfig.DModel"/>.</summary>
    public int DModel { get; init; } = 256;

    /// <summary>The Transformer's attention heads.</summary>
    public int Heads { get; init; } = 4;

    /// <summary>The Transformer's feed-forward width.</summary>
    public int Ffn { get; init; } = 1024;

    private const string Group = "translation";

    /// <summary>The task's own options: flag, default (this record's), range and help.</summary>
    public static IReadOnlyList<OptionSpec<TranslateSettings>> Specs { get; } =
    [
        SettingSpecs.Choice<TranslateSettings>("model", Group,
            "rnn (BiLSTM encoder, LSTM attention decoder) or transformer (encoder-decoder, --layers each side; its own recipe)", Models,
            s => s.Model, (s, v) => s with { Model = (string)v }),
        SettingSpecs.Int<TranslateSettings>("d-model", "D", Group, "transformer width (even, a multiple of --heads)", 2, 8192,
            s => s.DModel, (s, v) => s with { DModel = SettingSpecs.I(v) }),
        SettingSpecs.Int<TranslateSettings>("heads", "H", Group, "transformer attention heads", 1, 256,
            s => s.Heads, (s, v) => s with { Heads = SettingSpecs.I(v) }),
        SettingSpecs.Int<TranslateSettings>("ffn", "F", Group, "transformer feed-forward width", 1, 65536,
            s => s.Ffn, (s, v) => s with { Ffn = SettingSpecs.I(v) }),
        SettingSpecs.Choice<TranslateSettings>("attention", Group, "bahdanau, luong or none; with RUN \"text\": the PNG to write",
            ["bahdanau", "luong", "none"], s => s.Attention, (s, v) => s with { Attention = (string)v }),
        SettingSpecs.Int<TranslateSettings>("decoder-hidden", "N", Group, "decoder LSTM width", 1, 16384,
            s => s.DecoderHidden, (s, v) => s with { DecoderHidden = SettingSpecs.I(v) }),
        SettingSpecs.Int<TranslateSettings>("attention-dim", "K", Group, "additive attention width", 1, 16384,
            s => s.AttentionDim, (s, v) => s with { AttentionDim = SettingSpecs.I(v) }),
        SettingSpecs.Real<TranslateSettings>("label-smoothing", "S", Group, "smooth the training targets: 1 - S on the right symbol, S spread over all",
            0, 0.999, s => s.LabelSmoothing, (s, v) => s with { LabelSmoothing = (float)SettingSpecs.D(v) }),
        SettingSpecs.Int<TranslateSettings>("merges", "M", Group, "byte-pair merges learned on the training pairs, both sides jointly", 0, 100_000,
            s => s.Merges, (s, v) => s with { Merges = SettingSpecs.I(v) }),
        SettingSpecs.Int<TranslateSettings>("max-chars", "C", Group, "keep the pairs whose sides have at most C characters", 1, 10_000,
            s => s.MaxCharacters, (s, v) => s with { MaxCharacters = SettingSpecs.I(v) }),
        SettingSpecs.Int<TranslateSettings>("max-tokens", "T", Group, "the longest translation written, in symbols (longer training targets left out)", 4, 1024,
            s => s.MaxTokens, (s, v) => s with { MaxTokens = SettingSpecs.I(v) }),
        SettingSpecs.Int<TranslateSettings>("split-seed", "S", Group, "the split by source 90/5/5", 0, long.MaxValue,
            s => s.SplitSeed, (s, v) => s with { SplitSeed = (ulong)Convert.ToInt64(v, CultureInfo.InvariantCulture) }),
    ];
}
