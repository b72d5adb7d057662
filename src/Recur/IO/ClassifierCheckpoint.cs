using System.Buffers;
using System.Text.Json;
using Recur.Models;
using Recur.Training;

namespace Recur.IO;

/// <summary>A classifier checkpoint read back: the model with its weights, the class names and what the run recorded.</summary>
public sealed record LoadedClassifier(SequenceClassifier Model, IReadOnlyList<string> ClassNames, string Directory,
    string? RunDirectory, TrainOptions? Training, CheckpointProgress? Progress, DataInfo? Data)
{
    /// <summary>Path of the checkpoint's <c>state.safetensors</c>.</summary>
    public string StatePath => Path.Combine(Directory, Checkpoint.StateFile);
}

/// <summary>
/// Sequence-classifier checkpoints (<c>recur classify</c>): the same run folder and checkpoint folders as
/// <see cref="Checkpoint"/> (<c>best/</c>, <c>latest/</c>, atomic swaps, <c>state.safetensors</c>), with
/// <c>model.safetensors</c> holding <c>rnn.*</c> and <c>head.*</c> under PyTorch's names and
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
    public static void WriteModelFiles(string directory, SequenceClassifier model, IReadOnlyList<string> classNames,
        TrainOptions? training, CheckpointProgress? progress, DataInfo? data)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(classNames);
        SafeTensors.Write(Path.Combine(directory, Checkpoint.ModelFile), model.Store.Parameters.Select(p => KeyValuePair.Create(p.Name, p.ToTensor())));
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("format", Format);
            w.WriteNumber("version", Checkpoint.Version);
            w.WriteString("task", TaskName);
            w.WritePropertyName("model");
            JsonSerializer.Serialize(w, model.Config, Checkpoint.JsonOptions);
            w.WriteStartArray("classes");
            foreach (var c in classNames) w.WriteStringValue(c);
            w.WriteEndArray();
            if (training is not null) { w.WritePropertyName("training"); JsonSerializer.Serialize(w, training, Checkpoint.JsonOptions); }
            if (progress is not null) { w.WritePropertyName("progress"); JsonSerializer.Serialize(w, progress, Checkpoint.JsonOptions); }
            if (data is not null) { w.WritePropertyName("data"); JsonSerializer.Serialize(w, data, Checkpoint.JsonOptions); }
            w.WriteEndObject();
        }
        AtomicFile.WriteAllBytes(Path.Combine(directory, Checkpoint.ConfigFile), [.. buffer.WrittenSpan, (byte)'\n']);
    }

    /// <summary>
    /// Loads a classifier from a run folder (<c>best/</c> or <c>latest/</c> as <paramref name="prefer"/> says) or a
    /// checkpoint folder, checking the config and that the weights are exactly the model's. Any problem is a
    /// <see cref="CheckpointFormatException"/> naming the file.
    /// </summary>
    public static LoadedClassifier Load(string runOrCheckpointDir, CheckpointKind prefer = CheckpointKind.Best)
    {
        string dir = Checkpoint.Resolve(runOrCheckpointDir, prefer);
        string path = Path.Combine(dir, Checkpoint.ConfigFile);
        byte[] bytes = Checkpoint.ReadConfigBytes(path);
        SequenceClassifierConfig config;
        string[] classes;
        TrainOptions? training;
        CheckpointProgress? progress;
        DataInfo? data;
        try
        {
            using var doc = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = 16 });
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("format", out var f) || f.ValueKind != JsonValueKind.String || f.GetString() != Format)
                throw new CheckpointFormatException($"{path}: not a Recur classifier config (\"format\" should be \"{Format}\").");
            if (!root.TryGetProperty("version", out var v) || v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out int version) || version != Checkpoint.Version)
                throw new CheckpointFormatException($"{path}: \"version\" should be {Checkpoint.Version}.");
            config = Checkpoint.Section<SequenceClassifierConfig>(root, "model", path, required: true)!;
            try { config.Validate(); }
            catch (ArgumentException e) { throw new CheckpointFormatException($"{path}: model config is invalid: {e.Message}", e); }
            if (config.Hidden > 65536 || config.Layers > 256 || config.InputSize > 1 << 20 || config.Classes > 1 << 20)
                throw new CheckpointFormatException($"{path}: model config is out of range; the file is corrupted.");
            if (!root.TryGetProperty("classes", out var c) || c.ValueKind != JsonValueKind.Array || c.GetArrayLength() != config.Classes
                || c.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.String))
                throw new CheckpointFormatException($"{path}: \"classes\" should list {config.Classes} names.");
            classes = c.EnumerateArray().Select(e => e.GetString()!).ToArray();
            training = Checkpoint.Section<TrainOptions>(root, "training", path, required: false);
            progress = Checkpoint.Section<CheckpointProgress>(root, "progress", path, required: false);
            data = Checkpoint.Section<DataInfo>(root, "data", path, required: false);
        }
        catch (JsonException e) { throw new CheckpointFormatException($"{path}: not valid JSON ({e.Message}); the file is truncated or corrupted.", e); }
        catch (InvalidOperationException e) { throw new CheckpointFormatException($"{path}: malformed JSON value ({e.Message}).", e); }

        string modelPath = Path.Combine(dir, Checkpoint.ModelFile);
        if (!File.Exists(modelPath)) throw new CheckpointFormatException($"{modelPath}: missing; the checkpoint has a {Checkpoint.ConfigFile} but no weights.");
        var weights = SafeTensors.Read(modelPath);
        var model = new SequenceClassifier(config);
        var names = model.Store.Parameters.Select(p => p.Name).ToHashSet();
        foreach (var name in weights.Tensors.Keys)
            if (!names.Contains(name)) throw new CheckpointFormatException($"{modelPath}: holds '{name}', which this {config.Cell} classifier does not have.");
        foreach (var p in model.Store.Parameters)
        {
            if (!weights.Tensors.TryGetValue(p.Name, out var t)) throw new CheckpointFormatException($"{modelPath}: '{p.Name}' is missing.");
            if (!t.HasShape(p.Shape)) throw new CheckpointFormatException($"{modelPath}: '{p.Name}' has shape {t.ShapeString}, expected {Tensor.FormatShape(p.Shape)}.");
            p.CopyFrom(t);
        }
        foreach (float x in model.Store.Values)
            if (!float.IsFinite(x)) throw new CheckpointFormatException($"{modelPath}: holds NaN or infinite weights; the model cannot be used.");
        return new LoadedClassifier(model, classes, dir, Checkpoint.RunDirectoryOf(dir), training, progress, data);
    }
}
