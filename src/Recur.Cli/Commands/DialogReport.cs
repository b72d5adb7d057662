using System.Globalization;
using System.Text.Json;
using Recur.Data.Dialog;
using Recur.Tasks.Dialog;

namespace Recur.Cli.Commands;

/// <summary>What <c>recur dialog</c> prints and writes to eval.json when it scores a run.</summary>
internal static class DialogReport
{
    /// <summary>
    /// Answers the dialogs about both scene splits of <paramref name="split"/> (validation or test, <see cref="SceneCli.EvalSplits"/>)
    /// and both together, prints accuracy overall, on the history-needing rounds and the others, and per round, writes
    /// <paramref name="jsonPath"/>.
    /// </summary>
    public static void Write(LoadedDialog ck, string dataDir, string jsonPath, string split, double valFrac)
    {
        var (seen, held) = SceneCli.EvalSplits(dataDir, ck.Scenes, valFrac, split);
        ck.Encoder.Network.Threads = ck.Model.Threads;
        var inv = CultureInfo.InvariantCulture;
        var c = ck.Model.Config;
        Console.WriteLine($"{(c.Blind ? "question-only (blind) " : "")}visual dialog, history {c.History}, {ck.RunDirectory ?? ck.Directory}");
        string rounds = string.Concat(Enumerable.Range(1, ck.Rounds).Select(r => $" round {r} |"));
        Console.WriteLine($"| split | rounds | accuracy | needs history | others |{rounds}");
        Console.WriteLine("|---|---:|---:|---:|---:|" + string.Concat(Enumerable.Repeat("---:|", ck.Rounds)));
        var parts = new List<(string Name, DialogScore Score)>();
        var examples = ExampleLines.Beside(jsonPath, DialogExamples.FileName);
        foreach (var part in new[] { seen, held })
        {
            var set = DialogSets.Of(ck.Encoder.Encode(part), [part], ck.Rounds, ck.DialogsPerScene, ck.Scenes.Seed);
            var answers = DialogScore.Answer(ck.Model, set);
            parts.Add((part.Name, DialogScore.Of(answers, set)));
            DialogExamples.Add(examples, part.Name, set, answers, c);
        }
        examples.Save();
        parts.Add((split, DialogScore.Merge(parts[0].Score, parts[1].Score)));
        string Cell((int Right, int Total) x) => x.Total == 0 ? "-" : DialogScore.Ratio(x).ToString("F4", inv) + $" ({x.Total:N0})";
        foreach (var (name, s) in parts)
            Console.WriteLine(string.Create(inv, $"| {(name == split ? $"{split} (both)" : name)} | {s.Rounds:N0} | {s.Accuracy:F4} | ")
                + $"{Cell(s.NeedsHistory)} | "
                + $"{Cell(s.Others)} |" + string.Concat(s.ByRound.Select(r => " " + (r.Total == 0 ? "-" : DialogScore.Ratio(r).ToString("F4", inv)) + " |")));
        using var stream = File.Create(jsonPath);
        using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        w.WriteStartObject();
        w.WriteString("split", split);
        w.WriteString("history", c.History);
        w.WriteBoolean("blind", c.Blind);
        w.WriteNumber("rounds_per_dialog", ck.Rounds);
        foreach (var (name, s) in parts)
        {
            w.WriteStartObject(name == split ? "all" : name);
            w.WriteNumber("rounds", s.Rounds);
            Number(w, "accuracy", s.Accuracy);
            Number(w, "loss", s.Loss);
            Number(w, "history_accuracy", s.HistoryAccuracy);
            w.WriteNumber("history_rounds", s.NeedsHistory.Total);
            Number(w, "other_accuracy", s.OtherAccuracy);
            w.WriteNumber("other_rounds", s.Others.Total);
            w.WriteStartArray("round_accuracy");
            foreach (var r in s.ByRound) Number(w, null, DialogScore.Ratio(r));
            w.WriteEndArray();
            w.WriteStartObject("kind_accuracy");
            foreach (var (k, (right, total)) in s.ByKind) if (total > 0) w.WriteNumber(Snake(k), (double)right / total);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        w.WriteEndObject();
        Console.WriteLine($"wrote {jsonPath} and {examples.FilePath} ({examples.Count:N0} dialogs)");
    }

    /// <summary>A number, or null for NaN (JSON has no NaN).</summary>
    private static void Number(Utf8JsonWriter w, string? name, double v)
    {
        if (name is not null) w.WritePropertyName(name);
        if (double.IsNaN(v)) w.WriteNullValue();
        else w.WriteNumberValue(v);
    }

    /// <summary><c>PronounRelation</c> → <c>pronoun_relation</c>.</summary>
    private static string Snake(DialogQuestionKind k)
        => string.Concat(k.ToString().Select((ch, i) => char.IsUpper(ch) && i > 0 ? "_" + char.ToLowerInvariant(ch) : char.ToLowerInvariant(ch).ToString()));
}
