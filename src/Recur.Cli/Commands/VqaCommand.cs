using System.Globalization;
using System.Text.Json;
using Recur.Data;
using Recur.Data.Scenes;
using Recur.IO;
using Recur.Models.Vqa;
using Recur.Tasks.Vqa;
using Recur.Training;

namespace Recur.Cli.Commands;

/// <summary><c>recur vqa train|eval</c>: multiple-choice questions about the captioning scenes.</summary>
internal sealed class VqaCommand : ICommand
{
    public string Name => "vqa";
    public string Summary => "visual question answering on the scenes: four-choice questions, LSTM question encoder with attention; --blind baseline";
    public string Usage => """
        usage: recur vqa train [FASHION_DIR] [--encoder CNN_RUN] [--blind] [options]
               recur vqa train --resume RUN [--minutes M]
               recur vqa eval RUN [FASHION_DIR] [--split validation|test] [--threads N] [--ensemble RUN2,...]

        Questions about the captioning scenes, four answers each: "how many shirts are there ?", "what is left of
        the bag ?", "what is in the top left ?". An LSTM (--hidden) reads the question, its last state attends over
        the scene's feature grid from the frozen CNN encoder, and the joint representation scores the answers; the
        loss is the cross-entropy over the four choices. --blind trains the question-only baseline (no image), which
        measures how much can be answered without looking. Every one of the --scenes training scenes trains;
        validation (its error, 1 - accuracy, chooses best/) asks about --val-frac x --scenes more scenes, half of seen
        compositions and half of the held-out pairs, drawn from the last 1/12 of the training images, which no
        training scene uses. At the end, and with eval, the best checkpoint answers the questions about both
        validation splits (validation-seen, validation-heldout: the scenes and questions training validated on),
        or with eval --split test about both test splits (test-seen, test-heldout; score them once, for the figure
        that is published): accuracy overall and per kind of question. The first line says which split was
        scored; RUN/eval.json records it ("split": validation or test), and RUN/answers.jsonl holds the questions (the
        first 500 of each split, then its wrong ones), each right or wrong with the model's attention over the grid
        (recur board draws them). eval --ensemble answers with RUN and the listed runs together (the same encoder and
        scenes): each choice's probability averaged over the members, written to RUN/eval-ensemble.json and
        RUN/answers-ensemble.jsonl. Without --eval-every, a run evaluates once an epoch of its training questions.
        """ + "\n" + SceneCli.EncoderUsage + "\n" + TaskCli.OptionsUsage(VqaDefinition.Instance);

    public int Run(Args args)
    {
        string? sub = args.Positional.Count > 0 ? args.Positional[0] : null;
        return sub switch
        {
            "train" => Train(args),
            "eval" => Eval(args),
            null => throw new CliException("name what to do: recur vqa train or recur vqa eval RUN."),
            _ => throw new CliException($"unknown vqa command '{sub}': the commands are train and eval."),
        };
    }

    private static int Train(Args args)
    {
        var hooks = SceneCli.Encoder<VqaSettings>(args, "vqa train", (s, cnn) => s with { Encoder = cnn }, encoderInBudget: false);
        string runName = args.Flag("blind") ? "vqa-blind" : "vqa";
        var (exit, run, dataDir) = TaskCli.Train(args, VqaDefinition.Instance, hooks, runName);
        if (exit is int code) return code;
        var best = VqaCheckpoint.Instance.Load(run, CheckpointKind.Best);
        best.Model.Threads = best.Training?.EffectiveThreads ?? 1;
        if (!SceneCli.HasValidation(best.Scenes, ValFrac(best)))
        {
            Console.WriteLine($"no validation scenes to score (--val-frac 0); recur vqa eval {run} --split test scores the test splits.");
            return 0;
        }
        Report(best, dataDir, Path.Combine(run, "eval.json"), "validation");
        return 0;
    }

