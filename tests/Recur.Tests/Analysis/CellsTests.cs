using System.Text;
using System.Text.Json;
using Recur.Analysis;
using Recur.Models;
using Recur.Nn;
using Recur.Training;
using Xunit;

namespace Recur.Tests.Analysis;

/// <summary>A small C-and-prose text and a briefly trained model over it, shared by the cells tests.</summary>
internal static class CellsFixture
{
    /// <summary>Deterministic text with nesting, comments, strings, quotations and lines of varying length.</summary>
    public static string Text(int lines, ulong seed)
    {
        var rng = new Rng(seed);
        var sb = new StringBuilder();
        string[] words = ["alpha", "beta", "gamma", "delta", "x", "y", "count", "len"];
        string W() => words[rng.NextInt(words.Length)];
        for (int i = 0; i < lines; i++)
        {
            switch (rng.NextInt(6))
            {
                case 0: sb.Append("/* ").Append(W()).Append(' ').Append(W()).Append(" */\n"); break;
                case 1: sb.Append("int ").Append(W()).Append("(int ").Append(W()).Append(") {\n"); break;
                case 2: sb.Append("    ").Append(W()).Append(" = a[").Append(W()).Append("] + (").Append(W()).Append(" * 2);\n"); break;
                case 3: sb.Append("    printf(\"").Append(W()).Append(" %d\\n\", ").Append(W()).Append("); // ").Append(W()).Append('\n'); break;
                case 4: sb.Append("}\n"); break;
                default: sb.Append("He said \"").Append(W()).Append(' ').Append(W()).Append("\" and left.\n"); break;
            }
        }
        return sb.ToString();
    }

    /// <summary>A 2-layer model of <paramref name="cell"/> trained for a few seconds with Adam on <paramref name="text"/>.</summary>
    public static (CharModel Model, Recur.Data.Vocabulary Vocab, int[] Tokens) Trained(string text, string cell = "lstm", int iterations = 150)
    {
        var vocab = Recur.Data.Vocabulary.FromText(text);
        var tokens = vocab.Encode(text);
        var model = new CharModel(new CharModelConfig { Cell = cell, VocabSize = vocab.Count, Embed = 12, Hidden = 24, Layers = 2 });
        model.Reset(new Rng(7));
        var opt = new Adam(model.Store, 1e-2);
        var batcher = new Recur.Data.StreamBatcher(tokens, 8, 32);
        var x = new int[32 * 8]; var y = new int[32 * 8];
        var rng = new Rng(8);
        for (int it = 0; it < iterations; it++)
        {
            batcher.Next(x, y);
            model.TrainStep(x, y, 32, 8, rng);
            GradClip.ClipByNorm(model.Store.Grads, 5f);
            opt.Step();
        }
        return (model, vocab, tokens);
    }

    public static Rune[] Runes(string s) => s.EnumerateRunes().ToArray();
}

public sealed class CellsTests
{
    [Fact]
    public void FeaturesFollowCSyntax()
    {
        const string s = "f(a, \"b)\") /* {x */ {\n// (\n}";
        var f = CellsFeatures.Compute(CellsFixture.Runes(s));
        int Idx(string name) => CellsFeatures.Names.ToList().IndexOf(name);
        float F(string name, int p) => f[Idx(name)][p];
        Assert.Equal(28, s.Length);
        Assert.Equal(0, F("paren_depth", 0));
        Assert.Equal(1, F("paren_depth", 1));
        Assert.Equal(1, F("in_string", 5));      // the opening quote is already inside
        Assert.Equal(1, F("in_quote", 5));
        Assert.Equal(1, F("paren_depth", 7));     // ')' inside the string does not close
        Assert.Equal(0, F("in_string", 8));      // the closing quote is already outside
        Assert.Equal(0, F("paren_depth", 9));
        Assert.Equal(0, F("in_comment", 11));    // a lone '/' could be division
        Assert.Equal(1, F("in_comment", 12));
        Assert.Equal(0, F("brace_depth", 14));   // '{' inside the comment does not open
        Assert.Equal(1, F("in_comment", 17));
        Assert.Equal(0, F("in_comment", 18));
        Assert.Equal(1, F("brace_depth", 20));
        Assert.Equal(0, F("line_position", 21)); // the newline
        Assert.Equal(1, F("line_position", 22));
        Assert.Equal(1, F("in_comment", 23));    // "//"
        Assert.Equal(0, F("paren_depth", 25));
        Assert.Equal(0, F("in_comment", 26));    // newline ends it
        Assert.Equal(0, F("brace_depth", 27));
        Assert.Equal(1, F("nesting_depth", 22));
        Assert.Equal(21, F("distance_to_newline", 0));
        Assert.Equal(5, F("distance_to_newline", 21));
        Assert.Equal(1, F("distance_to_newline", 27));
    }

