using System.Text.Json;
using Recur.Data.Scenes;
using Recur.Models;
using Recur.Models.Captioning;
using Recur.Training;

namespace Recur.IO;

/// <summary>A captioner checkpoint read back: the captioner and its frozen encoder with their weights, the vocabulary, the scenes it was trained on and what the run recorded.</summary>
public sealed record LoadedCaptioner(ICaptioner Model, CaptionVocabulary Vocabulary, SceneEncoder Encoder, SceneOptions Scenes,
    string Directory, string? RunDirectory, TrainOptions? Training, CheckpointProgress? Progress, DataInfo? Data)
{
    /// <summary>Path of the checkpoint's <c>state.safetensors</c>.</summary>
    public string StatePath => Path.Combine(Directory, CheckpointFiles.StateFile);
}

/// <summary>
/// Captioner checkpoints (<c>recur caption train</c>), self-contained: <c>model.safetensors</c> holds the captioner's
/// parameters under their PyTorch names (<c>embed.weight</c>, <c>att.feature.weight</c>, <c>lstm.weight_ih</c>, ...) and the
/// encoder's under <c>encoder.</c> (<c>encoder.conv0.weight</c>, ...); <c>config.json</c> =
/// <c>{"format": "recur-captioner", "version": 1, "task": "caption", "model": {...}, "vocabulary": [...], "encoder": {...},
/// "grid_pool": 3, "scenes": {...}, "training": {...}, "progress": {...}, "data": {...}}</c>.
/// </summary>
public static class CaptionCheckpoint
{
    /// <summary>The <c>"format"</c> value of the config.</summary>
    public const string Format = "recur-captioner";

    /// <summary>Prefix of the encoder's tensors in <c>model.safetensors</c>.</summary>
    public const string EncoderPrefix = SceneModelFiles.EncoderPrefix;

    /// <summary>Writes <c>model.safetensors</c> and <c>config.json</c> into <paramref name="directory"/>.</summary>
    public static void WriteModelFiles(string directory, ICaptioner model, CaptionVocabulary vocabulary, SceneEncoder encoder, SceneOptions scenes,
        TrainOptions? training, CheckpointProgress? progress, DataInfo? data)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(vocabulary);
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentNullException.ThrowIfNull(scenes);
        ModelFiles.WriteWeights(directory, ("", model.Store), (EncoderPrefix, encoder.Network.Store));
        Training.LegacyModelFiles.WriteConfig(directory, Format, Tasks.CaptionTask.TaskName, w =>
        {
            w.WritePropertyName("model");
            CheckpointSections.Write(w, model.Config);
            w.WriteStartArray("vocabulary");
            foreach (var word in vocabulary.Words) w.WriteStringValue(word);
            w.WriteEndArray();
            SceneModelFiles.Write(w, encoder, scenes);
        }, training, progress, data);
    }

    /// <summary>
    /// Loads a captioner from a run folder (<c>best/</c> or <c>latest/</c>) or a checkpoint folder, checking the config and
    /// that the weights are exactly the captioner's and the encoder's. Any problem is a <see cref="CheckpointFormatException"/>.
    /// </summary>
    public static LoadedCaptioner Load(string runOrCheckpointDir, CheckpointKind prefer = CheckpointKind.Best)
    {
        string dir = CheckpointFiles.Resolve(runOrCheckpointDir, prefer);
        string path = Path.Combine(dir, CheckpointFiles.ConfigFile);
        var (model, vocab, encoder, scenes, training, progress, data) = ModelFiles.ReadConfig(path, Format, "captioner", root =>
        {
            var config = CheckpointSections.Section<CaptionerConfig>(root, "model", path, required: true)!;
            var (e, sc) = SceneModelFiles.Read(root, path);
            CaptionVocabulary v;
            ICaptioner m;
            try
            {
                config.Validate();
                if ((long)config.Vocab * Math.Max(config.Hidden, config.Embed) > 1L << 28 || (long)config.Locations * config.FeatureDim * config.Hidden > 1L << 28)
                    throw new CheckpointFormatException($"{path}: model config is out of range; the file is corrupted.");
                v = new CaptionVocabulary(ModelFiles.Strings(root, "vocabulary", path));
                if (v.Count != config.Vocab) throw new CheckpointFormatException($"{path}: the vocabulary lists {v.Count} words but the model has {config.Vocab}.");
                m = Captioners.Create(config);
                if (e.FeatureDim != config.FeatureDim) throw new CheckpointFormatException($"{path}: the encoder gives {e.FeatureDim} features per location but the captioner reads {config.FeatureDim}.");
            }
            catch (ArgumentException ex) { throw new CheckpointFormatException($"{path}: invalid: {ex.Message}", ex); }
            return (m, v, e, sc,
                CheckpointSections.Section<TrainOptions>(root, "training", path, required: false),
                CheckpointSections.Record<CheckpointProgress>(root, "progress", path, required: false),
                CheckpointSections.Record<DataInfo>(root, "data", path, required: false));
        });
        ModelFiles.ReadWeights(dir, $"{model.Config.Kind} captioner", ("", model.Store), (EncoderPrefix, encoder.Network.Store));
        return new LoadedCaptioner(model, vocab, encoder, scenes, dir, CheckpointFiles.RunDirectoryOf(dir), training, progress, data);
    }
}
