using Recur.Data.Scenes;
using Recur.Models.Glimpse;
using Recur.Nn;

namespace Recur.Tasks.Glimpse;

/// <summary>
/// How one scene was read: whether the whole reading was right, how many of its objects were named right in their place,
/// and whether the count was. The reading is the slots' classes before the first end symbol
/// (<see cref="DramTargets.Sequence"/>).
/// </summary>
/// <param name="Exact">The reading is the scene's classes in reading order, no more and no fewer (every object and the count right).</param>
/// <param name="ObjectsRight">Objects <c>i</c> whose slot <c>i</c> holds their class (an end symbol there is wrong), of the scene's.</param>
/// <param name="CountRight">The reading has as many classes as the scene has objects.</param>
public readonly record struct DramReading(bool Exact, int ObjectsRight, bool CountRight)
{
    /// <summary>
    /// The reading of the slots' argmaxes <paramref name="slots"/> <c>(S)</c> for a scene of <paramref name="classes"/> (in reading
    /// order); <paramref name="end"/> is the end symbol.
    /// </summary>
    public static DramReading Of(ReadOnlySpan<int> slots, ReadOnlySpan<int> classes, int end)
    {
        var read = DramTargets.Sequence(slots, end);
        int right = 0;
        for (int i = 0; i < classes.Length && i < slots.Length; i++) if (slots[i] == classes[i]) right++;
        return new DramReading(read.AsSpan().SequenceEqual(classes), right, read.Length == classes.Length);
    }
}

/// <summary>
/// What a DRAM model scored on the scenes of a split (the policy's mean path, so the same every time).
/// </summary>
/// <param name="Loss">Per scene, the summed cross-entropy of its active slots (its objects and the end symbol), averaged, nats.</param>
/// <param name="SequenceAccuracy">Fraction of the scenes read exactly (<see cref="DramReading.Exact"/>).</param>
/// <param name="ObjectAccuracy">Fraction of all objects named right in their place (<see cref="DramReading.ObjectsRight"/>).</param>
/// <param name="CountAccuracy">Fraction of the scenes whose count was right.</param>
/// <param name="Scenes">Scenes scored.</param>
/// <param name="Objects">Objects in them.</param>
/// <param name="ValuesRead">Retina values taken in per scene, <c>T k g²</c>.</param>
/// <param name="Pixels">Pixels per scene.</param>
public sealed record DramScore(double Loss, double SequenceAccuracy, double ObjectAccuracy, double CountAccuracy, int Scenes, int Objects,
    long ValuesRead, int Pixels)
{
    /// <summary>Scenes per forward pass of a score.</summary>
    public const int Chunk = 100;

    /// <summary>The figure that chooses best/: <c>1 - SequenceAccuracy</c>.</summary>
    public double Error => 1 - SequenceAccuracy;

    /// <summary>The fraction of the pixels read.</summary>
    public double PixelsRead => (double)ValuesRead / Pixels;

    /// <summary>
    /// Scores <paramref name="model"/> on every scene of <paramref name="split"/>, in chunks of <see cref="Chunk"/> in order, on the
    /// policy's mean path (<see cref="DeepRecurrentAttentionModel.Infer"/>). Each chunk is shown to <paramref name="chunk"/>, when
    /// given: its first scene's index, the images <c>(b, H W)</c>, the targets <c>(b, S)</c> and the trace.
    /// </summary>
    public static DramScore Of(DeepRecurrentAttentionModel model, SceneSplit split, Action<int, Tensor, int[], DramTrace>? chunk = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(split);
        var c = model.Config;
        int N = split.Scenes.Count, P = c.Width * c.Height, S = c.Slots, K1 = c.Outputs;
        long values = (long)c.Steps * c.GlimpseSize;
        if (N == 0) return new DramScore(double.NaN, double.NaN, double.NaN, double.NaN, 0, 0, values, P);
        double ce = 0;
        int exact = 0, objects = 0, objectsRight = 0, counts = 0;
        for (int start = 0; start < N; start += Chunk)
        {
            int b = Math.Min(Chunk, N - start);
            var x = new Tensor(b, P);
            var targets = new int[b * S];
            DramBatch.Fill(split, Enumerable.Range(start, b).ToArray(), c, x.Data, targets);
            var trace = model.Infer(x);
            chunk?.Invoke(start, x, targets, trace);
            var slotMajor = new int[S * b];
            for (int i = 0; i < b; i++)
                for (int s = 0; s < S; s++) slotMajor[s * b + i] = targets[i * S + s];
            ce += SoftmaxCrossEntropy.Loss<float>(trace.Logits.Data, S * b, K1, slotMajor, LossReduction.Sum, DramTargets.Ignore);
            for (int i = 0; i < b; i++)
            {
                var classes = split.Scenes[start + i].Items.Select(it => it.Class).ToArray();
                var r = DramReading.Of(trace.Classes.AsSpan(i * S, S), classes, c.End);
                objects += classes.Length;
                objectsRight += r.ObjectsRight;
                if (r.Exact) exact++;
                if (r.CountRight) counts++;
            }
        }
        return new DramScore(ce / N, (double)exact / N, objects == 0 ? double.NaN : (double)objectsRight / objects, (double)counts / N, N, objects,
            values, P);
    }
}

/// <summary>Scenes as a DRAM batch: their images and their targets.</summary>
public static class DramBatch
{
    /// <summary>
    /// Draws the scenes <paramref name="items"/> of <paramref name="split"/> into <paramref name="images"/> <c>(B, H W)</c> (grey
    /// levels / 255) and their targets into <paramref name="targets"/> <c>(B, S)</c> (<see cref="DramTargets.Fill"/>).
    /// </summary>
    public static void Fill(SceneSplit split, ReadOnlySpan<int> items, DramConfig config, Span<float> images, Span<int> targets)
    {
        ArgumentNullException.ThrowIfNull(split);
        ArgumentNullException.ThrowIfNull(config);
        int P = config.Width * config.Height, S = config.Slots, B = items.Length;
        Guard.Length(images.Length, B * P, nameof(images));
        Guard.Length(targets.Length, B * S, nameof(targets));
        Span<int> classes = stackalloc int[S];
        for (int b = 0; b < B; b++)
        {
            var scene = split.Scenes[items[b]];
            if (scene.Side != config.Width || scene.Side != config.Height)
                throw new ArgumentException($"the scenes are {scene.Side}x{scene.Side}, the model reads {config.Height}x{config.Width}.");
            if (scene.Items.Count >= S)
                throw new ArgumentException($"a scene of {scene.Items.Count} objects needs {scene.Items.Count + 1} slots, the model has {S}.");
            var pixels = scene.Render(split.Images);
            var dst = images.Slice(b * P, P);
            for (int p = 0; p < P; p++) dst[p] = pixels[p] / 255f;
            for (int i = 0; i < scene.Items.Count; i++) classes[i] = scene.Items[i].Class;
            DramTargets.Fill(classes[..scene.Items.Count], config.End, targets.Slice(b * S, S));
        }
    }
}
