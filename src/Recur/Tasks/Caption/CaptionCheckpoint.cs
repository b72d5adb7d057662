using System.Text.Json;
using Recur.Data.Scenes;
using Recur.IO;
using Recur.Models.Captioning;
using Recur.Nn;
using Recur.Tasks.Scenes;
using Recur.Training;

namespace Recur.Tasks.Caption;

/// <summary>A captioner as its checkpoint holds it: the captioner and its frozen encoder, the vocabulary and the scenes it was trained on.</summary>
public sealed record LoadedCaptioner(ICaptioner Model, CaptionVocabulary Vocabulary, SceneEncoder Encoder, SceneOptions Scenes) : SavedRun
{
    /// <inheritdoc/>
    public override IReadOnlyList<(string Prefix, ParameterStore Store)> Stores
        => [("", Model.Store), (SceneModelFiles.EncoderPrefix, Encoder.Network.Store)];
}

/// <summary>
/// Captioner checkpoints (<c>recur caption train</c>), self-contained: <c>model.safetensors</c> holds the captioner's
/// parameters under their PyTorch names (<c>embed.weight</c>, <c>att.feature.weight</c>, <c>lstm.weight_ih</c>, ...) and the
/// encoder's under <c>encoder.</c> (<c>encoder.conv0.weight</c>, ...); config.json's sections <c>"model"</c>,
/// <c>"vocabulary"</c> and the scene sections (<see cref="SceneModelFiles"/>: <c>"encoder"</c>, <c>"grid_pool"</c>, <c>"scenes"</c>, ...).
/// </summary>
public sealed class CaptionCheckpoint() : CheckpointFormat<LoadedCaptioner>(FormatName, CaptionTask.TaskName, "captioner")
{
    /// <summary>The <c>"format"</c> value.</summary>
    public const string FormatName = "recur-captioner";

    /// <summary>The format.</summary>
    public static CaptionCheckpoint Instance { get; } = new();

    /// <inheritdoc/>
    protected override void WriteSections(Utf8JsonWriter w, LoadedCaptioner run)
    {
        w.WritePropertyName("model");
        CheckpointSections.Write(w, run.Model.Config);
        WriteNames(w, "vocabulary", run.Vocabulary.Words);
        SceneModelFiles.Write(w, run.Encoder, run.Scenes);
    }

    /// <inheritdoc/>
    protected override LoadedCaptioner ReadSections(JsonElement root, string path, SafeTensorsFile weights)
    {
        var config = CheckpointSections.Section<CaptionerConfig>(root, "model", path, required: true)!;
        var (encoder, scenes) = SceneModelFiles.Read(root, path);
        config.Validate();
        Bound((long)config.Vocab * Math.Max(config.Hidden, config.Embed) > 1L << 28
            || (long)config.Locations * config.FeatureDim * config.Hidden > 1L << 28, path);
        var v = new CaptionVocabulary(ModelFiles.Strings(root, "vocabulary", path));
        if (v.Count != config.Vocab) throw new CheckpointFormatException($"{path}: the vocabulary lists {v.Count} words but the model has {config.Vocab}.");
        var model = Captioners.Create(config);
        if (encoder.FeatureDim != config.FeatureDim)
            throw new CheckpointFormatException($"{path}: the encoder gives {encoder.FeatureDim} features per location "
                + $"but the captioner reads {config.FeatureDim}.");
        return new LoadedCaptioner(model, v, encoder, scenes);
    }
}
