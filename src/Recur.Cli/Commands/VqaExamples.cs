using Recur.Models.Vqa;
using Recur.Tasks.Vqa;

namespace Recur.Cli.Commands;

/// <summary>
/// What <c>recur vqa eval</c> writes beside eval.json, <c>answers.jsonl</c>: one line per question kept
/// (<see cref="ExampleSelection"/>): its scene split, index, scene, kind, the question, the four choices, the right answer
/// and the model's, whether it is right (as the accuracy counts it), the choices' probabilities, the scene's objects and
/// grids and the attention over the feature grid (<c>attention</c>: one map of <c>grid_rows x grid_cols</c> weights).
/// </summary>
internal static class VqaExamples
{
    public const string FileName = "answers.jsonl";

    /// <summary>Adds the kept questions of one scene split.</summary>
    public static void Add(ExampleLines lines, string split, VqaDataset set, VqaAnswers answers, VqaConfig config)
    {
        var selection = ExampleLines.Selection();
        var p = new float[4];
        for (int i = 0; i < answers.Count; i++)
        {
            bool right = answers.IsRight(i);
            if (!selection.Keep(right)) continue;
            var (scene, q) = set.Items[i];
            answers.Scores.AsSpan(i * 4, 4).CopyTo(p);
            Kernels.Softmax.InPlace(p);
            int index = i, chosen = answers.Chosen(i);
            var attention = answers.AttentionOf(i).ToArray();
            lines.Add(w =>
            {
                w.WriteString("split", split);
                w.WriteNumber("index", index);
                w.WriteNumber("scene", scene);
                w.WriteString("kind", q.Kind.ToString().ToLowerInvariant());
                w.WriteString("question", q.Text);
                ExampleLines.Strings(w, "choices", q.Choices);
                w.WriteString("answer", q.Choices[q.Answer]);
                w.WriteString("prediction", q.Choices[chosen]);
                w.WriteBoolean("correct", right);
                ExampleLines.Weights(w, "probabilities", p);
                SceneExampleJson.Write(w, set.Scenes[scene], config.GridRows, config.GridCols);
                if (attention.Length > 0)
                {
                    w.WriteStartArray("attention");
                    ExampleLines.Weights(w, null, attention);
                    w.WriteEndArray();
                }
            });
        }
    }
}
