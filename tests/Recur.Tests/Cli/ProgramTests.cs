using System.Reflection;
using Recur.Cli.Commands;
using Recur.Tasks;
using Xunit;

namespace Recur.Tests.Cli;

/// <summary>The command list that replaces reflection (for NativeAOT) names every command, once.</summary>
public sealed class ProgramTests
{
    [Fact]
    public void TheCommandListNamesEveryCommandOnce()
    {
        var assembly = typeof(Recur.Cli.Args).Assembly;
        var iCommand = assembly.GetType("Recur.Cli.ICommand")!;
        var implemented = assembly.GetTypes().Where(t => !t.IsAbstract && !t.IsInterface && iCommand.IsAssignableFrom(t) && t != typeof(TaskCommand))
            .Select(t => t.FullName).Order().ToArray();
        var all = Recur.Cli.Program.All();
        var listed = all.Where(c => c is not TaskCommand).Select(c => c.GetType().FullName).Order().ToArray();
        Assert.Equal(implemented, listed);
        Assert.True(implemented.Length >= 14, $"only {implemented.Length} commands found");
        Assert.Equal(all.Length, all.Select(c => c.Name).Distinct().Count());
    }

    [Fact]
    public void EveryRegisteredTaskIsServedByExactlyOneCommand()
    {
        var all = Recur.Cli.Program.All();
        foreach (var task in TaskRegistry.All)
            Assert.Single(all, c => c.Tasks.Contains(task.Name));
        Assert.Contains(all, c => c.Name == "train" && c.Tasks.Contains("char-lm"));
    }
}
