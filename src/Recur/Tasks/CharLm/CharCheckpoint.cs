using System.Buffers;
using System.Text.Json;
using Recur.Data;
using Recur.IO;
using Recur.Models;
using Recur.Nn;
using Recur.Training;

namespace Recur.Tasks.CharLm;

/// <summary>A checkpoint read back: the model with its weights, its vocabulary and what the run recorded.</summary>
public sealed class LoadedCheckpoint
{
    internal LoadedCheckpoint(CharModel model, Vocabulary vocabulary, string directory, string? runDirectory,
        TrainOptions? training, CheckpointProgress? progress, DataInfo? data)
    {
        Model = model; Vocabulary = vocabulary; Directory = directory; RunDirectory = runDirectory;
        Training = training; Progress = progress; Data = data;
    }

    /// <summary>The model, weights loaded, carried state empty.</summary>
    public CharModel Model { get; }

    /// <summary>The model's characters; token <c>i</c> is <c>Vocabulary[i]</c>.</summary>
    public Vocabulary Vocabulary { get; }

    /// <summary>The model's architecture.</summary>
    public CharModelConfig Config => Model.Config;

    /// <summary>The checkpoint folder that was read (holding <c>model.safetensors</c> and <c>config.json</c>).</summary>
    public string Directory { get; }

    /// <summary>The run folder holding it (parent of <c>best/</c> or <c>latest/</c>), or null for a standalone folder.</summary>
    public string? RunDirectory { get; }

    /// <summary>The training options the run used, when recorded.</summary>
    public TrainOptions? Training { get; }

    /// <summary>Where the run stood when this was saved, when recorded.</summary>
    public CheckpointProgress? Progress { get; }

    /// <summary>The text the run trained on, when recorded.</summary>
    public DataInfo? Data { get; }

    /// <summary>Path of the checkpoint's <c>state.safetensors</c> (may not exist for exported models).</summary>
    public string StatePath => Path.Combine(Directory, CheckpointFiles.StateFile);
}

/// <summary>
/// Character-model checkpoints. A run folder holds two checkpoint folders, <c>best/</c> (lowest
/// validation loss) and <c>latest/</c>, plus <c>metrics.jsonl</c> and <c>loss.png</c>. Each checkpoint
/// folder holds:
/// <list type="bullet">
/// <item><c>model.safetensors</c>: the weights as F32 with PyTorch state-dict names
/// (<c>embedding.weight</c>, <c>rnn.weight_ih_l0</c>, ..., <c>head.weight</c>, <c>head.bias</c>), so
/// <c>load_state_dict</c> on a module with <c>nn.Embedding</c>/<c>nn.LSTM</c>/<c>nn.Linear</c> attributes
/// <c>embedding</c>/<c>rnn</c>/<c>head</c> takes them unchanged;</item>
/// <item><c>config.json</c>: <c>{"format": "recur-char-model", "version": 1, "model": {...},
/// "vocabulary": ["\n", " ", ...], "training": {...}, "progress": {...}, "data": {...}}</c>;</item>
/// <item><c>state.safetensors</c>: everything else needed to continue the run bit for bit
/// (<see cref="TrainingState"/>).</item>
/// </list>
/// A checkpoint is written into a fresh hidden folder, each file flushed to disk, and then swapped
/// in by renames (<c>latest → .latest.old</c>, <c>.latest.tmp → latest</c>, delete the old one); the
/// loader falls back to <c>.latest.old</c> if it finds only that, so a process killed at any moment
/// leaves a checkpoint that loads.
/// </summary>
public static class CharCheckpoint
{
    /// <summary>The <c>"format"</c> value of a config file.</summary>
    public const string Format = "recur-char-model";

    /// <summary>The task name written to config.json (a config without one, from before tasks, is this task's).</summary>
    public const string TaskName = "char-lm";

