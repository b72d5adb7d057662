using Recur.Cli.Commands;

namespace Recur.Cli;

/// <summary>The <c>recur</c> command: parse, call the library, print. No math here.</summary>
internal static class Program
{
    private static int Main(string[] argv) => Run(argv, All());

    /// <summary>Runs the command <paramref name="argv"/> names among <paramref name="all"/>; returns the exit code.</summary>
    internal static int Run(string[] argv, IEnumerable<ICommand> all)
    {
        var commands = Discover(all);
        if (argv.Length == 0 || argv[0] is "--help" or "-h" or "help")
        {
            if (argv.Length > 1 && commands.TryGetValue(argv[1], out var c)) { Console.WriteLine(c.Usage); return 0; }
            PrintHelp(commands);
            return 0;
        }
        if (argv[0] is "--version" or "-V")
        {
            Console.WriteLine($"recur {Version}");
            return 0;
        }
        if (!commands.TryGetValue(argv[0], out var command))
        {
            Console.Error.WriteLine($"recur: unknown command '{argv[0]}'. Commands: {string.Join(", ", commands.Keys)}. See 'recur --help'.");
            return 2;
        }
        try
        {
            var args = new Args(argv.AsSpan(1).ToArray());
            if (args.Flag("help") || args.Flag("h")) { Console.WriteLine(command.Usage); return 0; }
            return command.Run(args);
        }
        catch (CliException e)
        {
            Console.Error.WriteLine($"recur {command.Name}: {e.Message}");
            return e.ExitCode;
        }
        catch (Exception e) when (e is ArgumentException or IOException or UnauthorizedAccessException or FormatException or InvalidDataException
                                       or Recur.IO.CheckpointFormatException or Recur.Data.CorpusException or Recur.Data.UnknownCharactersException
                                       or Recur.Data.UnseenInputException
                                       or Recur.Data.Language.CorpusFormatException or Recur.Data.Translation.MoFormatException
                                       or KeyNotFoundException or InvalidOperationException)
        {
            Console.Error.WriteLine($"recur {command.Name}: {e.Message}");
            return 1;
        }
    }

    internal static string Version => typeof(Recur.Tensor).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    /// <summary>
    /// Every command, listed by hand rather than found by reflection, so that a trimmed NativeAOT build keeps them
    /// (<c>ProgramTests</c> checks that the list names every <see cref="ICommand"/> in the assembly), then a
    /// <see cref="TaskCommand"/> for each registered task that has no command of its own.
    /// </summary>
    internal static ICommand[] All()
    {
        ICommand[] own =
        [
            new TrainCommand(), new SampleCommand(), new EvalCommand(), new MinCharCommand(), new CellsCommand(),
            new GradFlowCommand(), new CompareCommand(), new ClassifyCommand(), new CaptionCommand(), new VqaCommand(),
            new TagCommand(), new G2pCommand(), new DrawCommand(), new VideoCommand(), new GlimpseCommand(), new DialogCommand(), new TranslateCommand(),
            new SentimentCommand(),
            new ExportCommand(), new ImportCommand(), new DemoCommand(), new GalleryCommand(),
            new Board.BoardCommand(),
        ];
        return [.. own, .. Recur.Tasks.TaskRegistry.All.Where(t => !own.Any(c => c.Tasks.Contains(t.Name))).Select(t => new TaskCommand(t))];
    }

    private static SortedDictionary<string, ICommand> Discover(IEnumerable<ICommand> all)
    {
        var found = new SortedDictionary<string, ICommand>(StringComparer.Ordinal);
        foreach (var c in all) found.Add(c.Name, c);
        return found;
    }

    private static void PrintHelp(SortedDictionary<string, ICommand> commands)
    {
        Console.WriteLine($"recur {Version}: recurrent neural networks in C# (RNN, LSTM, GRU; char-rnn).");
        Console.WriteLine();
        Console.WriteLine("usage: recur <command> [options]");
        Console.WriteLine();
        Console.WriteLine("commands:");
        foreach (var c in commands.Values) Console.WriteLine($"  {c.Name,-10} {c.Summary}");
        Console.WriteLine();
        Console.WriteLine("'recur <command> --help' shows a command's options. 'recur train' with no arguments trains");
        Console.WriteLine("a character LSTM on the bundled tiny-shakespeare and ends with a sample.");
    }
}
