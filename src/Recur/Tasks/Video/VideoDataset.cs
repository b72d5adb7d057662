using Recur.Data;
using Recur.Data.Video;
using Recur.Models.Captioning;

namespace Recur.Tasks.Video;

/// <summary>
/// Clips as a model reads them: every frame's features from the frozen encoder, <see cref="Features"/> <c>(N, T, F)</c>
/// with <c>F = L D</c> (the frame's grid locations, row-major, each with the encoder's <c>D</c> channels, so where an
/// object is stays in the vector), the actions <c>(N)</c>, and the per-frame labels <c>(N, T, C)</c>.
/// </summary>
public sealed class VideoDataset
{
    /// <summary>A set over encoded clips; the arrays are kept, not copied.</summary>
    public VideoDataset(Tensor features, int[] actions, float[] visible, int classes)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(actions);
        ArgumentNullException.ThrowIfNull(visible);
        Guard.Rank(features, nameof(features), 3, "(clips, frames, features)");
        if (actions.Length != features.Shape[0] || visible.Length != features.Shape[0] * features.Shape[1] * classes)
            throw new ArgumentException($"{features.Shape[0]} clips of {features.Shape[1]} frames need as many actions and {classes} labels a frame.");
        Features = features; Actions = actions; Visible = visible; Classes = classes;
    }

    /// <summary>Frame features <c>(N, T, F)</c>.</summary>
    public Tensor Features { get; }

    /// <summary>Each clip's action id <c>(N)</c>.</summary>
    public int[] Actions { get; }

    /// <summary>1 where a class is visible in a frame, else 0: <c>(N, T, C)</c>.</summary>
    public float[] Visible { get; }

    /// <summary>Per-frame label classes <c>C</c>.</summary>
    public int Classes { get; }

    /// <summary>Clips <c>N</c>.</summary>
    public int Count => Features.Shape[0];

    /// <summary>Frames per clip <c>T</c>.</summary>
    public int Frames => Features.Shape[1];

    /// <summary>Features per frame <c>F</c>.</summary>
    public int FeatureDim => Features.Shape[2];

    /// <summary>
    /// The clips at <paramref name="indices"/> (<c>B</c> of them) time-major: <paramref name="x"/> <c>(T, B, F)</c>,
    /// <paramref name="actions"/> <c>(B)</c>, <paramref name="visible"/> <c>(T, B, C)</c>.
    /// </summary>
    public void Fill(ReadOnlySpan<int> indices, Tensor x, Span<int> actions, Span<float> visible)
    {
        ArgumentNullException.ThrowIfNull(x);
        int B = indices.Length, T = Frames, F = FeatureDim, C = Classes;
        Guard.Shape(x, nameof(x), T, B, F);
        for (int b = 0; b < B; b++)
        {
            int n = indices[b];
            actions[b] = Actions[n];
            for (int t = 0; t < T; t++)
            {
                Features.Data.AsSpan((n * T + t) * F, F).CopyTo(x.Data.AsSpan((t * B + b) * F, F));
                Visible.AsSpan((n * T + t) * C, C).CopyTo(visible.Slice((t * B + b) * C, C));
            }
        }
    }

    /// <summary>
    /// Encodes <paramref name="split"/>'s clips with <paramref name="encoder"/> (its frames rendered and read 16 clips at a time)
    /// and labels them.
    /// </summary>
    public static VideoDataset Encode(SceneEncoder encoder, ClipSplit split)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentNullException.ThrowIfNull(split);
        int N = split.Clips.Count, T = N > 0 ? split.Clips[0].Frames : 1, side = VideoClip.DefaultSide, C = split.Images.ClassCount;
        int F = encoder.Locations(side, side) * encoder.FeatureDim, chunk = 16;
        var features = new Tensor(N, T, F);
        var visible = new float[N * T * C];
        var actions = new int[N];
        for (int start = 0; start < N; start += chunk)
        {
            int n = Math.Min(chunk, N - start);
            var frames = new List<byte[]>(n * T);
            for (int i = 0; i < n; i++)
            {
                var clip = split.Clips[start + i];
                if (clip.Frames != T) throw new ArgumentException($"clip {start + i} has {clip.Frames} frames, the first {T}.");
                for (int t = 0; t < T; t++)
                {
                    var frame = new byte[side * side];
                    clip.Render(split.Images, t, frame);
                    frames.Add(frame);
                }
                actions[start + i] = (int)clip.Action;
                var v = clip.Visible(split.Images);
                for (int k = 0; k < v.Length; k++) visible[(start + i) * T * C + k] = v[k] ? 1f : 0f;
            }
            // (n T, L, D) is (n, T, L D) laid out the same way.
            encoder.Encode(frames, side, side).Data.AsSpan().CopyTo(features.Data.AsSpan(start * T * F, n * T * F));
        }
        return new VideoDataset(features, actions, visible, C);
    }
}
