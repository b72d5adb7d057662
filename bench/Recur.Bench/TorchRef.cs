using System.Diagnostics;
using System.Text.Json;

namespace Recur.Bench;

/// <summary>
/// Runs one of the PyTorch 1.13 reference scripts of bench/ (Debian's python3-torch, <c>OPENBLAS_CORETYPE=Haswell</c>) and
/// returns the JSON object of its last output line.
/// </summary>
internal static class TorchRef
{
    public static JsonElement Run(string root, string script, params string[] args)
    {
        var psi = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(root, "bench", script));
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["OPENBLAS_CORETYPE"] = "Haswell";
        using var p = Process.Start(psi)!;
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{script} exited with {p.ExitCode}.");
        return JsonDocument.Parse(output.Trim().Split('\n')[^1]).RootElement.Clone();
    }

    /// <summary>The value after <paramref name="name"/> in <paramref name="args"/>, or <paramref name="fallback"/>.</summary>
    public static string Option(string[] args, string name, string fallback)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
    }
}
