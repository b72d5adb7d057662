using System.Globalization;
using Recur.Data;
using Recur.Data.Scenes;
using Recur.Imaging;
using Recur.Models.Glimpse;

namespace Recur.Tasks.Glimpse;

/// <summary>
/// Pictures of DRAM's reading of scenes: the path over the scene (<see cref="GlimpsePaths.Render"/>: every glimpse's scales as
/// squares, numbered in order and joined by a line) and the figures of the glimpse report (<see cref="GlimpseReport.Build"/>),
/// each glimpse's retina labelled with the object slot it served.
/// </summary>
public static class DramFigures
{
    /// <summary>The names of the classes and the end symbol (index <c>K</c>).</summary>
    public static string Name(int k) => k < FashionMnist.ClassCount ? FashionMnist.ClassNames[k] : DramCheckpoint.EndName;

    /// <summary>A reading (classes in order) in words: "shirt, bag", or "nothing".</summary>
    public static string Words(IEnumerable<int> classes) => classes.Any() ? string.Join(", ", classes.Select(Name)) : "nothing";

    /// <summary>The path <c>(T, 2)</c> of image <paramref name="b"/> of <paramref name="trace"/>'s <c>B</c>.</summary>
    public static float[] Path(DramTrace trace, int b)
    {
        ArgumentNullException.ThrowIfNull(trace);
        int T = trace.Locations.Shape[0], B = trace.Locations.Shape[1];
        var loc = new float[2 * T];
        for (int t = 0; t < T; t++) trace.Locations.Data.AsSpan((t * B + b) * 2, 2).CopyTo(loc.AsSpan(2 * t));
        return loc;
    }

    /// <summary>
    /// The figures of the first <paramref name="count"/> scenes of <paramref name="split"/> on <paramref name="model"/>'s mean path,
    /// enlarged <paramref name="zoom"/> times.
    /// </summary>
    public static IReadOnlyList<GlimpseFigure> Of(DeepRecurrentAttentionModel model, SceneSplit split, int count, int zoom = 3)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(split);
        Guard.Positive(count, nameof(count));
        var c = model.Config;
        int n = Math.Min(count, split.Scenes.Count), P = c.Width * c.Height, T = c.Steps, R = c.GlimpseSize;
        if (n == 0) throw new ArgumentException($"the {split.Name} split has no scenes to draw.", nameof(split));
        var x = new Tensor(n, P);
        DramBatch.Fill(split, Enumerable.Range(0, n).ToArray(), c, x.Data, new int[n * c.Slots]);
        var trace = model.Infer(x);
        var figures = new List<GlimpseFigure>(n);
        for (int b = 0; b < n; b++)
        {
            var loc = Path(trace, b);
            var truth = split.Scenes[b].Items.Select(i => i.Class).ToArray();
            var read = trace.Sequences[b];
            bool right = read.AsSpan().SequenceEqual(truth);
            var retinas = new PixelImage[T];
            var places = new string[T];
            for (int t = 0; t < T; t++)
            {
                retinas[t] = GlimpsePaths.Retina(trace.Glimpses.Data.AsSpan((t * n + b) * R, R), c.Scales, c.Patch);
                int s = t / c.GlimpsesPerObject;
                string slot = t % c.GlimpsesPerObject == c.GlimpsesPerObject - 1 ? $", said {Name(trace.Classes[b * c.Slots + s])}" : "";
                places[t] = string.Create(CultureInfo.InvariantCulture, $"glimpse {t + 1} (slot {s + 1}) at ({loc[2 * t]:F2}, {loc[2 * t + 1]:F2}){slot}");
            }
            figures.Add(new GlimpseFigure($"{split.Name} {b}", $"{Words(truth)}; read {Words(read)} ({(right ? "right" : "wrong")})", right,
                GlimpsePaths.Render(x.Data.AsSpan(b * P, P), c.Width, loc, c.Patch, c.Scales, zoom), retinas, places));
        }
        return figures;
    }
}