    /// <summary>
    /// Loads a model for sampling, evaluation or analysis from a run folder (uses <c>best/</c>, then
    /// <c>latest/</c>, see <see cref="CheckpointFiles.Resolve"/>) or a checkpoint folder. Validates the config (format,
    /// version, fields in range, vocabulary size) and that the weights file holds exactly the model's
    /// parameters with the right shapes, before allocating the model. Any problem is a
    /// <see cref="CheckpointFormatException"/> naming the file and what is wrong.
    /// </summary>
    public static LoadedCheckpoint Load(string runOrCheckpointDir, CheckpointKind prefer = CheckpointKind.Best)
    {
        string dir = CheckpointFiles.Resolve(runOrCheckpointDir, prefer);
        string configPath = Path.Combine(dir, CheckpointFiles.ConfigFile);
        string modelPath = Path.Combine(dir, CheckpointFiles.ModelFile);
        var cfg = ReadConfig(configPath);
        if (!File.Exists(modelPath)) throw new CheckpointFormatException($"{modelPath}: missing; the checkpoint has a {CheckpointFiles.ConfigFile} but no weights.");
        var weights = SafeTensors.Read(modelPath);
        var model = CheckWeights(weights, cfg.Model, modelPath);
        foreach (var p in model.Store.Parameters) p.CopyFrom(weights.GetTensor(p.Name));
        foreach (float v in model.Store.Values)
            if (!float.IsFinite(v)) throw new CheckpointFormatException($"{modelPath}: holds NaN or infinite weights; the model cannot be used.");
        return new LoadedCheckpoint(model, cfg.Vocabulary, dir, CheckpointFiles.RunDirectoryOf(dir), cfg.Training, cfg.Progress, cfg.Data);
    }

    /// <summary>
    /// Writes a checkpoint folder at <paramref name="directory"/> (e.g. <c>runs/x/latest</c>) atomically:
    /// the files go to a sibling temporary folder that is then renamed into place (see the class remarks).
    /// <paramref name="state"/> may be null for an exported model without training state.
    /// </summary>
    public static void Save(string directory, CharModel model, Vocabulary vocabulary, TrainOptions? training = null,
        CheckpointProgress? progress = null, DataInfo? data = null, TrainingState? state = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(vocabulary);
        if (vocabulary.Count != model.Config.VocabSize)
            throw new ArgumentException($"vocabulary has {vocabulary.Count} characters but the model expects {model.Config.VocabSize}.", nameof(vocabulary));
        CheckpointFolder.Write(directory, tmp =>
        {
            if (state is not null) TrainingState.Write(Path.Combine(tmp, CheckpointFiles.StateFile), state);
            WriteModelFiles(tmp, model, vocabulary, training, progress, data);
        });
    }

    /// <summary>
    /// Writes a character model's <c>model.safetensors</c> and <c>config.json</c> (task <c>char-lm</c>) into
    /// <paramref name="directory"/> (a checkpoint folder being built).
    /// </summary>
    public static void WriteModelFiles(string directory, CharModel model, Vocabulary vocabulary, TrainOptions? training = null,
        CheckpointProgress? progress = null, DataInfo? data = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(vocabulary);
        SafeTensors.Write(Path.Combine(directory, CheckpointFiles.ModelFile), model.Store.Parameters.Select(p => KeyValuePair.Create(p.Name, p.ToTensor())));
        AtomicFile.WriteAllBytes(Path.Combine(directory, CheckpointFiles.ConfigFile), ConfigBytes(model.Config, vocabulary, training, progress, data));
    }

    internal sealed record ConfigContent(CharModelConfig Model, Vocabulary Vocabulary, TrainOptions? Training, CheckpointProgress? Progress, DataInfo? Data);

