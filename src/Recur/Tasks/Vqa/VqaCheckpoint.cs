using System.Text.Json;
using Recur.Data.Scenes;
using Recur.IO;
using Recur.Models.Captioning;
using Recur.Models.Vqa;
using Recur.Nn;
using Recur.Tasks.Scenes;
using Recur.Training;

namespace Recur.Tasks.Vqa;

/// <summary>A VQA model as its checkpoint holds it: the model and its frozen encoder, the scenes and the questions per scene it was trained on.</summary>
public sealed record LoadedVqa(VqaModel Model, SceneEncoder Encoder, SceneOptions Scenes, int QuestionsPerScene) : SavedRun
{
    /// <inheritdoc/>
    public override IReadOnlyList<(string Prefix, ParameterStore Store)> Stores
        => [("", Model.Store), (SceneModelFiles.EncoderPrefix, Encoder.Network.Store)];
}

/// <summary>
/// VQA checkpoints (<c>recur vqa train</c>), self-contained as the captioner's: <c>model.safetensors</c> holds the model
/// (<c>embed</c>, <c>rnn</c>, <c>att</c>, <c>fuse_q</c>, <c>fuse_z</c>, <c>head</c>) and the encoder under <c>encoder.</c>;
/// config.json's sections <c>"model"</c>, <c>"questions"</c>, <c>"answers"</c>, <c>"questions_per_scene"</c> and the scene
/// sections (<see cref="SceneModelFiles"/>).
/// </summary>
public sealed class VqaCheckpoint() : CheckpointFormat<LoadedVqa>(FormatName, TaskName, "VQA")
{
    /// <summary>The <c>"format"</c> value.</summary>
    public const string FormatName = "recur-vqa";

    /// <summary>The task name.</summary>
    public const string TaskName = "vqa";

    /// <summary>The format.</summary>
    public static VqaCheckpoint Instance { get; } = new();

    /// <inheritdoc/>
    protected override void WriteSections(Utf8JsonWriter w, LoadedVqa run)
    {
        w.WritePropertyName("model");
        CheckpointSections.Write(w, run.Model.Config);
        WriteNames(w, "questions", VqaDataset.QuestionVocabulary().Words);
        WriteNames(w, "answers", SceneQuestions.Answers);
        w.WriteNumber("questions_per_scene", run.QuestionsPerScene);
        SceneModelFiles.Write(w, run.Encoder, run.Scenes);
    }

    /// <inheritdoc/>
    protected override LoadedVqa ReadSections(JsonElement root, string path, SafeTensorsFile weights)
    {
        var config = CheckpointSections.Section<VqaConfig>(root, "model", path, required: true)!;
        var (encoder, scenes) = SceneModelFiles.Read(root, path);
        if (!ModelFiles.Strings(root, "questions", path).SequenceEqual(VqaDataset.QuestionVocabulary().Words)
            || !ModelFiles.Strings(root, "answers", path).SequenceEqual(SceneQuestions.Answers))
            throw new CheckpointFormatException($"{path}: its question words or answers are not this Recur's; the model cannot read these questions.");
        if (!root.TryGetProperty("questions_per_scene", out var q) || !q.TryGetInt32(out int per) || per is < 1 or > 1000)
            throw new CheckpointFormatException($"{path}: \"questions_per_scene\" should be a whole number in [1, 1000].");
        config.Validate();
        Bound((long)config.Hidden * config.Hidden > 1L << 28 || (long)config.Fusion * config.Answers > 1L << 28, path);
        var model = new VqaModel(config);
        if (encoder.FeatureDim != config.FeatureDim)
            throw new CheckpointFormatException($"{path}: the encoder gives {encoder.FeatureDim} features per location "
                + $"but the model reads {config.FeatureDim}.");
        return new LoadedVqa(model, encoder, scenes, per);
    }
}
