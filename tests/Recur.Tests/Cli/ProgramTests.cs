using System.Reflection;
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
        var implemented = assembly.GetTypes().Where(t => !t.IsAbstract && !t.IsInterface && iCommand.IsAssignableFrom(t)).Select(t => t.FullName).Order().ToArray();
        var all = (Array)assembly.GetType("Recur.Cli.Program")!.GetMethod("All", BindingFlags.NonPublic | BindingFlags.Static)!.Invoke(null, null)!;
        var listed = all.Cast<object>().Select(c => c.GetType().FullName).Order().ToArray();
        Assert.Equal(implemented, listed);
        Assert.True(implemented.Length >= 14, $"only {implemented.Length} commands found");
    }
}