    private static int Eval(Args args)
    {
        string[] others = (args.String("ensemble") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return SceneCli.Eval(args, VqaCheckpoint.Instance, "vqa", (ck, threads) => ck.Model.Threads = threads, (ck, data, json, split) =>
        {
            var members = new List<VqaModel> { ck.Model };
            foreach (string run in others)
            {
                var m = VqaCheckpoint.Instance.Load(run, CheckpointKind.Best);
                SceneCli.CheckSameScenes(ck.Directory, ck.Encoder, ck.Scenes, run, m.Encoder, m.Scenes);
                if (m.QuestionsPerScene != ck.QuestionsPerScene)
                    throw new CliException($"{run} asks {m.QuestionsPerScene} questions a scene, {ck.Directory} {ck.QuestionsPerScene}: "
                        + "not the same questions.");
                m.Model.Threads = ck.Model.Threads;
                members.Add(m.Model);
            }
            Report(ck, data, members.Count > 1 ? Path.Combine(Path.GetDirectoryName(json)!, "eval-ensemble.json") : json, split, members);
        });
    }

    /// <summary>
    /// Answers the questions about both scene splits of <paramref name="split"/> (validation or test,
    /// <see cref="SceneCli.EvalSplits"/>), prints accuracy overall and per kind, writes <paramref name="jsonPath"/>.
    /// </summary>
    internal static void Report(LoadedVqa ck, string dataDir, string jsonPath, string split, IReadOnlyList<VqaModel>? ensemble = null)
    {
        ensemble ??= [ck.Model];
        var (seen, held) = SceneCli.EvalSplits(dataDir, ck.Scenes, ValFrac(ck), split);
        ck.Encoder.Network.Threads = ck.Model.Threads;
        var inv = CultureInfo.InvariantCulture;
        Console.WriteLine($"{(ck.Model.Config.Blind ? "question-only (blind) " : "")}VQA, {ck.RunDirectory ?? ck.Directory}"
            + (ensemble.Count > 1 ? $"; an ensemble of {ensemble.Count} models" : ""));
        Console.WriteLine("| split | questions | accuracy | count | relation | position |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|");
        var examples = ExampleLines.Beside(jsonPath, VqaExamples.FileName);
        using (var stream = File.Create(jsonPath))
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("split", split);
            w.WriteBoolean("blind", ck.Model.Config.Blind);
            if (ensemble.Count > 1) w.WriteNumber("members", ensemble.Count);
            foreach (var part in new[] { seen, held })
            {
                var set = VqaQuestions.Of(ck.Encoder.Encode(part), part, ck.QuestionsPerScene, ck.Scenes.Seed);
                var answers = VqaScore.Answer(ensemble, set);
                var s = VqaScore.FromScores(answers.Scores, answers.Answers, [.. set.Items.Select(x => x.Question.Kind)]);
                VqaExamples.Add(examples, part.Name, set, answers, ck.Model.Config);
                string Kind(QuestionKind k) => s.ByKind[k].Total == 0
                    ? "-"
                    : ((double)s.ByKind[k].Right / s.ByKind[k].Total).ToString("F4", inv) + $" ({s.ByKind[k].Total})";
                Console.WriteLine(string.Create(inv, $"| {part.Name} | {s.Questions:N0} | {s.Accuracy:F4} | {Kind(QuestionKind.Count)} | "
                    + $"{Kind(QuestionKind.Relation)} | {Kind(QuestionKind.Position)} |"));
                w.WriteStartObject(part.Name);
                w.WriteNumber("questions", s.Questions);
                w.WriteNumber("accuracy", s.Accuracy);
                w.WriteNumber("loss", s.Loss);
                foreach (var (k, (r, t)) in s.ByKind) if (t > 0) w.WriteNumber(k.ToString().ToLowerInvariant() + "_accuracy", (double)r / t);
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }
        examples.Save();
        Console.WriteLine($"wrote {jsonPath} and {examples.FilePath} ({examples.Count:N0} questions)");
    }

    /// <summary>The validation fraction <paramref name="ck"/> was trained with (the recipe's when it records none).</summary>
    private static double ValFrac(LoadedVqa ck) => VqaDefinition.Instance.RecordedOptions(ck).ValFrac;
}
