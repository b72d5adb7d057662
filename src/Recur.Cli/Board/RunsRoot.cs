namespace Recur.Cli.Board;

/// <summary>
/// The folder the board serves (RUNS_DIR) and the only way to name a path under it: a relative path of plain segments
/// ('/'-separated; no <c>..</c>, <c>.</c>, empty segment, backslash, colon or NUL; not absolute) whose every symbolic
/// link, followed to its end, stays inside the folder. Anything else resolves to null and is refused.
/// </summary>
internal sealed class RunsRoot
{
    /// <summary>Serves <paramref name="directory"/> (a symbolic link to a folder is followed once, here).</summary>
    public RunsRoot(string directory)
    {
        var info = new DirectoryInfo(Path.GetFullPath(directory));
        if (!info.Exists) throw new DirectoryNotFoundException($"{directory}: no such folder.");
        var real = info.LinkTarget is null ? info : info.ResolveLinkTarget(returnFinalTarget: true) as DirectoryInfo ?? info;
        FullPath = Path.TrimEndingDirectorySeparator(real.FullName);
    }

    /// <summary>The folder's full path (its real path when it was given as a symbolic link).</summary>
    public string FullPath { get; }

    /// <summary>The file at <paramref name="relative"/>, or null when the path is refused or is not a file.</summary>
    public string? File(string? relative) => Resolve(relative) is { } p && System.IO.File.Exists(p) ? p : null;

    /// <summary>The folder at <paramref name="relative"/> ("" is the root), or null when the path is refused or is not a folder.</summary>
    public string? Folder(string? relative) => relative == "" ? FullPath : Resolve(relative) is { } p && Directory.Exists(p) ? p : null;

    /// <summary>The relative name ('/'-separated) of <paramref name="fullPath"/>, a path under the root.</summary>
    public string Relative(string fullPath) => Path.GetRelativePath(FullPath, fullPath).Replace(Path.DirectorySeparatorChar, '/');

    /// <summary>Whether <paramref name="fullPath"/> is the root or under it.</summary>
    public bool Contains(string fullPath) =>
        fullPath == FullPath || fullPath.StartsWith(FullPath + Path.DirectorySeparatorChar, StringComparison.Ordinal);

    /// <summary>
    /// The full path <paramref name="relative"/> names, checked segment by segment: null for a refused name or for a symbolic
    /// link whose final target lies outside the root. The path need not exist past its last existing segment.
    /// </summary>
    public string? Resolve(string? relative)
    {
        if (string.IsNullOrEmpty(relative) || relative.Length > 4096) return null;
        if (relative[0] == '/' || Path.IsPathRooted(relative)) return null;
        if (relative.IndexOfAny(['\\', ':', '\0']) >= 0) return null;
        string current = FullPath;
        foreach (string segment in relative.Split('/'))
        {
            if (segment is "" or "." or "..") return null;
            string next = Path.Combine(current, segment);
            FileSystemInfo info = Directory.Exists(next) ? new DirectoryInfo(next) : new FileInfo(next);
            if (info.LinkTarget is not null)
            {
                FileSystemInfo? target;
                try { target = info.ResolveLinkTarget(returnFinalTarget: true); }
                catch (IOException) { return null; }
                if (target is null || !Contains(Path.GetFullPath(target.FullName))) return null;
                next = Path.GetFullPath(target.FullName);
            }
            current = next;
        }
        return Contains(current) ? current : null;
    }
}
