using Xunit;

namespace Recur.Tests.Architecture;

/// <summary>
/// The library's folders import in one direction (docs/ARCHITECTURE.md): each folder may import only the folders below
/// it in <see cref="Layers"/>, so there is no cycle; no source line is longer than 160 characters.
/// </summary>
public sealed class FolderLayeringTests
{
    /// <summary>The folders of src/Recur from the bottom up ("" is the root namespace: Tensor, Rng, Guard).</summary>
    public static readonly string[] Layers =
        ["", "Kernels", "Nn", "IO", "Imaging", "Plotting", "Data", "Models", "Export", "Training", "Analysis", "Tasks", "Demos"];

    private static string RepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Recur.slnx"))) return d.FullName;
        throw new InvalidOperationException("Recur.slnx not found above " + AppContext.BaseDirectory);
    }

    private static IEnumerable<string> Sources(string dir) => Directory.EnumerateFiles(dir, "*.cs", SearchOption.AllDirectories)
        .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                    && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal));

    [Fact]
    public void EveryFolderImportsOnlyFoldersBelowIt()
    {
        string src = Path.Combine(RepoRoot(), "src", "Recur");
        var files = Sources(src).Select(f => (Path.GetRelativePath(src, f), File.ReadAllText(f))).ToList();
        var edges = FolderDependencies.Edges(files, out var example);
        var wrong = new List<string>();
        if (FolderDependencies.FindCycle(edges) is { } cycle) wrong.Add("cycle: " + string.Join(" -> ", cycle));
        foreach (var (from, tos) in edges)
        {
            int rank = Array.IndexOf(Layers, from);
            if (rank < 0) { wrong.Add($"folder {from} is not placed in the layer list"); continue; }
            foreach (var to in tos)
                if (Array.IndexOf(Layers, to) is int r && (r < 0 || r > rank)) wrong.Add($"{from} imports {to} (e.g. {example[(from, to)]})");
        }
        Assert.True(wrong.Count == 0, string.Join("\n", wrong));
    }

    [Fact]
    public void TheCheckerFindsACycleAndAnUpwardImport()
    {
        // Worked by hand: Nn imports Training through a using line and Training imports Nn by a qualified name: a cycle.
        (string, string)[] files =
        [
            ("Nn/A.cs", "using Recur.Training;\nnamespace Recur.Nn;\npublic sealed class A { }\n"),
            ("Training/B.cs", "namespace Recur.Training;\npublic sealed class B { Nn.A? a; }\n"),
            ("Kernels/C.cs", "namespace Recur.Kernels;\n// using Recur.Nn; in a comment is no import\npublic static class C { const string S = \"Recur.Nn.A\"; }\n"),
        ];
        var edges = FolderDependencies.Edges(files, out _);
        Assert.Equal(["Training"], edges["Nn"]);
        Assert.Equal(["Nn"], edges["Training"]);
        Assert.False(edges.ContainsKey("Kernels"));
        Assert.Equal(["Nn", "Training", "Nn"], FolderDependencies.FindCycle(edges));
        edges = FolderDependencies.Edges(files[1..], out _);
        Assert.Null(FolderDependencies.FindCycle(edges));
    }

    [Fact]
    public void NoSourceLineIsLongerThan160Characters()
    {
        string root = RepoRoot();
        var longLines = new List<string>();
        foreach (var dir in new[] { Path.Combine(root, "src"), Path.Combine(root, "bench") })
            foreach (var f in Sources(dir))
            {
                var lines = File.ReadAllLines(f);
                for (int i = 0; i < lines.Length; i++)
                    if (lines[i].Length > 160) longLines.Add($"{Path.GetRelativePath(root, f)}:{i + 1} ({lines[i].Length})");
            }
        Assert.True(longLines.Count == 0, $"{longLines.Count} lines over 160 characters:\n" + string.Join("\n", longLines.Take(50)));
    }
}
