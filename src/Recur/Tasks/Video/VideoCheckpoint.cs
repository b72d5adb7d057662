using System.Text.Json;
using Recur.Data.Video;
using Recur.IO;
using Recur.Models;
using Recur.Models.Captioning;
using Recur.Models.Video;
using Recur.Nn;
using Recur.Training;

namespace Recur.Tasks.Video;

/// <summary>A video model as its checkpoint holds it: the model, its frozen frame encoder, and the clips it was trained on.</summary>
public sealed record LoadedVideo(VideoClassifier Model, SceneEncoder Encoder, ClipOptions Clips) : SavedRun
{
    /// <summary>Prefix of the encoder's tensors in <c>model.safetensors</c>.</summary>
    public const string EncoderPrefix = "encoder.";

    /// <inheritdoc/>
    public override IReadOnlyList<(string Prefix, ParameterStore Store)> Stores => [("", Model.Store), (EncoderPrefix, Encoder.Network.Store)];
}

/// <summary>
/// Video checkpoints (<c>recur video train</c>), self-contained: <c>model.safetensors</c> holds the model (<c>proj</c>,
/// <c>rnn</c>, <c>visible</c>, <c>action</c>) and the frame encoder under <c>encoder.</c>; config.json's sections
/// <c>"model"</c>, <c>"encoder"</c>, <c>"grid_pool"</c>, <c>"clips"</c>, <c>"actions"</c> and <c>"classes"</c>.
/// </summary>
public sealed class VideoCheckpoint() : CheckpointFormat<LoadedVideo>(FormatName, TaskName, "video")
{
    /// <summary>The <c>"format"</c> value.</summary>
    public const string FormatName = "recur-video";

    /// <summary>The task name.</summary>
    public const string TaskName = "video";

    /// <summary>The format.</summary>
    public static VideoCheckpoint Instance { get; } = new();

    /// <inheritdoc/>
    protected override void WriteSections(Utf8JsonWriter w, LoadedVideo run)
    {
        ArgumentNullException.ThrowIfNull(run);
        w.WritePropertyName("model");
        CheckpointSections.Write(w, run.Model.Config);
        w.WritePropertyName("encoder");
        CheckpointSections.Write(w, run.Encoder.Network.Config);
        w.WriteNumber("grid_pool", run.Encoder.GridPool);
        w.WriteString("features", run.Encoder.Features);
        w.WriteNumber("window_stride", run.Encoder.WindowStride);
        w.WriteNumber("padding", run.Encoder.Padding);
        w.WriteBoolean("channel_max", run.Encoder.ChannelMax);
        w.WritePropertyName("clips");
        CheckpointSections.Write(w, run.Clips);
        WriteNames(w, "actions", [.. VideoActions.All.Select(VideoActions.Name)]);
        WriteNames(w, "classes", Data.FashionMnist.ClassNames);
    }

    /// <inheritdoc/>
    protected override LoadedVideo ReadSections(JsonElement root, string path, SafeTensorsFile weights)
    {
        var config = CheckpointSections.Section<VideoClassifierConfig>(root, "model", path, required: true)!;
        var enc = CheckpointSections.Section<ConvNetConfig>(root, "encoder", path, required: true)!;
        var clips = CheckpointSections.Section<ClipOptions>(root, "clips", path, required: true)!;
        if (!root.TryGetProperty("grid_pool", out var gp) || !gp.TryGetInt32(out int pool))
            throw new CheckpointFormatException($"{path}: \"grid_pool\" should be a whole number.");
        // Absent in the first format: the pooled convolutional grid.
        string features = !root.TryGetProperty("features", out var fe) ? "conv"
            : fe.ValueKind == JsonValueKind.String ? fe.GetString()! : throw new CheckpointFormatException($"{path}: \"features\" should be a string.");
        int stride = 0;
        if (root.TryGetProperty("window_stride", out var ws) && !ws.TryGetInt32(out stride))
            throw new CheckpointFormatException($"{path}: \"window_stride\" should be a whole number.");
        // Absent in the first format: no padding, no channel maxima.
        int padding = 0;
        if (root.TryGetProperty("padding", out var pd) && !pd.TryGetInt32(out padding))
            throw new CheckpointFormatException($"{path}: \"padding\" should be a whole number.");
        bool channelMax = root.TryGetProperty("channel_max", out var cm) && (cm.ValueKind is JsonValueKind.True or JsonValueKind.False
            ? cm.GetBoolean() : throw new CheckpointFormatException($"{path}: \"channel_max\" should be true or false."));
        if (!ModelFiles.Strings(root, "actions", path).SequenceEqual(VideoActions.All.Select(VideoActions.Name)))
            throw new CheckpointFormatException($"{path}: its actions are not this Recur's; the model cannot be read.");
        try
        {
            config.Validate();
            enc.Validate();
            clips.Validate();
        }
        catch (ArgumentException e) { throw new CheckpointFormatException($"{path}: {e.Message}", e); }
        Bound((long)config.Hidden * config.Hidden > 1L << 28 || (long)config.FeatureDim * config.Projection > 1L << 28
            || enc.ParameterCount() > 1L << 28 || config.Layers > 256, path);
        SceneEncoder encoder;
        try { encoder = new SceneEncoder(new ConvNet(enc), pool, features: features, windowStride: stride, padding: padding, channelMax: channelMax); }
        catch (ArgumentException e) { throw new CheckpointFormatException($"{path}: invalid encoder: {e.Message}", e); }
        int given = encoder.Locations(VideoClip.DefaultSide, VideoClip.DefaultSide) * encoder.FeatureDim;
        if (given != config.FeatureDim)
            throw new CheckpointFormatException($"{path}: the encoder gives {given} features a frame but the model reads {config.FeatureDim}.");
        return new LoadedVideo(new VideoClassifier(config), encoder, clips);
    }
}
