using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Recur.Data.Scenes;
using Recur.Models;
using Recur.Models.Captioning;
using Recur.Models.Draw;
using Recur.Models.Seq2Seq;
using Recur.Models.Tagging;
using Recur.Models.Vqa;
using Recur.IO;

namespace Recur.Training;

/// <summary>
/// The JSON shapes of every checkpoint section (<c>config.json</c>'s model, training, progress, data, encoder and
/// scenes), generated at compile time so that reading and writing checkpoints needs no reflection (trimmed and
/// NativeAOT builds). Its settings are <see cref="CheckpointSections.JsonOptions"/>'s: snake_case names, strict numbers,
/// unknown members skipped.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    WriteIndented = true,
    NumberHandling = JsonNumberHandling.Strict,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip)]
[JsonSerializable(typeof(CharModelConfig))]
[JsonSerializable(typeof(TrainOptions))]
[JsonSerializable(typeof(CheckpointProgress))]
[JsonSerializable(typeof(DataInfo))]
[JsonSerializable(typeof(ConvNetConfig))]
[JsonSerializable(typeof(SequenceClassifierConfig))]
[JsonSerializable(typeof(SceneOptions))]
[JsonSerializable(typeof(CaptionerConfig))]
[JsonSerializable(typeof(VqaConfig))]
[JsonSerializable(typeof(TaggerConfig))]
[JsonSerializable(typeof(Seq2SeqConfig))]
[JsonSerializable(typeof(TransformerSeq2SeqConfig))]
[JsonSerializable(typeof(DrawConfig))]
[JsonSerializable(typeof(Recur.Models.Video.VideoClassifierConfig))]
[JsonSerializable(typeof(Recur.Data.Video.ClipOptions))]
[JsonSerializable(typeof(Recur.Models.Glimpse.GlimpseConfig))]
[JsonSerializable(typeof(Recur.Models.Glimpse.DramConfig))]
[JsonSerializable(typeof(Recur.Data.Glimpse.ClutterOptions))]
[JsonSerializable(typeof(Recur.Models.Dialog.DialogConfig))]
[JsonSerializable(typeof(Recur.Models.Sentiment.SentimentConfig))]
public sealed partial class CheckpointJson : JsonSerializerContext;

/// <summary>Reads one section of a <c>config.json</c> through <see cref="CheckpointJson"/>.</summary>
public static class CheckpointSections
{
    /// <summary>
    /// The object <paramref name="name"/> of <paramref name="root"/> as a <typeparamref name="T"/>, or null when it
    /// is absent and not <paramref name="required"/>; anything malformed is a <see cref="CheckpointFormatException"/>.
    /// With <paramref name="defaults"/>, a member the file lacks (a checkpoint from before the option existed) keeps
    /// the default instance's value: the file's members are laid over the defaults' before reading, because
    /// generated metadata sets every init-only member and would otherwise give it <c>default(T)</c>
    /// (dotnet/runtime#84484), unlike reflection, which leaves it at its initializer.
    /// </summary>
    public static T? Read<T>(JsonElement root, string name, string path, bool required, Func<T>? defaults) where T : class
    {
        if (!root.TryGetProperty(name, out var e) || e.ValueKind == JsonValueKind.Null)
        {
            if (required) throw new CheckpointFormatException($"{path}: has no \"{name}\" section.");
            return null;
        }
        if (e.ValueKind != JsonValueKind.Object) throw new CheckpointFormatException($"{path}: \"{name}\" should be an object, found {e.ValueKind}.");
        try
        {
            var info = Info<T>();
            T? value;
            if (defaults is null) value = e.Deserialize(info);
            else
            {
                var merged = (JsonObject)JsonSerializer.SerializeToNode(defaults(), info)!;
                foreach (var member in e.EnumerateObject()) merged[member.Name] = JsonNode.Parse(member.Value.GetRawText());
                value = merged.Deserialize(info);
            }
            return value ?? throw new CheckpointFormatException($"{path}: \"{name}\" is empty.");
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException or InvalidOperationException or ArgumentException)
        {
            throw new CheckpointFormatException($"{path}: \"{name}\" is malformed: {ex.Message}", ex);
        }
    }

    /// <summary>Writes <paramref name="value"/> (of a type <see cref="CheckpointJson"/> knows) as a JSON object.</summary>
    public static void Write<T>(Utf8JsonWriter w, T value) where T : class => JsonSerializer.Serialize(w, value, Info<T>());

    /// <summary>Writes <paramref name="value"/> by its runtime type (which <see cref="CheckpointJson"/> must know).</summary>
    public static void WriteAsRuntimeType(Utf8JsonWriter w, object value) => JsonSerializer.Serialize(w, value, JsonOptions.GetTypeInfo(value.GetType()));

    /// <summary>The section <paramref name="name"/> of a config (<see cref="Read{T}"/>): members it lacks keep <typeparamref name="T"/>'s defaults.</summary>
    public static T? Section<T>(JsonElement root, string name, string path, bool required) where T : class, new()
        => Read(root, name, path, required, () => new T());

    /// <summary>A section whose every member is always written (a positional record): read as it is.</summary>
    public static T? Record<T>(JsonElement root, string name, string path, bool required) where T : class
        => Read<T>(root, name, path, required, defaults: null);

    /// <summary>JSON settings for the sections: snake_case names, strict numbers; the shapes come from <see cref="CheckpointJson"/>.</summary>
    public static JsonSerializerOptions JsonOptions { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.Strict,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip,
        TypeInfoResolver = CheckpointJson.Default,  // compile-time metadata: no reflection
    };

    private static JsonTypeInfo<T> Info<T>() => (JsonTypeInfo<T>)JsonOptions.GetTypeInfo(typeof(T));
}
