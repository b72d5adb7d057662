using System.Text.Json;
using Recur.Data.Scenes;
using Recur.Models.Captioning;
using Recur.Models.Vqa;
using Recur.Training;

namespace Recur.IO;

/// <summary>A VQA checkpoint read back: the model and its frozen encoder with their weights, the scenes and questions it was trained on, and what the run recorded.</summary>
public sealed record LoadedVqa(VqaModel Model, SceneEncoder Encoder, SceneOptions Scenes, int QuestionsPerScene,
    string Directory, string? RunDirectory, TrainOptions? Training, CheckpointProgress? Progress, DataInfo? Data)
{
    /// <summary>Path of the checkpoint's <c>state.safetensors</c>.</summary>
    public string StatePath => Path.Combine(Directory, CheckpointFiles.StateFile);
}

/// <summary>
/// VQA checkpoints (<c>recur vqa train</c>), self-contained as the captioner's: <c>model.safetensors</c> holds the model
/// (<c>embed</c>, <c>rnn</c>, <c>att</c>, <c>fuse_q</c>, <c>fuse_z</c>, <c>head</c>) and the encoder under <c>encoder.</c>;
/// <c>config.json</c> = <c>{"format": "recur-vqa", "version": 1, "task": "vqa", "model": {...}, "questions": [...],
/// "answers": [...], "questions_per_scene": 2, "encoder": {...}, "grid_pool": 3, "scenes": {...}, "training": ..., "progress": ..., "data": ...}</c>.
/// </summary>
public static class VqaCheckpoint
{
    /// <summary>The <c>"format"</c> value of the config.</summary>
    public const string Format = "recur-vqa";

    /// <summary>The task name.</summary>
    public const string TaskName = "vqa";

    public static void WriteModelFiles(string directory, VqaModel model, SceneEncoder encoder, SceneOptions scenes, int questionsPerScene,
        TrainOptions? training, CheckpointProgress? progress, DataInfo? data)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(encoder);
        ModelFiles.WriteWeights(directory, ("", model.Store), (SceneModelFiles.EncoderPrefix, encoder.Network.Store));
        Training.LegacyModelFiles.WriteConfig(directory, Format, TaskName, w =>
        {
            w.WritePropertyName("model");
            CheckpointSections.Write(w, model.Config);
            w.WriteStartArray("questions");
            foreach (var word in VqaDataset.QuestionVocabulary().Words) w.WriteStringValue(word);
            w.WriteEndArray();
            w.WriteStartArray("answers");
            foreach (var a in SceneQuestions.Answers) w.WriteStringValue(a);
            w.WriteEndArray();
            w.WriteNumber("questions_per_scene", questionsPerScene);
            SceneModelFiles.Write(w, encoder, scenes);
        }, training, progress, data);
    }

    /// <summary>Loads a VQA model from a run or checkpoint folder; any problem is a <see cref="CheckpointFormatException"/>.</summary>
    public static LoadedVqa Load(string runOrCheckpointDir, CheckpointKind prefer = CheckpointKind.Best)
    {
        string dir = CheckpointFiles.Resolve(runOrCheckpointDir, prefer);
        string path = Path.Combine(dir, CheckpointFiles.ConfigFile);
        var (model, encoder, scenes, perScene, training, progress, data) = ModelFiles.ReadConfig(path, Format, "VQA", root =>
        {
            var config = CheckpointSections.Section<VqaConfig>(root, "model", path, required: true)!;
            var (e, sc) = SceneModelFiles.Read(root, path);
            if (!ModelFiles.Strings(root, "questions", path).SequenceEqual(VqaDataset.QuestionVocabulary().Words) || !ModelFiles.Strings(root, "answers", path).SequenceEqual(SceneQuestions.Answers))
                throw new CheckpointFormatException($"{path}: its question words or answers are not this Recur's; the model cannot read these questions.");
            if (!root.TryGetProperty("questions_per_scene", out var q) || !q.TryGetInt32(out int per) || per is < 1 or > 1000)
                throw new CheckpointFormatException($"{path}: \"questions_per_scene\" should be a whole number in [1, 1000].");
            VqaModel m;
            try
            {
                config.Validate();
                if ((long)config.Hidden * config.Hidden > 1L << 28 || (long)config.Fusion * config.Answers > 1L << 28)
                    throw new CheckpointFormatException($"{path}: model config is out of range; the file is corrupted.");
                m = new VqaModel(config);
                if (e.FeatureDim != config.FeatureDim) throw new CheckpointFormatException($"{path}: the encoder gives {e.FeatureDim} features per location but the model reads {config.FeatureDim}.");
            }
            catch (ArgumentException ex) { throw new CheckpointFormatException($"{path}: invalid: {ex.Message}", ex); }
            return (m, e, sc, per,
                CheckpointSections.Section<TrainOptions>(root, "training", path, required: false),
                CheckpointSections.Record<CheckpointProgress>(root, "progress", path, required: false),
                CheckpointSections.Record<DataInfo>(root, "data", path, required: false));
        });
        ModelFiles.ReadWeights(dir, "VQA model", ("", model.Store), (SceneModelFiles.EncoderPrefix, encoder.Network.Store));
        return new LoadedVqa(model, encoder, scenes, perScene, dir, CheckpointFiles.RunDirectoryOf(dir), training, progress, data);
    }
}