    [Fact]
    public void BlockCommentNeedsItsOwnClosingStar()
    {
        var f = CellsFeatures.Compute(CellsFixture.Runes("/*/ x */y"));
        int c = CellsFeatures.Names.ToList().IndexOf("in_comment");
        Assert.Equal(1, f[c][2]); // "/*/" is still open
        Assert.Equal(0, f[c][7]);
        Assert.Equal(0, f[c][8]);
    }

    [Theory]
    [InlineData("lstm")]
    [InlineData("gru")]
    [InlineData("gru-cho")]
    [InlineData("rnn")]
    public void RecordedStatesMatchTheLibrary(string cell)
    {
        // One stream: the recorder must reproduce Recurrent.Forward's top-layer h_t for every character
        // and the final states of every layer.
        string text = CellsFixture.Text(30, 1);
        var vocab = Recur.Data.Vocabulary.FromText(text);
        var tokens = vocab.Encode(text);
        var model = new CharModel(new CharModelConfig { Cell = cell, VocabSize = vocab.Count, Embed = 6, Hidden = 10, Layers = 2 });
        model.Reset(new Rng(3));
        var a = Cells.Analyze(model, tokens, CellsFixture.Runes(text), new CellsOptions { Streams = 1, RenderChars = tokens.Length });
        int N = tokens.Length, H = 10;
        var x = model.EmbeddingLayer!.Forward(tokens, N, 1);
        var o = model.Rnn.Forward(x);
        for (int p = 0; p < N; p += 7)
            for (int j = 0; j < H; j++)
                Assert.Equal(o.Output.Data[p * H + j], a.RenderRow(a.Layout.Offset(1, "h", j))[p], 1e-5);
        for (int l = 0; l < 2; l++)
            for (int j = 0; j < H; j++)
            {
                Assert.Equal(o.HN.Data[l * H + j], a.RenderRow(a.Layout.Offset(l, "h", j))[N - 1], 1e-5);
                if (o.CN is not null) Assert.Equal(o.CN.Data[l * H + j], a.RenderRow(a.Layout.Offset(l, "c", j))[N - 1], 1e-5);
            }
    }

