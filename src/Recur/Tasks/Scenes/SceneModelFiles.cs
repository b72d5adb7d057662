using System.Text.Json;
using Recur.Data.Scenes;
using Recur.IO;
using Recur.Models;
using Recur.Models.Captioning;
using Recur.Training;

namespace Recur.Tasks.Scenes;

/// <summary>
/// The part of a checkpoint that models of scenes share (<see cref="Caption.CaptionCheckpoint"/>, <see cref="Vqa.VqaCheckpoint"/>): the
/// frozen encoder's architecture (<c>"encoder"</c>), its extra pooling (<c>"grid_pool"</c>), <c>"coordinates"</c>,
/// <c>"features"</c> (conv or fc) and the scenes the run drew
/// (<c>"scenes"</c>); the encoder's weights go into <c>model.safetensors</c> under <see cref="EncoderPrefix"/>.
/// </summary>
internal static class SceneModelFiles
{
    /// <summary>Prefix of the encoder's tensors in <c>model.safetensors</c>.</summary>
    public const string EncoderPrefix = "encoder.";

    public static void Write(Utf8JsonWriter w, SceneEncoder encoder, SceneOptions scenes)
    {
        w.WritePropertyName("encoder");
        CheckpointSections.Write(w, encoder.Network.Config);
        w.WriteNumber("grid_pool", encoder.GridPool);
        w.WriteBoolean("coordinates", encoder.Coordinates);
        w.WriteString("features", encoder.Features);
        w.WritePropertyName("scenes");
        CheckpointSections.Write(w, scenes);
    }

    /// <summary>The encoder (zero weights) and the scenes of a config; bounded so that a corrupted file cannot ask for a huge network.</summary>
    public static (SceneEncoder Encoder, SceneOptions Scenes) Read(JsonElement root, string path)
    {
        var enc = CheckpointSections.Section<ConvNetConfig>(root, "encoder", path, required: true)!;
        var scenes = CheckpointSections.Section<SceneOptions>(root, "scenes", path, required: true)!;
        if (!root.TryGetProperty("grid_pool", out var gp) || !gp.TryGetInt32(out int pool))
            throw new CheckpointFormatException($"{path}: \"grid_pool\" should be a whole number.");
        bool coordinates = false; // absent in runs from before the option
        if (root.TryGetProperty("coordinates", out var co))
            coordinates = co.ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                _ => throw new CheckpointFormatException($"{path}: \"coordinates\" should be true or false."),
            };
        string features = "conv"; // absent in runs from before the option
        if (root.TryGetProperty("features", out var fe))
            features = fe.ValueKind == JsonValueKind.String && SceneEncoder.FeatureKinds.Contains(fe.GetString())
                ? fe.GetString()!
                : throw new CheckpointFormatException($"{path}: \"features\" should be one of {string.Join(", ", SceneEncoder.FeatureKinds)}.");
        try
        {
            enc.Validate();
            scenes.Validate();
            if (enc.ParameterCount() > 1L << 28) throw new CheckpointFormatException($"{path}: the encoder's config is out of range; the file is corrupted.");
            return (new SceneEncoder(new ConvNet(enc), pool, coordinates, features), scenes);
        }
        catch (ArgumentException e) { throw new CheckpointFormatException($"{path}: invalid encoder or scenes: {e.Message}", e); }
    }
}
