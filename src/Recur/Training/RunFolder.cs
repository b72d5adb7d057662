using System.Text;
using System.Text.Json;
using Recur.IO;
using Recur.Plotting;

namespace Recur.Training;

/// <summary>
/// A training run's folder: <c>latest/</c> and <c>best/</c> checkpoints, <c>metrics.jsonl</c> (one JSON object per
/// iteration and evaluation) and <c>loss.png</c>. Knows nothing of models or tasks.
/// </summary>
public sealed class RunFolder(string directory)
{
    /// <summary>The name of the per-iteration metrics file in the run folder.</summary>
    public const string MetricsFile = "metrics.jsonl";

    /// <summary>The name of the loss plot in the run folder.</summary>
    public const string PlotFile = "loss.png";

    /// <summary>The folder.</summary>
    public string Directory { get; } = directory ?? throw new ArgumentNullException(nameof(directory));

    /// <summary>The path of the <paramref name="kind"/> checkpoint folder.</summary>
    public string CheckpointPath(CheckpointKind kind) => Path.Combine(Directory, CheckpointFiles.FolderName(kind));

    /// <summary>
    /// Creates the folder; for a resumed run (at <paramref name="iteration"/>) drops the metrics lines past the
    /// checkpoint (the run may have gone on after it was saved); a fresh run (iteration 0) starts a new file.
    /// </summary>
    public void Prepare(long iteration)
    {
        System.IO.Directory.CreateDirectory(Directory);
        string path = Path.Combine(Directory, MetricsFile);
        if (!File.Exists(path)) return;
        var keep = new List<string>();
        foreach (string line in File.ReadLines(path))
        {
            try
            {
                using var doc = JsonDocument.Parse(line);
                if (doc.RootElement.TryGetProperty("iter", out var it) && it.TryGetInt64(out long i) && i <= iteration) keep.Add(line);
            }
            catch (JsonException) { }
        }
        if (iteration == 0) keep.Clear();
        AtomicFile.Write(path, s =>
        {
            using var w = new StreamWriter(s, new UTF8Encoding(false), leaveOpen: true);
            foreach (string l in keep) w.WriteLine(l);
        });
    }

    /// <summary>Opens <c>metrics.jsonl</c> for appending.</summary>
    public StreamWriter OpenMetrics() => new(Path.Combine(Directory, MetricsFile), append: true, new UTF8Encoding(false));

    /// <summary>Writes <c>loss.png</c>: the training loss (averaged in up to 400 buckets) and the validation losses.</summary>
    public void WritePlot(IReadOnlyList<double> trainLosses, IReadOnlyList<long> valIterations, IReadOnlyList<double> valLosses, string title)
    {
        int n = trainLosses.Count;
        if (n == 0) return;
        int bucket = Math.Max(1, n / 400);
        var xs = new List<double>();
        var ys = new List<double>();
        for (int i = 0; i < n; i += bucket)
        {
            int end = Math.Min(n, i + bucket);
            double s = 0;
            for (int j = i; j < end; j++) s += trainLosses[j];
            xs.Add(end);
            ys.Add(s / (end - i));
        }
        var plot = new LinePlot(900, 520) { Title = title, XLabel = "iteration", YLabel = "loss" };
        plot.AddLine("train", xs.ToArray(), ys.ToArray());
        if (valLosses.Count > 0)
        {
            var vx = valIterations.Select(i => (double)i).ToArray();
            var vy = valLosses.ToArray();
            if (vx.Length == 1) plot.AddScatter("val", vx, vy);
            else plot.AddLine("val", vx, vy);
        }
        AtomicFile.WriteAllBytes(Path.Combine(Directory, PlotFile), plot.ToPng());
    }
}
