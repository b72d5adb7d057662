using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Http;

namespace Recur.Cli.Board;

/// <summary>
/// What the board answers, read-only: GET (or HEAD) of the page and its assets, the JSON API (<c>/api/runs</c>,
/// <c>/api/metrics</c>, <c>/api/run</c>, <c>/api/examples</c>, <c>/api/compare</c>) and the files under RUNS_DIR
/// (<c>/files/PATH</c>, resolved by <see cref="RunsRoot"/>: traversal, absolute paths and symbolic links out are refused
/// with 403). A request whose Host is not the address served is refused (a page elsewhere cannot reach the board by
/// rebinding a name to 127.0.0.1). Pages from the runs (cells, attention) are served sandboxed.
/// </summary>
internal sealed class BoardRoutes(RunCatalog catalog, IPAddress address)
{
    /// <summary>The longest a <c>/api/metrics</c> request waits for news (seconds).</summary>
    public const double MaxWaitSeconds = 25;

    private const string PageSecurity = "default-src 'self'; img-src 'self' data:; frame-src 'self'; object-src 'none'; base-uri 'none'";

    /// <summary>Answers one request.</summary>
    public async Task HandleAsync(HttpContext ctx)
    {
        var response = ctx.Response;
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers["Referrer-Policy"] = "no-referrer";
        if (!HostAllowed(ctx.Request.Host)) { await Text(ctx, 421, "this board answers only requests addressed to it by its own host name.\n"); return; }
        if (!HttpMethods.IsGet(ctx.Request.Method) && !HttpMethods.IsHead(ctx.Request.Method))
        {
            response.Headers.Allow = "GET, HEAD";
            await Text(ctx, 405, "the board is read-only.\n");
            return;
        }
        string path = ctx.Request.Path.Value ?? "/";
        if (path.StartsWith("/files/", StringComparison.Ordinal)) { await File(ctx, path["/files/".Length..]); return; }
        if (path.StartsWith("/api/", StringComparison.Ordinal)) { await Api(ctx, path["/api/".Length..]); return; }
        if (BoardAssets.ByPath.TryGetValue(path.TrimStart('/'), out var asset))
        {
            response.Headers.ContentSecurityPolicy = PageSecurity;
            response.Headers.CacheControl = "no-cache";
            await Bytes(ctx, 200, asset.ContentType, BoardAssets.Read(asset.Resource));
            return;
        }
        await Text(ctx, 404, "not found.\n");
    }

    private bool HostAllowed(HostString host)
    {
        if (address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any)) return true;
        string h = host.Host;
        return h is "localhost" or "127.0.0.1" or "[::1]" or "::1" || h.Trim('[', ']') == address.ToString();
    }

    private async Task Api(HttpContext ctx, string name)
    {
        var q = ctx.Request.Query;
        ctx.Response.Headers.CacheControl = "no-store";
        byte[]? json;
        switch (name)
        {
            case "runs":
                json = RunListJson.Runs(catalog);
                break;
            case "metrics":
                var ids = List(q["runs"]);
                var versions = List(q["versions"]).Select(v => long.TryParse(v, CultureInfo.InvariantCulture, out long n) ? n : -1).ToList();
                double wait = double.TryParse(q["wait"], CultureInfo.InvariantCulture, out double s) ? Math.Clamp(s, 0, MaxWaitSeconds) : 0;
                var until = DateTime.UtcNow.AddSeconds(wait);
                while (wait > 0 && !ctx.RequestAborted.IsCancellationRequested && DateTime.UtcNow < until && !RunListJson.AnyNews(catalog, ids, versions))
                {
                    try { await Task.Delay(200, ctx.RequestAborted); }
                    catch (OperationCanceledException) { return; }
                }
                json = RunListJson.Metrics(catalog, ids, versions);
                break;
            case "run":
                json = RunDetailJson.Run(catalog, q["run"].ToString());
                break;
            case "examples":
                json = ExamplesJson.Page(catalog.Root, q["file"].ToString(), Int(q["offset"], 0), Int(q["limit"], 20), q["filter"].ToString());
                break;
            case "compare":
                json = catalog.Root.File(q["dir"] + "/" + RunFiles.Compare) is { } c ? await System.IO.File.ReadAllBytesAsync(c) : null;
                break;
            default:
                await Text(ctx, 404, "no such API.\n");
                return;
        }
        if (json is null) await Text(ctx, 404, "no such run or file under the runs folder.\n");
        else await Bytes(ctx, 200, "application/json; charset=utf-8", json);
    }

    private async Task File(HttpContext ctx, string relative)
    {
        if (catalog.Root.Resolve(relative) is not { } full) { await Text(ctx, 403, "refused: not a path under the runs folder.\n"); return; }
        if (!System.IO.File.Exists(full)) { await Text(ctx, 404, "not found.\n"); return; }
        string type = ContentType(full);
        // A run's own page runs in a sandbox: its scripts work, but it is another origin and cannot read the board's API.
        if (type.StartsWith("text/html", StringComparison.Ordinal) || type.StartsWith("image/svg", StringComparison.Ordinal))
            ctx.Response.Headers.ContentSecurityPolicy = "sandbox allow-scripts";
        ctx.Response.Headers.CacheControl = "no-cache";
        ctx.Response.StatusCode = 200;
        ctx.Response.ContentType = type;
        ctx.Response.ContentLength = new FileInfo(full).Length;
        if (HttpMethods.IsHead(ctx.Request.Method)) return;
        await using var s = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1 << 16, useAsync: true);
        long length = ctx.Response.ContentLength.Value;
        var buffer = new byte[1 << 16];
        long left = length;
        while (left > 0)
        {
            int n = await s.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, left)), ctx.RequestAborted);
            if (n == 0) break;
            await ctx.Response.Body.WriteAsync(buffer.AsMemory(0, n), ctx.RequestAborted);
            left -= n;
        }
    }

    /// <summary>The content type of a file served from the runs folder, by its extension (anything unknown as plain bytes).</summary>
    internal static string ContentType(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".png" => "image/png",
        ".jpg" or ".jpeg" => "image/jpeg",
        ".gif" => "image/gif",
        ".svg" => "image/svg+xml",
        ".html" or ".htm" => "text/html; charset=utf-8",
        ".json" => "application/json; charset=utf-8",
        ".jsonl" or ".txt" or ".md" or ".csv" or ".log" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    };

    private static List<string> List(Microsoft.Extensions.Primitives.StringValues v) =>
        [.. v.ToString().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];

    private static int Int(Microsoft.Extensions.Primitives.StringValues v, int fallback) =>
        int.TryParse(v, CultureInfo.InvariantCulture, out int n) ? n : fallback;

    private static Task Text(HttpContext ctx, int status, string text) =>
        Bytes(ctx, status, "text/plain; charset=utf-8", System.Text.Encoding.UTF8.GetBytes(text));

    private static async Task Bytes(HttpContext ctx, int status, string type, byte[] bytes)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = type;
        ctx.Response.ContentLength = bytes.Length;
        if (!HttpMethods.IsHead(ctx.Request.Method)) await ctx.Response.Body.WriteAsync(bytes, ctx.RequestAborted);
    }
}
