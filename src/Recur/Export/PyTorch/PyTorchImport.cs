using System.Text;
using System.Text.Json.Nodes;
using Recur.IO;

namespace Recur.Export.PyTorch;

/// <summary>What <see cref="PyTorchImport"/> wrote: the task, the iteration reached, and whether training state came along.</summary>
public sealed record PyTorchImportResult(string Task, long Iteration, bool HasState);

/// <summary>
/// <c>recur import DIR|FILE.safetensors --into RUN</c>, the files: a checkpoint folder's <c>config.json</c>,
/// <c>model.safetensors</c> (Recur's parameter order) and, where the package carries it, <c>state.safetensors</c>
/// (the per-parameter optimizer state joined back into Recur's arena, <see cref="TrainStateLayout"/>). The caller
/// writes them through <see cref="CheckpointFolder"/> and then loads the run with its task's format, which checks every
/// name and shape.
/// </summary>
public static class PyTorchImport
{
    /// <summary>
    /// A checkpoint from a package folder (what <c>recur export --pytorch</c> wrote, after <c>train.py</c> or not) into
    /// <paramref name="target"/>.
    /// </summary>
    public static PyTorchImportResult FromPackage(string package, string target)
    {
        string configPath = Path.Combine(package, "config.json");
        if (!File.Exists(configPath))
            throw new CheckpointFormatException($"{package}: no config.json; give the folder 'recur export --pytorch' wrote (or train.py's --out).");
        var config = JsonNode.Parse(File.ReadAllBytes(configPath))?.AsObject()
            ?? throw new CheckpointFormatException($"{configPath}: not a JSON object.");
        if (config["export"] is not JsonObject export || export["format"]?.GetValue<string>() != PyTorchExport.Format)
            throw new CheckpointFormatException($"{configPath}: not a Recur PyTorch package (its \"export\" section should say {PyTorchExport.Format}).");
        string task = config["task"]?.GetValue<string>() ?? CheckpointFiles.LegacyTask;
        var names = export["parameters"]?.AsArray().Select(n => n!.GetValue<string>()).ToList()
            ?? throw new CheckpointFormatException($"{configPath}: the export section lists no parameters.");
        var weights = SafeTensors.Read(Path.Combine(package, "weights.safetensors"));
        WriteWeights(weights, names, Path.Combine(target, CheckpointFiles.ModelFile), Path.Combine(package, "weights.safetensors"));

        long iteration = config["progress"]?["iteration"]?.GetValue<long>() ?? 0;
        string statePath = Path.Combine(package, "train_state.safetensors");
        bool hasState = File.Exists(statePath);
        if (hasState)
        {
            var split = SafeTensors.Read(statePath);
            string optimizer = config["training"]?["optimizer"]?.GetValue<string>() ?? split.Metadata.GetValueOrDefault("optimizer", "adam");
            string? stem = split.Tensors.Keys
                .Where(k => k.StartsWith("optimizer.", StringComparison.Ordinal) || k.StartsWith("train_weights.", StringComparison.Ordinal))
                .Select(k => names.FirstOrDefault(n => k.EndsWith("." + n, StringComparison.Ordinal)) is { } n ? k[..^(n.Length + 1)] : null)
                .FirstOrDefault(s => s is not null);
            var arena = stem is null ? [] : names.TakeWhile(n => split.Tensors.ContainsKey($"{stem}.{n}"))
                .Select(n => (n, weights.GetTensor(n).Length)).ToList();
            SafeTensors.Write(Path.Combine(target, CheckpointFiles.StateFile), TrainStateLayout.Join(split, arena, optimizer));
            if (split.Integers.TryGetValue("iteration", out var it) && it.Data.Length == 1) iteration = it.Data[0];
            if (config["progress"] is JsonObject progress)
            {
                progress["iteration"] = iteration;
                if (split.Integers.TryGetValue("history.train_loss", out var h) && h.Data.Length > 0)
                    progress["train_loss"] = BitConverter.Int64BitsToDouble(h.Data[^1]);
            }
        }
        config.Remove("export");
        AtomicFile.WriteAllBytes(Path.Combine(target, CheckpointFiles.ConfigFile),
            Encoding.UTF8.GetBytes(config.ToJsonString(PyTorchLayouts.Json.Options) + "\n"));
        return new PyTorchImportResult(task, iteration, hasState);
    }

    /// <summary>
    /// A checkpoint from a bare weights file: the checkpoint <paramref name="checkpointDir"/>'s config with its weights
    /// replaced by <paramref name="weightsFile"/>'s (the same names and shapes), no training state (continue with
    /// <c>--init-from</c>).
    /// </summary>
    public static PyTorchImportResult FromWeights(string weightsFile, string checkpointDir, string target)
    {
        var own = SafeTensors.Read(Path.Combine(checkpointDir, CheckpointFiles.ModelFile));
        var names = own.Names.Where(own.Tensors.ContainsKey).ToList();
        var weights = SafeTensors.Read(weightsFile);
        foreach (string n in names)
            if (weights.Tensors.TryGetValue(n, out var t) && !t.Shape.SequenceEqual(own.GetTensor(n).Shape))
                throw new CheckpointFormatException($"{weightsFile}: '{n}' has shape {t.ShapeString}; the run's is {own.GetTensor(n).ShapeString}.");
        WriteWeights(weights, names, Path.Combine(target, CheckpointFiles.ModelFile), weightsFile);
        File.Copy(Path.Combine(checkpointDir, CheckpointFiles.ConfigFile), Path.Combine(target, CheckpointFiles.ConfigFile));
        var config = JsonNode.Parse(File.ReadAllBytes(Path.Combine(target, CheckpointFiles.ConfigFile)))?.AsObject();
        return new PyTorchImportResult(config?["task"]?.GetValue<string>() ?? CheckpointFiles.LegacyTask,
            config?["progress"]?["iteration"]?.GetValue<long>() ?? 0, false);
    }

    /// <summary>Writes <paramref name="weights"/> in the order of <paramref name="names"/>, refusing a missing or an unexpected tensor.</summary>
    private static void WriteWeights(SafeTensorsFile weights, IReadOnlyList<string> names, string path, string source)
    {
        var missing = names.Where(n => !weights.Tensors.ContainsKey(n)).ToList();
        var extra = weights.Tensors.Keys.Where(n => !names.Contains(n)).ToList();
        if (missing.Count > 0 || extra.Count > 0)
            throw new CheckpointFormatException($"{source}: does not hold the run's parameters: missing [{string.Join(", ", missing)}], "
                + $"unexpected [{string.Join(", ", extra)}].");
        SafeTensors.Write(path, names.Select(n => KeyValuePair.Create(n, weights.GetTensor(n))));
    }
}
