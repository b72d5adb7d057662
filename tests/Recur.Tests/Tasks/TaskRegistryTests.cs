using Recur.IO;
using Recur.Tasks;
using Xunit;

namespace Recur.Tests.Tasks;

/// <summary>The registry names every task once, and each registered task has a run folder of its first format that still loads.</summary>
public sealed class TaskRegistryTests
{
    private static string OldRuns => Path.Combine(AppContext.BaseDirectory, "Fixtures", "oldruns");

    [Fact]
    public void NamesAndFormatsAreUniqueAndFindable()
    {
        Assert.Equal(TaskRegistry.All.Count, TaskRegistry.All.Select(t => t.Name).Distinct().Count());
        Assert.Equal(TaskRegistry.All.Count, TaskRegistry.All.Select(t => t.Format).Distinct().Count());
        foreach (var t in TaskRegistry.All) Assert.Same(t, TaskRegistry.Find(t.Name));
        Assert.Null(TaskRegistry.Find("no-such-task"));
        Assert.Contains(TaskRegistry.All, t => t.Name == CheckpointFiles.LegacyTask);
    }

    [Fact]
    public void EveryRegisteredTaskLoadsARunFolderWrittenByItsFirstFormat()
    {
        var byTask = Directory.GetDirectories(OldRuns).GroupBy(d => CheckpointFiles.TaskOf(d)).ToDictionary(g => g.Key, g => g.ToList());
        foreach (var t in TaskRegistry.All)
        {
            Assert.True(byTask.TryGetValue(t.Name, out var runs), $"no run folder of task {t.Name} under Fixtures/oldruns");
            foreach (var run in runs)
                foreach (var kind in new[] { CheckpointKind.Best, CheckpointKind.Latest })
                {
                    var saved = t.LoadRun(run, kind);
                    Assert.True(saved.Trained.Count > 0);
                    Assert.Equal(Path.GetFullPath(run), saved.RunDirectory);
                    Assert.NotNull(saved.Training);
                    Assert.NotNull(saved.Progress);
                }
        }
    }

    [Fact]
    public void ATaskRefusesAnotherTasksCheckpoint()
    {
        var tag = TaskRegistry.Find("tag")!;
        var e = Assert.Throws<CheckpointFormatException>(() => tag.LoadRun(Path.Combine(OldRuns, "g2p")));
        Assert.Contains("recur-tagger", e.Message);
    }
}
