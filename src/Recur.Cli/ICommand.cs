namespace Recur.Cli;

/// <summary>
/// One <c>recur</c> sub-command, listed in <c>Program.All</c>; a registered task without a command of its own gets a
/// <see cref="Commands.TaskCommand"/>.
/// </summary>
internal interface ICommand
{
    /// <summary>The word after <c>recur</c>.</summary>
    string Name { get; }

    /// <summary>One line for <c>recur --help</c>.</summary>
    string Summary { get; }

    /// <summary>Full usage text for <c>recur NAME --help</c>.</summary>
    string Usage { get; }

    /// <summary>The registered tasks (<see cref="Recur.Tasks.TaskRegistry"/>) this command trains and scores: by default the one of its name.</summary>
    IEnumerable<string> Tasks => [Name];

    /// <summary>Runs the command; returns the exit code. Throws <see cref="CliException"/> for user errors.</summary>
    int Run(Args args);
}

/// <summary>A user error: printed as one line without a stack trace, exit code non-zero.</summary>
internal sealed class CliException(string message, int exitCode = 2) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
