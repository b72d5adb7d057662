using System.Globalization;
using System.Text;
using Recur.Training;

namespace Recur.Cli;

/// <summary>Run folders and running a trainer from the command line.</summary>
internal static class RunFolders
{
    /// <summary>A fresh <c>runs/YYYYMMDD-HHMMSS-NAME</c> (with a <c>-2</c>, <c>-3</c>, ... suffix when taken).</summary>
    public static string Default(string name)
    {
        var clean = new StringBuilder();
        foreach (char ch in name) clean.Append(char.IsAsciiLetterOrDigit(ch) || ch is '-' or '_' ? ch : '_');
        if (clean.Length == 0) clean.Append("run");
        string stamp = DateTime.Now.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture);
        string dir = Path.Combine("runs", $"{stamp}-{clean}");
        for (int k = 2; Directory.Exists(dir); k++) dir = Path.Combine("runs", $"{stamp}-{clean}-{k}");
        return dir;
    }

    /// <summary>
    /// The exit code of a run that did not end normally, after telling the user (a non-finite loss: 3, on
    /// stderr; a run folder that could not be written: 4, on stderr; Ctrl-C: 130, with the resume command), or
    /// null when it ended normally.
    /// </summary>
    public static int? AbnormalExit(TrainResult result, string command, string run)
    {
        switch (result.Reason)
        {
            case StopReason.NonFinite:
                Console.Out.Flush();
                Console.Error.WriteLine($"recur {command}: {result.Message}.");
                return 3;
            case StopReason.SaveFailed:
                Console.Out.Flush();
                Console.Error.WriteLine($"recur {command}: {result.Message}.");
                return 4;
            case StopReason.Cancelled:
                Console.WriteLine($"interrupted at iteration {result.Iteration}; saved {Path.Combine(run, "latest")}. Continue with: recur "
                    + $"{command} --resume {run}");
                return 130;
            default:
                return null;
        }
    }

    /// <summary>Runs <paramref name="trainer"/>; the first Ctrl-C stops it after the current iteration (saving latest/), a second ends the process.</summary>
    public static TrainResult Run(Trainer trainer, TrainingMonitor progress) => WithCtrlC(token => trainer.Run(progress, token));

    /// <summary>Runs <paramref name="body"/> with a token that the first Ctrl-C signals (a second ends the process).</summary>
    public static T WithCtrlC<T>(Func<CancellationToken, T> body)
    {
        using var cts = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            if (cts.IsCancellationRequested) return;
            e.Cancel = true;
            cts.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        try { return body(cts.Token); }
        finally { Console.CancelKeyPress -= onCancel; }
    }
}
