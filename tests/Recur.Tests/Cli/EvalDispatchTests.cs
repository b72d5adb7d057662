using Xunit;

namespace Recur.Tests.Cli;

/// <summary>
/// <c>recur eval RUN</c> scores a run of any task: a run of a task with its own command (DRAW, video, glimpses, ...) is
/// scored exactly as <c>recur TASK eval RUN</c> scores it, with the same arguments, instead of being refused as "not a
/// character model". The runs are copies of the first-format run folders of Fixtures/oldruns.
/// </summary>
[Collection("Console")]
public sealed class EvalDispatchTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("recur-eval-dispatch-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private static string SampleDir => Path.Combine(AppContext.BaseDirectory, "Data", "Samples", "fashion-mnist");

    private string Copy(string task)
    {
        string from = Path.Combine(AppContext.BaseDirectory, "Fixtures", "oldruns", task), to = Path.Combine(_dir, task);
        foreach (string f in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            string target = Path.Combine(to, Path.GetRelativePath(from, f));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(f, target);
        }
        return to;
    }

    [Theory]
    [InlineData("dialog")]
    [InlineData("draw")]
    [InlineData("glimpse")]
    [InlineData("video")]
    public void RecurEvalScoresATaskRunAsItsOwnCommandDoes(string task)
    {
        string run = Copy(task);
        foreach (string[] extra in new[] { Array.Empty<string>(), ["--split", "test"] })
        {
            var own = CliHarness.Run([task, "eval", run, SampleDir, "--threads", "1", .. extra]);
            Assert.True(own.ExitCode == 0, own.ToString());
            string ownJson = File.ReadAllText(Path.Combine(run, "eval.json"));
            File.Delete(Path.Combine(run, "eval.json"));
            var generic = CliHarness.Run(["eval", run, SampleDir, "--threads", "1", .. extra]);
            Assert.True(generic.ExitCode == 0, generic.ToString());
            Assert.Equal(own.Out, generic.Out);
            Assert.Equal(ownJson, File.ReadAllText(Path.Combine(run, "eval.json")));
            Assert.Contains(extra.Length == 0 ? "validation" : "test", generic.Out.Split('\n')[0]);
        }
        CliHarness.AssertCleanFailure(CliHarness.Run("eval", run, SampleDir, "--split", "train"), "eval", "split");
    }
}
