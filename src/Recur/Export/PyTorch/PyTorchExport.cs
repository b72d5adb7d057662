using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using Recur.IO;

namespace Recur.Export.PyTorch;

/// <summary>What <see cref="PyTorchExport.Write"/> wrote: the folder, the task, its files and how long it took.</summary>
public sealed record PyTorchExportResult(string Folder, string Task, IReadOnlyList<string> Files, double Seconds);

/// <summary>
/// <c>recur export RUN --pytorch DIR</c>: a run's checkpoint as a self-contained Python package that continues on plain
/// PyTorch (1.13, nothing else):
/// <code>
/// config.json              the checkpoint's config.json (model, training options, data, progress) and an "export"
///                          section: the format, the checkpoint it came from, the trained parameters in Recur's order
/// weights.safetensors      the checkpoint's model.safetensors: Recur's names are the torch modules' state-dict names
/// train_state.safetensors  state.safetensors with the optimizer's buffers cut per parameter (TrainStateLayout)
/// model.py, data.py        the model as torch.nn modules; the task's data pipeline as Recur reads it
/// train.py, eval.py, ...   continue training (torchrun + DistributedDataParallel), score, sample
/// cells.py, blocks.py, recur_safetensors.py, recur_train.py   shared by every task
/// </code>
/// plus the task's data files (<see cref="PyTorchLayouts"/>). <c>recur import</c> brings the package back.
/// </summary>
public static class PyTorchExport
{
    /// <summary>The <c>"format"</c> of the package's <c>"export"</c> section.</summary>
    public const string Format = "recur-pytorch-export";

    /// <summary>
    /// Writes the package of the checkpoint <paramref name="runOrCheckpointDir"/> names (<paramref name="prefer"/>: best/
    /// or latest/) into <paramref name="folder"/>; <paramref name="dataSource"/> overrides the run's recorded data (a text
    /// file, a data folder); <paramref name="dataSets"/> makes the data sets of the tasks whose examples Recur generates
    /// (<see cref="PyTorchDataSets"/>). Throws <see cref="NotSupportedException"/> for a task the export does not cover yet.
    /// </summary>
    public static PyTorchExportResult Write(string runOrCheckpointDir, string folder, CheckpointKind prefer = CheckpointKind.Best, string? dataSource = null,
        PyTorchDataSetMaker? dataSets = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        var clock = Stopwatch.StartNew();
        string dir = CheckpointFiles.Resolve(runOrCheckpointDir, prefer);
        var config = JsonNode.Parse(CheckpointFiles.ReadConfigBytes(Path.Combine(dir, CheckpointFiles.ConfigFile)))?.AsObject()
            ?? throw new CheckpointFormatException($"{dir}: config.json is not a JSON object.");
        string task = config["task"]?.GetValue<string>() ?? CheckpointFiles.LegacyTask;
        var layout = PyTorchLayouts.Find(task) ?? throw new NotSupportedException(
            $"a {task} run has no PyTorch export yet; the export covers {string.Join(", ", PyTorchLayouts.Tasks)} (docs/SCALE.md lists what is left).");
        Directory.CreateDirectory(folder);
        var files = new List<string>();

        string modelPath = Path.Combine(dir, CheckpointFiles.ModelFile);
        var weights = SafeTensors.Read(modelPath);
        File.Copy(modelPath, Path.Combine(folder, "weights.safetensors"), overwrite: true);
        files.Add("weights.safetensors");
        string statePath = Path.Combine(dir, CheckpointFiles.StateFile);
        if (File.Exists(statePath))
        {
            SafeTensors.Write(Path.Combine(folder, "train_state.safetensors"), TrainStateLayout.Split(SafeTensors.Read(statePath), weights));
            files.Add("train_state.safetensors");
        }
        else File.Delete(Path.Combine(folder, "train_state.safetensors"));

        var export = new JsonObject
        {
            ["format"] = Format,
            ["version"] = 1,
            ["checkpoint"] = Path.GetFullPath(dir),
            ["parameters"] = new JsonArray([.. weights.Names.Where(weights.Tensors.ContainsKey).Select(n => JsonValue.Create(n))]),
        };
        if (dataSource is not null) export["text_source"] = Path.GetFullPath(dataSource);
        layout.WriteData(config, folder, export);
        PyTorchDataSets.Write(dataSets, task, config, folder, export);
        export.Remove("text_source");
        if (dataSource is not null && export["data"] is null && export["text"] is null) export["data"] = Path.GetFullPath(dataSource);
        foreach (var (name, source) in layout.Files)
        {
            AtomicFile.WriteAllBytes(Path.Combine(folder, name), Encoding.UTF8.GetBytes(PythonSources.Read(source)));
            files.Add(name);
        }
        config["export"] = export;
        AtomicFile.WriteAllBytes(Path.Combine(folder, "config.json"), Encoding.UTF8.GetBytes(config.ToJsonString(PyTorchLayouts.Json.Options) + "\n"));
        files.Add("config.json");
        foreach (string data in new[] { "vocab.json", "text.txt", CaptionPackageData.FileName, TagPackageData.FileName, PyTorchDataSets.EvalFile,
            PyTorchDataSets.TrainFile })
            if (File.Exists(Path.Combine(folder, data))) files.Add(data);
        return new PyTorchExportResult(folder, task, files, clock.Elapsed.TotalSeconds);
    }
}
