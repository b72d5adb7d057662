namespace Recur.IO;

/// <summary>
/// Writes a checkpoint folder atomically: the files go to a sibling temporary folder <c>.NAME.tmp</c>, the old
/// folder (if any) is renamed to <c>.NAME.old</c>, the new one renamed into place, and the old one deleted. A
/// crash between the two renames leaves <c>.NAME.old</c>, which <see cref="CheckpointFiles.Resolve"/> falls back to;
/// a crash before them leaves the previous folder untouched; a stale <c>.tmp</c> is removed by the next write. A
/// write that fails (a full disk, a read-only folder) puts the previous folder back, removes the partial copy
/// where it can, and rethrows.
/// </summary>
public static class CheckpointFolder
{
    /// <summary>Writes <paramref name="directory"/> with <paramref name="writeFiles"/>, which fills the temporary folder it is given.</summary>
    public static void Write(string directory, Action<string> writeFiles)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentNullException.ThrowIfNull(writeFiles);
        string full = Path.GetFullPath(directory).TrimEnd(Path.DirectorySeparatorChar);
        string parent = Path.GetDirectoryName(full) ?? ".";
        string leaf = Path.GetFileName(full);
        Directory.CreateDirectory(parent);
        string tmp = Path.Combine(parent, "." + leaf + ".tmp");
        string old = Path.Combine(parent, "." + leaf + ".old");
        if (Directory.Exists(tmp)) Directory.Delete(tmp, recursive: true);
        try
        {
            Directory.CreateDirectory(tmp);
            writeFiles(tmp);
            if (Directory.Exists(full))
            {
                if (Directory.Exists(old)) Directory.Delete(old, recursive: true);
                Directory.Move(full, old);
            }
            Directory.Move(tmp, full);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A full disk or a folder turned read-only: put the previous folder back if it was moved aside, and
            // drop the partial copy, so the last good checkpoint stays where readers look for it.
            TryQuietly(() => { if (!Directory.Exists(full) && Directory.Exists(old)) Directory.Move(old, full); });
            TryQuietly(() => { if (Directory.Exists(tmp)) Directory.Delete(tmp, recursive: true); });
            throw;
        }
        if (Directory.Exists(old)) Directory.Delete(old, recursive: true);
    }

    private static void TryQuietly(Action action)
    {
        try { action(); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
