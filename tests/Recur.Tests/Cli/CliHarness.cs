using System.Reflection;
using System.Text;
using Xunit;

namespace Recur.Tests.Cli;

/// <summary>Tests that swap the process-wide console run alone, after the parallel ones.</summary>
[CollectionDefinition("Console", DisableParallelization = true)]
public sealed class ConsoleCollection;

/// <summary>
/// Runs <c>recur ARGS</c> in-process through the real entry point (<c>Program.Main</c>, with its
/// error handling), capturing standard output and error.
/// </summary>
internal static class CliHarness
{
    private static readonly Lock Gate = new();

    public sealed record Result(int ExitCode, string Out, string Err)
    {
        public override string ToString() => $"exit {ExitCode}\n--- stdout ---\n{Out}\n--- stderr ---\n{Err}";
    }

    /// <summary>Writes the first <paramref name="chars"/> bytes of the bundled tiny-shakespeare to <c>DIR/text.txt</c>; returns the path.</summary>
    public static string ShakespeareFile(string dir, int chars = 3000)
    {
        string path = Path.Combine(dir, "text.txt");
        using var s = typeof(Recur.Data.Corpus).Assembly.GetManifestResourceStream(Recur.Data.Corpus.TinyShakespeareResource)!;
        var buf = new byte[chars];
        s.ReadExactly(buf);
        File.WriteAllBytes(path, buf);
        return path;
    }

    public static Result Run(params string[] argv)
    {
        var main = typeof(Recur.Cli.Args).Assembly.GetType("Recur.Cli.Program")!
            .GetMethod("Main", BindingFlags.NonPublic | BindingFlags.Static)!;
        return Capture(() => (int)main.Invoke(null, [argv])!);
    }

    /// <summary>Runs <paramref name="argv"/> among the command line's commands and <paramref name="extra"/> ones.</summary>
    internal static Result RunWith(IEnumerable<Recur.Cli.ICommand> extra, params string[] argv)
        => Capture(() => Recur.Cli.Program.Run(argv, [.. Recur.Cli.Program.All(), .. extra]));

    private static Result Capture(Func<int> run)
    {
        lock (Gate)
        {
            var (oldOut, oldErr) = (Console.Out, Console.Error);
            var so = new StringWriter(new StringBuilder()) { NewLine = "\n" };
            var se = new StringWriter(new StringBuilder()) { NewLine = "\n" };
            Console.SetOut(so);
            Console.SetError(se);
            try
            {
                int code = run();
                return new Result(code, so.ToString(), se.ToString());
            }
            finally
            {
                Console.SetOut(oldOut);
                Console.SetError(oldErr);
            }
        }
    }

    /// <summary>Asserts the failure a user should see: non-zero exit, one line on stderr naming the problem, no stack trace.</summary>
    public static void AssertCleanFailure(Result r, string command, params string[] fragments)
    {
        Assert.True(r.ExitCode != 0, r.ToString());
        string err = r.Err.TrimEnd('\n');
        Assert.False(err.Contains('\n'), "more than one line on stderr:\n" + r);
        Assert.StartsWith($"recur {command}: ", err);
        Assert.DoesNotContain("   at ", err);
        Assert.DoesNotContain("Exception", err);
        foreach (string f in fragments) Assert.Contains(f, err, StringComparison.OrdinalIgnoreCase);
    }
}
