using System.Text.Json;
using Recur.Data.Dialog;
using Recur.Models.Dialog;
using Recur.Tasks.Dialog;

namespace Recur.Cli.Commands;

/// <summary>
/// What <c>recur dialog eval</c> writes beside eval.json, <c>dialogs.jsonl</c>: one line per dialog kept
/// (<see cref="ExampleSelection"/>; a dialog is right when every round is): its scene split, index, scene, how many rounds
/// are right, the scene's objects and grids, and per round the question, the right answer and the model's, whether it is
/// right (as the accuracy counts it), whether it needs the history, its kind and its attention over the feature grid
/// (<c>attention</c>: one map per hop, each of <c>grid_rows x grid_cols</c> weights).
/// </summary>
internal static class DialogExamples
{
    public const string FileName = "dialogs.jsonl";

    /// <summary>Adds the kept dialogs of one scene split.</summary>
    public static void Add(ExampleLines lines, string split, DialogDataset set, DialogAnswers answers, DialogConfig config)
    {
        var selection = ExampleLines.Selection();
        for (int d = 0; d < answers.Count; d++)
        {
            int dialog = d, right = Enumerable.Range(0, answers.Rounds).Count(r => answers.IsRight(dialog, r));
            if (!selection.Keep(right == answers.Rounds)) continue;
            var scene = set.Dialogs[d].Scene;
            lines.Add(w =>
            {
                w.WriteString("split", split);
                w.WriteNumber("index", dialog);
                w.WriteNumber("scene", scene);
                w.WriteBoolean("correct", right == answers.Rounds);
                w.WriteNumber("rounds_right", right);
                SceneExampleJson.Write(w, set.Scenes[scene], config.GridRows, config.GridCols);
                w.WriteStartArray("rounds");
                for (int r = 0; r < answers.Rounds; r++) Round(w, set.Dialogs[dialog].Rounds[r], answers, dialog, r);
                w.WriteEndArray();
            });
        }
    }

    private static void Round(Utf8JsonWriter w, DialogRound round, DialogAnswers answers, int dialog, int r)
    {
        int chosen = answers.Chosen(dialog, r);
        w.WriteStartObject();
        w.WriteString("question", round.Question);
        w.WriteString("answer", round.Answer);
        w.WriteString("prediction", chosen < DialogWords.Answers.Count ? DialogWords.Answers[chosen] : $"#{chosen}");
        w.WriteBoolean("correct", answers.IsRight(dialog, r));
        w.WriteBoolean("needs_history", round.NeedsHistory);
        w.WriteString("kind", round.Kind.ToString());
        if (!answers.AttentionOf(dialog, r).IsEmpty)
        {
            w.WriteStartArray("attention");
            ExampleLines.Weights(w, null, answers.AttentionOf(dialog, r, 1));
            if (!answers.AttentionOf(dialog, r, 2).IsEmpty) ExampleLines.Weights(w, null, answers.AttentionOf(dialog, r, 2));
            w.WriteEndArray();
        }
        w.WriteEndObject();
    }
}
