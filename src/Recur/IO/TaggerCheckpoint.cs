using System.Text.Json;
using Recur.Models.Tagging;
using Recur.Training;

namespace Recur.IO;

/// <summary>A tagger checkpoint read back: the model with its weights, its symbol tables, the corpus split seed and what the run recorded.</summary>
public sealed record LoadedTagger(Tagger Model, TagVocabulary Vocabulary, ulong SplitSeed, string Directory, string? RunDirectory,
    TrainOptions? Training, CheckpointProgress? Progress, DataInfo? Data)
{
    /// <summary>Path of the checkpoint's <c>state.safetensors</c>.</summary>
    public string StatePath => Path.Combine(Directory, Checkpoint.StateFile);
}

/// <summary>
/// Tagger checkpoints (<c>recur tag train</c>): <c>model.safetensors</c> with <c>word_embed</c>, <c>char_embed</c>,
/// <c>char_rnn</c> (a bidirectional <c>nn.LSTM</c>'s names), <c>rnn</c> and <c>head</c>; <c>config.json</c> =
/// <c>{"format": "recur-tagger", "version": 1, "task": "tag", "model": {...}, "tagset": "universal", "words": [...],
/// "chars": [...], "tags": [...], "split_seed": 1, "training": ..., "progress": ..., "data": ...}</c>.
/// </summary>
public static class TaggerCheckpoint
{
    public const string Format = "recur-tagger";

    public static void WriteModelFiles(string directory, Tagger model, TagVocabulary vocabulary, ulong splitSeed, TrainOptions? training, CheckpointProgress? progress, DataInfo? data)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(vocabulary);
        ModelFiles.WriteWeights(directory, ("", model.Store));
        ModelFiles.WriteConfig(directory, Format, Tasks.TagTask.TaskName, w =>
        {
            w.WritePropertyName("model");
            CheckpointSections.Write(w, model.Config);
            w.WriteString("tagset", vocabulary.Tagset);
            foreach (var (name, list) in new[] { ("words", vocabulary.Words), ("chars", vocabulary.Chars), ("tags", vocabulary.Tags) })
            {
                w.WriteStartArray(name);
                foreach (var s in list) w.WriteStringValue(s);
                w.WriteEndArray();
            }
            w.WriteNumber("split_seed", splitSeed);
        }, training, progress, data);
    }

    public static LoadedTagger Load(string runOrCheckpointDir, CheckpointKind prefer = CheckpointKind.Best)
    {
        string dir = Checkpoint.Resolve(runOrCheckpointDir, prefer);
        string path = Path.Combine(dir, Checkpoint.ConfigFile);
        var (model, vocab, seed, training, progress, data) = ModelFiles.ReadConfig(path, Format, "tagger", root =>
        {
            var config = Checkpoint.Section<TaggerConfig>(root, "model", path, required: true)!;
            string tagset = root.TryGetProperty("tagset", out var ts) && ts.ValueKind == JsonValueKind.String ? ts.GetString()! : throw new CheckpointFormatException($"{path}: no \"tagset\".");
            if (!root.TryGetProperty("split_seed", out var ss) || !ss.TryGetUInt64(out ulong seed)) throw new CheckpointFormatException($"{path}: \"split_seed\" should be a whole number.");
            TagVocabulary v;
            Tagger m;
            try
            {
                config.Validate();
                if ((long)config.Words * config.WordEmbed > 1L << 28) throw new CheckpointFormatException($"{path}: model config is out of range; the file is corrupted.");
                v = new TagVocabulary(ModelFiles.Strings(root, "words", path), ModelFiles.Strings(root, "chars", path), ModelFiles.Strings(root, "tags", path), tagset);
                if (v.Words.Count != config.Words || v.Chars.Count != config.Chars || v.Tags.Count != config.Tags)
                    throw new CheckpointFormatException($"{path}: the word, character and tag lists ({v.Words.Count}, {v.Chars.Count}, {v.Tags.Count}) do not fit the model ({config.Words}, {config.Chars}, {config.Tags}).");
                m = new Tagger(config);
            }
            catch (ArgumentException e) { throw new CheckpointFormatException($"{path}: invalid: {e.Message}", e); }
            return (m, v, seed,
                Checkpoint.Section<TrainOptions>(root, "training", path, required: false),
                Checkpoint.Record<CheckpointProgress>(root, "progress", path, required: false),
                Checkpoint.Record<DataInfo>(root, "data", path, required: false));
        });
        ModelFiles.ReadWeights(dir, "tagger", ("", model.Store));
        return new LoadedTagger(model, vocab, seed, dir, Checkpoint.RunDirectoryOf(dir), training, progress, data);
    }
}
