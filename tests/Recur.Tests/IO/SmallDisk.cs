using System.Diagnostics;
using Xunit;

namespace Recur.Tests.IO;

/// <summary>
/// A real, tiny file system for fault tests: a tmpfs of a few hundred KiB mounted on a temporary folder (Linux,
/// as root, where mounting is allowed, as on the CI machine). It can be filled to the last page (writes then fail
/// with ENOSPC, "No space left on device") or remounted read-only (EROFS), so the faults the tests see are the
/// kernel's own, not simulated ones.
/// </summary>
internal sealed class SmallDisk : IDisposable
{
    private readonly List<string> _fillers = [];

    /// <summary>Why no small disk can be mounted here, or null when one can.</summary>
    public static string? Unavailable { get; } = Probe();

    /// <summary>The mounted folder.</summary>
    public string Root { get; }

    public SmallDisk(int kib)
    {
        Root = Directory.CreateTempSubdirectory("recur-disk-").FullName;
        if (Mount($"-t tmpfs -o size={kib}k tmpfs {Root}") is string error)
        {
            Directory.Delete(Root);
            throw new InvalidOperationException($"mounting a tmpfs failed: {error}");
        }
    }

    /// <summary>Fills every free byte with files of zeros, so the next write fails with ENOSPC.</summary>
    public void Fill()
    {
        var chunk = new byte[4096];
        for (int k = 0; ; k++)
        {
            string path = Path.Combine(Root, $".filler-{k}");
            _fillers.Add(path);
            try
            {
                using var f = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1);
                while (true) f.Write(chunk);
            }
            catch (IOException) { if (new FileInfo(path).Length == 0) return; }
        }
    }

    /// <summary>Deletes what <see cref="Fill"/> wrote.</summary>
    public void Free()
    {
        foreach (string f in _fillers) File.Delete(f);
        _fillers.Clear();
    }

    /// <summary>Remounts the disk read-only (refused by the kernel while a file on it is open for writing).</summary>
    public void MakeReadOnly()
    {
        if (Mount($"-o remount,ro {Root}") is string error) throw new InvalidOperationException($"remounting read-only failed: {error}");
    }

    public void Dispose()
    {
        Run("umount", $"-l {Root}");
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
    }

    private static string? Mount(string args) => Run("mount", args);

    /// <summary>Runs a program; null on success, else what it printed.</summary>
    private static string? Run(string program, string args)
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo(program, args) { RedirectStandardError = true, RedirectStandardOutput = true })!;
            string err = p.StandardError.ReadToEnd() + p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            return p.ExitCode == 0 ? null : err.Trim() is { Length: > 0 } e ? e : $"{program} exited with {p.ExitCode}";
        }
        catch (System.ComponentModel.Win32Exception e) { return e.Message; }
    }

    private static string? Probe()
    {
        if (!OperatingSystem.IsLinux()) return "the small-disk fault tests mount a tmpfs, which needs Linux.";
        try
        {
            using var disk = new SmallDisk(64);
            return null;
        }
        catch (InvalidOperationException e)
        {
            return $"the small-disk fault tests need to mount a tmpfs (as root, with mount allowed): {e.Message}";
        }
    }
}

/// <summary>A fact that needs <see cref="SmallDisk"/>; skipped, with the reason, where no tmpfs can be mounted.</summary>
public sealed class SmallDiskFactAttribute : FactAttribute
{
    public SmallDiskFactAttribute()
    {
        if (SmallDisk.Unavailable is string why) Skip = why;
    }
}
