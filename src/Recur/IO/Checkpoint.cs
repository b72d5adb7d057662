using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Recur.Data;
using Recur.Models;
using Recur.Nn;
using Recur.Training;

namespace Recur.IO;

/// <summary>Which checkpoint of a run folder to open.</summary>
public enum CheckpointKind
{
    /// <summary><c>best/</c> (lowest validation loss), falling back to <c>latest/</c> when there is none.</summary>
    Best,

    /// <summary><c>latest/</c> (the most recent save; what <c>--resume</c> continues from).</summary>
    Latest,
}

/// <summary>Where a checkpoint stands in its run: written to <c>config.json</c> under <c>"progress"</c>.</summary>
/// <param name="Iteration">Optimizer updates done.</param>
/// <param name="Epoch">Epochs done, fractional (<c>epoch + batch / batches_per_epoch</c>).</param>
/// <param name="TrainLoss">Mean training loss (nats/char) since the previous evaluation, if any.</param>
/// <param name="ValLoss">Validation loss (nats/char) of these weights, if evaluated.</param>
/// <param name="BestValLoss">Lowest validation loss of the run so far, if any.</param>
/// <param name="ElapsedSeconds">Training wall-clock time so far, summed over resumes.</param>
public sealed record CheckpointProgress(long Iteration, double Epoch, double? TrainLoss, double? ValLoss, double? BestValLoss, double ElapsedSeconds);

/// <summary>What a run was trained on: written to <c>config.json</c> under <c>"data"</c>, checked on resume.</summary>
/// <param name="Source">A path or <c>embedded:tinyshakespeare.txt</c>.</param>
/// <param name="Characters">Number of characters (tokens) in the whole text.</param>
/// <param name="Checksum">FNV-1a 64 of the token ids, as 16 hex digits (see <see cref="Checkpoint.TokenChecksum"/>).</param>
public sealed record DataInfo(string Source, long Characters, string Checksum);

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
    public string StatePath => Path.Combine(Directory, Checkpoint.StateFile);
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
public static class Checkpoint
{
    /// <summary>The weights file name.</summary>
    public const string ModelFile = "model.safetensors";

    /// <summary>The configuration file name.</summary>
    public const string ConfigFile = "config.json";

    /// <summary>The training-state file name.</summary>
    public const string StateFile = "state.safetensors";

    /// <summary>The <c>"format"</c> value of a config file.</summary>
    public const string Format = "recur-char-model";

    /// <summary>The task name written to config.json (a config without one, from before tasks, is this task's).</summary>
    public const string TaskName = "char-lm";

    /// <summary>The config version this code writes and reads.</summary>
    public const int Version = 1;

    /// <summary>Subfolder name of a checkpoint kind: <c>best</c> or <c>latest</c>.</summary>
    public static string FolderName(CheckpointKind kind) => kind == CheckpointKind.Best ? "best" : "latest";

    /// <summary>JSON settings for the option records: snake_case names, no indentation games; the shapes come from <see cref="CheckpointJson"/>.</summary>
    internal static JsonSerializerOptions JsonOptions { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.Strict,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip,
        TypeInfoResolver = CheckpointJson.Default,  // compile-time metadata: no reflection
    };

