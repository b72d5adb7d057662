using System.Text.Json.Nodes;
using Recur.Data;
using Recur.IO;

namespace Recur.Export.PyTorch;

/// <summary>
/// What one task's PyTorch package holds besides the weights and the training state: its Python files (package name
/// from embedded source) and its data files (a vocabulary, the text). <paramref name="WriteData"/> writes the data
/// files into the package folder from the run's config and may record them under the config's <c>"export"</c> section.
/// </summary>
public sealed record PyTorchLayout(string Task, IReadOnlyList<(string PackageName, string Source)> Files, Action<JsonObject, string, JsonObject> WriteData);

/// <summary>
/// Every task the PyTorch export covers, by the task name its checkpoints record. Adding a task is its Python sources
/// (model, data, train, eval) under <c>Export/PyTorch/Python/</c> and one entry here.
/// </summary>
public static class PyTorchLayouts
{
    /// <summary>The sources every package holds: the safetensors reader, the cells, the blocks, the shared training code.</summary>
    public static readonly IReadOnlyList<(string, string)> Shared =
        [("recur_safetensors.py", "recur_safetensors.py"), ("cells.py", "cells.py"), ("blocks.py", "blocks.py"), ("recur_train.py", "recur_train.py"),
            ("torchrun.py", "torchrun.py")];

    private static readonly PyTorchLayout[] Layouts =
    [
        new(CheckpointFiles.LegacyTask, Task("charlm", "sample"), WriteCharData),
        new("classify", Task("classify"), WriteClassifyData),
        new("caption", [.. Task("caption"), ("classify_data.py", "classify_data.py")], CaptionPackageData.Write),
        new("tag", Evaluated("tag", "classify_data.py", "train.py"), TagPackageData.Write),
        new("g2p", Evaluated("seq2seq", "classify_data.py", "train.py"), InDataSets),
        new("translate", Evaluated("seq2seq", "classify_data.py", "train.py"), InDataSets),
        new("vqa", Evaluated("vqa", "answer_head.py", "classify_data.py", "train.py"), InDataSets),
        new("dialog", Evaluated("dialog", "answer_head.py", "classify_data.py", "train.py"), InDataSets),
        new("video", Evaluated("video", "classify_data.py", "train.py"), InDataSets),
        new("glimpse", Evaluated("glimpse", "classify_model.py", "classify_data.py", "train.py"), InDataSets),
        new("draw", Evaluated("draw", "classify_data.py", "train.py"), InDataSets),
        new("sentiment", Evaluated("sentiment", "classify_data.py", "train.py"), InDataSets),
    ];

    /// <summary>The tasks covered, in order.</summary>
    public static IReadOnlyList<string> Tasks { get; } = Layouts.Select(l => l.Task).ToArray();

    /// <summary>The layout of <paramref name="task"/>, or null when the export does not cover it yet.</summary>
    public static PyTorchLayout? Find(string task) => Layouts.FirstOrDefault(l => l.Task == task);

    private static (string, string)[] Task(string stem, string? extra = null) =>
        [.. Shared, ("model.py", $"{stem}_model.py"), ("data.py", $"{stem}_data.py"), ("train.py", $"{stem}_train.py"),
            ("eval.py", $"{stem}_eval.py"), .. extra is null ? Array.Empty<(string, string)>() : [($"{extra}.py", $"{stem}_{extra}.py")]];

    /// <summary>
    /// A task package over the sets Recur makes (<see cref="PyTorchDataSets"/>): the shared sources, recur_load.py, the task's
    /// model.py, data.py (the sets) and eval.py, and <paramref name="extra"/> (train.py: the shared task_train.py).
    /// </summary>
    private static (string, string)[] Evaluated(string stem, params string[] extra) =>
        [.. Shared, ("recur_load.py", "recur_load.py"),
            .. extra.Select(e => e == "train.py" ? (e, "task_train.py") : (e, e)),
            ("model.py", $"{stem}_model.py"), ("data.py", "evalset_data.py"), ("eval.py", $"{stem}_eval.py")];

    /// <summary>
    /// The data of the tasks whose examples Recur makes is their data sets, written by <see cref="PyTorchDataSets"/>; so is the
    /// training set of g2p and translate (their eval.py scores given ids).
    /// </summary>
    private static void InDataSets(JsonObject config, string folder, JsonObject export)
    {
    }

    /// <summary>
    /// A character model's data: <c>vocab.json</c> (the run's characters in id order) and <c>text.txt</c>, the text the
    /// run was trained on (the embedded tiny-shakespeare, or a copy of the recorded file), so the package reads the same
    /// splits and streams anywhere.
    /// </summary>
    private static void WriteCharData(JsonObject config, string folder, JsonObject export)
    {
        var vocab = config["vocabulary"] ?? throw new CheckpointFormatException("the checkpoint's config.json has no \"vocabulary\".");
        AtomicFile.WriteAllBytes(Path.Combine(folder, "vocab.json"), System.Text.Encoding.UTF8.GetBytes(vocab.ToJsonString(Json.Options) + "\n"));
        string? source = export["text_source"]?.GetValue<string>() ?? config["data"]?["source"]?.GetValue<string>()
            ?? config["training"]?["data"]?.GetValue<string>();
        if (source is null) return;
        Corpus text;
        try { text = Corpus.FromSource(source); }
        catch (CorpusException) { return; } // train.py and eval.py then ask for --text
        AtomicFile.WriteAllBytes(Path.Combine(folder, "text.txt"), System.Text.Encoding.UTF8.GetBytes(text.Text));
        export["text"] = "text.txt";
    }

    /// <summary>A classifier reads the IDX files of its data folder (recorded in the run, or given to train.py with --data).</summary>
    private static void WriteClassifyData(JsonObject config, string folder, JsonObject export)
    {
        string? source = export["text_source"]?.GetValue<string>() ?? config["data"]?["source"]?.GetValue<string>()
            ?? config["training"]?["data"]?.GetValue<string>();
        if (source is not null) export["data"] = source;
    }

    /// <summary>JSON written as people read it: indented, non-ASCII characters as they are.</summary>
    internal static class Json
    {
        public static readonly System.Text.Json.JsonSerializerOptions Options = new()
        {
            WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        };
    }
}
