using System.Diagnostics;
using System.Globalization;
using System.Text;
using Recur.Cli.Board;

namespace Recur.Bench;

/// <summary>
/// <c>board [--runs 1000] [--lines 1000000]</c>: the board at scale. Makes RUNS runs in a temporary folder (a config.json, a
/// safetensors header and a 200-line metrics file each) and times the run list (cold: every file read; warm: cached), then
/// the page in headless Chromium where one is installed (browser start-up included: an upper bound of the render); then a
/// LINES-line metrics.jsonl: the first follow, its memory (points kept), and the update after 1,000 more lines (bytes read).
/// </summary>
internal static class BoardBench
{
    public static int Run(string[] args)
    {
        int runs = Option(args, "--runs", 1000), lines = Option(args, "--lines", 1_000_000);
        string top = Directory.CreateTempSubdirectory("recur-board-bench-").FullName;
        try
        {
            string dir = Path.Combine(top, "runs");
            for (int r = 0; r < runs; r++) WriteRun(Path.Combine(dir, $"run-{r:D4}"), 200, r);
            var catalog = new RunCatalog(new RunsRoot(dir));
            var clock = Stopwatch.StartNew();
            int bytes = RunListJson.Runs(catalog).Length;
            double cold = clock.Elapsed.TotalMilliseconds;
            clock.Restart();
            RunListJson.Runs(catalog);
            double warm = clock.Elapsed.TotalMilliseconds;
            Console.WriteLine(Inv($"run list of {runs} runs: cold {cold:F0} ms, warm {warm:F0} ms, {bytes / 1024.0:F0} KiB of JSON"));
            string one = Path.Combine(top, "one");
            WriteRun(Path.Combine(one, "run-0000"), 200, 0);
            if (PageInChromium(one, 1) is double empty && PageInChromium(dir, runs) is double full)
                Console.WriteLine(Inv($"  the list's own cost: {full - empty:F0} ms ({runs} runs against 1, each from browser start to DOM)"));

            string big = Path.Combine(top, "big");
            WriteRun(big, lines, 0);
            long before = GC.GetTotalMemory(forceFullCollection: true);
            var follower = new MetricsFollower(Path.Combine(big, RunFiles.Metrics));
            clock.Restart();
            follower.Update();
            double first = clock.Elapsed.TotalMilliseconds;
            long held = GC.GetTotalMemory(forceFullCollection: true) - before;
            Console.WriteLine(Inv($"follow {lines:N0} lines: first read {first:F0} ms, {follower.Train.Count} points kept (stride {follower.Train.Stride}), ")
                + Inv($"{held / 1024.0:F0} KiB held"));
            long read = follower.BytesRead;
            var more = new StringBuilder();
            for (int i = 1; i <= 1000; i++) more.Append(Line(lines + i));
            File.AppendAllText(Path.Combine(big, RunFiles.Metrics), more.ToString());
            clock.Restart();
            follower.Update();
            Console.WriteLine(Inv($"update after 1,000 more lines: {clock.Elapsed.TotalMilliseconds:F1} ms, {follower.BytesRead - read:N0} bytes read ")
                + Inv($"({Encoding.UTF8.GetByteCount(more.ToString()):N0} appended)"));
            GC.KeepAlive(follower);
            return 0;
        }
        finally { Directory.Delete(top, recursive: true); }
    }

    /// <summary>Milliseconds from starting headless Chromium to its DOM with every row rendered, or null.</summary>
    private static double? PageInChromium(string dir, int runs)
    {
        string? chromium = new[] { "chromium", "chromium-browser", "google-chrome" }
            .SelectMany(n => (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(d => Path.Combine(d, n)))
            .FirstOrDefault(File.Exists);
        if (chromium is null) { Console.WriteLine("page: no Chromium on the PATH; not timed"); return null; }
        var server = BoardServer.StartAsync(dir, System.Net.IPAddress.Loopback, 0).GetAwaiter().GetResult();
        try
        {
            string profile = Directory.CreateTempSubdirectory("recur-board-profile-").FullName;
            var psi = new ProcessStartInfo(chromium) { RedirectStandardOutput = true, RedirectStandardError = true };
            string[] flags = ["--headless", "--no-sandbox", "--disable-gpu", $"--user-data-dir={profile}", "--dump-dom", "--virtual-time-budget=10000"];
            foreach (string a in flags.Append(server.Url))
                psi.ArgumentList.Add(a);
            var clock = Stopwatch.StartNew();
            using var p = Process.Start(psi)!;
            p.StandardError.ReadToEndAsync();
            string dom = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            bool listed = dom.Contains($"data-rows=\"{runs}\"", StringComparison.Ordinal);
            Console.WriteLine(Inv($"page with {runs} rows in headless Chromium: {clock.Elapsed.TotalMilliseconds:F0} ms from browser start to DOM, ")
                + (listed ? "every row rendered" : "ROWS MISSING"));
            return listed ? clock.Elapsed.TotalMilliseconds : null;
        }
        finally { server.DisposeAsync().AsTask().GetAwaiter().GetResult(); }
    }

    private static string Line(long i) => string.Create(CultureInfo.InvariantCulture,
        $"{{\"type\":\"train\",\"iter\":{i},\"epoch\":{i / 1000.0},\"loss\":{2.0 / Math.Sqrt(i)},\"lr\":0.002,\"grad_norm\":0.5,"
        + $"\"tokens_per_s\":9000,\"elapsed_s\":{i * 0.05:F3}}}\n");

    private static void WriteRun(string dir, int lines, int seed)
    {
        Directory.CreateDirectory(Path.Combine(dir, "latest"));
        using (var w = new StreamWriter(Path.Combine(dir, RunFiles.Metrics)))
            for (int i = 1; i <= lines; i++)
            {
                w.Write(Line(i));
                if (i % 100 == 0) w.Write(Inv($"{{\"type\":\"val\",\"iter\":{i},\"val_loss\":{1.0 / Math.Sqrt(i)},\"best\":true,\"best_by\":\"loss\"}}\n"));
            }
        File.WriteAllText(Path.Combine(dir, "latest", "config.json"), "{\"task\":\"char-lm\",\"model\":{\"cell\":\"lstm\"},\"training\":{\"model\":\"lstm\","
            + Inv($"\"seed\":{seed}}},\"progress\":{{\"best_by\":\"loss\",\"best_value\":1.5}}}}\n"));
        string header = """{"w":{"dtype":"F32","shape":[256,1024],"data_offsets":[0,0]}}""";
        using var st = File.Create(Path.Combine(dir, "latest", "model.safetensors"));
        st.Write(BitConverter.GetBytes((long)header.Length));
        st.Write(Encoding.ASCII.GetBytes(header));
    }

    private static int Option(string[] args, string name, int fallback)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
