using Recur.IO;

namespace Recur.Cli.Board;

/// <summary>The files of a run folder the board reads, each found through <see cref="RunsRoot"/> (so never outside RUNS_DIR).</summary>
internal static class RunFiles
{
    /// <summary>The metrics file every run writes (<see cref="Recur.Training.RunFolder.MetricsFile"/>).</summary>
    public const string Metrics = Recur.Training.RunFolder.MetricsFile;

    /// <summary>The comparison file of <c>recur compare</c> (<see cref="Recur.Tasks.CharLm.ComparisonReport.JsonFile"/>).</summary>
    public const string Compare = Recur.Tasks.CharLm.ComparisonReport.JsonFile;

    /// <summary>The run's latest checkpoint's config.json, else its best's; null before the first checkpoint.</summary>
    public static string? Config(RunsRoot root, string id) =>
        root.File($"{id}/latest/{CheckpointFiles.ConfigFile}") ?? root.File($"{id}/best/{CheckpointFiles.ConfigFile}");
}
