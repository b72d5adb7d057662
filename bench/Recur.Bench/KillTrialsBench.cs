using System.Diagnostics;
using Recur.IO;
using Recur.Tasks.CharLm;

namespace Recur.Bench;

/// <summary>
/// Fault trials (issue 15): <c>recur train</c> with an evaluation and checkpoint every 2 iterations is killed with SIGKILL
/// at a random moment, then its run folder is checked: <c>latest/</c> and <c>best/</c> (or the <c>.old</c> a crash
/// between the swap's two renames leaves) must load, and <c>--resume</c> must continue it for two more iterations.
/// Counts the folders that fail, and the temporary files left behind after the resume.
/// </summary>
internal static class KillTrialsBench
{
    public static int Run(string[] args)
    {
        int trials = Option(args, "--trials", 100);
        int seed = Option(args, "--seed", 1);
        string root = MinCharBench.FindRepoRoot();
        string cli = Path.Combine(root, "src", "Recur.Cli", "bin", "Release", "net10.0", "Recur.Cli.dll");
        if (!File.Exists(cli)) { Console.Error.WriteLine($"{cli} not found: dotnet build -c Release src/Recur.Cli first"); return 2; }
        string dir = Path.Combine(Path.GetTempPath(), "recur-kill-" + Environment.ProcessId);
        Directory.CreateDirectory(dir);
        var rng = new Random(seed);
        int noCheckpoint = 0, loaded = 0, resumed = 0, failed = 0, leftovers = 0;
        for (int t = 0; t < trials; t++)
        {
            string run = Path.Combine(dir, $"t{t:D3}");
            using (var p = Start(cli,
                $"train --hidden 32 --layers 2 --seq-length 32 --batch-size 8 --eval-every 2 --max-iters 100000 --threads 1 --print-every 1 --out {run}"))
            {
                Thread.Sleep(400 + rng.Next(3600));
                try { p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                p.WaitForExit();
            }
            if (!Directory.Exists(Path.Combine(run, "latest")) && !Directory.Exists(Path.Combine(run, ".latest.old"))) { noCheckpoint++; continue; }
            try
            {
                var latest = CharCheckpoint.Read(run, CheckpointKind.Latest);
                CharCheckpoint.Read(run, CheckpointKind.Best);
                loaded++;
                long it = latest.Progress?.Iteration ?? 0;
                using var r = Start(cli, $"train --resume {run} --max-iters {it + 2}");
                r.WaitForExit();
                if (r.ExitCode == 0) resumed++;
                else { failed++; Console.WriteLine($"trial {t}: resume failed with exit {r.ExitCode}"); }
            }
            catch (Exception e) when (e is CheckpointFormatException or IOException)
            {
                failed++;
                Console.WriteLine($"trial {t}: {e.Message}");
            }
            int stray = Directory.GetFileSystemEntries(run, "*.tmp", SearchOption.AllDirectories).Length;
            if (stray > 0) { leftovers += stray; Console.WriteLine($"trial {t}: {stray} temporary file(s) left"); }
        }
        Console.WriteLine($"| trials | killed before the first checkpoint | loaded | resumed | failed | temporary files left |");
        Console.WriteLine($"|---:|---:|---:|---:|---:|---:|");
        Console.WriteLine($"| {trials} | {noCheckpoint} | {loaded} | {resumed} | {failed} | {leftovers} |");
        try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        return failed == 0 ? 0 : 1;
    }

    private static Process Start(string cli, string arguments)
    {
        var psi = new ProcessStartInfo("dotnet", $"\"{cli}\" {arguments}") { RedirectStandardOutput = true, RedirectStandardError = true,
            UseShellExecute = false };
        var p = Process.Start(psi)!;
        p.OutputDataReceived += (_, _) => { };
        p.ErrorDataReceived += (_, _) => { };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }

    private static int Option(string[] args, string name, int fallback)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1]) : fallback;
    }
}
