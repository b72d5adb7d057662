using System.Globalization;
using System.Text;
using System.Text.Json;
using Recur.Analysis;
using Recur.Analysis.Gallery;
using Recur.IO;
using Recur.Training;

namespace Recur.Tasks.Gallery;

/// <summary>
/// The files of one corpus in a gallery folder, written as the run goes so that a stopped gallery continues where it was and its
/// page can be drawn at any time: <c>NAME/settings.json</c> (what the samples were drawn with), <c>NAME/run/</c> (the training
/// run: checkpoints, metrics), <c>NAME/samples/iter-NNNNNNN.json</c> (one sample each) and <c>NAME/cells.json</c> (the cells found).
/// </summary>
public sealed class GalleryFolder
{
    /// <summary>The folder of corpus <paramref name="name"/> in the gallery at <paramref name="galleryDirectory"/>.</summary>
    public GalleryFolder(string galleryDirectory, string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(galleryDirectory);
        ArgumentException.ThrowIfNullOrEmpty(name);
        Directory = Path.Combine(galleryDirectory, name);
    }

    /// <summary>The corpus's folder.</summary>
    public string Directory { get; }

    /// <summary>The training run's folder.</summary>
    public string RunDirectory => Path.Combine(Directory, "run");

    /// <summary>The found cells' file.</summary>
    public string CellsPath => Path.Combine(Directory, "cells.json");

    private string SettingsPath => Path.Combine(Directory, "settings.json");

    private string SamplesDirectory => Path.Combine(Directory, "samples");

    /// <summary>
    /// Records the sampling settings of <paramref name="options"/> for a new corpus folder, or checks them against those recorded:
    /// a gallery continues only with the settings it started with (the learning rate anneals over the last iteration).
    /// </summary>
    public void CheckSettings(GalleryOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        string want = SettingsText(options);
        if (File.Exists(SettingsPath))
        {
            string have = File.ReadAllText(SettingsPath);
            if (have != want)
                throw new ArgumentException($"{Directory} was started with other settings ({have.Trim()}; now {want.Trim()}); "
                    + "continue it with the same options, or give another --out.");
            return;
        }
        AtomicFile.WriteAllBytes(SettingsPath, Encoding.UTF8.GetBytes(want));
    }

    /// <summary>
    /// The settings a gallery folder keeps: the sampling settings and the training options a resumed run may not change (the
    /// architecture, the batch shape, the splits, the seed), so that a finished corpus is not skipped for a different request.
    /// </summary>
    private static string SettingsText(GalleryOptions o)
    {
        var inv = CultureInfo.InvariantCulture;
        var fixedOptions = TrainOptionSpecs.All.Where(s => !s.Resumable)
            .Select(s => $"\"{s.Flag}\":\"{OptionSpec.Num(s.Get(o.Training))}\"");
        return $"{{\"iterations\":[{string.Join(",", o.Iterations)}],\"sample_length\":{o.SampleLength.ToString(inv)},"
            + $"\"temperature\":{o.Temperature.ToString("R", inv)},\"sample_seed\":{o.SampleSeed.ToString(inv)},"
            + $"\"training\":{{{string.Join(",", fixedOptions)}}}}}\n";
    }

    /// <summary>Writes <paramref name="sample"/> (replacing one of the same iteration).</summary>
    public void WriteSample(GallerySample sample)
    {
        ArgumentNullException.ThrowIfNull(sample);
        AtomicFile.Write(Path.Combine(SamplesDirectory, $"iter-{sample.Iteration:D7}.json"), s =>
        {
            using var w = new Utf8JsonWriter(s);
            w.WriteStartObject();
            w.WriteNumber("iteration", sample.Iteration);
            Number(w, "validation_loss", sample.ValidationLoss);
            w.WriteNumber("temperature", sample.Temperature);
            w.WriteString("text", sample.Text);
            w.WriteEndObject();
        });
    }

    /// <summary>The samples written so far, by iteration.</summary>
    public IReadOnlyList<GallerySample> ReadSamples()
    {
        if (!System.IO.Directory.Exists(SamplesDirectory)) return [];
        var samples = new List<GallerySample>();
        foreach (var file in System.IO.Directory.EnumerateFiles(SamplesDirectory, "iter-*.json"))
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(file));
            var r = doc.RootElement;
            samples.Add(new GallerySample(r.GetProperty("iteration").GetInt64(), Number(r, "validation_loss"), r.GetProperty("temperature").GetDouble(),
                r.GetProperty("text").GetString() ?? ""));
        }
        return [.. samples.OrderBy(s => s.Iteration)];
    }

    /// <summary>Writes the cells found and the line saying how.</summary>
    public void WriteCells(IReadOnlyList<FoundCell> cells, string note)
    {
        ArgumentNullException.ThrowIfNull(cells);
        AtomicFile.Write(CellsPath, s =>
        {
            using var w = new Utf8JsonWriter(s);
            w.WriteStartObject();
            w.WriteString("note", note);
            w.WriteStartArray("cells");
            foreach (var c in cells)
            {
                w.WriteStartObject();
                w.WriteString("feature", c.Feature);
                w.WriteString("description", c.Description);
                if (c.Cell is { } id)
                {
                    w.WriteNumber("layer", id.Layer);
                    w.WriteString("kind", id.Kind);
                    w.WriteNumber("index", id.Index);
                }
                Number(w, "r_validation", c.ValidationR);
                Number(w, "r_test", c.TestR);
                w.WriteString("excerpt", string.Concat(c.ExcerptText));
                Floats(w, "activations", c.Activations);
                Floats(w, "feature_values", c.FeatureValues);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        });
    }

    /// <summary>The cells found and the note, or null when the search has not finished.</summary>
    public (IReadOnlyList<FoundCell> Cells, string Note)? ReadCells()
    {
        if (!File.Exists(CellsPath)) return null;
        using var doc = JsonDocument.Parse(File.ReadAllBytes(CellsPath));
        var root = doc.RootElement;
        var cells = new List<FoundCell>();
        foreach (var c in root.GetProperty("cells").EnumerateArray())
        {
            CellId? id = c.TryGetProperty("layer", out var layer)
                ? new CellId(layer.GetInt32(), c.GetProperty("kind").GetString() ?? "h", c.GetProperty("index").GetInt32()) : null;
            string excerpt = c.GetProperty("excerpt").GetString() ?? "";
            cells.Add(new FoundCell(c.GetProperty("feature").GetString() ?? "", c.GetProperty("description").GetString() ?? "", id,
                Number(c, "r_validation"), Number(c, "r_test"), [.. excerpt.EnumerateRunes().Select(r => r.ToString())],
                Floats(c, "activations"), Floats(c, "feature_values")));
        }
        return (cells, root.GetProperty("note").GetString() ?? "");
    }

    private static void Number(Utf8JsonWriter w, string name, double v)
    {
        if (double.IsFinite(v)) w.WriteNumber(name, v);
        else w.WriteNull(name);
    }

    private static double Number(JsonElement e, string name)
        => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : double.NaN;

    private static void Floats(Utf8JsonWriter w, string name, float[] values)
    {
        w.WriteStartArray(name);
        foreach (float v in values) w.WriteNumberValue(v);
        w.WriteEndArray();
    }

    private static float[] Floats(JsonElement e, string name) => [.. e.GetProperty(name).EnumerateArray().Select(v => v.GetSingle())];
}
