using System.Text.Json;
using Recur.IO;

namespace Recur.Cli.Board;

/// <summary>What the run list shows of one run folder.</summary>
/// <param name="Id">The folder relative to RUNS_DIR ('/'-separated): how the page and the API name the run.</param>
/// <param name="Task">config.json's <c>task</c> ("char-lm", "caption", ...); "" before the first checkpoint.</param>
/// <param name="Model">The trained model: the training options' <c>model</c>, else the model section's cell or kind.</param>
/// <param name="Parameters">Weights in <c>model.safetensors</c>; -1 when there is no checkpoint yet.</param>
/// <param name="Status">"running" (metrics written in the last <see cref="RunSummary.RunningSeconds"/> s), "finished" (it
/// ends with a validation line, as a run that stops normally does) or "stopped" (interrupted, failed, or never evaluated).</param>
/// <param name="BestBy">What the run chooses its best checkpoint by ("loss", "wer", "error", ...), "" when unknown.</param>
/// <param name="Best">The best checkpoint's figure of <paramref name="BestBy"/>, NaN when unknown.</param>
/// <param name="Iterations">The last iteration written.</param>
/// <param name="Elapsed">The run's seconds of training at its last line.</param>
/// <param name="Updated">When metrics.jsonl was last written.</param>
internal sealed record RunSummary(string Id, string Task, string Model, long Parameters, string Status, string BestBy, double Best,
    long Iterations, double Elapsed, DateTime Updated)
{
    /// <summary>A run whose metrics were written this recently is shown as running.</summary>
    public const double RunningSeconds = 120;

    /// <summary>
    /// Reads the summary of run <paramref name="id"/> under <paramref name="root"/> from its files' heads and tails; null when it has
    /// no metrics.
    /// </summary>
    public static RunSummary? Read(RunsRoot root, string id, DateTime now)
    {
        if (root.File(id + "/" + RunFiles.Metrics) is not { } metrics) return null;
        var mtime = File.GetLastWriteTimeUtc(metrics);
        var (lastIter, elapsed, isVal) = Tail(metrics);
        string task = "", model = "", bestBy = "";
        double best = double.NaN;
        string? config = RunFiles.Config(root, id);
        if (config is not null)
        {
            try
            {
                using var doc = JsonDocument.Parse(File.ReadAllBytes(config));
                var json = doc.RootElement;
                task = Text(json, "task");
                model = ModelName(json);
                if (json.TryGetProperty("progress", out var p) && p.ValueKind == JsonValueKind.Object)
                {
                    bestBy = Text(p, "best_by");
                    if (p.TryGetProperty("best_value", out var b) && b.ValueKind == JsonValueKind.Number) best = b.GetDouble();
                    else if (p.TryGetProperty("best_val_loss", out b) && b.ValueKind == JsonValueKind.Number) { best = b.GetDouble(); bestBy = "loss"; }
                }
            }
            catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException) { }
        }
        string status = (now - mtime).TotalSeconds < RunningSeconds ? "running" : isVal ? "finished" : "stopped";
        return new RunSummary(id, task, model, ParameterCount(root, config), status, bestBy, best, lastIter, elapsed, mtime);
    }

    /// <summary>The training options' model, else the model section's <c>cell</c>, <c>kind</c> or <c>architecture</c>, else the model if a word.</summary>
    internal static string ModelName(JsonElement root)
    {
        if (root.TryGetProperty("training", out var t) && t.ValueKind == JsonValueKind.Object && Text(t, "model") is { Length: > 0 } m) return m;
        if (!root.TryGetProperty("model", out var model)) return "";
        if (model.ValueKind == JsonValueKind.String) return model.GetString() ?? "";
        if (model.ValueKind != JsonValueKind.Object) return "";
        foreach (string key in new[] { "cell", "kind", "architecture" })
            if (Text(model, key) is { Length: > 0 } s) return s;
        return "";
    }

    private static string Text(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() ?? "" : "";

    /// <summary>The last complete line of a metrics file: its iteration, elapsed seconds and whether it is a validation line.</summary>
    internal static (long Iteration, double Elapsed, bool IsValidation) Tail(string path)
    {
        try
        {
            using var s = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            int n = (int)Math.Min(s.Length, 16 * 1024);
            var buffer = new byte[n];
            s.Position = s.Length - n;
            s.ReadExactly(buffer);
            var span = buffer.AsSpan();
            int end = span.LastIndexOf((byte)'\n');  // a line without its newline is still being written
            var line = new MetricsLine();
            while (end > 0)
            {
                int start = span[..end].LastIndexOf((byte)'\n') + 1;
                if (start == 0 && n < s.Length) break;  // the line began before the tail read
                if (line.TryParse(span[start..end])) return (line.Iteration, line.Elapsed, line.Type == "val");
                end = start - 1;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        return (-1, double.NaN, false);
    }

    /// <summary>The number of weights a run's checkpoint holds, from its safetensors header (the tensors' shapes); -1 without one.</summary>
    internal static long ParameterCount(RunsRoot root, string? config)
    {
        if (config is null || root.File(root.Relative(Path.GetDirectoryName(config)!) + "/" + CheckpointFiles.ModelFile) is not { } file) return -1;
        try
        {
            using var s = File.OpenRead(file);
            Span<byte> head = stackalloc byte[8];
            s.ReadExactly(head);
            long length = BitConverter.ToInt64(head);
            if (length <= 0 || length > 16 << 20) return -1;
            var json = new byte[length];
            s.ReadExactly(json);
            using var doc = JsonDocument.Parse(json);
            long total = 0;
            foreach (var tensor in doc.RootElement.EnumerateObject())
            {
                if (tensor.Name == "__metadata__" || !tensor.Value.TryGetProperty("shape", out var shape)) continue;
                long count = 1;
                foreach (var d in shape.EnumerateArray()) count *= d.GetInt64();
                total += count;
            }
            return total;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or InvalidOperationException or FormatException)
        {
            return -1;
        }
    }
}
