using Recur.Models.Seq2Seq;

namespace Recur.Tasks.Translate;

/// <summary>
/// The models <c>recur translate --model</c> builds, by name: one place to add another encoder-decoder (a Transformer
/// behind the same surface: <c>TrainStep</c>, <c>Loss</c>, <c>Begin</c> for decoding, <c>Store</c>, <c>Threads</c>).
/// </summary>
public static class TranslationModels
{
    /// <summary>The model named <paramref name="name"/> over <paramref name="config"/> (weights not yet initialised).</summary>
    public static Seq2SeqModel Build(string name, Seq2SeqConfig config) => name switch
    {
        "rnn" => new Seq2SeqModel(config),
        _ => throw new ArgumentException($"model must be one of {string.Join(", ", TranslateSettings.Models)}, got '{name}'."),
    };

    /// <summary>A copy of <paramref name="model"/> (built as <paramref name="name"/>) with its weights, for another thread.</summary>
    public static Seq2SeqModel Copy(string name, Seq2SeqModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var copy = Build(name, model.Config);
        model.Store.Values.AsSpan(0, model.Store.Count).CopyTo(copy.Store.Values);
        return copy;
    }
}
