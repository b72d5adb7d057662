using System.Text.Json;
using Recur.Models;
using Recur.Training;

namespace Recur.IO;

/// <summary>A classifier checkpoint read back: the model with its weights, the class names and what the run recorded.</summary>
public sealed record LoadedClassifier(IImageClassifier Model, IReadOnlyList<string> ClassNames, string Directory,
    string? RunDirectory, TrainOptions? Training, CheckpointProgress? Progress, DataInfo? Data)
{
    /// <summary>Path of the checkpoint's <c>state.safetensors</c>.</summary>
    public string StatePath => Path.Combine(Directory, CheckpointFiles.StateFile);
}

/// <summary>
/// Image-classifier checkpoints (<c>recur classify</c>): the same run folder and checkpoint folders as
/// <see cref="CheckpointFiles"/> (<c>best/</c>, <c>latest/</c>, atomic swaps, <c>state.safetensors</c>), with
/// <c>model.safetensors</c> holding PyTorch's names (<c>rnn.*</c> and <c>head.*</c> for a <see cref="SequenceClassifier"/>;
/// <c>conv0.*</c>, ..., <c>fc.*</c>, <c>head.*</c> for a <see cref="ConvNet"/>, whose model section says
/// <c>"architecture": "cnn"</c>) and
/// <c>config.json</c> = <c>{"format": "recur-classifier", "version": 1, "task": "classify", "model": {...},
/// "classes": [...], "training": {...}, "progress": {...}, "data": {...}}</c>.
/// </summary>
public static class ClassifierCheckpoint
{
    /// <summary>The task name in config.json.</summary>
    public const string TaskName = "classify";

    /// <summary>The <c>"format"</c> value of the config.</summary>
    public const string Format = "recur-classifier";

    /// <summary>Writes the model's <c>model.safetensors</c> and <c>config.json</c> into <paramref name="directory"/>.</summary>
    public static void WriteModelFiles(string directory, IImageClassifier model, IReadOnlyList<string> classNames,
        TrainOptions? training, CheckpointProgress? progress, DataInfo? data)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(classNames);
        ModelFiles.WriteWeights(directory, ("", model.Store));
        Training.LegacyModelFiles.WriteConfig(directory, Format, TaskName, w =>
        {
            w.WritePropertyName("model");
            CheckpointSections.WriteAsRuntimeType(w, model.ConfigRecord);
            w.WriteStartArray("classes");
            foreach (var c in classNames) w.WriteStringValue(c);
            w.WriteEndArray();
        }, training, progress, data);
    }

    /// <summary>
    /// Loads a classifier from a run folder (<c>best/</c> or <c>latest/</c> as <paramref name="prefer"/> says) or a
    /// checkpoint folder, checking the config and that the weights are exactly the model's. Any problem is a
    /// <see cref="CheckpointFormatException"/> naming the file.
    /// </summary>
    public static LoadedClassifier Load(string runOrCheckpointDir, CheckpointKind prefer = CheckpointKind.Best)
    {
        string dir = CheckpointFiles.Resolve(runOrCheckpointDir, prefer);
        string path = Path.Combine(dir, CheckpointFiles.ConfigFile);
        var (model, classes, training, progress, data) = ModelFiles.ReadConfig(path, Format, "classifier", root =>
        {
            var m = ReadModel(root, path);
            return (m, ModelFiles.Strings(root, "classes", path, m.Classes),
                CheckpointSections.Section<TrainOptions>(root, "training", path, required: false),
                CheckpointSections.Record<CheckpointProgress>(root, "progress", path, required: false),
                CheckpointSections.Record<DataInfo>(root, "data", path, required: false));
        });
        ModelFiles.ReadWeights(dir, $"classifier ({model.Summary})", ("", model.Store));
        return new LoadedClassifier(model, classes, dir, CheckpointFiles.RunDirectoryOf(dir), training, progress, data);
    }

    /// <summary>The model the config's <c>"model"</c> section describes (zero weights), validated and bounded.</summary>
    private static IImageClassifier ReadModel(JsonElement root, string path)
    {
        bool cnn = root.TryGetProperty("model", out var m) && m.ValueKind == JsonValueKind.Object
            && m.TryGetProperty("architecture", out var a) && a.ValueKind == JsonValueKind.String && a.GetString() == ConvNetConfig.Name;
        try
        {
            if (cnn)
            {
                var config = CheckpointSections.Section<ConvNetConfig>(root, "model", path, required: true)!;
                config.Validate();
                if (config.ParameterCount() > 1L << 30) throw new CheckpointFormatException($"{path}: model config is out of range; the file is corrupted.");
                return new ConvNet(config);
            }
            var rnn = CheckpointSections.Section<SequenceClassifierConfig>(root, "model", path, required: true)!;
            rnn.Validate();
            if (rnn.Hidden > 65536 || rnn.Layers > 256 || rnn.InputSize > 1 << 20 || rnn.Classes > 1 << 20)
                throw new CheckpointFormatException($"{path}: model config is out of range; the file is corrupted.");
            return new SequenceClassifier(rnn);
        }
        catch (ArgumentException e) { throw new CheckpointFormatException($"{path}: model config is invalid: {e.Message}", e); }
    }
}
