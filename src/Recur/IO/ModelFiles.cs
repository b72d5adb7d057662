using System.Text.Json;
using Recur.Nn;

namespace Recur.IO;

/// <summary>
/// What every task checkpoint shares: a
/// <c>config.json</c> with <c>format</c>, <c>version</c>, <c>task</c>, the task's own sections and the run's
/// <c>training</c>, <c>progress</c> and <c>data</c>; and a <c>model.safetensors</c> whose tensors must be exactly a model's
/// parameters (under optional name prefixes), of their shapes, all finite.
/// </summary>
public static class ModelFiles
{
    /// <summary>Writes the parameters of every store, each name prefixed, into one <c>model.safetensors</c>.</summary>
    public static void WriteWeights(string directory, params (string Prefix, ParameterStore Store)[] stores)
        => SafeTensors.Write(Path.Combine(directory, CheckpointFiles.ModelFile),
            stores.SelectMany(s => s.Store.Parameters.Select(p => KeyValuePair.Create(s.Prefix + p.Name, p.ToTensor()))));

    /// <summary>
    /// Reads and parses the config at <paramref name="path"/> and checks its header: a JSON object whose <c>task</c>, when
    /// present, is <paramref name="task"/> (configs from before tasks have none), whose <c>format</c> is
    /// <paramref name="format"/> and whose <c>version</c> is <see cref="CheckpointFiles.Version"/>; hands the root to
    /// <paramref name="read"/>. Malformed JSON becomes a <see cref="CheckpointFormatException"/>.
    /// </summary>
    public static T ReadConfig<T>(string path, string format, string task, string what, Func<JsonElement, T> read)
    {
        byte[] bytes = CheckpointFiles.ReadConfigBytes(path);
        try
        {
            using var doc = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = 16 });
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new CheckpointFormatException($"{path}: expected a JSON object, found {root.ValueKind}.");
            if (root.TryGetProperty("task", out var t) && (t.ValueKind != JsonValueKind.String || t.GetString() != task))
                throw new CheckpointFormatException(
                    $"{path}: a checkpoint of the {(t.ValueKind == JsonValueKind.String ? t.GetString() : "(unnamed)")} task, not a {what} (\"{format}\").");
            if (!root.TryGetProperty("format", out var f) || f.ValueKind != JsonValueKind.String || f.GetString() != format)
                throw new CheckpointFormatException($"{path}: not a Recur {what} config (\"format\" should be \"{format}\").");
            if (!root.TryGetProperty("version", out var v) || v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out int version))
                throw new CheckpointFormatException($"{path}: \"version\" is missing or not a whole number.");
            if (version != CheckpointFiles.Version)
                throw new CheckpointFormatException(
                    $"{path}: checkpoint version {version} is not supported (this Recur reads version {CheckpointFiles.Version}).");
            return read(root);
        }
        catch (JsonException e) { throw CheckpointFormatException.NotJson(path, e); }
        catch (InvalidOperationException e) // e.g. a string escape that is not valid UTF-16
        {
            throw new CheckpointFormatException($"{path}: malformed JSON value ({CheckpointFormatException.OneLine(e.Message, 160)}); "
                + "the file is corrupted.", e);
        }
    }

    /// <summary>The checkpoint's <c>model.safetensors</c>, read; a missing file is a <see cref="CheckpointFormatException"/>.</summary>
    public static SafeTensorsFile OpenWeights(string directory)
    {
        string modelPath = Path.Combine(directory, CheckpointFiles.ModelFile);
        if (!File.Exists(modelPath))
            throw new CheckpointFormatException($"{modelPath}: missing; the checkpoint has a {CheckpointFiles.ConfigFile} but no weights.");
        return SafeTensors.Read(modelPath);
    }

    /// <summary>An array of strings of <paramref name="name"/>, or a <see cref="CheckpointFormatException"/>.</summary>
    public static string[] Strings(JsonElement root, string name, string path, int? count = null)
    {
        if (!root.TryGetProperty(name, out var c) || c.ValueKind != JsonValueKind.Array || (count is int n && c.GetArrayLength() != n)
            || c.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.String))
            throw new CheckpointFormatException($"{path}: \"{name}\" should list "
                + $"{(count is int k ? k.ToString(System.Globalization.CultureInfo.InvariantCulture) + " " : "")}names.");
        return [.. c.EnumerateArray().Select(e => e.GetString()!)];
    }

    /// <summary>
    /// Loads <paramref name="weights"/> (read from <paramref name="modelPath"/>) into the stores: every tensor must be a
    /// parameter of one of them (under its prefix), every parameter present with its shape, every value finite.
    /// </summary>
    public static void ReadWeights(SafeTensorsFile weights, string modelPath, string what, params (string Prefix, ParameterStore Store)[] stores)
    {
        ArgumentNullException.ThrowIfNull(weights);
        var names = stores.SelectMany(s => s.Store.Parameters.Select(p => s.Prefix + p.Name)).ToHashSet(StringComparer.Ordinal);
        foreach (var name in weights.Names)
        {
            if (weights.Integers.ContainsKey(name))
                throw new CheckpointFormatException($"{modelPath}: entry '{name}' is an integer array; expected float weights only.");
            if (!names.Contains(name)) throw new CheckpointFormatException($"{modelPath}: holds '{name}', which this {what} does not have.");
        }
        foreach (var (prefix, store) in stores)
        {
            foreach (var p in store.Parameters)
            {
                if (!weights.Tensors.TryGetValue(prefix + p.Name, out var t))
                    throw new CheckpointFormatException($"{modelPath}: '{prefix + p.Name}' is missing.");
                if (!t.HasShape(p.Shape))
                    throw new CheckpointFormatException($"{modelPath}: '{prefix + p.Name}' has shape {t.ShapeString}, expected {Tensor.FormatShape(p.Shape)}.");
                p.CopyFrom(t);
            }
            foreach (float x in store.Values)
                if (!float.IsFinite(x)) throw new CheckpointFormatException($"{modelPath}: holds NaN or infinite weights; the model cannot be used.");
        }
    }
}
