using System.Text.Json;
using Recur.Data.Dialog;
using Recur.IO;
using Recur.Models.Captioning;
using Recur.Models.Dialog;
using Recur.Nn;
using Recur.Tasks.Scenes;
using Recur.Training;

namespace Recur.Tasks.Dialog;

/// <summary>
/// A dialog model as its checkpoint holds it: the model and its frozen encoder, the scenes, and the dialogs drawn about them
/// (rounds per dialog, dialogs per scene).
/// </summary>
public sealed record LoadedDialog(DialogModel Model, SceneEncoder Encoder, Data.Scenes.SceneOptions Scenes, int Rounds, int DialogsPerScene) : SavedRun
{
    /// <inheritdoc/>
    public override IReadOnlyList<(string Prefix, ParameterStore Store)> Stores
        => [("", Model.Store), (SceneModelFiles.EncoderPrefix, Encoder.Network.Store)];
}

/// <summary>
/// Dialog checkpoints (<c>recur dialog train</c>), self-contained as VQA's: <c>model.safetensors</c> holds the model and the
/// encoder under <c>encoder.</c>; config.json's sections <c>"model"</c>, <c>"questions"</c>, <c>"answers"</c>, <c>"rounds"</c>,
/// <c>"dialogs_per_scene"</c> and the scene sections (<see cref="SceneModelFiles"/>).
/// </summary>
public sealed class DialogCheckpoint() : CheckpointFormat<LoadedDialog>(FormatName, TaskName, "dialog")
{
    /// <summary>The <c>"format"</c> value.</summary>
    public const string FormatName = "recur-dialog";

    /// <summary>The task name.</summary>
    public const string TaskName = "dialog";

    /// <summary>The format.</summary>
    public static DialogCheckpoint Instance { get; } = new();

    /// <inheritdoc/>
    protected override void WriteSections(Utf8JsonWriter w, LoadedDialog run)
    {
        w.WritePropertyName("model");
        CheckpointSections.Write(w, run.Model.Config);
        WriteNames(w, "questions", DialogDataset.QuestionVocabulary().Words);
        WriteNames(w, "answers", DialogWords.Answers);
        w.WriteNumber("rounds", run.Rounds);
        w.WriteNumber("dialogs_per_scene", run.DialogsPerScene);
        SceneModelFiles.Write(w, run.Encoder, run.Scenes);
    }

    /// <inheritdoc/>
    protected override LoadedDialog ReadSections(JsonElement root, string path, SafeTensorsFile weights)
    {
        var config = CheckpointSections.Section<DialogConfig>(root, "model", path, required: true)!;
        var (encoder, scenes) = SceneModelFiles.Read(root, path);
        if (!ModelFiles.Strings(root, "questions", path).SequenceEqual(DialogDataset.QuestionVocabulary().Words)
            || !ModelFiles.Strings(root, "answers", path).SequenceEqual(DialogWords.Answers))
            throw new CheckpointFormatException($"{path}: its question words or answers are not this Recur's; the model cannot read these dialogs.");
        int rounds = Whole(root, "rounds", path, 64), perScene = Whole(root, "dialogs_per_scene", path, 100);
        try { config.Validate(); }
        catch (ArgumentException e) { throw new CheckpointFormatException($"{path}: invalid model: {e.Message}", e); }
        const long Most = 1L << 28;
        Bound((long)config.Hidden * config.Hidden > Most || (long)config.Fusion * config.Answers > Most || (long)config.Vocab * config.Embed > Most, path);
        if (encoder.FeatureDim != config.FeatureDim)
            throw new CheckpointFormatException(
                $"{path}: the encoder gives {encoder.FeatureDim} features per location but the model reads {config.FeatureDim}.");
        return new LoadedDialog(new DialogModel(config), encoder, scenes, rounds, perScene);
    }

    private static int Whole(JsonElement root, string name, string path, int max)
    {
        if (!root.TryGetProperty(name, out var e) || !e.TryGetInt32(out int v) || v < 1 || v > max)
            throw new CheckpointFormatException($"{path}: \"{name}\" should be a whole number in [1, {max}].");
        return v;
    }
}
