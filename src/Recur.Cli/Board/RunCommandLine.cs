using System.Text.Json;
using Recur.IO;
using Recur.Training;

namespace Recur.Cli.Board;

/// <summary>
/// The command that trains a run again: <c>recur WORD [train] [DATA] --out RUN</c> with every shared training option whose
/// recorded value (config.json's <c>"training"</c>) differs from the task's recipe. A task's own settings (an encoder, a
/// decoder kind) live in config.json's other sections and are shown there, not rebuilt here.
/// </summary>
internal static class RunCommandLine
{
    /// <summary>The command for the run at <paramref name="runDirectory"/> whose config.json is <paramref name="config"/>; null for an unknown task.</summary>
    public static string? For(JsonElement config, string runDirectory, string configPath)
    {
        if (!config.TryGetProperty("task", out var t) || t.ValueKind != JsonValueKind.String) return null;
        var task = Recur.Tasks.TaskRegistry.Find(t.GetString() ?? "");
        if (task is null) return null;
        TrainOptions? recorded;
        try { recorded = CheckpointSections.Section<TrainOptions>(config, "training", configPath, required: false); }
        catch (CheckpointFormatException) { return null; }
        if (recorded is null) return null;
        var (defaults, specs) = task.Accept(new Recipe());
        var words = new List<string> { "recur" };
        var command = Program.All().FirstOrDefault(c => c.Tasks.Contains(task.Name));
        words.Add(command?.Name ?? task.Name);
        if (command is not (null or Commands.TrainCommand or Commands.ClassifyCommand)) words.Add("train");
        if (!string.IsNullOrEmpty(recorded.Data)) words.Add(Quote(recorded.Data));
        words.Add("--out");
        words.Add(Quote(runDirectory));
        foreach (var spec in specs)
        {
            string have = OptionSpec.Num(spec.Get(recorded)), want = OptionSpec.Num(spec.Get(defaults));
            if (have == want) continue;
            words.Add("--" + spec.Flag);
            words.Add(Quote(have));
        }
        return string.Join(' ', words);
    }

    /// <summary>A shell word: as it is when plain, else in single quotes.</summary>
    internal static string Quote(string a) =>
        a.Length > 0 && a.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '/' or ',' or '=' or ':' or '+')
        ? a
        : "'" + a.Replace("'", "'\\''") + "'";

    /// <summary>Reads a task's recipe and the shared options it takes.</summary>
    private sealed class Recipe : ITaskVisitor<(TrainOptions, IReadOnlyList<OptionSpec>)>
    {
        public (TrainOptions, IReadOnlyList<OptionSpec>) Visit<TData, TSettings, TSaved>(TaskDefinition<TData, TSettings, TSaved> task)
            where TSaved : SavedRun where TSettings : class, new() => (task.Defaults, task.SharedOptions);
    }
}