    /// <summary>
    /// The checkpoint folder that <paramref name="path"/> names: the folder itself when it holds a
    /// <c>config.json</c>; for a run folder, <c>best/</c> or <c>latest/</c> as <paramref name="prefer"/>
    /// says, falling back to the other and then to a half-swapped <c>.best.old</c>/<c>.latest.old</c>.
    /// Throws <see cref="CheckpointFormatException"/> (or <see cref="DirectoryNotFoundException"/>) with
    /// what was looked for.
    /// </summary>
    public static string Resolve(string path, CheckpointKind prefer = CheckpointKind.Best)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (File.Exists(path))
        {
            string name = Path.GetFileName(path);
            if (name is ModelFile or ConfigFile or StateFile) path = Path.GetDirectoryName(Path.GetFullPath(path))!;
            else throw new CheckpointFormatException($"{path}: is a file; give a run folder (holding best/ or latest/) or a checkpoint folder (holding {ConfigFile} and {ModelFile}).");
        }
        if (!System.IO.Directory.Exists(path))
            throw new DirectoryNotFoundException($"{path}: no such run or checkpoint folder.");
        if (File.Exists(Path.Combine(path, ConfigFile)) || File.Exists(Path.Combine(path, ModelFile))) return path;
        var order = prefer == CheckpointKind.Best ? new[] { "best", "latest" } : ["latest", "best"];
        foreach (string n in order)
        {
            string d = Path.Combine(path, n);
            if (File.Exists(Path.Combine(d, ConfigFile))) return d;
        }
        foreach (string n in order)
        {
            string d = Path.Combine(path, "." + n + ".old");
            if (File.Exists(Path.Combine(d, ConfigFile))) return d;
        }
        throw new CheckpointFormatException(
            $"{path}: not a checkpoint: no {ConfigFile} there, and no best/ or latest/ subfolder holding one. " +
            "Give the --out folder of a 'recur train' run, or one of its best/ or latest/ folders.");
    }

    /// <summary>
    /// Loads a model for sampling, evaluation or analysis from a run folder (uses <c>best/</c>, then
    /// <c>latest/</c>, see <see cref="Resolve"/>) or a checkpoint folder. Validates the config (format,
    /// version, fields in range, vocabulary size) and that the weights file holds exactly the model's
    /// parameters with the right shapes, before allocating the model. Any problem is a
    /// <see cref="CheckpointFormatException"/> naming the file and what is wrong.
    /// </summary>
    public static LoadedCheckpoint Load(string runOrCheckpointDir, CheckpointKind prefer = CheckpointKind.Best)
    {
        string dir = Resolve(runOrCheckpointDir, prefer);
        string configPath = Path.Combine(dir, ConfigFile);
        string modelPath = Path.Combine(dir, ModelFile);
        var cfg = ReadConfig(configPath);
        if (!File.Exists(modelPath)) throw new CheckpointFormatException($"{modelPath}: missing; the checkpoint has a {ConfigFile} but no weights.");
        var weights = SafeTensors.Read(modelPath);
        var model = CheckWeights(weights, cfg.Model, modelPath);
        foreach (var p in model.Store.Parameters) p.CopyFrom(weights.GetTensor(p.Name));
        foreach (float v in model.Store.Values)
            if (!float.IsFinite(v)) throw new CheckpointFormatException($"{modelPath}: holds NaN or infinite weights; the model cannot be used.");
        return new LoadedCheckpoint(model, cfg.Vocabulary, dir, RunDirectoryOf(dir), cfg.Training, cfg.Progress, cfg.Data);
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
            if (state is not null) TrainingState.Write(Path.Combine(tmp, StateFile), state);
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
        SafeTensors.Write(Path.Combine(directory, ModelFile), model.Store.Parameters.Select(p => KeyValuePair.Create(p.Name, p.ToTensor())));
        AtomicFile.WriteAllBytes(Path.Combine(directory, ConfigFile), ConfigBytes(model.Config, vocabulary, training, progress, data));
    }

    /// <summary>
    /// The task of the checkpoint <paramref name="runOrCheckpointDir"/> names (resolved as <see cref="Load"/> does):
    /// its config.json's <c>"task"</c>, or <see cref="TaskName"/> for a character-model config written before
    /// tasks existed. Throws <see cref="CheckpointFormatException"/> when the config cannot be read.
    /// </summary>
    public static string TaskOf(string runOrCheckpointDir, CheckpointKind prefer = CheckpointKind.Best)
    {
        string path = Path.Combine(Resolve(runOrCheckpointDir, prefer), ConfigFile);
        byte[] bytes = ReadConfigBytes(path);
        try
        {
            using var doc = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = 16 });
            var root = doc.RootElement;
            if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("task", out var t) && t.ValueKind == JsonValueKind.String) return t.GetString()!;
            return TaskName;
        }
        catch (JsonException e) { throw CheckpointFormatException.NotJson(path, e); }
    }

    /// <summary>
    /// FNV-1a 64 over the token ids (each as 4 little-endian bytes), as 16 lowercase hex digits: a cheap
    /// fingerprint that tells a resumed run whether it got the same text.
    /// </summary>
    public static string TokenChecksum(ReadOnlySpan<int> tokens)
    {
        ulong h = 14695981039346656037UL;
        foreach (int t in tokens)
        {
            uint u = (uint)t;
            for (int k = 0; k < 4; k++) { h ^= (byte)(u >> (8 * k)); h *= 1099511628211UL; }
        }
        return h.ToString("x16", System.Globalization.CultureInfo.InvariantCulture);
    }

    internal sealed record ConfigContent(CharModelConfig Model, Vocabulary Vocabulary, TrainOptions? Training, CheckpointProgress? Progress, DataInfo? Data);

    internal static byte[] ConfigBytes(CharModelConfig config, Vocabulary vocabulary, TrainOptions? training, CheckpointProgress? progress, DataInfo? data)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteString("format", Format);
            w.WriteNumber("version", Version);
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
        return ParseConfig(ReadConfigBytes(path), path);
    }

    /// <summary>The bytes of a <c>config.json</c>, refusing a missing, unreadable or absurdly large file with one message.</summary>
    internal static byte[] ReadConfigBytes(string path)
    {
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists) throw new CheckpointFormatException($"{path}: missing.");
            if (info.Length > 64L << 20) throw new CheckpointFormatException($"{path}: {info.Length} bytes is far too large for a checkpoint config; the file is corrupted.");
            return File.ReadAllBytes(path);
        }
        catch (IOException e) when (e is not FileNotFoundException) { throw new CheckpointFormatException($"{path}: cannot read: {e.Message}", e); }
    }

    /// <summary>The run folder holding checkpoint folder <paramref name="dir"/> (the parent of best/, latest/ or a half-swapped .old), or null.</summary>
    internal static string? RunDirectoryOf(string dir)
    {
        string full = Path.GetFullPath(dir).TrimEnd(Path.DirectorySeparatorChar);
        return Path.GetFileName(full) is "best" or "latest" or ".best.old" or ".latest.old" ? Path.GetDirectoryName(full) : null;
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
            if (version != Version)
                throw new CheckpointFormatException($"{path}: checkpoint version {version} is not supported (this Recur reads version {Version}).");
            var model = Section<CharModelConfig>(root, "model", path, required: true)!;
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
            var training = Section<TrainOptions>(root, "training", path, required: false);
            if (training is not null)
            {
                try { training.Validate(); }
                catch (ArgumentException e) { throw new CheckpointFormatException($"{path}: training options are invalid: {e.Message}", e); }
            }
            var progress = Record<CheckpointProgress>(root, "progress", path, required: false);
            var data = Record<DataInfo>(root, "data", path, required: false);
            return new ConfigContent(model, vocab, training, progress, data);
        }
    }

    /// <summary>The section <paramref name="name"/> of a config (<see cref="CheckpointSections.Read{T}"/>): members it lacks keep <typeparamref name="T"/>'s defaults.</summary>
    internal static T? Section<T>(JsonElement root, string name, string path, bool required) where T : class, new()
        => CheckpointSections.Read(root, name, path, required, () => new T());

    /// <summary>A section whose every member is always written (a positional record): read as it is.</summary>
    internal static T? Record<T>(JsonElement root, string name, string path, bool required) where T : class
        => CheckpointSections.Read<T>(root, name, path, required, defaults: null);

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
