using System.Net;

namespace Recur.Cli.Board;

/// <summary><c>recur board [RUNS_DIR] [--port P] [--host ADDRESS]</c>: every run under RUNS_DIR, live, in one local web page.</summary>
internal sealed class BoardCommand : ICommand
{
    /// <summary>The port when --port is not given.</summary>
    public const int DefaultPort = 6006;

    public string Name => "board";
    public string Summary => "every run under a folder, live, in one local web page: curves, samples, eval examples, comparisons";
    public IEnumerable<string> Tasks => [];

    public string Usage => $"""
        usage: recur board [RUNS_DIR] [--port P] [--host ADDRESS]

        Serves a web page, on this machine only by default, that lists every run under RUNS_DIR (default: runs):
        task, model, parameters, status (running, finished, stopped), best validation figure, iterations, time;
        filter and sort it, tick several runs to overlay their validation and training curves (they grow as the
        runs train; smoothing, log axes, iterations or minutes). A run's own page shows its options and the command
        that trains it again, its eval scores, the samples written along the way, a browser of its evaluation
        examples (right or wrong, with the attention picture) and its pictures and pages (cells, attention);
        recur compare's folders show their table and curves. Open the address it prints in a browser.

        Read-only: it serves only files under RUNS_DIR (no path out of it, no symbolic link out of it) and runs
        nothing. Ctrl-C stops it.

          --port P          the port (default {DefaultPort}; 0 = any free port)
          --host ADDRESS    the address to listen on (default 127.0.0.1; 0.0.0.0 shows the board to the network)
        """;

    public int Run(Args args)
    {
        int port = args.Int("port", DefaultPort, min: 0, max: 65535);
        string hostText = args.String("host", "127.0.0.1")!;
        args.ThrowOnUnused(1);
        string dir = args.Positional.Count > 0 ? args.Positional[0] : "runs";
        if (!Directory.Exists(dir)) throw new CliException($"{dir}: no such folder; name the folder that holds the runs: recur board RUNS_DIR.", 1);
        if (!IPAddress.TryParse(hostText == "localhost" ? "127.0.0.1" : hostText, out var address))
            throw new CliException($"--host must be an IP address (127.0.0.1, ::1, 0.0.0.0), got '{hostText}'.");
        return RunFolders.WithCtrlC(token => Serve(dir, address, port, token).GetAwaiter().GetResult());
    }

    private static async Task<int> Serve(string dir, IPAddress address, int port, CancellationToken token)
    {
        BoardServer server;
        try { server = await BoardServer.StartAsync(dir, address, port, token); }
        catch (IOException e) { throw new CliException($"could not listen on {address}:{port} ({e.Message.TrimEnd('.')}); try another --port.", 1); }
        await using (server)
        {
            Console.WriteLine($"recur board: {Path.GetFullPath(dir)} at {server.Url} (Ctrl-C stops it)");
            await server.WaitAsync(token);
        }
        Console.WriteLine("stopped.");
        return 0;
    }
}
