namespace Recur.Cli.Board;

/// <summary>The board's page, script and style, embedded in the assembly (Board/Assets): nothing is fetched from elsewhere.</summary>
internal static class BoardAssets
{
    /// <summary>The asset names served at <c>/NAME</c> ("" is the page), with their content types.</summary>
    public static readonly IReadOnlyDictionary<string, (string Resource, string ContentType)> ByPath = new Dictionary<string, (string, string)>
    {
        [""] = ("board.html", "text/html; charset=utf-8"),
        ["board.css"] = ("board.css", "text/css; charset=utf-8"),
        ["board.js"] = ("board.js", "text/javascript; charset=utf-8"),
        ["charts.js"] = ("charts.js", "text/javascript; charset=utf-8"),
        ["runview.js"] = ("runview.js", "text/javascript; charset=utf-8"),
        ["examples.js"] = ("examples.js", "text/javascript; charset=utf-8"),
    };

    private static readonly Dictionary<string, byte[]> Cache = new(StringComparer.Ordinal);

    /// <summary>The bytes of embedded asset <paramref name="resource"/>.</summary>
    public static byte[] Read(string resource)
    {
        lock (Cache)
        {
            if (Cache.TryGetValue(resource, out var cached)) return cached;
            using var s = typeof(BoardAssets).Assembly.GetManifestResourceStream("Recur.Cli.Board.Assets." + resource)
                ?? throw new InvalidOperationException($"the board asset {resource} is not embedded in the assembly.");
            var bytes = new byte[s.Length];
            s.ReadExactly(bytes);
            Cache[resource] = bytes;
            return bytes;
        }
    }
}
