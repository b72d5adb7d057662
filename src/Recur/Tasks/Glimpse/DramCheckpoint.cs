using System.Text.Json;
using Recur.Data;
using Recur.Data.Scenes;
using Recur.IO;
using Recur.Models.Glimpse;
using Recur.Nn;
using Recur.Training;

namespace Recur.Tasks.Glimpse;

/// <summary>A DRAM run as its checkpoint holds it, with the scenes it was trained on.</summary>
public sealed record LoadedDram(DeepRecurrentAttentionModel Model, SceneOptions Scenes) : SavedRun
{
    /// <inheritdoc/>
    public override IReadOnlyList<(string Prefix, ParameterStore Store)> Stores => [("", Model.Store)];
}

/// <summary>
/// DRAM checkpoints (<c>recur glimpse train --model dram</c>): <c>model.safetensors</c> with the model's names
/// (<c>glimpse.*</c>, <c>r1.*</c> and <c>r2.*</c> as <c>nn.LSTMCell</c>, <c>context</c>, <c>emission</c>, <c>baseline</c>,
/// <c>classifier</c>); config.json's <c>"model"</c> (a <see cref="DramConfig"/>), <c>"scenes"</c> (<see cref="SceneOptions"/>)
/// and <c>"classes"</c> (the end symbol after them).
/// </summary>
public sealed class DramCheckpoint() : CheckpointFormat<LoadedDram>(FormatName, TaskName, "DRAM model")
{
    /// <summary>The task's name: the run folder's suffix and config.json's <c>"task"</c>.</summary>
    public const string TaskName = "dram";

    /// <summary>The <c>"format"</c> value.</summary>
    public const string FormatName = "recur-dram";

    /// <summary>The end symbol's name in <c>"classes"</c> and in examples.</summary>
    public const string EndName = "<end>";

    /// <summary>The format.</summary>
    public static DramCheckpoint Instance { get; } = new();

    /// <inheritdoc/>
    protected override void WriteSections(Utf8JsonWriter w, LoadedDram run)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(run);
        w.WritePropertyName("model");
        CheckpointSections.Write(w, run.Model.Config);
        w.WritePropertyName("scenes");
        CheckpointSections.Write(w, run.Scenes);
        WriteNames(w, "classes", [.. FashionMnist.ClassNames, EndName]);
    }

    /// <summary>The model of the sections, refused before it is built when it needs more weights than the file holds.</summary>
    protected override LoadedDram ReadSections(JsonElement root, string path, SafeTensorsFile weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        var config = CheckpointSections.Section<DramConfig>(root, "model", path, required: true)!;
        var scenes = CheckpointSections.Section<SceneOptions>(root, "scenes", path, required: true)!;
        try
        {
            config.Validate();
            scenes.Validate();
        }
        catch (ArgumentException e) { throw new CheckpointFormatException($"{path}: {e.Message}", e); }
        Bound(config.ParameterCount() > weights.Tensors.Values.Sum(t => (long)t.Length), path);
        int side = Scene.DefaultGridSide * Scene.CellSize;
        if (config.Width != side || config.Height != side || config.Objects < SceneGenerator.MaxObjects)
            throw new CheckpointFormatException($"{path}: the model reads {config.Height}x{config.Width} images of up to {config.Objects} objects; "
                + $"the scenes are {side}x{side} with up to {SceneGenerator.MaxObjects}.");
        return new LoadedDram(new DeepRecurrentAttentionModel(config), scenes);
    }
}
