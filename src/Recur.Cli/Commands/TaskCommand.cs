using System.Globalization;
using System.Text.Json;
using Recur.IO;
using Recur.Training;

namespace Recur.Cli.Commands;

/// <summary>
/// <c>recur TASK train|eval</c> for any registered task (<see cref="Recur.Tasks.TaskRegistry"/>) without a command of its own:
/// train is <see cref="TaskCli.Train"/>; eval scores a run on its validation split (or with <c>--split test</c> its data's
/// test split, where the task has one) with the metrics its training reports and writes them to the run's <c>eval.json</c>.
/// A new task needs no file here.
/// </summary>
internal sealed class TaskCommand(ITaskDefinition task) : ICommand
{
    public string Name => task.Name;

    public string Summary => task.Summary;

    public string Usage => task.Accept(new UsageText());

    public int Run(Args args)
    {
        string? sub = args.Positional.Count > 0 ? args.Positional[0] : null;
        return sub switch
        {
            "train" => task.Accept(new TrainThenScore(args)),
            "eval" => task.Accept(new Eval(args)),
            null => throw new CliException($"name what to do: recur {task.Name} train, or recur {task.Name} eval RUN."),
            _ => throw new CliException($"unknown {task.Name} command '{sub}': the commands are train and eval."),
        };
    }

    /// <summary>
    /// Prints <paramref name="metrics"/> of <paramref name="split"/> (the first line names it) and writes them, with the split,
    /// as JSON to <paramref name="path"/>.
    /// </summary>
    internal static void Report(TaskMetrics metrics, string lossUnit, string path, string split)
    {
        var inv = CultureInfo.InvariantCulture;
        Console.WriteLine(string.Create(inv, $"{split}: loss {metrics.Loss:F4} {lossUnit}")
            + string.Concat(metrics.Extra.Select(kv => string.Create(inv, $", {kv.Key} {kv.Value:F4}"))));
        using (var stream = File.Create(path))
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("split", split);
            w.WriteNumber("loss", metrics.Loss);
            foreach (var (name, value) in metrics.Extra)
                if (double.IsFinite(value)) w.WriteNumber(name, value);
            w.WriteEndObject();
        }
        Console.WriteLine($"wrote {path}");
    }

    private sealed class UsageText : ITaskVisitor<string>
    {
        public string Visit<TData, TSettings, TSaved>(TaskDefinition<TData, TSettings, TSaved> t) where TSaved : SavedRun where TSettings : class, new()
            => $"usage: recur {t.Name} train [DATA] [options]\n"
                + $"       recur {t.Name} train --resume RUN [--minutes M]\n"
                + $"       recur {t.Name} eval RUN [DATA] [--split validation|test] [--threads N]\n\n"
                + $"{t.Summary}. DATA defaults to {t.DefaultData}. eval scores the run's best/ on its validation split, "
                + "or with --split test on the data's test split where the task has one.\n\n"
                + TaskCli.OptionsUsage(t);
    }

    private sealed class TrainThenScore(Args args) : ITaskVisitor<int>
    {
        public int Visit<TData, TSettings, TSaved>(TaskDefinition<TData, TSettings, TSaved> t) where TSaved : SavedRun where TSettings : class, new()
        {
            var (exit, run, data) = TaskCli.Train(args, t);
            if (exit is int code) return code;
            var best = t.Checkpoint.Load(run, CheckpointKind.Best);
            var (metrics, unit) = t.ScoreValidation(best, t.LoadData(data), best.Training?.Threads ?? 0);
            Report(metrics, unit, Path.Combine(run, "eval.json"), "validation");
            return 0;
        }
    }

    private sealed class Eval(Args args) : ITaskVisitor<int>
    {
        public int Visit<TData, TSettings, TSaved>(TaskDefinition<TData, TSettings, TSaved> t) where TSaved : SavedRun where TSettings : class, new()
        {
            int threads = args.Int("threads", 0, min: 0, max: 1024);
            string split = TaskCli.Split(args);
            args.ThrowOnUnused(3);
            if (args.Positional.Count < 2) throw new CliException($"name a run: recur {t.Name} eval RUN [DATA].");
            var saved = t.Checkpoint.Load(args.Positional[1], CheckpointKind.Best);
            string data = args.Positional.Count > 2 ? args.Positional[2] : saved.Data?.Source ?? t.DefaultData;
            (TaskMetrics Metrics, string Unit) score;
            try { score = split == "test" ? t.ScoreTest(saved, t.LoadData(data), threads) : t.ScoreValidation(saved, t.LoadData(data), threads); }
            catch (ArgumentException e) { throw new CliException(e.Message); }
            Report(score.Metrics, score.Unit, Path.Combine(saved.RunDirectory ?? saved.Directory, "eval.json"), split);
            return 0;
        }
    }
}
