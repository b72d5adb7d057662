using System.Text.Json;
using Recur.Data;
using Recur.IO;
using Recur.Models;
using Recur.Nn;
using Recur.Training;

namespace Recur.Tasks.CharLm;

/// <summary>A character model as its checkpoint holds it: the model and its vocabulary (token <c>i</c> is <c>Vocabulary[i]</c>).</summary>
public sealed record LoadedCheckpoint(CharModel Model, Vocabulary Vocabulary) : SavedRun
{
    /// <summary>The model's architecture.</summary>
    public CharModelConfig Config => Model.Config;

    /// <inheritdoc/>
    public override IReadOnlyList<(string Prefix, ParameterStore Store)> Stores => [("", Model.Store)];
}

/// <summary>
/// Character-model checkpoints: <c>model.safetensors</c> with PyTorch's state-dict names (<c>embedding.weight</c>,
/// <c>rnn.weight_ih_l0</c>, ..., <c>head.weight</c>, <c>head.bias</c>), so <c>load_state_dict</c> on a module with
/// <c>nn.Embedding</c>/<c>nn.LSTM</c>/<c>nn.Linear</c> attributes <c>embedding</c>/<c>rnn</c>/<c>head</c> takes them unchanged;
/// config.json's sections <c>"model"</c> and <c>"vocabulary"</c> (<c>["\n", " ", ...]</c>). A config from before tasks
/// names no task. The weights file's size is compared with the config's model before the model is allocated, so a
/// corrupted config cannot ask for an absurd allocation.
/// </summary>
public sealed class CharCheckpoint() : CheckpointFormat<LoadedCheckpoint>(FormatName, TaskName, "character-model")
{
    /// <summary>The <c>"format"</c> value of a config file.</summary>
    public const string FormatName = "recur-char-model";

    /// <summary>The task name written to config.json (a config without one, from before tasks, is this task's).</summary>
    public const string TaskName = CheckpointFiles.LegacyTask;

    /// <summary>The format.</summary>
    public static CharCheckpoint Instance { get; } = new();

    /// <summary>Loads a model for sampling, evaluation or analysis from a run folder (<c>best/</c>, then <c>latest/</c>) or a checkpoint folder.</summary>
    public static LoadedCheckpoint Read(string runOrCheckpointDir, CheckpointKind prefer = CheckpointKind.Best) => Instance.Load(runOrCheckpointDir, prefer);

    /// <summary>
    /// Writes a checkpoint folder at <paramref name="directory"/> (e.g. <c>runs/x/latest</c>) atomically (see
    /// <see cref="CheckpointFolder"/>); <paramref name="state"/> may be null for an exported model without training state.
    /// </summary>
    public static void Save(string directory, CharModel model, Vocabulary vocabulary, TrainOptions? training = null,
        CheckpointProgress? progress = null, DataInfo? data = null, TrainingState? state = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        CheckpointFolder.Write(directory, tmp =>
        {
            if (state is not null) TrainingState.Write(Path.Combine(tmp, CheckpointFiles.StateFile), state);
            WriteModelFiles(tmp, model, vocabulary, training, progress, data);
        });
    }

    /// <summary>Writes a character model's <c>model.safetensors</c> and <c>config.json</c> into <paramref name="directory"/>.</summary>
    public static void WriteModelFiles(string directory, CharModel model, Vocabulary vocabulary, TrainOptions? training = null,
        CheckpointProgress? progress = null, DataInfo? data = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(vocabulary);
        if (vocabulary.Count != model.Config.VocabSize)
            throw new ArgumentException($"vocabulary has {vocabulary.Count} characters but the model expects {model.Config.VocabSize}.", nameof(vocabulary));
        Instance.Write(directory, new LoadedCheckpoint(model, vocabulary), training, progress, data);
    }

    /// <inheritdoc/>
    protected override void WriteSections(Utf8JsonWriter w, LoadedCheckpoint run)
    {
        w.WritePropertyName("model");
        CheckpointSections.Write(w, run.Config);
        WriteNames(w, "vocabulary", run.Vocabulary.Runes.Select(r => r.ToString()));
    }

    /// <inheritdoc/>
    protected override LoadedCheckpoint ReadSections(JsonElement root, string path, SafeTensorsFile weights)
    {
        var model = CheckpointSections.Section<CharModelConfig>(root, "model", path, required: true)!;
        foreach (string field in new[] { "cell", "vocab_size", "embed", "hidden", "layers" })
            if (!root.GetProperty("model").TryGetProperty(field, out _)) throw new CheckpointFormatException($"{path}: \"model\" has no \"{field}\".");
        try { model.Validate(); }
        catch (ArgumentException e) { throw new CheckpointFormatException($"{path}: model config is invalid: {e.Message}", e); }
        if (model.Hidden > 65536 || model.Layers > 256 || model.Embed > 65536 || model.VocabSize > 0x110000)
            throw new CheckpointFormatException($"{path}: model config is out of range (hidden {model.Hidden}, layers {model.Layers}, embed {model.Embed}, "
                + $"vocab_size {model.VocabSize}); the file is corrupted.");
        if (!root.TryGetProperty("vocabulary", out var vocabElement)) throw new CheckpointFormatException($"{path}: has no \"vocabulary\".");
        Vocabulary vocab;
        try { vocab = Vocabulary.FromJson(vocabElement.GetRawText()); }
        catch (FormatException e)
        {
            throw new CheckpointFormatException($"{path}: vocabulary is invalid: {CheckpointFormatException.OneLine(e.Message, 200)}", e);
        }
        if (vocab.Count != model.VocabSize)
            throw new CheckpointFormatException($"{path}: vocabulary lists {vocab.Count} characters but model.vocab_size is {model.VocabSize}.");
        string modelPath = Path.Combine(Path.GetDirectoryName(path)!, CheckpointFiles.ModelFile);
        return new LoadedCheckpoint(CheckWeights(weights, model, modelPath), vocab);
    }

    /// <summary>Number of scalars a model with <paramref name="c"/> holds (long, so a corrupted config cannot overflow).</summary>
    internal static long ParameterCount(CharModelConfig c)
    {
        if (c.IsBlockModel)
        {
            // Blocks count their own parameters: build the model once its size is known to be sane.
            long rough = (long)c.Hidden * c.Hidden * c.Layers * Math.Max(c.Expand, 1) * 16 + (long)c.Context * c.Hidden + (long)c.VocabSize * c.Hidden * 2;
            if (rough > 4_000_000_000L)
                throw new CheckpointFormatException($"the config ({c.Cell}, hidden {c.Hidden}, layers {c.Layers}) describes a model too large to load.");
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

    /// <summary>The model of <paramref name="config"/>, allocated only when <paramref name="file"/> holds as many weights as it has.</summary>
    private static CharModel CheckWeights(SafeTensorsFile file, CharModelConfig config, string path)
    {
        long have = 0;
        foreach (var t in file.Tensors.Values) have += t.Length;
        long want = ParameterCount(config);
        if (have != want)
            throw new CheckpointFormatException(
                $"{path}: holds {have} weights but the config ({config.Cell}, hidden {config.Hidden}, layers {config.Layers}, embed {config.Embed}, "
                + $"{(config.Highway ? "highway, " : "")}vocabulary {config.VocabSize}) needs {want}; the weights do not belong to this config.");
        // The count matches, so the model's size is what the file holds: safe to allocate. Names and shapes are checked as
        // every format's are, when the weights are read.
        return new CharModel(config);
    }
}