    internal static byte[] ConfigBytes(CharModelConfig config, Vocabulary vocabulary, TrainOptions? training, CheckpointProgress? progress, DataInfo? data)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteString("format", Format);
            w.WriteNumber("version", CheckpointFiles.Version);
            w.WriteString("task", TaskName);
            w.WritePropertyName("model");
            CheckpointSections.Write(w, config);
            w.WriteStartArray("vocabulary");
            foreach (var r in vocabulary.Runes) w.WriteStringValue(r.ToString());
            w.WriteEndArray();
            if (training is not null)
            {
                w.WritePropertyName("training");
                CheckpointSections.Write(w, training);
            }
            if (progress is not null)
            {
                w.WritePropertyName("progress");
                CheckpointSections.Write(w, progress);
            }
            if (data is not null)
            {
                w.WritePropertyName("data");
                CheckpointSections.Write(w, data);
            }
            w.WriteEndObject();
        }
        var bytes = buffer.WrittenSpan.ToArray();
        return [.. bytes, (byte)'\n'];
    }

    /// <summary>Reads and validates a <c>config.json</c>.</summary>
    internal static ConfigContent ReadConfig(string path)
    {
        return ParseConfig(CheckpointFiles.ReadConfigBytes(path), path);
    }

    internal static ConfigContent ParseConfig(ReadOnlySpan<byte> bytes, string path)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(bytes.ToArray(), new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException e)
        {
            throw CheckpointFormatException.NotJson(path, e);
        }
        using (doc)
        {
            try { return ParseConfig(doc.RootElement, path); }
            catch (InvalidOperationException e) // e.g. a string escape that is not valid UTF-16
            {
                throw new CheckpointFormatException($"{path}: malformed JSON value ({CheckpointFormatException.OneLine(e.Message, 160)}); the file is corrupted.", e);
            }
        }
    }

    private static ConfigContent ParseConfig(JsonElement root, string path)
    {
        {
            if (root.ValueKind != JsonValueKind.Object) throw new CheckpointFormatException($"{path}: expected a JSON object, found {root.ValueKind}.");
            if (root.TryGetProperty("task", out var task) && (task.ValueKind != JsonValueKind.String || task.GetString() != TaskName))
                throw new CheckpointFormatException($"{path}: a checkpoint of the {(task.ValueKind == JsonValueKind.String ? task.GetString() : "(unnamed)")} task, not a character model.");
            if (!root.TryGetProperty("format", out var fmt) || fmt.ValueKind != JsonValueKind.String || fmt.GetString() != Format)
                throw new CheckpointFormatException($"{path}: not a Recur character-model config (\"format\" should be \"{Format}\").");
            if (!root.TryGetProperty("version", out var ver) || ver.ValueKind != JsonValueKind.Number || !ver.TryGetInt32(out int version))
                throw new CheckpointFormatException($"{path}: \"version\" is missing or not a whole number.");
            if (version != CheckpointFiles.Version)
                throw new CheckpointFormatException($"{path}: checkpoint version {version} is not supported (this Recur reads version {CheckpointFiles.Version}).");
            var model = CheckpointSections.Section<CharModelConfig>(root, "model", path, required: true)!;
            foreach (string field in new[] { "cell", "vocab_size", "embed", "hidden", "layers" })
                if (!root.GetProperty("model").TryGetProperty(field, out _))
                    throw new CheckpointFormatException($"{path}: \"model\" has no \"{field}\".");
            try { model.Validate(); }
            catch (ArgumentException e) { throw new CheckpointFormatException($"{path}: model config is invalid: {e.Message}", e); }
            if (model.Hidden > 65536 || model.Layers > 256 || model.Embed > 65536 || model.VocabSize > 0x110000)
                throw new CheckpointFormatException($"{path}: model config is out of range (hidden {model.Hidden}, layers {model.Layers}, embed {model.Embed}, vocab_size {model.VocabSize}); the file is corrupted.");
            if (!root.TryGetProperty("vocabulary", out var vocabElement))
                throw new CheckpointFormatException($"{path}: has no \"vocabulary\".");
            Vocabulary vocab;
            try { vocab = Vocabulary.FromJson(vocabElement.GetRawText()); }
            catch (FormatException e) { throw new CheckpointFormatException($"{path}: vocabulary is invalid: {CheckpointFormatException.OneLine(e.Message, 200)}", e); }
            if (vocab.Count != model.VocabSize)
                throw new CheckpointFormatException($"{path}: vocabulary lists {vocab.Count} characters but model.vocab_size is {model.VocabSize}.");
            var training = CheckpointSections.Section<TrainOptions>(root, "training", path, required: false);
            if (training is not null)
            {
                try { training.Validate(); }
                catch (ArgumentException e) { throw new CheckpointFormatException($"{path}: training options are invalid: {e.Message}", e); }
            }
            var progress = CheckpointSections.Record<CheckpointProgress>(root, "progress", path, required: false);
            var data = CheckpointSections.Record<DataInfo>(root, "data", path, required: false);
            return new ConfigContent(model, vocab, training, progress, data);
        }
    }

    /// <summary>Number of scalars a model with <paramref name="c"/> holds (long, so a corrupted config cannot overflow).</summary>
    internal static long ParameterCount(CharModelConfig c)
    {
        if (c.IsBlockModel)
        {
            // Blocks count their own parameters: build the model once its size is known to be sane.
            long rough = (long)c.Hidden * c.Hidden * c.Layers * Math.Max(c.Expand, 1) * 16 + (long)c.Context * c.Hidden + (long)c.VocabSize * c.Hidden * 2;
            if (rough > 4_000_000_000L) throw new CheckpointFormatException($"the config ({c.Cell}, hidden {c.Hidden}, layers {c.Layers}) describes a model too large to load.");
            return new CharModel(c).Store.Count;
        }
        var cell = c.RecurrentCell;
        long h = c.Hidden, v = c.VocabSize, e = c.Embed;
        long input = e > 0 ? e : v;
        long n = e > 0 ? v * e : 0;
        for (int l = 0; l < c.Layers; l++)
        {
            n += cell.ParameterCount((int)(l == 0 ? input : h), c.Hidden, bias: true);
            if (c.Highway && Recurrent.HighwayApplies(l, (int)input, c.Hidden)) n += HighwayParameters.Count(c.Hidden, bias: true);
        }
        return n + v * h + v;
    }

    private static CharModel CheckWeights(SafeTensorsFile file, CharModelConfig config, string path)
    {
        long have = 0;
        foreach (var t in file.Tensors.Values) have += t.Length;
        long want = ParameterCount(config);
        if (have != want)
            throw new CheckpointFormatException(
                $"{path}: holds {have} weights but the config ({config.Cell}, hidden {config.Hidden}, layers {config.Layers}, embed {config.Embed}, {(config.Highway ? "highway, " : "")}" +
                $"vocabulary {config.VocabSize}) needs {want}; the weights do not belong to this config.");
        // The count matches, so the model's size is what the file holds: safe to allocate.
        var model = new CharModel(config);
        var expected = model.Store.Parameters.ToDictionary(p => p.Name, p => p.Shape, StringComparer.Ordinal);
        foreach (string name in file.Names)
        {
            if (file.Integers.ContainsKey(name)) throw new CheckpointFormatException($"{path}: entry '{name}' is an integer array; expected float weights only.");
            if (!expected.TryGetValue(name, out var shape))
                throw new CheckpointFormatException($"{path}: unexpected tensor '{name}'; a {config.Cell} model has: {string.Join(", ", expected.Keys)}.");
            var t = file.Tensors[name];
            if (!t.HasShape(shape))
                throw new CheckpointFormatException($"{path}: tensor '{name}' has shape {t.ShapeString} but the config needs {Tensor.FormatShape(shape)}.");
        }
        foreach (string name in expected.Keys)
            if (!file.Tensors.ContainsKey(name)) throw new CheckpointFormatException($"{path}: tensor '{name}' is missing.");
        return model;
    }
}