    [Fact]
    public void CorrelationAndSaturationMatchTwoPassComputation()
    {
        string text = CellsFixture.Text(60, 2);
        var (model, _, tokens) = CellsFixture.Trained(text, iterations: 20);
        var runes = CellsFixture.Runes(text);
        // Three streams over a length not divisible by three exercise the ragged last stream.
        Assert.NotEqual(0, tokens.Length % 3);
        var a = Cells.Analyze(model, tokens, runes, new CellsOptions { Streams = 3, RenderChars = tokens.Length, RenderBudget = long.MaxValue });
        var feats = CellsFeatures.Compute(runes);
        int N = tokens.Length;
        foreach (int k in new[] { 0, 5, a.Layout.Offset(1, "c", 3), a.Layout.Offset(0, "f", 2), a.Layout.Count - 1 })
            for (int f = 0; f < feats.Length; f++)
            {
                var xs = a.RenderRow(k);
                double mx = 0, mf = 0;
                for (int p = 0; p < N; p++) { mx += xs[p]; mf += feats[f][p]; }
                mx /= N; mf /= N;
                double sxy = 0, sxx = 0, sff = 0;
                for (int p = 0; p < N; p++)
                {
                    double dx = xs[p] - mx, df = feats[f][p] - mf;
                    sxy += dx * df; sxx += dx * dx; sff += df * df;
                }
                if (sff == 0) { Assert.True(a.FeatureConstant[f]); Assert.True(double.IsNaN(a.Correlation[f][k])); continue; }
                Assert.Equal(sxy / Math.Sqrt(sxx * sff), a.Correlation[f][k], 4);
            }
        // Top lists are sorted by |r| and agree with the matrix.
        for (int f = 0; f < feats.Length; f++)
        {
            var top = a.Top[f];
            for (int i = 1; i < top.Count; i++) Assert.True(Math.Abs(top[i - 1].R) >= Math.Abs(top[i].R));
            if (top.Count > 0) Assert.Equal(a.Correlation[f].Where(double.IsFinite).Max(Math.Abs), Math.Abs(top[0].R), 12);
        }
        // Saturation fractions recount from the recorded gates.
        var fGate = a.Saturation.Single(s => s.Layer == 1 && s.Gate == "f");
        for (int j = 0; j < 24; j++)
        {
            var g = a.RenderRow(a.Layout.Offset(1, "f", j));
            int lo = 0, hi = 0;
            for (int p = 0; p < N; p++) { if (g[p] < 0.1f) lo++; else if (g[p] > 0.9f) hi++; }
            Assert.Equal((double)lo / N, fGate.LeftFraction[j], 12);
            Assert.Equal((double)hi / N, fGate.RightFraction[j], 12);
        }
        Assert.Equal(2 * 3, a.Saturation.Count); // i, f, o per layer
    }

    [Fact]
    public void ReportIsSelfContainedAndCarriesItsData()
    {
        string text = CellsFixture.Text(80, 3);
        var (model, _, tokens) = CellsFixture.Trained(text, iterations: 10);
        var a = Cells.Analyze(model, tokens, CellsFixture.Runes(text), new CellsOptions { Streams = 4 });
        var pngs = Cells.SaturationPlots(a);
        Assert.Equal(2, pngs.Count);
        string html = CellsReport.Build(a, new CellsReportOptions { Title = "t <&>", MaxChars = 500 }, pngs);
        Assert.DoesNotContain("http://", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("https://", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<link", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("src=\"/", html, StringComparison.Ordinal);
        Assert.Contains("<title>t &lt;&amp;&gt;</title>", html, StringComparison.Ordinal);
        string Between(string start, string end)
        {
            int i = html.IndexOf(start, StringComparison.Ordinal) + start.Length;
            return html[i..html.IndexOf(end, i, StringComparison.Ordinal)];
        }
        using var doc = JsonDocument.Parse(Between("<script id=\"cells-data\" type=\"application/json\">", "</script>"));
        var root = doc.RootElement;
        int shown = root.GetProperty("shown").GetInt32();
        Assert.Equal(500, shown);
        Assert.Equal(text[..500], root.GetProperty("text").GetString());
        int rows = root.GetProperty("rows").GetArrayLength();
        Assert.True(rows >= 2 * 2 * 24); // every h and c of both layers
        var bytes = Convert.FromBase64String(Between("<script id=\"cells-values\" type=\"text/plain\">", "</script>"));
        Assert.Equal((long)rows * shown, bytes.Length);
        // The first embedded row is layer 0 h[0]: its bytes decode to the recorded values within the quantisation step.
        var meta = root.GetProperty("rows")[0];
        double scale = meta.GetProperty("scale").GetDouble();
        var rec = a.RenderRow(a.Layout.Offset(0, "h", 0));
        for (int p = 0; p < shown; p++) Assert.Equal(rec[p], (sbyte)bytes[p] / 127.0 * scale, scale / 127 * 0.51);
        Assert.Equal(CellsFeatures.Names.Count, root.GetProperty("features").GetArrayLength());
    }
}
