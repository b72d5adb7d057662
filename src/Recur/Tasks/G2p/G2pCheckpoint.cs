using System.Text.Json;
using Recur.IO;
using Recur.Models.Seq2Seq;
using Recur.Nn;
using Recur.Training;

namespace Recur.Tasks.G2p;

/// <summary>A pronunciation model as its checkpoint holds it: the model, its symbols and the word split seed.</summary>
public sealed record LoadedG2p(Seq2SeqModel Model, G2pSymbols Symbols, ulong SplitSeed) : SavedRun
{
    /// <inheritdoc/>
    public override IReadOnlyList<(string Prefix, ParameterStore Store)> Stores => [("", Model.Store)];
}

/// <summary>
/// Pronunciation-model checkpoints (<c>recur g2p train</c>): <c>model.safetensors</c> (<c>src_embed</c>, <c>encoder</c> with
/// <c>nn.LSTM</c>'s bidirectional names, <c>bridge</c>, <c>tgt_embed</c>, <c>att</c>, <c>decoder</c>, <c>head</c>);
/// config.json's sections <c>"model"</c>, <c>"letters"</c>, <c>"phones"</c>, <c>"split_seed"</c>.
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
        w.WritePropertyName("model");
        CheckpointSections.Write(w, run.Model.Config);
        WriteNames(w, "letters", run.Symbols.Letters);
        WriteNames(w, "phones", run.Symbols.Phones);
        w.WriteNumber("split_seed", run.SplitSeed);
    }

    /// <inheritdoc/>
    protected override LoadedG2p ReadSections(JsonElement root, string path, SafeTensorsFile weights)
    {
        var config = CheckpointSections.Section<Seq2SeqConfig>(root, "model", path, required: true)!;
        ulong seed = Whole(root, "split_seed", path);
        config.Validate();
        Bound((long)config.DecoderHidden * config.DecoderHidden > 1L << 28 || (long)config.Hidden * config.Hidden > 1L << 28, path);
        var s = new G2pSymbols(ModelFiles.Strings(root, "letters", path), ModelFiles.Strings(root, "phones", path));
        if (s.Letters.Count != config.SourceVocab || s.Phones.Count != config.TargetVocab)
            throw new CheckpointFormatException($"{path}: {s.Letters.Count} letters and {s.Phones.Count} phones do not fit the model "
                + $"({config.SourceVocab}, {config.TargetVocab}).");
        return new LoadedG2p(new Seq2SeqModel(config), s, seed);
    }
}
