using System.Buffers;
using System.Text.Json;
using Recur.Models;
using Recur.Training;

namespace Recur.IO;

/// <summary>A classifier checkpoint read back: the model with its weights, the class names and what the run recorded.</summary>
public sealed record LoadedClassifier(IImageClassifier Model, IReadOnlyList<string> ClassNames, string Directory,
    string? RunDirectory, TrainOptions? Training, CheckpointProgress? Progress, DataInfo? Data)
{
    /// <summary>Path of the checkpoint's <c>state.safetensors</c>.</summary>
    public string StatePath => Path.Combine(Directory, Checkpoint.StateFile);
}

/// <summary>
/// Image-classifier checkpoints (<c>recur classify</c>): the same run folder and checkpoint folders as
/// <see cref="Checkpoint"/> (<c>best/</c>, <c>latest/</c>, atomic swaps, <c>state.safetensors</c>), with
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
        SafeTensors.Write(Path.Combine(directory, Checkpoint.ModelFile), model.Store.Parameters.Select(p => KeyValuePair.Create(p.Name, p.ToTensor())));
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("format", Format);
            w.WriteNumber("version", Checkpoint.Version);
            w.WriteString("task", TaskName);
            w.WritePropertyName("model");
            JsonSerializer.Serialize(w, model.ConfigRecord, model.ConfigRecord.GetType(), Checkpoint.JsonOptions);
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
        IImageClassifier model;
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
            model = ReadModel(root, path);
            if (!root.TryGetProperty("classes", out var c) || c.ValueKind != JsonValueKind.Array || c.GetArrayLength() != model.Classes
                || c.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.String))
                throw new CheckpointFormatException($"{path}: \"classes\" should list {model.Classes} names.");
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
        var names = model.Store.Parameters.Select(p => p.Name).ToHashSet();
        foreach (var name in weights.Tensors.Keys)
            if (!names.Contains(name)) throw new CheckpointFormatException($"{modelPath}: holds '{name}', which this classifier ({model.Summary}) does not have.");
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

    /// <summary>The model the config's <c>"model"</c> section describes (zero weights), validated and bounded.</summary>
    private static IImageClassifier ReadModel(JsonElement root, string path)
    {
        bool cnn = root.TryGetProperty("model", out var m) && m.ValueKind == JsonValueKind.Object
            && m.TryGetProperty("architecture", out var a) && a.ValueKind == JsonValueKind.String && a.GetString() == ConvNetConfig.Name;
        try
        {
            if (cnn)
            {
                var config = Checkpoint.Section<ConvNetConfig>(root, "model", path, required: true)!;
                config.Validate();
                long weights = 0; int cin = config.InChannels;
                foreach (int ch in config.Channels) { weights += (long)ch * cin * config.Kernel * config.Kernel; cin = ch; }
                weights += (long)config.Channels[^1] * config.GridSize(config.Rows) * config.GridSize(config.Cols) * Math.Max(1, config.Fc) + (long)Math.Max(1, config.Fc) * config.Classes;
                if (weights > 1L << 30) throw new CheckpointFormatException($"{path}: model config is out of range; the file is corrupted.");
                return new ConvNet(config);
            }
            var rnn = Checkpoint.Section<SequenceClassifierConfig>(root, "model", path, required: true)!;
            rnn.Validate();
            if (rnn.Hidden > 65536 || rnn.Layers > 256 || rnn.InputSize > 1 << 20 || rnn.Classes > 1 << 20)
                throw new CheckpointFormatException($"{path}: model config is out of range; the file is corrupted.");
            return new SequenceClassifier(rnn);
        }
        catch (ArgumentException e) { throw new CheckpointFormatException($"{path}: model config is invalid: {e.Message}", e); }
    }
}
