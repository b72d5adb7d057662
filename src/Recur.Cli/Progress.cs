using System.Diagnostics;
using System.Globalization;
using Recur.Tasks.CharLm;
using Recur.Training;

namespace Recur.Cli;

/// <summary>
/// Training progress on the console. In a terminal: one live line redrawn in place (at most ten
/// times a second) with iteration/total, epoch, smoothed train loss, last validation loss, tokens/s,
/// ETA and a bar; evaluations and samples are printed above it as permanent lines. When the output
/// is redirected: one plain line every <c>printEvery</c> iterations, plus the evaluations.
/// </summary>
internal sealed class ConsoleProgress : TrainingMonitor
{
    private readonly TextWriter _out;
    private readonly bool _live;
    private readonly int _printEvery;
    private readonly int _sampleLength;
    private readonly double _sampleTemperature;
    private readonly Stopwatch _redraw = Stopwatch.StartNew();
    private double _lastVal = double.NaN;
    private int _lineWidth;
    private IterationReport _last;
    private string _unit = "tok";

    public ConsoleProgress(TextWriter output, bool live, int printEvery, int sampleLength = 200, double sampleTemperature = 0.8)
    {
        _out = output;
        _live = live;
        _printEvery = Math.Max(1, printEvery);
        _sampleLength = sampleLength;
        _sampleTemperature = sampleTemperature;
    }

    /// <summary>True when standard output is an interactive terminal.</summary>
    public static bool IsTerminal => !Console.IsOutputRedirected;

    public override void OnStart(Trainer trainer)
    {
        var o = trainer.Options;
        if (trainer.ValLosses.Count > 0) _lastVal = trainer.ValLosses[^1];
        WriteLine(Inv($"{(trainer.Iteration > 0 ? $"resuming at iteration {trainer.Iteration}" : "training")}: {trainer.Task.Describe()}"));
        WriteLine(Inv($"{trainer.Task.BatchesPerEpoch:N0} iterations per epoch; {o.Optimizer} lr {o.LearningRate:G4}")
            + Inv($"{(o.LrSchedule == "cosine" ? $" cosine to {o.LrMin:G3}" : o.LrDecay < 1 ? $" x{o.LrDecay:G3} every {o.LrDecayEvery:G3} epoch(s)" : "")}")
            + Inv($", clip {o.ClipMode} {o.GradClip:G3}{(o.Dropout > 0 ? $", dropout {o.Dropout:G3}" : "")}")
            + Inv($"{(o.WeightDrop > 0 ? $", weight drop {o.WeightDrop:G3}" : "")}{(o.WeightDecay > 0 ? $", weight decay {o.WeightDecay:G3}" : "")}")
            + Inv($"{(o.Ema > 0 ? $", weight average {o.Ema:G6}" : "")}{(o.Patience > 0 ? $", patience {o.Patience}" : "")}")
            + Inv($"; {trainer.Task.Threads} thread(s); stop at {Limits(o)}"));
        if (trainer.OutputDirectory is not null) WriteLine($"run folder: {trainer.OutputDirectory}");
    }

    private static string Limits(TrainOptions o)
    {
        var parts = new List<string>();
        if (o.MaxIters > 0) parts.Add(Inv($"{o.MaxIters:N0} iterations"));
        if (o.MaxEpochs > 0) parts.Add(Inv($"{o.MaxEpochs:G} epochs"));
        if (o.Minutes > 0) parts.Add(Inv($"{o.Minutes:G} minutes"));
        return parts.Count == 0 ? "Ctrl-C" : string.Join(" or ", parts);
    }

    public override void OnIteration(Trainer trainer, in IterationReport r)
    {
        _last = r;
        _unit = trainer.Task.ItemName;
        if (_live)
        {
            if (_redraw.ElapsedMilliseconds < 100 && r.Iteration > 1) return;
            _redraw.Restart();
            Draw(r);
        }
        else if (r.Iteration % _printEvery == 0)
        {
            _out.WriteLine(Inv($"iter {r.Iteration}{Total(r)} | epoch {r.Epoch:F2} | loss {r.Loss:F4} (smooth {r.SmoothLoss:F4}) | lr {r.LearningRate:G3} | ")
                + Inv($"grad norm {r.GradNorm:F2} | {r.TokensPerSecond:N0} {_unit}/s | {Time(r.ElapsedSeconds)} elapsed{Eta(r)}"));
        }
    }

