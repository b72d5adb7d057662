using System.Text.Json.Nodes;
using Recur.Data;
using Recur.IO;

namespace Recur.Export.PyTorch;

/// <summary>
/// Makes the data sets of a run's package from its checkpoint folder and its data (a folder, or a corpus or dictionary file):
/// (the evaluation set or null, the training set or null), or null for a task whose package reads its data itself. The tasks' own code makes them (Recur.Tasks'
/// <c>TaskDataSets.Make</c>; the export sits below the tasks and is handed it).
/// </summary>
public delegate (SafeTensorsFile? Eval, SafeTensorsFile? Train)? PyTorchDataSetMaker(string task, string checkpoint, string dataFolder);

/// <summary>
/// The data sets a package carries for the tasks whose examples Recur generates (scenes, dialogs, clips, canvases):
/// <see cref="EvalFile"/>, what <c>recur TASK eval</c> scores, for <c>eval.py</c>, and <see cref="TrainFile"/>, every training
/// example, for <c>train.py</c>; recorded in the config's <c>"export"</c> section with the data folder they came from.
/// </summary>
public static class PyTorchDataSets
{
    /// <summary>The evaluation set's file.</summary>
    public const string EvalFile = "eval_set.safetensors";

    /// <summary>The training set's file (the tasks whose package holds train.py).</summary>
    public const string TrainFile = "train_set.safetensors";

    /// <summary>
    /// Writes the sets <paramref name="make"/> gives for the run into <paramref name="folder"/> (removing stale ones first);
    /// nothing when there is no maker, no data folder or file, or it does not hold the run's data.
    /// </summary>
    public static void Write(PyTorchDataSetMaker? make, string task, JsonObject config, string folder, JsonObject export)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(export);
        File.Delete(Path.Combine(folder, EvalFile));
        File.Delete(Path.Combine(folder, TrainFile));
        string? source = export["text_source"]?.GetValue<string>() ?? config["data"]?["source"]?.GetValue<string>()
            ?? config["training"]?["data"]?.GetValue<string>();
        if (make is null || source is null || !(Directory.Exists(source) || File.Exists(source))) return;
        (SafeTensorsFile? Eval, SafeTensorsFile? Train)? sets;
        try { sets = make(task, export["checkpoint"]!.GetValue<string>(), source); }
        catch (Exception e) when (e is IOException or InvalidDataException or IdxFormatException or ArgumentException) { return; }
        if (sets is not { } s) return;
        export["data"] = source;
        if (s.Eval is not null)
        {
            SafeTensors.Write(Path.Combine(folder, EvalFile), s.Eval);
            export["eval_set"] = EvalFile;
        }
        if (s.Train is null) return;
        SafeTensors.Write(Path.Combine(folder, TrainFile), s.Train);
        export["train_set"] = TrainFile;
    }
}
