using System.Text.Json;

namespace Recur.Cli.Board;

/// <summary>The API's run list and curves: <c>/api/runs</c> and <c>/api/metrics</c>.</summary>
internal static class RunListJson
{
    /// <summary>Every run (with its summary) and comparison under the root.</summary>
    public static byte[] Runs(RunCatalog catalog)
    {
        var (ids, comparisons) = catalog.Find();
        var runs = catalog.Summaries(ids);
        return BoardJson.Object(w =>
        {
            w.WriteString("root", catalog.Root.FullPath);
            w.WriteNumber("running_seconds", RunSummary.RunningSeconds);
            w.WriteStartArray("runs");
            foreach (var r in runs)
            {
                w.WriteStartObject();
                w.WriteString("id", r.Id);
                w.WriteString("task", r.Task);
                w.WriteString("model", r.Model);
                w.WriteNumber("parameters", r.Parameters);
                w.WriteString("status", r.Status);
                w.WriteString("best_by", r.BestBy);
                BoardJson.Number(w, "best", r.Best);
                w.WriteNumber("iterations", r.Iterations);
                BoardJson.Number(w, "elapsed_s", r.Elapsed);
                w.WriteNumber("updated_ms", new DateTimeOffset(r.Updated).ToUnixTimeMilliseconds());
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("comparisons");
            foreach (string c in comparisons) w.WriteStringValue(c);
            w.WriteEndArray();
        });
    }

    /// <summary>
    /// The curves of <paramref name="ids"/>, each brought up to date first (only the bytes appended since are read); a run
    /// whose version the client already has (<paramref name="versions"/>, in the same order) is left out. Unknown ids are
    /// listed under <c>missing</c>.
    /// </summary>
    public static byte[] Metrics(RunCatalog catalog, IReadOnlyList<string> ids, IReadOnlyList<long> versions)
    {
        return BoardJson.Object(w =>
        {
            w.WriteStartArray("runs");
            var missing = new List<string>();
            for (int k = 0; k < ids.Count; k++)
            {
                var f = catalog.Follower(ids[k]);
                if (f is null) { missing.Add(ids[k]); continue; }
                f.Update();
                lock (f.Gate)
                {
                    if (k < versions.Count && versions[k] == f.Version) continue;
                    w.WriteStartObject();
                    w.WriteString("id", ids[k]);
                    Follower(w, f);
                    w.WriteEndObject();
                }
            }
            w.WriteEndArray();
            w.WriteStartArray("missing");
            foreach (string m in missing) w.WriteStringValue(m);
            w.WriteEndArray();
        });
    }

    /// <summary>Whether any of <paramref name="ids"/> has news past <paramref name="versions"/> (each follower updated).</summary>
    public static bool AnyNews(RunCatalog catalog, IReadOnlyList<string> ids, IReadOnlyList<long> versions)
    {
        for (int k = 0; k < ids.Count; k++)
        {
            var f = catalog.Follower(ids[k]);
            if (f is null) continue;
            f.Update();
            lock (f.Gate) if (k >= versions.Count || versions[k] != f.Version) return true;
        }
        return false;
    }

    private static void Follower(Utf8JsonWriter w, MetricsFollower f)
    {
        w.WriteNumber("version", f.Version);
        w.WriteNumber("lines", f.Lines);
        w.WriteNumber("skipped", f.Skipped);
        w.WriteBoolean("ends_with_validation", f.EndsWithValidation);
        if (f.Best is { } b)
        {
            w.WriteStartObject("best");
            w.WriteString("by", b.By);
            BoardJson.Number(w, "value", b.Value);
            w.WriteNumber("iter", b.Iteration);
            w.WriteEndObject();
        }
        Series(w, "train", f.Train);
        Series(w, "val", f.Val);
    }

    /// <summary>A series as columns: <c>iter</c>, <c>elapsed_s</c> and one array per value, with the stride (lines per point).</summary>
    private static void Series(Utf8JsonWriter w, string name, DecimatedSeries s)
    {
        w.WriteStartObject(name);
        w.WriteNumber("stride", s.Stride);
        w.WriteNumber("lines", s.Lines);
        BoardJson.Numbers(w, "iter", s.Count, s.X);
        BoardJson.Numbers(w, "elapsed_s", s.Count, s.T);
        w.WriteStartObject("values");
        for (int c = 0; c < s.Names.Count; c++) BoardJson.Numbers(w, s.Names[c], s.Count, i => s.Value(c, i));
        w.WriteEndObject();
        w.WriteEndObject();
    }
}
