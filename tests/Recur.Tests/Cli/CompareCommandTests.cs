using System.Globalization;
using System.Text.Json;
using Recur.Data;
using Recur.Tasks.CharLm;
using Recur.Tests.Plotting;
using Recur.Training;
using Xunit;

namespace Recur.Tests.Cli;

[Collection("Console")]
public sealed class CompareCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("recur-compare-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private string TextFile(int chars = 3000) => CliHarness.ShakespeareFile(_dir, chars);

    private static readonly string[] Tiny =
        ["--hidden", "8", "--layers", "1", "--seq-length", "8", "--batch-size", "2", "--threads", "1", "--sample-chars", "200"];

    /// <summary>The table's row of <paramref name="model"/> in <paramref name="markdown"/>: its cells after the name.</summary>
    private static string[] Row(string markdown, string model)
    {
        var line = markdown.Split('\n').SingleOrDefault(l => l.StartsWith($"| {model} |", StringComparison.Ordinal));
        Assert.True(line is not null, $"no table row for {model}:\n{markdown}");
        return line.Split('|', StringSplitOptions.TrimEntries)[2..^1];
    }

    private static double Num(string cell) => double.Parse(cell.Replace(",", ""), CultureInfo.InvariantCulture);

    /// <summary>Parameters of a one-layer character model: embedding, input and recurrent weights and biases, head.</summary>
    private static long Parameters(int gates, int v, int e, int h) => (long)v * e + gates * h * (e + h + 2) + (long)v * h + v;

    [Fact]
    public void ComparesTwoModelsWithTheSameOptionsAndWritesTableJsonAndPlot()
    {
        string text = TextFile();
        string outDir = Path.Combine(_dir, "out");
        var r = CliHarness.Run(["compare", text, "--models", "rnn,gru", .. Tiny, "--embed", "4", "--lr", "0.01", "--optimizer", "rmsprop",
            "--seed", "7", "--max-iters", "30", "--evals", "3", "--out", outDir]);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("", r.Err);
        Assert.Contains("=== [1/2] rnn", r.Out);
        Assert.Contains("=== [2/2] gru", r.Out);
        Assert.Contains("val loss", r.Out);

        string md = File.ReadAllText(Path.Combine(outDir, ComparisonReport.MarkdownFile));
        Assert.Contains("`recur compare " + text + " --models rnn,gru", md);
        Assert.Contains("- machine: " + Environment.ProcessorCount + " core(s)", md);
        Assert.Contains("30 iterations", md);
        foreach (string m in new[] { "rnn", "gru" })
        {
            var cells = Row(md, m);
            Assert.Equal(6, cells.Length);
            foreach (string c in cells) Assert.True(Num(c) > 0, $"{m}: {string.Join(" | ", cells)}");
            Assert.Equal(30, Num(cells[1]));
            Assert.Equal(Row(md, m), Row(r.Out, m)); // the table is printed too
        }

        var (w, h, _, _) = PngReader.Decode(File.ReadAllBytes(Path.Combine(outDir, ComparisonReport.PlotFile)));
        Assert.Equal((900, 540), (w, h));

        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, ComparisonReport.JsonFile)));
        var root = json.RootElement;
        int vocab = root.GetProperty("data").GetProperty("vocabulary").GetInt32();
        Assert.Equal(Vocabulary.FromText(File.ReadAllText(text)).Count, vocab);
        var models = root.GetProperty("models").EnumerateArray().ToList();
        Assert.Equal(["rnn", "gru"], models.Select(m => m.GetProperty("model").GetString()));
        foreach (var m in models)
        {
            var o = m.GetProperty("options");
            Assert.Equal(m.GetProperty("model").GetString(), o.GetProperty("model").GetString());
            Assert.Equal(8, o.GetProperty("hidden").GetInt32());
            Assert.Equal(1, o.GetProperty("layers").GetInt32());
            Assert.Equal(4, o.GetProperty("embed").GetInt32());
            Assert.Equal(8, o.GetProperty("seq-length").GetInt32());
            Assert.Equal(2, o.GetProperty("batch-size").GetInt32());
            Assert.Equal(0.01, o.GetProperty("lr").GetDouble());
            Assert.Equal("rmsprop", o.GetProperty("optimizer").GetString());
            Assert.Equal(7, o.GetProperty("seed").GetInt32());
            Assert.Equal(10, o.GetProperty("eval-every").GetInt32()); // 30 iterations / 3 evaluations
            Assert.Equal(30, m.GetProperty("iterations").GetInt64());
            Assert.Equal(30 * 8 * 2, m.GetProperty("tokens").GetInt64());
            Assert.Equal("MaxIters", m.GetProperty("stop_reason").GetString());
            Assert.True(m.GetProperty("train_tokens_per_s").GetDouble() > 0);
            Assert.True(m.GetProperty("sample_us_per_char").GetDouble() > 0);
            Assert.Equal(200, m.GetProperty("sample").GetString()!.EnumerateRunes().Count());
            var curve = m.GetProperty("curve").EnumerateArray().ToList();
            Assert.Equal([10L, 20L, 30L], curve.Select(p => p.GetProperty("iter").GetInt64()));
            Assert.Equal(curve.Min(p => p.GetProperty("val_loss").GetDouble()), m.GetProperty("best_val_loss").GetDouble());
            var seconds = curve.Select(p => p.GetProperty("train_s").GetDouble()).ToList();
            Assert.True(seconds[0] > 0 && seconds.SequenceEqual(seconds.Order()), string.Join(", ", seconds));
        }
        Assert.Equal(Parameters(1, vocab, 4, 8), models[0].GetProperty("parameters").GetInt64());
        Assert.Equal(Parameters(3, vocab, 4, 8), models[1].GetProperty("parameters").GetInt64());
        Assert.Equal(30, root.GetProperty("shared_options").GetProperty("max-iters").GetInt32());
        Assert.False(root.GetProperty("shared_options").TryGetProperty("model", out _));
    }

    [Fact]
    public void ComparisonsRunApartMergeIntoOneTable()
    {
        string text = TextFile();
        string a = Path.Combine(_dir, "a"), b = Path.Combine(_dir, "b"), m = Path.Combine(_dir, "m");
        Assert.Equal(0, CliHarness.Run(["compare", text, "--models", "rnn", .. Tiny, "--max-iters", "6", "--evals", "2", "--out", a]).ExitCode);
        Assert.Equal(0, CliHarness.Run(["compare", text, "--models", "gru,lstm", .. Tiny, "--max-iters", "6", "--evals", "2", "--out", b]).ExitCode);
        var r = CliHarness.Run("compare", "--merge", a + "," + b, "--out", m);
        Assert.True(r.ExitCode == 0, r.ToString());
        string md = File.ReadAllText(Path.Combine(m, ComparisonReport.MarkdownFile));
        foreach (string model in new[] { "rnn", "gru", "lstm" })
        {
            string merged = string.Join("|", Row(md, model));
            string original = string.Join("|", Row(File.ReadAllText(Path.Combine(model == "rnn" ? a : b, ComparisonReport.MarkdownFile)), model));
            Assert.Equal(original, merged); // the same numbers, read back
        }
        var back = ComparisonJson.Parse(File.ReadAllText(Path.Combine(m, ComparisonReport.JsonFile)));
        Assert.Equal(["rnn", "gru", "lstm"], back.Runs.Select(x => x.Model));
        Assert.Equal(8, back.Runs[1].Options.Hidden);
        Assert.True(back.Runs.All(x => x.Curve.Count >= 1));
        string other = Path.Combine(_dir, "other.txt");
        File.WriteAllText(other, File.ReadAllText(text)[..2500]);
        string c = Path.Combine(_dir, "c");
        Assert.Equal(0, CliHarness.Run(["compare", other, "--models", "rnn", .. Tiny, "--max-iters", "2", "--evals", "1", "--out", c]).ExitCode);
        CliHarness.AssertCleanFailure(CliHarness.Run("compare", "--merge", a + "," + c), "compare", "different texts");
        CliHarness.AssertCleanFailure(CliHarness.Run("compare", "--merge", Path.Combine(_dir, "nothing")), "compare", "not found");
    }

    [Fact]
    public void TimeBudgetStopsEveryModelAndInputAddingCellsTakeEmbedEqualHidden()
    {
        string text = TextFile();
        string outDir = Path.Combine(_dir, "timed");
        var r = CliHarness.Run(["compare", text, "--models", "rnn,mut1", .. Tiny, "--embed", "4", "--minutes", "0.005", "--max-epochs", "0",
            "--evals", "4", "--out", outDir]);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("mut1: --embed 8 (= --hidden", r.Out);
        string md = File.ReadAllText(Path.Combine(outDir, ComparisonReport.MarkdownFile));
        Assert.Contains("- per model --embed: rnn 4, mut1 8", md);

        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, ComparisonReport.JsonFile)));
        var models = json.RootElement.GetProperty("models").EnumerateArray().ToList();
        Assert.Equal([4, 8], models.Select(m => m.GetProperty("options").GetProperty("embed").GetInt32()));
        foreach (var m in models)
        {
            Assert.Equal("TimeBudget", m.GetProperty("stop_reason").GetString());
            Assert.InRange(m.GetProperty("wall_seconds").GetDouble(), 0.15, 10);
            Assert.True(m.GetProperty("curve").GetArrayLength() >= 1, m.ToString()); // how many depends on the machine's load
            Assert.True(m.GetProperty("eval_seconds").GetDouble() < m.GetProperty("wall_seconds").GetDouble());
            Assert.True(m.GetProperty("train_seconds").GetDouble() < m.GetProperty("wall_seconds").GetDouble());
        }
    }

    [Fact]
    public void GivenEvalEveryIsKeptForEveryModel()
    {
        string text = TextFile();
        string outDir = Path.Combine(_dir, "every");
        var r = CliHarness.Run(["compare", text, "--models", "gru,rnn", .. Tiny[..^2], "--max-iters", "20", "--eval-every", "7", "--sample-chars", "0", "--out", outDir]);
        Assert.True(r.ExitCode == 0, r.ToString());
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, ComparisonReport.JsonFile)));
        foreach (var m in json.RootElement.GetProperty("models").EnumerateArray())
        {
            Assert.Equal([7L, 14L, 20L], m.GetProperty("curve").EnumerateArray().Select(p => p.GetProperty("iter").GetInt64()));
            Assert.Equal(JsonValueKind.Null, m.GetProperty("sample_us_per_char").ValueKind);
        }
        Assert.Contains("| gru |", File.ReadAllText(Path.Combine(outDir, ComparisonReport.MarkdownFile)));
    }

    [Fact]
    public void ARunThatDivergesIsRecordedAndTheRaceGoesOn()
    {
        string text = TextFile();
        string outDir = Path.Combine(_dir, "nan");
        var r = CliHarness.Run(["compare", text, "--models", "rnn-relu,gru", .. Tiny, "--optimizer", "sgd", "--lr", "90", "--grad-clip", "0",
            "--max-iters", "200", "--eval-every", "1", "--out", outDir]);
        Assert.True(r.ExitCode == 0, r.ToString());
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, ComparisonReport.JsonFile)));
        var models = json.RootElement.GetProperty("models").EnumerateArray().ToList();
        Assert.Equal(["rnn-relu", "gru"], models.Select(m => m.GetProperty("model").GetString()));
        Assert.Equal("NonFinite", models[0].GetProperty("stop_reason").GetString());
        string md = File.ReadAllText(Path.Combine(outDir, ComparisonReport.MarkdownFile));
        Assert.Contains("- rnn-relu: the loss became", md);
        Row(md, "gru");
        PngReader.Decode(File.ReadAllBytes(Path.Combine(outDir, ComparisonReport.PlotFile)));
    }

    [Fact]
    public void UnknownModelIsRefusedBeforeTrainingNamingTheValidOnes()
    {
        string text = TextFile();
        string outDir = Path.Combine(_dir, "never");
        var r = CliHarness.Run(["compare", text, "--models", "rnn,nosuch", .. Tiny, "--max-iters", "5", "--out", outDir]);
        CliHarness.AssertCleanFailure(r, "compare", "'nosuch'", "lstm", "gru", "mut1", "mingru", "cifg");
        Assert.DoesNotContain("'rnn'", r.Err);
        Assert.Equal("", r.Out);
        Assert.False(Directory.Exists(outDir));

        CliHarness.AssertCleanFailure(CliHarness.Run(["compare", text, "--models", "rnn,gru,rnn", .. Tiny, "--out", outDir]), "compare", "rnn", "more than once");
        CliHarness.AssertCleanFailure(CliHarness.Run(["compare", text, "--model", "rnn", "--out", outDir]), "compare", "--models");
        CliHarness.AssertCleanFailure(CliHarness.Run(["compare", text, "--models", "rnn", "--seq-length", "2000", "--out", outDir]), "compare", "needs at least");
        Assert.False(Directory.Exists(outDir));
    }

    [Fact]
    public void HelpListsTheOptions()
    {
        var r = CliHarness.Run("compare", "--help");
        Assert.Equal(0, r.ExitCode);
        foreach (string s in new[] { "usage: recur compare", "--models", "--minutes", "--evals", "--sample-chars", "--hidden", "--eval-every", "mut1", "compare.png" })
            Assert.Contains(s, r.Out);
        Assert.DoesNotContain("\n  --model ", r.Out);
        Assert.Contains("compare", CliHarness.Run("--help").Out);
    }

    [Fact]
    public void EvaluationRhythmAimsAtTheTargetWithinTheLimit()
    {
        var t = new ModelComparison.StepTiming(StepSeconds: 0.01, EvalSeconds: 0, BatchesPerEpoch: 1000);
        var o = new TrainOptions { Minutes = 1, MaxEpochs = 0 };
        Assert.Equal(600, ModelComparison.EvalEveryFor(o, t, 10)); // 60 s / 0.01 s / 10
        Assert.Equal(500, ModelComparison.EvalEveryFor(o, t with { EvalSeconds = 1 }, 10)); // 10 s of evaluations leave 50 s
        Assert.Equal(900, ModelComparison.EvalEveryFor(o, t with { EvalSeconds = 3 }, 10)); // at most a quarter: 5 evaluations, 45 s left over 5
        Assert.Equal(1500, ModelComparison.EvalEveryFor(o, t with { EvalSeconds = 30 }, 10)); // still 2, over half the budget
        Assert.Equal(10, ModelComparison.EvalEveryFor(o with { MaxIters = 100 }, t, 10)); // the iteration limit comes first
        Assert.Equal(200, ModelComparison.EvalEveryFor(o with { MaxEpochs = 2 }, t, 10));
        Assert.Equal(1, ModelComparison.EvalEveryFor(o with { MaxIters = 3 }, t, 10));
    }
}
