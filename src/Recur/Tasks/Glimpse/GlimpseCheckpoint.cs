using System.Text.Json;
using Recur.Data;
using Recur.Data.Glimpse;
using Recur.IO;
using Recur.Models;
using Recur.Models.Glimpse;
using Recur.Nn;
using Recur.Training;

namespace Recur.Tasks.Glimpse;

/// <summary>A glimpse-task model as its checkpoint holds it, with the canvases it was trained on.</summary>
public sealed record LoadedGlimpse(IClutterClassifier Model, ClutterOptions Clutter) : SavedRun
{
    /// <inheritdoc/>
    public override IReadOnlyList<(string Prefix, ParameterStore Store)> Stores => [("", Model.Store)];
}

/// <summary>
/// Glimpse checkpoints (<c>recur glimpse</c>): <c>model.safetensors</c> with the model's names (the attention model's
/// <c>glimpse.*</c>, <c>core.*</c> as <c>nn.LSTMCell</c>, <c>locator</c>, <c>baseline</c>, <c>classifier</c>; or the CNN's
/// <c>conv0</c>, ..., <c>fc</c>, <c>head</c>); config.json's <c>"architecture"</c> (<c>ram</c> or <c>cnn</c>), <c>"model"</c>
/// (a <see cref="GlimpseConfig"/> or a <see cref="ConvNetConfig"/>), <c>"clutter"</c> (<see cref="ClutterOptions"/>) and
/// <c>"classes"</c>.
/// </summary>
public sealed class GlimpseCheckpoint() : CheckpointFormat<LoadedGlimpse>(FormatName, GlimpseTask.TaskName, "glimpse model")
{
    /// <summary>The <c>"format"</c> value.</summary>
    public const string FormatName = "recur-glimpse";

    /// <summary>The format.</summary>
    public static GlimpseCheckpoint Instance { get; } = new();

    /// <inheritdoc/>
    protected override void WriteSections(Utf8JsonWriter w, LoadedGlimpse run)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(run);
        w.WriteString("architecture", run.Model.Architecture);
        w.WritePropertyName("model");
        CheckpointSections.WriteAsRuntimeType(w, run.Model.Config);
        w.WritePropertyName("clutter");
        CheckpointSections.Write(w, run.Clutter);
        WriteNames(w, "classes", FashionMnist.ClassNames);
    }

    /// <summary>The model of the sections, refused before it is built when it needs more weights than the file holds.</summary>
    protected override LoadedGlimpse ReadSections(JsonElement root, string path, SafeTensorsFile weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        string architecture = root.TryGetProperty("architecture", out var a) && a.ValueKind == JsonValueKind.String ? a.GetString()!
            : throw new CheckpointFormatException($"{path}: \"architecture\" should be \"{RamClassifier.Name}\" or \"{CnnClassifier.Name}\".");
        var clutter = CheckpointSections.Section<ClutterOptions>(root, "clutter", path, required: true)!;
        clutter.Validate();
        long stored = weights.Tensors.Values.Sum(t => (long)t.Length);
        IClutterClassifier model;
        if (architecture == RamClassifier.Name)
        {
            var config = CheckpointSections.Section<GlimpseConfig>(root, "model", path, required: true)!;
            config.Validate();
            Bound(config.ParameterCount() > stored, path);
            model = new RamClassifier(new RecurrentAttentionModel(config));
        }
        else if (architecture == CnnClassifier.Name)
        {
            var config = CheckpointSections.Section<ConvNetConfig>(root, "model", path, required: true)!;
            config.Validate();
            Bound(config.ParameterCount() > stored, path);
            model = new CnnClassifier(new ConvNet(config));
        }
        else throw new CheckpointFormatException($"{path}: \"architecture\" is '{architecture}', not \"{RamClassifier.Name}\" or \"{CnnClassifier.Name}\".");
        if (model.Side != clutter.Size)
            throw new CheckpointFormatException($"{path}: the model reads {model.Side}x{model.Side} canvases but the run's are {clutter.Size}x{clutter.Size}.");
        return new LoadedGlimpse(model, clutter);
    }
}
