using System.Text.Json;
using Recur.IO;
using Recur.Models.Draw;
using Recur.Nn;
using Recur.Training;

namespace Recur.Tasks.Draw;

/// <summary>A DRAW model as its checkpoint holds it.</summary>
public sealed record LoadedDraw(DrawModel Model) : SavedRun
{
    /// <inheritdoc/>
    public override IReadOnlyList<(string Prefix, ParameterStore Store)> Stores => [("", Model.Store)];
}

/// <summary>
/// DRAW checkpoints (<c>recur draw</c>): <c>model.safetensors</c> with the model's names (<c>encoder.*</c>, <c>decoder.*</c>
/// as <c>nn.LSTMCell</c>, <c>mu.*</c>, <c>logsigma.*</c>, <c>write.*</c>, and with attention <c>read_attn.*</c> and
/// <c>write_attn.*</c>); config.json's section <c>"model"</c> is the <see cref="DrawConfig"/>.
/// </summary>
public sealed class DrawCheckpoint() : CheckpointFormat<LoadedDraw>(FormatName, DrawTask.TaskName, "DRAW model")
{
    /// <summary>The <c>"format"</c> value.</summary>
    public const string FormatName = "recur-draw";

    /// <summary>The format.</summary>
    public static DrawCheckpoint Instance { get; } = new();

    /// <inheritdoc/>
    protected override void WriteSections(Utf8JsonWriter w, LoadedDraw run)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(run);
        w.WritePropertyName("model");
        CheckpointSections.Write(w, run.Model.Config);
    }

    /// <summary>
    /// The model of the <c>"model"</c> section, refused before it is built when the architecture needs more weights than the file
    /// holds or a step's canvases would be absurdly large (a corrupted file).
    /// </summary>
    protected override LoadedDraw ReadSections(JsonElement root, string path, SafeTensorsFile weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        var config = CheckpointSections.Section<DrawConfig>(root, "model", path, required: true)!;
        config.Validate();
        long stored = weights.Tensors.Values.Sum(t => (long)t.Length);
        Bound(config.ParameterCount() > stored || (long)config.Steps * config.Pixels > 1L << 26, path);
        return new LoadedDraw(new DrawModel(config));
    }
}
