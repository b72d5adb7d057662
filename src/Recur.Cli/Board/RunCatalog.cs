namespace Recur.Cli.Board;

/// <summary>
/// The runs under RUNS_DIR, found afresh on every listing (a run started since appears at once): a run is a folder with a
/// <c>metrics.jsonl</c>, a comparison a folder with a <c>compare.json</c>. Folders are searched to <see cref="MaxDepth"/>
/// levels, never through a symbolic link, a hidden folder, a checkpoint folder or a run. Summaries are cached until their
/// files change; the followers of the runs whose curves were asked for are kept, the least recently used dropped past
/// <see cref="MaxFollowers"/>. Thread-safe.
/// </summary>
internal sealed class RunCatalog(RunsRoot root)
{
    /// <summary>How deep runs are looked for: RUNS_DIR/a/b/c/d (a gallery's corpus run is RUNS_DIR/gallery/NAME/run).</summary>
    public const int MaxDepth = 4;

    /// <summary>Runs whose followers are kept at once.</summary>
    public const int MaxFollowers = 64;

    private static readonly EnumerationOptions Folders = new()
    {
        AttributesToSkip = FileAttributes.ReparsePoint | FileAttributes.Hidden, IgnoreInaccessible = true, RecurseSubdirectories = false,
    };

    private readonly Lock _gate = new();
    private readonly Dictionary<string, (long Length, DateTime Metrics, DateTime Config, RunSummary Summary)> _summaries = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (MetricsFollower Follower, long Used)> _followers = new(StringComparer.Ordinal);
    private long _clock;

    /// <summary>The folder served.</summary>
    public RunsRoot Root { get; } = root;

    /// <summary>Every run and comparison folder now under the root (ids, sorted).</summary>
    public (List<string> Runs, List<string> Comparisons) Find()
    {
        var runs = new List<string>();
        var comparisons = new List<string>();
        Walk(Root.FullPath, 0, runs, comparisons);
        runs.Sort(StringComparer.Ordinal);
        comparisons.Sort(StringComparer.Ordinal);
        return (runs, comparisons);
    }

    private void Walk(string dir, int depth, List<string> runs, List<string> comparisons)
    {
        if (File.Exists(Path.Combine(dir, RunFiles.Metrics)) && dir != Root.FullPath) { runs.Add(Root.Relative(dir)); return; }
        if (File.Exists(Path.Combine(dir, RunFiles.Compare)) && dir != Root.FullPath) comparisons.Add(Root.Relative(dir));
        if (depth >= MaxDepth) return;
        IEnumerable<string> children;
        try { children = Directory.EnumerateDirectories(dir, "*", Folders); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return; }
        foreach (string child in children)
        {
            string name = Path.GetFileName(child);
            if (name.StartsWith('.') || name is "best" or "latest") continue;
            Walk(child, depth + 1, runs, comparisons);
        }
    }

    /// <summary>The summaries of <paramref name="ids"/> (runs that vanished meanwhile left out), read again only where their files changed.</summary>
    public List<RunSummary> Summaries(IEnumerable<string> ids)
    {
        var now = DateTime.UtcNow;
        var list = new List<RunSummary>();
        foreach (string id in ids)
        {
            var metrics = new FileInfo(Path.Combine(Root.FullPath, id, RunFiles.Metrics));
            if (!metrics.Exists) continue;
            var config = RunFiles.Config(Root, id) is { } c ? File.GetLastWriteTimeUtc(c) : DateTime.MinValue;
            bool fresh;
            (long Length, DateTime Metrics, DateTime Config, RunSummary Summary) cached;
            lock (_gate) fresh = _summaries.TryGetValue(id, out cached)
                && cached.Length == metrics.Length && cached.Metrics == metrics.LastWriteTimeUtc && cached.Config == config;
            RunSummary? s = fresh ? cached.Summary : RunSummary.Read(Root, id, now);
            if (s is null) continue;
            // A cached summary's status still ages: a run that stopped writing is no longer running.
            if (fresh && s.Status == "running" && (now - s.Updated).TotalSeconds >= RunSummary.RunningSeconds) s = RunSummary.Read(Root, id, now)!;
            if (!fresh) lock (_gate) _summaries[id] = (metrics.Length, metrics.LastWriteTimeUtc, config, s);
            list.Add(s);
        }
        return list;
    }

    /// <summary>The follower of run <paramref name="id"/> (made on first use), or null when the id names no run under the root.</summary>
    public MetricsFollower? Follower(string id)
    {
        lock (_gate)
        {
            if (_followers.TryGetValue(id, out var f))
            {
                _followers[id] = (f.Follower, ++_clock);
                return f.Follower;
            }
        }
        if (Root.Folder(id) is null || Root.File(id + "/" + RunFiles.Metrics) is not { } path) return null;
        lock (_gate)
        {
            if (_followers.TryGetValue(id, out var again)) return again.Follower;
            if (_followers.Count >= MaxFollowers) _followers.Remove(_followers.MinBy(kv => kv.Value.Used).Key);
            var follower = new MetricsFollower(path);
            _followers[id] = (follower, ++_clock);
            return follower;
        }
    }
}