    public override void OnEvaluation(Trainer trainer, in EvaluationReport r)
    {
        _lastVal = r.ValLoss;
        ClearLine();
        string detail = trainer.Task.LossUnit == "nats/char"
            ? Inv($"{r.ValLoss:F4} nats/char ({r.ValBitsPerChar:F4} bits/char)")
            : Inv($"{r.ValLoss:F4}") + string.Concat(r.Metrics.Select(kv => Inv($", {kv.Key} {kv.Value:F4}")));
        _out.WriteLine(Inv($"iter {r.Iteration} (epoch {r.Epoch:F2}): val loss {detail}, train {r.TrainLoss:F4}, ")
            + Inv($"{r.Seconds:F1} s{(!r.IsBest ? "" : trainer.BestBy == TaskMetrics.LossName ? "  * best" : $"  * best {trainer.BestBy}")}"));
        if (_live) Draw(_last);
    }

    public override void OnSampleDue(Trainer trainer)
    {
        if (_sampleLength <= 0 || trainer.Task is not CharLmTask lm) return;
        string s = trainer.WithEvaluationWeights(
            () => CharLmTask.SampleText(lm.Model, lm.Vocabulary, _sampleLength, _sampleTemperature, (ulong)trainer.Iteration));
        ClearLine();
        _out.WriteLine(Inv($"--- sample at iteration {trainer.Iteration} (temperature {_sampleTemperature:G2}) ---"));
        _out.WriteLine(s);
        _out.WriteLine("---");
        if (_live) Draw(_last);
        if (trainer.OutputDirectory is { } run) AppendSample(Path.Combine(run, SamplesFile), trainer.Iteration, s);
    }

    /// <summary>The file in a run folder that keeps the samples drawn along the way (one JSON object a line: iter, temperature, text).</summary>
    public const string SamplesFile = "samples.jsonl";

    private void AppendSample(string path, long iteration, string text)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
            using (var w = new System.Text.Json.Utf8JsonWriter(stream))
            {
                w.WriteStartObject();
                w.WriteNumber("iter", iteration);
                w.WriteNumber("temperature", _sampleTemperature);
                w.WriteString("text", text);
                w.WriteEndObject();
            }
            stream.WriteByte((byte)'\n');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }  // a sample not kept is no reason to stop training
    }

    public override void OnStop(Trainer trainer, TrainResult result) => ClearLine();

    private void Draw(in IterationReport r)
    {
        string val = double.IsNaN(_lastVal) ? "-" : _lastVal.ToString("F3", CultureInfo.InvariantCulture);
        string text = Inv($"iter {r.Iteration}{Total(r)} | ep {r.Epoch:F2} | loss {r.SmoothLoss:F3} | val {val} | {Kilo(r.TokensPerSecond)} {_unit}/s{Eta(r)}");
        int width = TerminalWidth();
        int barWidth = Math.Min(30, width - text.Length - 4);
        if (barWidth >= 10)
        {
            int filled = (int)Math.Round(r.Progress * barWidth);
            text += " [" + new string('#', filled) + new string('.', barWidth - filled) + "]";
        }
        if (text.Length > width - 1) text = text[..Math.Max(0, width - 1)];
        _out.Write("\r" + text.PadRight(Math.Max(_lineWidth, text.Length)));
        _lineWidth = text.Length;
        _out.Flush();
    }

    private void ClearLine()
    {
        if (!_live || _lineWidth == 0) return;
        _out.Write("\r" + new string(' ', _lineWidth) + "\r");
        _lineWidth = 0;
    }

    private void WriteLine(string s)
    {
        ClearLine();
        _out.WriteLine(s);
    }

    private static int TerminalWidth()
    {
        try { int w = Console.WindowWidth; return w >= 40 ? w : 100; }
        catch (IOException) { return 100; }
        catch (PlatformNotSupportedException) { return 100; }
    }

    private static string Total(in IterationReport r) => r.TotalIterations > 0 ? Inv($"/{r.TotalIterations}") : "";

    private static string Eta(in IterationReport r) => double.IsNaN(r.EtaSeconds) ? "" : $" | ETA {Time(r.EtaSeconds)}";

    internal static string Time(double seconds)
    {
        if (!double.IsFinite(seconds) || seconds < 0) return "?";
        var t = TimeSpan.FromSeconds(Math.Round(seconds));
        return t.TotalHours >= 1 ? Inv($"{(int)t.TotalHours}:{t.Minutes:D2}:{t.Seconds:D2}") : Inv($"{t.Minutes}:{t.Seconds:D2}");
    }

    private static string Kilo(double v) => v >= 1e4 ? Inv($"{v / 1e3:F1}k") : Inv($"{v:F0}");

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
