using System.Globalization;
using System.Text.Json;

using Recur.Training;

namespace Recur.Tasks.CharLm;

/// <summary>
/// Reads back what <see cref="ComparisonReport.Json"/> wrote, so that comparisons run apart (in parallel streams, or on
/// different days) can be merged into one table and one plot (<c>recur compare --merge</c>). Values the file does not
/// record (a run's epoch count) are 0; non-finite numbers (written as null) come back as NaN.
/// </summary>
public static class ComparisonJson
{
    /// <summary>The comparison in <paramref name="json"/>; <see cref="FormatException"/> when it is not a compare.json.</summary>
    public static ComparisonResult Parse(string json, string source = "<memory>")
    {
        ArgumentNullException.ThrowIfNull(json);
        try
        {
            using var doc = JsonDocument.Parse(json);
            var root = doc.RootElement;
            var d = root.GetProperty("data");
            var data = new ComparisonData(d.GetProperty("source").GetString() ?? "", d.GetProperty("characters").GetInt64(),
                d.GetProperty("vocabulary").GetInt32(), d.GetProperty("train").GetInt64(), d.GetProperty("val").GetInt64(), d.GetProperty("test").GetInt64());
            var runs = root.GetProperty("models").EnumerateArray().Select(Run).ToArray();
            var started = DateTime.ParseExact(root.GetProperty("started").GetString()!, "yyyy-MM-ddTHH:mm:ss", CultureInfo.InvariantCulture);
            return new ComparisonResult(runs, runs.Length > 0 ? runs[0].Options : new TrainOptions(), data, root.GetProperty("cancelled").GetBoolean(),
                started);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new FormatException($"{source}: not a compare.json written by recur compare ({e.Message}).", e);
        }
    }

    private static double Number(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : double.NaN;

    private static ModelRun Run(JsonElement r)
    {
        var curve = r.GetProperty("curve").EnumerateArray()
            .Select(p => new CurvePoint(p.GetProperty("iter").GetInt64(), p.GetProperty("tokens").GetInt64(), Number(p, "train_s"), Number(p, "wall_s"),
                Number(p, "val_loss"))).ToArray();
        var reason = Enum.Parse<StopReason>(r.GetProperty("stop_reason").GetString()!);
        long iterations = r.GetProperty("iterations").GetInt64();
        return new ModelRun
        {
            Model = r.GetProperty("model").GetString()!,
            Options = Options(r.GetProperty("options")),
            Parameters = r.GetProperty("parameters").GetInt64(),
            Iterations = iterations,
            Tokens = r.GetProperty("tokens").GetInt64(),
            TrainSeconds = Number(r, "train_seconds"),
            WallSeconds = Number(r, "wall_seconds"),
            EvalSeconds = Number(r, "eval_seconds"),
            TokensPerSecond = Number(r, "train_tokens_per_s"),
            SampleChars = r.GetProperty("sample_chars").GetInt32(),
            SampleMicrosPerChar = Number(r, "sample_us_per_char"),
            Sample = r.GetProperty("sample").GetString() ?? "",
            BestValLoss = Number(r, "best_val_loss"),
            Curve = curve,
            Result = new TrainResult(reason, iterations, 0, Number(r, "last_val_loss"), Number(r, "best_val_loss"), Number(r, "wall_seconds"),
                r.GetProperty("stop_message").GetString() ?? ""),
        };
    }

    /// <summary>The options of a run: every recorded flag, typed as its declaration's value.</summary>
    private static TrainOptions Options(JsonElement e)
    {
        var o = new TrainOptions();
        foreach (var spec in TrainOptionSpecs.All)
        {
            if (!e.TryGetProperty(spec.Flag, out var v) || v.ValueKind == JsonValueKind.Null) continue;
            object current = spec.Get(o);
            object value = current switch
            {
                int => v.GetInt32(),
                long => v.GetInt64(),
                ulong => v.GetUInt64(),
                double => v.GetDouble(),
                bool => v.ValueKind == JsonValueKind.String ? v.GetString() == "true" : v.GetBoolean(),
                _ => v.ValueKind == JsonValueKind.String ? v.GetString()! : v.GetRawText(),
            };
            o = spec.With(o, value);
        }
        return o;
    }
}
