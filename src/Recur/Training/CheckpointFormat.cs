using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using Recur.IO;

namespace Recur.Training;

/// <summary>
/// One task's checkpoint format, written once for every task: <c>model.safetensors</c> holds every store of the saved run
/// under its prefix (PyTorch's names), <c>config.json</c> = <c>{"format", "version", "task", the task's sections,
/// "training", "progress", "data"}</c>. Loading resolves a run folder to <c>best/</c> or <c>latest/</c>, checks the format
/// and version, lets the task build its model from its sections (zero weights, validated and bounded), then checks that the
/// weights are exactly the model's: every name, every shape, every value finite. Any problem is a
/// <see cref="CheckpointFormatException"/> naming the file. A task supplies only its sections.
/// </summary>
/// <typeparam name="TSaved">The task's saved run: its model and the tables the model needs.</typeparam>
public abstract class CheckpointFormat<TSaved> where TSaved : SavedRun
{
    /// <summary>A format named <paramref name="format"/> for task <paramref name="task"/>; <paramref name="what"/> names the model in messages.</summary>
    protected CheckpointFormat(string format, string task, string what)
    {
        Format = format;
        Task = task;
        What = what;
    }

    /// <summary>The <c>"format"</c> value of config.json (<c>recur-tagger</c>).</summary>
    public string Format { get; }

    /// <summary>The <c>"task"</c> value of config.json (<c>tag</c>).</summary>
    public string Task { get; }

    /// <summary>The model in messages (<c>tagger</c>).</summary>
    public string What { get; }

    /// <summary>Writes the task's own sections of config.json (the model config, its symbol tables).</summary>
    protected abstract void WriteSections(Utf8JsonWriter w, TSaved run);

    /// <summary>
    /// The run config.json's task sections describe, with a model of zero weights. Throw
    /// <see cref="CheckpointFormatException"/> for what is malformed; an <see cref="ArgumentException"/> from a config's own
    /// validation becomes one. <paramref name="weights"/> is the checkpoint's <c>model.safetensors</c>, already read: a
    /// format whose config could describe an absurdly large model compares their sizes before allocating it.
    /// </summary>
    protected abstract TSaved ReadSections(JsonElement root, string path, SafeTensorsFile weights);

    /// <summary>Writes <c>model.safetensors</c> and <c>config.json</c> of <paramref name="run"/> into <paramref name="directory"/>.</summary>
    public void Write(string directory, TSaved run, TrainOptions? training, CheckpointProgress? progress, DataInfo? data)
    {
        ArgumentNullException.ThrowIfNull(run);
        ModelFiles.WriteWeights(directory, [.. run.Stores]);
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteString("format", Format);
            w.WriteNumber("version", CheckpointFiles.Version);
            w.WriteString("task", Task);
            WriteSections(w, run);
            if (training is not null) { w.WritePropertyName("training"); CheckpointSections.Write(w, training); }
            if (progress is not null) { w.WritePropertyName("progress"); CheckpointSections.Write(w, progress); }
            if (data is not null) { w.WritePropertyName("data"); CheckpointSections.Write(w, data); }
            w.WriteEndObject();
        }
        AtomicFile.WriteAllBytes(Path.Combine(directory, CheckpointFiles.ConfigFile), [.. buffer.WrittenSpan, (byte)'\n']);
    }

    /// <summary>
    /// Loads a run folder (<c>best/</c> or <c>latest/</c> as <paramref name="prefer"/> says) or a checkpoint folder: the
    /// model with its weights and what the run recorded.
    /// </summary>
    public TSaved Load(string runOrCheckpointDir, CheckpointKind prefer = CheckpointKind.Best)
    {
        string dir = CheckpointFiles.Resolve(runOrCheckpointDir, prefer);
        string path = Path.Combine(dir, CheckpointFiles.ConfigFile);
        SafeTensorsFile? weights = null;
        var run = ModelFiles.ReadConfig(path, Format, Task, What, root =>
        {
            var training = CheckpointSections.Section<TrainOptions>(root, "training", path, required: false);
            var progress = CheckpointSections.Record<CheckpointProgress>(root, "progress", path, required: false);
            var data = CheckpointSections.Record<DataInfo>(root, "data", path, required: false);
            TSaved saved;
            try
            {
                training?.Validate();
                weights = ModelFiles.OpenWeights(dir);
                saved = ReadSections(root, path, weights);
            }
            catch (ArgumentException e) { throw new CheckpointFormatException($"{path}: invalid: {e.Message}", e); }
            return saved with { Training = training, Progress = progress, Data = data };
        });
        ModelFiles.ReadWeights(weights!, Path.Combine(dir, CheckpointFiles.ModelFile), What, [.. run.Stores]);
        return run with { Directory = dir, RunDirectory = CheckpointFiles.RunDirectoryOf(dir) };
    }

    /// <summary>Refuses a model config whose size is absurd (a corrupted file), before anything is allocated.</summary>
    protected static void Bound(bool tooLarge, string path)
    {
        if (tooLarge) throw new CheckpointFormatException($"{path}: model config is out of range; the file is corrupted.");
    }

    /// <summary>A whole-number member of the config, or a <see cref="CheckpointFormatException"/>.</summary>
    protected static ulong Whole(JsonElement root, string name, string path)
        => root.TryGetProperty(name, out var e) && e.TryGetUInt64(out ulong v) ? v
            : throw new CheckpointFormatException($"{path}: \"{name}\" should be a whole number.");

    /// <summary>Writes a list of names as a JSON array member.</summary>
    protected static void WriteNames(Utf8JsonWriter w, string name, IEnumerable<string> names)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(names);
        w.WriteStartArray(name);
        foreach (var s in names) w.WriteStringValue(s);
        w.WriteEndArray();
    }
}
