using System.Diagnostics;
using Xunit;

namespace Recur.Tests.TestUtil;

/// <summary>
/// Runs Debian's <c>/usr/bin/python3</c> with PyTorch for the tests that check an exported package: skips (with the
/// reason) where python3 or python3-torch is absent, fails with Python's own error otherwise.
/// </summary>
internal static class TorchPython
{
    public const string Python = "/usr/bin/python3";
    private const string Install = "Debian/Ubuntu: sudo apt-get install -y python3-torch";

    /// <summary>Skips the calling test unless <c>/usr/bin/python3</c> imports torch.</summary>
    public static void RequireTorch()
    {
        Skip.IfNot(File.Exists(Python), $"{Python} is not installed ({Install}); this test runs the exported package with it.");
        var (code, _, err) = Run(Environment.CurrentDirectory, ["-c", "import torch"], 120);
        Skip.If(code != 0 && err.Contains("No module named 'torch'"), $"python3-torch is not installed ({Install}); this test runs the exported package with it.");
        Assert.True(code == 0, err);
    }

    /// <summary>Runs python3 with <paramref name="args"/> in <paramref name="workDir"/>; returns the exit code, stdout and stderr.</summary>
    public static (int Code, string Out, string Err) Run(string workDir, IEnumerable<string> args, int timeoutSeconds = 300)
    {
        var psi = new ProcessStartInfo(Python, args)
        {
            WorkingDirectory = workDir, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        psi.Environment["OPENBLAS_CORETYPE"] = "Haswell";
        psi.Environment["OMP_NUM_THREADS"] = "1";
        psi.Environment["RECUR_CPU"] = "1";
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeoutSeconds * 1000))
        {
            p.Kill(entireProcessTree: true);
            Assert.Fail($"python3 {string.Join(' ', args)} did not finish in {timeoutSeconds} s");
        }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>
    /// The arguments that start <paramref name="workers"/> workers under the package's torchrun.py on a free port of this
    /// machine (not torchrun's fixed default, which another run on the machine may hold), then <paramref name="script"/>.
    /// </summary>
    public static string[] Torchrun(int workers, params string[] script)
    {
        using var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        probe.Start();
        int port = ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return ["torchrun.py", "--nproc_per_node", workers.ToString(System.Globalization.CultureInfo.InvariantCulture), "--master_addr", "127.0.0.1",
            "--master_port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), .. script];
    }

    /// <summary>Runs python3 and requires success; returns stdout.</summary>
    public static string Check(string workDir, params string[] args)
    {
        var (code, output, err) = Run(workDir, args, 240);
        Assert.True(code == 0, $"python3 {string.Join(' ', args)} failed ({code}):\n{err}\n{output}");
        return output;
    }
}
