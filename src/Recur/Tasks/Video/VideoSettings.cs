using Recur.Data.Video;
using Recur.Models;
using Recur.Training;

namespace Recur.Tasks.Video;

/// <summary>What a video run needs beyond <see cref="TrainOptions"/>, each option declared once in <see cref="Specs"/>.</summary>
public sealed record VideoSettings
{
    /// <summary>Width <c>P</c> of each frame's projection.</summary>
    public int Projection { get; init; } = 256;

    /// <summary>Max pooling over the encoder's grid of a frame with conv features (4: a 64x64 frame's 16x16 grid gives 4x4 locations).</summary>
    public int GridPool { get; init; } = 4;

    /// <summary>
    /// What the encoder gives of each frame (<see cref="Models.Captioning.SceneEncoder.Features"/>): <c>scores</c>, the
    /// classifier's class logits of 28x28 windows every <see cref="WindowStride"/> cells (the default: 10x10 windows 4 pixels
    /// apart, and with <see cref="ChannelMax"/> each class's maximum over them, 1,010 features a frame); <c>fc</c>, their fully
    /// connected features; <c>conv</c>, the pooled convolutional grid.
    /// </summary>
    public string Features { get; init; } = "scores";

    /// <summary>Cells (4 pixels each) between the windows of fc and scores features.</summary>
    public int WindowStride { get; init; } = 1;

    /// <summary>Black pixels around each frame before the encoder reads it, so windows also see objects partly outside.</summary>
    public int Padding { get; init; }

    /// <summary>Each frame's features end with each channel's maximum over its windows (for scores: each class's strongest evidence).</summary>
    public bool ChannelMax { get; init; } = true;

    /// <summary>The clips to draw.</summary>
    public ClipOptions Clips { get; init; } = new();

    /// <summary>The trained convolutional classifier a new run encodes the frames with (the command's <c>--encoder</c>).</summary>
    public ConvNet? Encoder { get; init; }

    private const string Group = "video";

    /// <summary>The task's own options: flag, default (this record's), range and help.</summary>
    public static IReadOnlyList<OptionSpec<VideoSettings>> Specs { get; } =
    [
        SettingSpecs.Int<VideoSettings>("projection", "P", Group, "width of each frame's projection relu(W x_t + b)", 1, 16384,
            s => s.Projection, (s, v) => s with { Projection = SettingSpecs.I(v) }),
        SettingSpecs.Int<VideoSettings>("grid-pool", "K", Group, "max pooling over the encoder's grid of a frame (4: 4x4 locations of a 64x64 frame)",
            1, 16, s => s.GridPool, (s, v) => s with { GridPool = SettingSpecs.I(v) }),
        SettingSpecs.Choice<VideoSettings>("features", Group, "scores: the classifier's class logits of 28x28 windows every --window-stride cells; "
            + "fc: their fully connected features; conv: the convolutional grid, --grid-pool max-pooled", Models.Captioning.SceneEncoder.FeatureKinds,
            s => s.Features, (s, v) => s with { Features = (string)v }),
        SettingSpecs.Int<VideoSettings>("window-stride", "S", Group, "grid cells (4 pixels) between the windows of fc and scores features", 1, 16,
            s => s.WindowStride, (s, v) => s with { WindowStride = SettingSpecs.I(v) }),
        SettingSpecs.Int<VideoSettings>("padding", "P", Group, "black pixels around each frame before the encoder reads it", 0, 64,
            s => s.Padding, (s, v) => s with { Padding = SettingSpecs.I(v) }),
        SettingSpecs.Flag<VideoSettings>("channel-max", Group, "end each frame's features with each channel's maximum over its windows "
            + "(--channel-max false: the windows alone)",
            s => s.ChannelMax, (s, v) => s with { ChannelMax = (bool)v }),
        SettingSpecs.Int<VideoSettings>("frames", "T", Group, "frames per clip", 8, 64,
            s => s.Clips.Frames, (s, v) => s with { Clips = s.Clips with { Frames = SettingSpecs.I(v) } }),
        SettingSpecs.Int<VideoSettings>("clips", "N", Group, "training clips (validation clips are --val-frac of N more)", 1, 10_000_000,
            s => s.Clips.Train, (s, v) => s with { Clips = s.Clips with { Train = SettingSpecs.I(v) } }),
        SettingSpecs.Int<VideoSettings>("test-clips", "N", Group, "test clips", 0, 10_000_000,
            s => s.Clips.Test, (s, v) => s with { Clips = s.Clips with { Test = SettingSpecs.I(v) } }),
        SettingSpecs.Int<VideoSettings>("clip-seed", "S", Group, "the clips' draw", 0, int.MaxValue,
            s => s.Clips.Seed, (s, v) => s with { Clips = s.Clips with { Seed = (ulong)SettingSpecs.I(v) } }),
    ];
}
