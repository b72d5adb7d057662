using System.Diagnostics;
using System.IO.Compression;
using System.Reflection.Metadata;
using Xunit;

namespace Recur.Tests.Packaging;

/// <summary>
/// <c>dotnet pack</c> gives the library package (assembly, XML docs, README, licence), its symbol package (a PDB that
/// embeds every source file) and the command as a .NET tool;
/// the tool installs from the packed folder into a temporary tool path and runs (<c>recur --version</c>, a
/// 3-iteration <c>recur train</c>). Packs the Release build the test run was built from (<c>--no-build</c>).
/// </summary>
public sealed class PackageTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("recur-pack-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    internal static string RepoRoot()
    {
        var d = new DirectoryInfo(AppContext.BaseDirectory);
        while (d is not null && !File.Exists(Path.Combine(d.FullName, "Recur.slnx"))) d = d.Parent;
        return d?.FullName ?? throw new InvalidOperationException("Recur.slnx not found above the test folder.");
    }

    private static (int Code, string Out) Run(string exe, string args, string cwd)
    {
        var psi = new ProcessStartInfo(exe, args) { WorkingDirectory = cwd, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd();
        if (!p.WaitForExit(300_000)) { p.Kill(true); throw new TimeoutException($"{exe} {args} took more than 5 minutes"); }
        return (p.ExitCode, output + err.Result);
    }

    [Fact]
    public void PacksTheLibraryAndTheToolThatInstallsAndRuns()
    {
        string root = RepoRoot(), pkgs = Path.Combine(_dir, "pkgs"), tools = Path.Combine(_dir, "tools");
        string config = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name; // Release or Debug, as this test was built
        foreach (var project in new[] { "src/Recur", "src/Recur.Cli" })
        {
            var r = Run("dotnet", $"pack {project} -c {config} --no-build -o \"{pkgs}\"", root);
            Assert.True(r.Code == 0, r.Out);
        }
        var lib = Directory.GetFiles(pkgs, "Recur.0.*.nupkg").Single();
        using (var zip = ZipFile.OpenRead(lib))
        {
            var names = zip.Entries.Select(e => e.FullName).ToHashSet();
            foreach (var want in new[] { "lib/net10.0/Recur.dll", "lib/net10.0/Recur.xml", "README.md", "LICENSE" })
                Assert.True(names.Contains(want), $"{Path.GetFileName(lib)} lacks {want}: {string.Join(", ", names)}");
        }
        AssertSymbolsCarryTheSources(Directory.GetFiles(pkgs, "Recur.0.*.snupkg").Single());
        var install = Run("dotnet", $"tool install Recur.Cli --tool-path \"{tools}\" --add-source \"{pkgs}\" --version 0.1.0", _dir);
        Assert.True(install.Code == 0, install.Out);
        string recur = Path.Combine(tools, OperatingSystem.IsWindows() ? "recur.exe" : "recur");
        var version = Run(recur, "--version", _dir);
        Assert.True(version.Code == 0, version.Out);
        Assert.StartsWith("recur 0.1.0", version.Out);
        var train = Run(recur, $"train --max-iters 3 --hidden 8 --threads 1 --out \"{Path.Combine(_dir, "run")}\"", _dir);
        Assert.True(train.Code == 0, train.Out);
        Assert.Contains("reached --max-iters 3", train.Out);
        Assert.True(File.Exists(Path.Combine(_dir, "run", "best", "model.safetensors")));
    }

    /// <summary>The symbol package's PDB embeds the text of every source document (CustomDebugInformation kind EmbeddedSource).</summary>
    private static void AssertSymbolsCarryTheSources(string snupkg)
    {
        var embeddedSource = new Guid("0E8A571B-6926-466E-B4AD-8AB04611F5FE");
        using var zip = ZipFile.OpenRead(snupkg);
        var entry = zip.GetEntry("lib/net10.0/Recur.pdb") ?? throw new Xunit.Sdk.XunitException($"{snupkg} has no lib/net10.0/Recur.pdb");
        var pdb = new MemoryStream();
        using (var s = entry.Open()) s.CopyTo(pdb);
        pdb.Position = 0;
        using var provider = MetadataReaderProvider.FromPortablePdbStream(pdb);
        var reader = provider.GetMetadataReader();
        var documents = reader.Documents.Select(d => reader.GetString(reader.GetDocument(d).Name)).Where(n => n.EndsWith(".cs", StringComparison.Ordinal)).ToList();
        var withSource = reader.CustomDebugInformation.Select(reader.GetCustomDebugInformation)
            .Where(c => reader.GetGuid(c.Kind) == embeddedSource && c.Parent.Kind == HandleKind.Document)
            .Select(c => reader.GetString(reader.GetDocument((DocumentHandle)c.Parent).Name)).ToHashSet();
        Assert.True(documents.Count > 100, $"only {documents.Count} source documents in the PDB");
        var missing = documents.Where(d => !withSource.Contains(d)).ToList();
        Assert.True(missing.Count == 0, $"{missing.Count} documents without embedded source, e.g. {string.Join(", ", missing.Take(3))}");
        Assert.Contains(documents, d => d.EndsWith("Gemm.cs", StringComparison.Ordinal) || d.EndsWith("Sgemm.cs", StringComparison.Ordinal));
    }
}
