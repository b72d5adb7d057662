using System.Globalization;
using Recur.Models.Seq2Seq;

namespace Recur.Tasks.G2p;

/// <summary>
/// The two pronunciation models <c>--model</c> chooses between: <c>lstm</c> (<see cref="Seq2SeqModel"/>, the BiLSTM encoder and
/// attention decoder) and <c>transformer</c> (<see cref="TransformerSeq2SeqModel"/>); what the task asks of either beyond
/// <see cref="ISeq2SeqModel"/>.
/// </summary>
public static class G2pModels
{
    public const string Lstm = "lstm", Transformer = "transformer";

    /// <summary>The choices of <c>--model</c>.</summary>
    public static IReadOnlyList<string> Kinds { get; } = [Lstm, Transformer];

    /// <summary><c>lstm</c> or <c>transformer</c>: config.json's <c>"model_kind"</c>.</summary>
    public static string KindOf(ISeq2SeqModel model) => model is TransformerSeq2SeqModel ? Transformer : Lstm;

    /// <summary>A new model of the same architecture (untrained).</summary>
    public static ISeq2SeqModel Rebuild(ISeq2SeqModel model) => model switch
    {
        Seq2SeqModel s => new Seq2SeqModel(s.Config),
        TransformerSeq2SeqModel t => new TransformerSeq2SeqModel(t.Config),
        _ => throw new ArgumentException($"no pronunciation model of type {model?.GetType().Name}.", nameof(model)),
    };

    /// <summary>The attention it decodes with: bahdanau, luong or none for the LSTM, multi-head for the Transformer.</summary>
    public static string Attention(ISeq2SeqModel model) => model is Seq2SeqModel s ? s.Config.Attention : "multi-head";

    /// <summary>Its architecture in one line, for the training log.</summary>
    public static string Describe(ISeq2SeqModel model) => model switch
    {
        Seq2SeqModel { Config: var c } => $"BiLSTM {c.Hidden} x {c.Layers} -> LSTM {c.DecoderHidden} decoder, attention {c.Attention}",
        TransformerSeq2SeqModel { Config: var c } => string.Create(CultureInfo.InvariantCulture,
            $"Transformer d-model {c.DModel}, {c.Heads} heads, {c.EncoderLayers} + {c.DecoderLayers} layers, ffn {c.FeedForward}, dropout {c.Dropout}"),
        _ => model.GetType().Name,
    };
}
