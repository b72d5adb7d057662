using System.Text.Json;
using Recur.Data.Translation;
using Recur.IO;
using Recur.Models.Seq2Seq;
using Recur.Nn;
using Recur.Training;

namespace Recur.Tasks.Translate;

/// <summary>How a run made its pairs from the catalogues: the split's seed and the bound on a side's characters.</summary>
public sealed record CorpusRecipe(ulong SplitSeed, int MaxCharacters);

/// <summary>A translation model as its checkpoint holds it: the model (by name), its vocabulary and how its corpus was made.</summary>
public sealed record LoadedTranslation(string Architecture, ISeq2SeqModel Model, TranslationVocabulary Vocabulary, CorpusRecipe Corpus) : SavedRun
{
    /// <inheritdoc/>
    public override IReadOnlyList<(string Prefix, ParameterStore Store)> Stores => [("", Model.Store)];
}

/// <summary>
/// Translation checkpoints (<c>recur translate train</c>): <c>model.safetensors</c> (the model's own names: for <c>rnn</c>,
/// <c>src_embed</c>, <c>encoder</c>, <c>bridge</c>, <c>tgt_embed</c>, <c>att</c>, <c>decoder</c>, <c>head</c>; for <c>transformer</c>,
/// <c>nn.Transformer</c>'s); config.json's sections <c>"architecture"</c> (the model's kind: <c>rnn</c> or <c>transformer</c>),
/// <c>"model"</c> (that model's config), <c>"merges"</c> (each <c>"left right"</c>), <c>"source_symbols"</c>,
/// <c>"target_symbols"</c>, <c>"alphabet"</c>, <c>"split_seed"</c> and <c>"max_characters"</c>.
/// </summary>
public sealed class TranslateCheckpoint() : CheckpointFormat<LoadedTranslation>(FormatName, TranslateTask.TaskName, "translation model")
{
    /// <summary>The <c>"format"</c> value.</summary>
    public const string FormatName = "recur-translate";

    /// <summary>The format.</summary>
    public static TranslateCheckpoint Instance { get; } = new();

    /// <inheritdoc/>
    protected override void WriteSections(Utf8JsonWriter w, LoadedTranslation run)
    {
        w.WriteString("architecture", run.Architecture);
        w.WritePropertyName("model");
        if (run.Model is TransformerSeq2SeqModel t) CheckpointSections.Write(w, t.Config);
        else CheckpointSections.Write(w, ((Seq2SeqModel)run.Model).Config);
        WriteNames(w, "merges", run.Vocabulary.Bpe.Merges.Select(m => m.Left + " " + m.Right));
        WriteNames(w, "source_symbols", run.Vocabulary.SourceSymbols);
        WriteNames(w, "target_symbols", run.Vocabulary.TargetSymbols);
        w.WriteString("alphabet", run.Vocabulary.Alphabet);
        w.WriteNumber("split_seed", run.Corpus.SplitSeed);
        w.WriteNumber("max_characters", run.Corpus.MaxCharacters);
    }

    /// <inheritdoc/>
    protected override LoadedTranslation ReadSections(JsonElement root, string path, SafeTensorsFile weights)
    {
        string architecture = root.TryGetProperty("architecture", out var a) && a.ValueKind == JsonValueKind.String ? a.GetString()!
            : throw new CheckpointFormatException($"{path}: \"architecture\" should name the model.");
        if (!TranslateSettings.Models.Contains(architecture))
            throw new CheckpointFormatException($"{path}: architecture '{architecture}' is not one of {string.Join(", ", TranslateSettings.Models)}.");
        var model = ReadModel(root, architecture, path);
        var merges = ModelFiles.Strings(root, "merges", path).Select(m => m.Split(' ')).ToArray();
        if (merges.Any(m => m.Length != 2 || m[0].Length == 0 || m[1].Length == 0))
            throw new CheckpointFormatException($"{path}: every merge should be two symbols separated by one space.");
        string alphabet = root.TryGetProperty("alphabet", out var al) && al.ValueKind == JsonValueKind.String ? al.GetString()!
            : throw new CheckpointFormatException($"{path}: \"alphabet\" should be a string.");
        ulong seed = Whole(root, "split_seed", path);
        ulong maxCharacters = Whole(root, "max_characters", path);
        if (maxCharacters is < 1 or > 10_000) throw new CheckpointFormatException($"{path}: max_characters {maxCharacters} is out of range.");
        TranslationVocabulary vocabulary;
        try
        {
            vocabulary = new TranslationVocabulary(new BpeMerges([.. merges.Select(m => (m[0], m[1]))]), ModelFiles.Strings(root, "source_symbols", path),
                ModelFiles.Strings(root, "target_symbols", path), alphabet);
        }
        catch (ArgumentException e) { throw new CheckpointFormatException($"{path}: {e.Message}", e); }
        if (vocabulary.SourceSymbols.Count != model.SourceVocab || vocabulary.TargetSymbols.Count != model.TargetVocab)
            throw new CheckpointFormatException($"{path}: {vocabulary.SourceSymbols.Count} source and {vocabulary.TargetSymbols.Count} target symbols do "
                + $"not fit the model ({model.SourceVocab}, {model.TargetVocab}).");
        return new LoadedTranslation(architecture, model, vocabulary, new CorpusRecipe(seed, (int)maxCharacters));
    }

    /// <summary>The model config.json's <c>"model"</c> describes, of the kind <paramref name="architecture"/> names (weights not yet read).</summary>
    private ISeq2SeqModel ReadModel(JsonElement root, string architecture, string path)
    {
        try
        {
            if (architecture == TranslationModels.Transformer)
            {
                var t = CheckpointSections.Section<TransformerSeq2SeqConfig>(root, "model", path, required: true)!;
                t.Validate();
                long d = t.DModel, layers = t.EncoderLayers + t.DecoderLayers;
                Bound(layers * d * (4 * d + 2L * t.FeedForward) > 1L << 28 || (long)(t.SourceVocab + t.TargetVocab) * d > 1L << 28, path);
                return new TransformerSeq2SeqModel(t);
            }
            var config = CheckpointSections.Section<Seq2SeqConfig>(root, "model", path, required: true)!;
            config.Validate();
            Bound((long)config.DecoderHidden * config.DecoderHidden > 1L << 28 || (long)config.Hidden * config.Hidden > 1L << 28
                || (long)config.TargetVocab * (config.DecoderHidden + config.ContextDim) > 1L << 30, path);
            return new Seq2SeqModel(config);
        }
        catch (ArgumentException e) { throw new CheckpointFormatException($"{path}: {e.Message}", e); }
    }
}
