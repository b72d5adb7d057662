using System.Text.Json;
using Recur.IO;
using Recur.Models.Seq2Seq;
using Recur.Nn;
using Recur.Training;

namespace Recur.Tasks.G2p;

/// <summary>A pronunciation model as its checkpoint holds it: the model, its symbols and the word split seed.</summary>
public sealed record LoadedG2p(ISeq2SeqModel Model, G2pSymbols Symbols, ulong SplitSeed) : SavedRun
{
    /// <inheritdoc/>
    public override IReadOnlyList<(string Prefix, ParameterStore Store)> Stores => [("", Model.Store)];
}

/// <summary>
/// Pronunciation-model checkpoints (<c>recur g2p train</c>): <c>model.safetensors</c> (<c>src_embed</c>, <c>encoder</c> with
/// <c>nn.LSTM</c>'s bidirectional names, <c>bridge</c>, <c>tgt_embed</c>, <c>att</c>, <c>decoder</c>, <c>head</c>; for a
/// Transformer <c>nn.Transformer</c>'s encoder and decoder names); config.json's sections <c>"model_kind"</c> (<c>lstm</c>, the
/// default of runs from before it, or <c>transformer</c>), <c>"model"</c> (that model's config), <c>"letters"</c>, <c>"phones"</c>,
/// <c>"split_seed"</c>.
/// </summary>
public sealed class G2pCheckpoint() : CheckpointFormat<LoadedG2p>(FormatName, G2pTask.TaskName, "pronunciation model")
{
    /// <summary>The <c>"format"</c> value.</summary>
    public const string FormatName = "recur-g2p";

    /// <summary>The format.</summary>
    public static G2pCheckpoint Instance { get; } = new();

    /// <inheritdoc/>
    protected override void WriteSections(Utf8JsonWriter w, LoadedG2p run)
    {
        w.WriteString("model_kind", G2pModels.KindOf(run.Model));
        w.WritePropertyName("model");
        if (run.Model is TransformerSeq2SeqModel t) CheckpointSections.Write(w, t.Config);
        else CheckpointSections.Write(w, ((Seq2SeqModel)run.Model).Config);
        WriteNames(w, "letters", run.Symbols.Letters);
        WriteNames(w, "phones", run.Symbols.Phones);
        w.WriteNumber("split_seed", run.SplitSeed);
    }

    /// <inheritdoc/>
    protected override LoadedG2p ReadSections(JsonElement root, string path, SafeTensorsFile weights)
    {
        string kind = root.TryGetProperty("model_kind", out var k) && k.ValueKind == JsonValueKind.String ? k.GetString()! : G2pModels.Lstm;
        ulong seed = Whole(root, "split_seed", path);
        var s = new G2pSymbols(ModelFiles.Strings(root, "letters", path), ModelFiles.Strings(root, "phones", path));
        ISeq2SeqModel model;
        try
        {
            if (kind == G2pModels.Transformer)
            {
                var config = CheckpointSections.Section<TransformerSeq2SeqConfig>(root, "model", path, required: true)!;
                config.Validate();
                long d = config.DModel, layers = config.EncoderLayers + config.DecoderLayers;
                Bound(layers * d * (4 * d + 2L * config.FeedForward) > 1L << 28 || (long)(config.SourceVocab + config.TargetVocab) * d > 1L << 28, path);
                model = new TransformerSeq2SeqModel(config);
            }
            else if (kind == G2pModels.Lstm)
            {
                var config = CheckpointSections.Section<Seq2SeqConfig>(root, "model", path, required: true)!;
                config.Validate();
                Bound((long)config.DecoderHidden * config.DecoderHidden > 1L << 28 || (long)config.Hidden * config.Hidden > 1L << 28, path);
                model = new Seq2SeqModel(config);
            }
            else throw new CheckpointFormatException($"{path}: \"model_kind\" is '{kind}'; it must be one of {string.Join(", ", G2pModels.Kinds)}.");
        }
        catch (ArgumentException e) { throw new CheckpointFormatException($"{path}: {e.Message}", e); }
        if (s.Letters.Count != model.SourceVocab || s.Phones.Count != model.TargetVocab)
            throw new CheckpointFormatException($"{path}: {s.Letters.Count} letters and {s.Phones.Count} phones do not fit the model "
                + $"({model.SourceVocab}, {model.TargetVocab}).");
        return new LoadedG2p(model, s, seed);
    }
}
