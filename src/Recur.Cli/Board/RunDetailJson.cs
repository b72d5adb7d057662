using System.Text;
using System.Text.Json;

namespace Recur.Cli.Board;

/// <summary>
/// One run for its page (<c>/api/run</c>): its summary, config.json, the command that trains it again, its score files
/// (<c>eval*.json</c>, <c>beam.json</c>), the samples written along the way (<c>samples.jsonl</c>, a gallery corpus's
/// <c>samples/iter-*.json</c>) and its other files (pictures, pages, example files) by kind.
/// </summary>
internal static class RunDetailJson
{
    /// <summary>Files larger than this are listed but not inlined.</summary>
    public const long MaxInlineBytes = 4 << 20;

    /// <summary>Samples shown at most.</summary>
    public const int MaxSamples = 500;

    private static readonly EnumerationOptions Plain = new()
    {
        AttributesToSkip = FileAttributes.ReparsePoint | FileAttributes.Hidden, IgnoreInaccessible = true, RecurseSubdirectories = false,
    };

    /// <summary>The run <paramref name="id"/>, or null when it names no run under the root.</summary>
    public static byte[]? Run(RunCatalog catalog, string id)
    {
        var root = catalog.Root;
        if (root.Folder(id) is not { } dir || catalog.Summaries([id]) is not [var summary]) return null;
        return BoardJson.Object(w =>
        {
            w.WriteString("id", id);
            w.WriteString("directory", dir);
            w.WriteString("task", summary.Task);
            w.WriteString("model", summary.Model);
            w.WriteString("status", summary.Status);
            w.WriteNumber("parameters", summary.Parameters);
            Config(w, root, id, dir);
            w.WriteStartArray("scores");
            foreach (string f in Files(dir).Where(IsScoreFile)) Inline(w, root, f);
            w.WriteEndArray();
            Samples(w, root, id);
            w.WriteStartArray("files");
            foreach (string f in Files(dir).Concat(SubFolders(dir).SelectMany(Files)))
            {
                string kind = KindOf(f);
                if (kind == "") continue;
                w.WriteStartObject();
                w.WriteString("path", root.Relative(f));
                w.WriteString("kind", kind);
                w.WriteNumber("bytes", new FileInfo(f).Length);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        });
    }

    private static void Config(Utf8JsonWriter w, RunsRoot root, string id, string dir)
    {
        string? path = RunFiles.Config(root, id);
        byte[] bytes = path is null ? [] : ReadSmall(path);
        if (bytes.Length == 0) { w.WriteNull("config"); w.WriteNull("command"); return; }
        BoardJson.Raw(w, "config", bytes);
        string? command = null;
        try
        {
            using var doc = JsonDocument.Parse(bytes);
            command = RunCommandLine.For(doc.RootElement, dir, path!);
        }
        catch (JsonException) { }
        if (command is null) w.WriteNull("command");
        else w.WriteString("command", command);
    }

    private static void Inline(Utf8JsonWriter w, RunsRoot root, string file)
    {
        w.WriteStartObject();
        w.WriteString("path", root.Relative(file));
        BoardJson.Raw(w, "json", ReadSmall(file));
        w.WriteEndObject();
    }

    /// <summary>RUN/samples.jsonl's lines, then a gallery corpus's RUN/../samples/iter-*.json, by iteration.</summary>
    private static void Samples(Utf8JsonWriter w, RunsRoot root, string id)
    {
        w.WriteStartArray("samples");
        int n = 0;
        if (root.File(id + "/samples.jsonl") is { } jsonl && new FileInfo(jsonl).Length <= MaxInlineBytes * 4)
            foreach (string line in File.ReadLines(jsonl))
            {
                if (n >= MaxSamples) break;
                if (line.Length > 0 && IsObject(line)) { w.WriteRawValue(line, skipInputValidation: true); n++; }
            }
        int slash = id.LastIndexOf('/');
        string? gallery = slash > 0 && id[(slash + 1)..] == "run" ? root.Folder(id[..slash] + "/samples") : null;
        if (gallery is not null)
            foreach (string f in Directory.EnumerateFiles(gallery, "iter-*.json", Plain).Order(StringComparer.Ordinal))
            {
                if (n >= MaxSamples) break;
                byte[] bytes = ReadSmall(f);
                if (bytes.Length > 0 && IsObject(Encoding.UTF8.GetString(bytes))) { w.WriteRawValue(bytes, skipInputValidation: true); n++; }
            }
        w.WriteEndArray();
    }

    private static bool IsObject(string line)
    {
        try
        {
            using var doc = JsonDocument.Parse(line);
            return doc.RootElement.ValueKind == JsonValueKind.Object;
        }
        catch (JsonException) { return false; }
    }

    private static bool IsScoreFile(string f)
    {
        string name = Path.GetFileName(f);
        return name.EndsWith(".json", StringComparison.Ordinal) && (name.StartsWith("eval", StringComparison.Ordinal) || name == "beam.json");
    }

    /// <summary>What the page does with a file: "image", "page", "examples" (one JSON object a line), "json", "text"; "" to leave out.</summary>
    internal static string KindOf(string file)
    {
        string name = Path.GetFileName(file);
        if (name is RunFiles.Metrics or "samples.jsonl") return "";
        return Path.GetExtension(name).ToLowerInvariant() switch
        {
            ".png" or ".jpg" or ".jpeg" or ".gif" or ".svg" => "image",
            ".html" or ".htm" => "page",
            ".jsonl" => "examples",
            ".json" => "json",
            ".csv" or ".txt" or ".md" => "text",
            _ => "",
        };
    }

    private static IEnumerable<string> Files(string dir)
    {
        try { return Directory.EnumerateFiles(dir, "*", Plain).Order(StringComparer.Ordinal).ToList(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return []; }
    }

    /// <summary>
    /// The run's sub-folders (a cells/ page, an attention folder), one level down, but its checkpoints and the examples'
    /// pictures (<c>examples/</c>, drawn by the examples tab).
    /// </summary>
    private static IEnumerable<string> SubFolders(string dir)
    {
        try
        {
            return Directory.EnumerateDirectories(dir, "*", Plain)
                .Where(d => Path.GetFileName(d) is not ("best" or "latest" or Commands.ExampleLines.PictureFolder))
                .Order(StringComparer.Ordinal).ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return []; }
    }

    private static byte[] ReadSmall(string path)
    {
        try
        {
            using var s = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            if (s.Length > MaxInlineBytes) return [];
            var bytes = new byte[s.Length];
            s.ReadExactly(bytes);
            return bytes;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return []; }
    }
}
