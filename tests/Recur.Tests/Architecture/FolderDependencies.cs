using System.Text.RegularExpressions;

namespace Recur.Tests.Architecture;

/// <summary>
/// Which top-level folders of the library each source file imports: its <c>using Recur.X...</c> lines (plain, static,
/// global or alias) and its qualified references (<c>Recur.X.Type</c>, or <c>X.Type</c> where <c>X</c> is a folder and
/// <c>Type</c> a type or namespace declared in it). Comments and strings are ignored.
/// </summary>
internal static partial class FolderDependencies
{
    /// <summary>The folder a namespace belongs to: <c>Recur.Nn.Cells</c> → <c>Nn</c>; the root namespace → "".</summary>
    public static string FolderOf(string ns)
    {
        var parts = ns.Split('.');
        return parts.Length > 1 ? parts[1] : "";
    }

    /// <summary>The edges folder → folder (different folders only) of a set of files given as (path, text).</summary>
    public static IReadOnlyDictionary<string, SortedSet<string>> Edges(IEnumerable<(string Path, string Text)> files, out Dictionary<(string, string), string> example)
    {
        var sources = files.Select(f => (f.Path, Text: StripCommentsAndStrings(f.Text))).ToList();
        var declared = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal); // folder -> names of types and sub-namespaces
        var folderOf = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (path, text) in sources)
        {
            string ns = Namespace().Match(text) is { Success: true } m ? m.Groups[1].Value : "Recur";
            string folder = FolderOf(ns);
            folderOf[path] = folder;
            if (!declared.TryGetValue(folder, out var names)) declared[folder] = names = new HashSet<string>(StringComparer.Ordinal);
            foreach (Match t in TypeDeclaration().Matches(text)) names.Add(t.Groups[1].Value);
            foreach (var sub in ns.Split('.').Skip(2)) names.Add(sub);
        }
        var edges = new Dictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        var first = new Dictionary<(string, string), string>();
        foreach (var (path, text) in sources)
        {
            string from = folderOf[path];
            void Add(string to)
            {
                if (to == from || to.Length == 0 || !declared.ContainsKey(to)) return;
                if (!edges.TryGetValue(from, out var set)) edges[from] = set = new SortedSet<string>(StringComparer.Ordinal);
                if (set.Add(to)) first[(from, to)] = path;
            }
            foreach (Match u in UsingLine().Matches(text)) Add(u.Groups[1].Value);
            foreach (Match q in QualifiedRecur().Matches(text)) Add(q.Groups[1].Value);
            foreach (Match q in QualifiedFolder().Matches(text))
                if (declared.TryGetValue(q.Groups[1].Value, out var names) && names.Contains(q.Groups[2].Value)) Add(q.Groups[1].Value);
        }
        example = first;
        return edges;
    }

    /// <summary>A cycle among <paramref name="edges"/> as the folders along it (first = last), or null when there is none.</summary>
    public static IReadOnlyList<string>? FindCycle(IReadOnlyDictionary<string, SortedSet<string>> edges)
    {
        var state = new Dictionary<string, int>(StringComparer.Ordinal); // 1 = on the stack, 2 = done
        var stack = new List<string>();
        List<string>? Visit(string n)
        {
            state[n] = 1;
            stack.Add(n);
            foreach (var m in edges.TryGetValue(n, out var next) ? next : [])
            {
                if (state.GetValueOrDefault(m) == 1) return [.. stack.Skip(stack.IndexOf(m)), m];
                if (state.GetValueOrDefault(m) == 0 && Visit(m) is { } found) return found;
            }
            stack.RemoveAt(stack.Count - 1);
            state[n] = 2;
            return null;
        }
        foreach (var n in edges.Keys.OrderBy(k => k, StringComparer.Ordinal))
            if (state.GetValueOrDefault(n) == 0 && Visit(n) is { } cycle) return cycle;
        return null;
    }

    /// <summary>The text with comments, string and character literals blanked (lines kept).</summary>
    public static string StripCommentsAndStrings(string text)
    {
        var sb = new System.Text.StringBuilder(text.Length);
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (c == '/' && i + 1 < text.Length && text[i + 1] == '/')
            {
                while (i < text.Length && text[i] != '\n') i++;
                if (i < text.Length) sb.Append('\n');
            }
            else if (c == '/' && i + 1 < text.Length && text[i + 1] == '*')
            {
                i += 2;
                while (i + 1 < text.Length && !(text[i] == '*' && text[i + 1] == '/')) { if (text[i] == '\n') sb.Append('\n'); i++; }
                i++;
            }
            else if (c == '"' || c == '\'')
            {
                bool verbatim = c == '"' && i > 0 && text[i - 1] == '@';
                i++;
                while (i < text.Length && text[i] != c)
                {
                    if (text[i] == '\\' && !verbatim) i++;
                    else if (text[i] == '\n') sb.Append('\n');
                    i++;
                }
                sb.Append(' ');
            }
            else sb.Append(c);
        }
        return sb.ToString();
    }

    [GeneratedRegex(@"^\s*namespace\s+([\w.]+)", RegexOptions.Multiline)]
    private static partial Regex Namespace();

    [GeneratedRegex(@"\b(?:class|record|struct|interface|enum)\s+(\w+)")]
    private static partial Regex TypeDeclaration();

    [GeneratedRegex(@"^\s*(?:global\s+)?using\s+(?:static\s+)?(?:\w+\s*=\s*)?Recur\.(\w+)", RegexOptions.Multiline)]
    private static partial Regex UsingLine();

    [GeneratedRegex(@"(?<![\w.])Recur\.(\w+)\.")]
    private static partial Regex QualifiedRecur();

    [GeneratedRegex(@"(?<![\w.])([A-Z]\w*)\.([A-Z]\w*)")]
    private static partial Regex QualifiedFolder();
}
