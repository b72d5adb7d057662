using System.Globalization;
using Recur.Models.Seq2Seq;

namespace Recur.Tasks.Translate;

/// <summary>
/// The models <c>recur translate --model</c> builds, by name: <c>rnn</c> (<see cref="Seq2SeqModel"/>, the BiLSTM encoder and
/// LSTM decoder with attention) and <c>transformer</c> (<see cref="TransformerSeq2SeqModel"/>); what the task asks of either
/// beyond <see cref="ISeq2SeqModel"/> (the surface the task, the translator and the commands use).
/// </summary>
public static class TranslationModels
{
    public const string Rnn = "rnn", Transformer = "transformer";

    /// <summary>The choices of <c>--model</c>; config.json's <c>"architecture"</c>.</summary>
    public static IReadOnlyList<string> Kinds { get; } = [Rnn, Transformer];

    /// <summary><c>rnn</c> or <c>transformer</c>.</summary>
    public static string KindOf(ISeq2SeqModel model) => model switch
    {
        Seq2SeqModel => Rnn,
        TransformerSeq2SeqModel => Transformer,
        _ => throw new ArgumentException($"no translation model of type {model?.GetType().Name}.", nameof(model)),
    };

    /// <summary>A new model of the same architecture (weights not yet initialised).</summary>
    public static ISeq2SeqModel Rebuild(ISeq2SeqModel model) => model switch
    {
        Seq2SeqModel s => new Seq2SeqModel(s.Config),
        TransformerSeq2SeqModel t => new TransformerSeq2SeqModel(t.Config),
        _ => throw new ArgumentException($"no translation model of type {model?.GetType().Name}.", nameof(model)),
    };

    /// <summary>A copy of <paramref name="model"/> with its weights, for another thread.</summary>
    public static ISeq2SeqModel Copy(ISeq2SeqModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var copy = Rebuild(model);
        model.Store.Values.AsSpan(0, model.Store.Count).CopyTo(copy.Store.Values);
        return copy;
    }

    /// <summary>The attention it decodes with: bahdanau, luong or none for the recurrent model, multi-head for the Transformer.</summary>
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
