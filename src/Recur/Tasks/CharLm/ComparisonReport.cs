using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Recur.Plotting;

using Recur.Training;

namespace Recur.Tasks.CharLm;

/// <summary>
/// The files of a <see cref="ModelComparison"/>: <c>compare.md</c> (a header and a Markdown table), <c>compare.png</c>
/// (every model's validation curve against training minutes) and <c>compare.json</c> (the raw numbers and curves).
/// </summary>
public static class ComparisonReport
{
    /// <summary>The Markdown report's file name.</summary>
    public const string MarkdownFile = "compare.md";

    /// <summary>The plot's file name.</summary>
    public const string PlotFile = "compare.png";

    /// <summary>The raw numbers' file name.</summary>
    public const string JsonFile = "compare.json";

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>
    /// Writes the three files into <paramref name="directory"/> (created when missing); <paramref name="command"/> is quoted in their headers.
    /// </summary>
    public static void WriteAll(ComparisonResult result, string directory, string? command)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(directory);
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, MarkdownFile), Markdown(result, command), new UTF8Encoding(false));
        File.WriteAllText(Path.Combine(directory, JsonFile), Json(result, command), new UTF8Encoding(false));
        Plot(result).SavePng(Path.Combine(directory, PlotFile));
    }

    /// <summary>The machine in one phrase: cores, the CPU (from <c>/proc/cpuinfo</c> where there is one), OS and .NET.</summary>
    public static string Machine()
    {
        string? cpu = CpuModel();
        return $"{Environment.ProcessorCount} core(s){(cpu is null ? "" : ", " + cpu)}; {RuntimeInformation.OSDescription}; .NET {Environment.Version}";
    }

    /// <summary>The CPU's model name from <c>/proc/cpuinfo</c>, or null.</summary>
    public static string? CpuModel()
    {
        try
        {
            if (!File.Exists("/proc/cpuinfo")) return null;
            foreach (string line in File.ReadLines("/proc/cpuinfo"))
                if (line.StartsWith("model name", StringComparison.Ordinal) && line.IndexOf(':') is int k and >= 0) return line[(k + 1)..].Trim();
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return null;
    }

    /// <summary>The table: model, parameters, iterations, train tok/s, sample µs/char, best validation loss (nats and bits per character).</summary>
    public static string Table(ComparisonResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var sb = new StringBuilder();
        sb.Append("| model | parameters | iterations | train tok/s | sample µs/char | best val loss (nats/char) | bits/char |\n");
        sb.Append("|---|---:|---:|---:|---:|---:|---:|\n");
        foreach (var r in result.Runs)
        {
            string best = double.IsFinite(r.BestValLoss) ? r.BestValLoss.ToString("F4", Inv) : "-";
            string bits = double.IsFinite(r.BestValLoss) ? (r.BestValLoss / Math.Log(2)).ToString("F4", Inv) : "-";
            string micros = double.IsFinite(r.SampleMicrosPerChar) ? r.SampleMicrosPerChar.ToString("F1", Inv) : "-";
            sb.Append(string.Create(Inv, $"| {r.Model} | {r.Parameters:N0} | {r.Iterations:N0} | {r.TokensPerSecond:N0} | {micros} | {best} | {bits} |\n"));
        }
        return sb.ToString();
    }

    /// <summary>The options every run shared, as a command line (<c>--hidden 256 --layers 2 ...</c>), without <c>--model</c>.</summary>
    public static string SharedOptions(ComparisonResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var parts = new List<string>();
        foreach (var s in TrainOptionSpecs.All)
        {
            if (s.Flag == "model" || !IsShared(result, s)) continue;
            parts.Add($"--{s.Flag} {OptionSpec.Num(First(result, s))}");
        }
        return string.Join(" ", parts);
    }

    /// <summary>One line per option that differed between runs (other than the cell): <c>--embed: lstm 32, mut1 256</c>.</summary>
    public static IReadOnlyList<string> PerModelOptions(ComparisonResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return TrainOptionSpecs.All.Where(s => s.Flag != "model" && !IsShared(result, s))
            .Select(s => $"--{s.Flag}: " + string.Join(", ", result.Runs.Select(r => $"{r.Model} {OptionSpec.Num(s.Get(r.Options))}"))).ToList();
    }

    private static bool IsShared(ComparisonResult result, OptionSpec s) => result.Runs.All(r => Equals(s.Get(r.Options), First(result, s)));

    private static object First(ComparisonResult result, OptionSpec s) => s.Get(result.Runs.Count > 0 ? result.Runs[0].Options : result.Options);

    /// <summary>The Markdown report: the command, data, budget, options and machine, the table, notes, and the plot.</summary>
    public static string Markdown(ComparisonResult result, string? command)
    {
        ArgumentNullException.ThrowIfNull(result);
        var d = result.Data;
        var sb = new StringBuilder();
        sb.Append("# recur compare\n\n");
        if (command is not null) sb.Append("`").Append(command).Append("`\n\n");
        sb.Append(string.Create(Inv, $"- data: {d.Source}, {d.Characters:N0} characters, vocabulary {d.Vocabulary}; "
            + $"train {d.Train:N0} / val {d.Val:N0}{(d.Test > 0 ? $" / test {d.Test:N0}" : "")}\n"));
        sb.Append("- budget per model: ").Append(Budget(result.Options)).Append('\n');
        sb.Append("- options of every model: `").Append(SharedOptions(result)).Append("`\n");
        foreach (string line in PerModelOptions(result)) sb.Append("- per model ").Append(line).Append('\n');
        sb.Append("- machine: ").Append(Machine()).Append('\n');
        sb.Append("- started: ").Append(result.Started.ToString("yyyy-MM-dd HH:mm:ss", Inv)).Append('\n');
        sb.Append('\n').Append(Table(result)).Append('\n');
        int chars = result.Runs.Select(r => r.SampleChars).DefaultIfEmpty(0).Max();
        sb.Append("Train tok/s: characters trained (iterations × batch × seq-length) over the seconds spent in training steps ")
          .Append("(forward, backward, clipping, optimizer step); evaluations are excluded. ")
          .Append(string.Create(Inv, $"Sample µs/char: CharSampler, batch 1, one thread, {chars:N0} characters after training. "))
          .Append("Best val loss: the lowest of the run's evaluations on the validation split.\n\n");
        foreach (var r in result.Runs)
        {
            var res = r.Result;
            sb.Append(string.Create(Inv, $"- {r.Model}: {res.Message}; {r.Curve.Count} evaluation(s); "
                + $"{r.WallSeconds:F1} s in all, {r.TrainSeconds:F1} s training, {r.EvalSeconds:F1} s evaluating\n"));
        }
        if (result.Cancelled) sb.Append("- interrupted (Ctrl-C): the last run is partial and the models after it did not run\n");
        sb.Append("\n![validation loss against training minutes](").Append(PlotFile).Append(")\n");
        return sb.ToString();
    }

    /// <summary>The limits of one run in words: <c>5 minutes (wall clock, evaluations included), or 50 epochs</c>.</summary>
    public static string Budget(TrainOptions o)
    {
        ArgumentNullException.ThrowIfNull(o);
        var parts = new List<string>();
        if (o.Minutes > 0) parts.Add(string.Create(Inv, $"{o.Minutes:G} minute(s) (wall clock, evaluations included)"));
        if (o.MaxIters > 0) parts.Add(string.Create(Inv, $"{o.MaxIters:N0} iterations"));
        if (o.MaxEpochs > 0) parts.Add(string.Create(Inv, $"{o.MaxEpochs:G} epoch(s)"));
        if (o.Patience > 0) parts.Add(string.Create(Inv, $"{o.Patience} evaluation(s) without a new best"));
        return parts.Count == 0 ? "none" : string.Join(", or ", parts) + ", whichever comes first";
    }

    /// <summary>Every model's validation loss against training minutes (evaluations excluded), with a legend.</summary>
    public static LinePlot Plot(ComparisonResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var plot = new LinePlot(900, 540)
        {
            Title = "recur compare: validation loss",
            XLabel = "training minutes (evaluations excluded)",
            YLabel = "val loss (nats/char)",
            XMin = 0,
        };
        foreach (var r in result.Runs)
        {
            var x = r.Curve.Select(p => p.TrainSeconds / 60).ToArray();
            var y = r.Curve.Select(p => p.ValLoss).ToArray();
            plot.AddLine(r.Model, x, y);
        }
        return plot;
    }

    /// <summary>The raw numbers as indented JSON (non-finite numbers as null).</summary>
    public static string Json(ComparisonResult result, string? command)
    {
        ArgumentNullException.ThrowIfNull(result);
        var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer,
            new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteString("command", command);
            w.WriteString("started", result.Started.ToString("yyyy-MM-ddTHH:mm:ss", Inv));
            w.WriteStartObject("machine");
            w.WriteNumber("cores", Environment.ProcessorCount);
            w.WriteString("cpu", CpuModel());
            w.WriteString("os", RuntimeInformation.OSDescription);
            w.WriteString("dotnet", Environment.Version.ToString());
            w.WriteEndObject();
            var d = result.Data;
            w.WriteStartObject("data");
            w.WriteString("source", d.Source);
            w.WriteNumber("characters", d.Characters);
            w.WriteNumber("vocabulary", d.Vocabulary);
            w.WriteNumber("train", d.Train);
            w.WriteNumber("val", d.Val);
            w.WriteNumber("test", d.Test);
            w.WriteEndObject();
            w.WriteBoolean("cancelled", result.Cancelled);
            w.WritePropertyName("shared_options");
            w.WriteStartObject();
            foreach (var s in TrainOptionSpecs.All)
                if (s.Flag != "model" && IsShared(result, s)) WriteOption(w, s.Flag, First(result, s));
            w.WriteEndObject();
            w.WriteStartArray("models");
            foreach (var r in result.Runs) WriteRun(w, r);
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }

    private static void WriteRun(Utf8JsonWriter w, ModelRun r)
    {
        w.WriteStartObject();
        w.WriteString("model", r.Model);
        w.WriteNumber("parameters", r.Parameters);
        w.WritePropertyName("options");
        WriteOptions(w, r.Options);
        w.WriteNumber("iterations", r.Iterations);
        w.WriteNumber("tokens", r.Tokens);
        Number(w, "train_seconds", r.TrainSeconds);
        Number(w, "wall_seconds", r.WallSeconds);
        Number(w, "eval_seconds", r.EvalSeconds);
        Number(w, "train_tokens_per_s", r.TokensPerSecond);
        w.WriteNumber("sample_chars", r.SampleChars);
        Number(w, "sample_us_per_char", r.SampleMicrosPerChar);
        Number(w, "best_val_loss", r.BestValLoss);
        Number(w, "best_val_bpc", r.BestValLoss / Math.Log(2));
        Number(w, "last_val_loss", r.Result.LastValLoss);
        w.WriteString("stop_reason", r.Result.Reason.ToString());
        w.WriteString("stop_message", r.Result.Message);
        w.WriteStartArray("curve");
        foreach (var p in r.Curve)
        {
            w.WriteStartObject();
            w.WriteNumber("iter", p.Iteration);
            w.WriteNumber("tokens", p.Tokens);
            Number(w, "train_s", p.TrainSeconds);
            Number(w, "wall_s", p.WallSeconds);
            Number(w, "val_loss", p.ValLoss);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteString("sample", r.Sample);
        w.WriteEndObject();
    }

    private static void WriteOptions(Utf8JsonWriter w, TrainOptions o)
    {
        w.WriteStartObject();
        foreach (var s in TrainOptionSpecs.All) WriteOption(w, s.Flag, s.Get(o));
        w.WriteEndObject();
    }

    private static void WriteOption(Utf8JsonWriter w, string name, object value)
    {
        switch (value)
        {
            case string text: w.WriteString(name, text); break;
            case int i: w.WriteNumber(name, i); break;
            case long l: w.WriteNumber(name, l); break;
            case ulong u: w.WriteNumber(name, u); break;
            case double v: Number(w, name, v); break;
            default: w.WriteString(name, OptionSpec.Num(value)); break;
        }
    }

    private static void Number(Utf8JsonWriter w, string name, double v)
    {
        if (double.IsFinite(v)) w.WriteNumber(name, v);
        else w.WriteNull(name);
    }
}
