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
    /// Reads and parses the config at <paramref name="path"/> and checks <c>format</c> and <c>version</c>; hands the root to
    /// <paramref name="read"/>. Malformed JSON becomes a <see cref="CheckpointFormatException"/>.
    /// </summary>
    public static T ReadConfig<T>(string path, string format, string what, Func<JsonElement, T> read)
    {
        byte[] bytes = CheckpointFiles.ReadConfigBytes(path);
        try
        {
            using var doc = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = 16 });
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("format", out var f) || f.ValueKind != JsonValueKind.String
                || f.GetString() != format)
                throw new CheckpointFormatException($"{path}: not a Recur {what} config (\"format\" should be \"{format}\").");
            if (!root.TryGetProperty("version", out var v) || v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out int version)
                || version != CheckpointFiles.Version)
                throw new CheckpointFormatException($"{path}: \"version\" should be {CheckpointFiles.Version}.");
            return read(root);
        }
        catch (JsonException e) { throw CheckpointFormatException.NotJson(path, e); }
        catch (InvalidOperationException e)
        {
            throw new CheckpointFormatException($"{path}: malformed JSON value ({CheckpointFormatException.OneLine(e.Message, 160)}).", e);
        }
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
    /// Loads <c>model.safetensors</c> of <paramref name="directory"/> into the stores: every tensor must be a parameter of
    /// one of them (under its prefix), every parameter present with its shape, every value finite.
    /// </summary>
    public static void ReadWeights(string directory, string what, params (string Prefix, ParameterStore Store)[] stores)
    {
        string modelPath = Path.Combine(directory, CheckpointFiles.ModelFile);
        if (!File.Exists(modelPath))
            throw new CheckpointFormatException($"{modelPath}: missing; the checkpoint has a {CheckpointFiles.ConfigFile} but no weights.");
        var weights = SafeTensors.Read(modelPath);
        var names = stores.SelectMany(s => s.Store.Parameters.Select(p => s.Prefix + p.Name)).ToHashSet(StringComparer.Ordinal);
        foreach (var name in weights.Tensors.Keys)
            if (!names.Contains(name)) throw new CheckpointFormatException($"{modelPath}: holds '{name}', which this {what} does not have.");
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
