using System.Text.Json;

namespace Recur.Cli.Board;

/// <summary>
/// A page of an evaluation's examples (<c>/api/examples</c>): a file of one JSON object a line (<c>captions.jsonl</c>,
/// <c>translations.jsonl</c>, ...), each marked right or wrong by its first boolean of <see cref="VerdictFields"/>,
/// filtered to all, right or wrong ones. Lines that are not JSON objects (a half-written last line) are skipped.
/// </summary>
internal static class ExamplesJson
{
    /// <summary>The members that say whether an example is right, first found wins.</summary>
    public static readonly string[] VerdictFields = ["exact", "correct", "right", "placeholders_ok"];

    /// <summary>The most examples one page returns.</summary>
    public const int MaxLimit = 200;

    /// <summary>
    /// Examples <paramref name="offset"/>.. (at most <paramref name="limit"/>) of <paramref name="relative"/> that pass
    /// <paramref name="filter"/> ("all", "right", "wrong"); null when the path is refused or is not an example file.
    /// </summary>
    public static byte[]? Page(RunsRoot root, string relative, int offset, int limit, string filter)
    {
        if (!relative.EndsWith(".jsonl", StringComparison.Ordinal) || RunDetailJson.KindOf(relative) != "examples") return null;
        if (root.File(relative) is not { } path) return null;
        offset = Math.Max(0, offset);
        limit = Math.Clamp(limit, 1, MaxLimit);
        int total = 0, matched = 0, right = 0, wrong = 0;
        var page = new List<(int Index, bool? Verdict, string Line)>();
        using (var s = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
        using (var reader = new StreamReader(s))
        {
            string? line;
            while ((line = reader.ReadLine()) is not null)
            {
                if (!TryVerdict(line, out bool? verdict)) continue;
                int index = total++;
                if (verdict == true) right++;
                else if (verdict == false) wrong++;
                bool keep = filter switch { "right" => verdict == true, "wrong" => verdict == false, _ => true };
                if (!keep) continue;
                if (matched >= offset && page.Count < limit) page.Add((index, verdict, line));
                matched++;
            }
        }
        return BoardJson.Object(w =>
        {
            w.WriteString("file", relative);
            w.WriteNumber("total", total);
            w.WriteNumber("right", right);
            w.WriteNumber("wrong", wrong);
            w.WriteNumber("matched", matched);
            w.WriteNumber("offset", offset);
            w.WriteStartArray("examples");
            foreach (var (index, verdict, line) in page)
            {
                w.WriteStartObject();
                w.WriteNumber("index", index);
                if (verdict is { } v) w.WriteBoolean("right", v);
                else w.WriteNull("right");
                w.WritePropertyName("example");
                w.WriteRawValue(line, skipInputValidation: true);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        });
    }

    /// <summary>Whether <paramref name="line"/> is one JSON object, and its verdict (null when it has none).</summary>
    internal static bool TryVerdict(string line, out bool? verdict)
    {
        verdict = null;
        if (line.Length == 0) return false;
        try
        {
            using var doc = JsonDocument.Parse(line);
            if (doc.RootElement.ValueKind != JsonValueKind.Object) return false;
            foreach (string f in VerdictFields)
                if (doc.RootElement.TryGetProperty(f, out var v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False)
                {
                    verdict = v.ValueKind == JsonValueKind.True;
                    break;
                }
            return true;
        }
        catch (JsonException) { return false; }
    }
}
