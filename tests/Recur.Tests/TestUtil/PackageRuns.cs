using System.Text.Json;

namespace Recur.Tests.TestUtil;

/// <summary>What the tests of exported PyTorch packages share: the losses of a run's train lines, and a run folder copied.</summary>
internal static class PackageRuns
{
    /// <summary>The <c>"loss"</c> of every JSON line holding <paramref name="kind"/> (Recur's metrics.jsonl, or train.py's output).</summary>
    public static double[] Losses(IEnumerable<string> lines, string kind) => [.. lines.Where(l => l.Contains(kind, StringComparison.Ordinal))
        .Select(l => JsonDocument.Parse(l[l.IndexOf('{')..]).RootElement.GetProperty("loss").GetDouble())];

    /// <summary>Recur's train losses in <paramref name="run"/>'s metrics.jsonl.</summary>
    public static double[] RecurLosses(string run) => Losses(File.ReadAllLines(Path.Combine(run, "metrics.jsonl")), "\"type\":\"train\"");

    /// <summary>train.py's train losses in its printed output.</summary>
    public static double[] PyTorchLosses(string output) => Losses(output.Split('\n'), "\"type\": \"train\"");

    /// <summary>Copies the folder <paramref name="from"/> (every file, every subfolder) to <paramref name="to"/>, overwriting.</summary>
    public static void CopyFolder(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (string f in Directory.GetFiles(from)) File.Copy(f, Path.Combine(to, Path.GetFileName(f)), overwrite: true);
        foreach (string d in Directory.GetDirectories(from)) CopyFolder(d, Path.Combine(to, Path.GetFileName(d)));
    }
}
