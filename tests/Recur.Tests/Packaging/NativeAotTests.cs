using System.Diagnostics;
using Recur.Tasks.CharLm;
using Xunit;

namespace Recur.Tests.Packaging;

/// <summary>
/// NativeAOT: <c>dotnet publish src/Recur.Cli -c Release -r linux-x64 -p:PublishAot=true</c> gives one <c>recur</c>
/// executable that runs with no .NET on its PATH or DOTNET_ROOT: <c>--version</c>, a 3-iteration <c>train</c> whose
/// checkpoint the library loads, and <c>sample</c> from it (JSON through the source-generated context, commands from
/// the explicit list, so trimming breaks nothing). Published from a copy of the sources in a temporary folder, so the
/// repository's own obj/ and bin/ are untouched. Skipped, with the reason, off Linux x64 or without a C toolchain
/// (NativeAOT links with clang or gcc).
/// </summary>
public sealed class NativeAotTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("recur-aot-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    [NativeAotFact]
    public void PublishesOneExecutableThatTrainsAndSamplesWithoutDotnet()
    {
        string root = PackageTests.RepoRoot(), src = Path.Combine(_dir, "src"), outDir = Path.Combine(_dir, "out");
        Directory.CreateDirectory(src);
        File.Copy(Path.Combine(root, "Directory.Build.props"), Path.Combine(src, "Directory.Build.props"));
        foreach (var project in new[] { "Recur", "Recur.Cli" }) CopySources(Path.Combine(root, "src", project), Path.Combine(src, project));
        var publish = Run("dotnet", $"publish Recur.Cli -c Release -r linux-x64 -p:PublishAot=true -o \"{outDir}\"", src, withDotnet: true, timeoutSeconds: 540);
        Assert.True(publish.Code == 0, publish.Out);
        string recur = Path.Combine(outDir, "recur");
        Assert.True(File.Exists(recur), $"no {recur}: {string.Join(", ", Directory.GetFiles(outDir).Select(Path.GetFileName))}");
        Assert.False(File.Exists(Path.Combine(outDir, "Recur.dll")), "a native publish should not need the managed assemblies beside it");
        long size = new FileInfo(recur).Length;
        Assert.True(size < 40 << 20, $"the executable is {size:N0} bytes");

        var version = Run(recur, "--version", _dir);
        Assert.True(version.Code == 0, version.Out);
        Assert.StartsWith("recur 0.1.0", version.Out);
        string run = Path.Combine(_dir, "run");
        var train = Run(recur, $"train --max-iters 3 --hidden 16 --threads 1 --out \"{run}\"", _dir);
        Assert.True(train.Code == 0, train.Out);
        Assert.Contains("reached --max-iters 3", train.Out);
        var loaded = CharCheckpoint.Read(run);
        Assert.Equal(16, loaded.Config.Hidden);
        var sample = Run(recur, $"sample \"{run}\" --length 40 --seed 3", _dir);
        Assert.True(sample.Code == 0, sample.Out);
        Assert.True(sample.Out.Length >= 40, sample.Out);
    }

    private static void CopySources(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            string rel = Path.GetRelativePath(from, file);
            string top = rel.Split(Path.DirectorySeparatorChar)[0];
            if (top is "bin" or "obj") continue;
            string dest = Path.Combine(to, rel);
            Directory.CreateDirectory(Path.GetDirectoryName(dest)!);
            File.Copy(file, dest);
        }
    }

    /// <summary>Runs <paramref name="exe"/>; without <paramref name="withDotnet"/> the child's PATH is an empty folder and its DOTNET_ROOT does not exist.</summary>
    private static (int Code, string Out) Run(string exe, string args, string cwd, bool withDotnet = false, int timeoutSeconds = 120)
    {
        var psi = new ProcessStartInfo(exe, args) { WorkingDirectory = cwd, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        if (!withDotnet)
        {
            // An empty PATH (no dotnet to find) and a DOTNET_ROOT that does not exist: a native executable needs neither.
            psi.Environment["PATH"] = Directory.CreateTempSubdirectory("recur-empty-path-").FullName;
            psi.Environment["DOTNET_ROOT"] = "/nonexistent";
        }
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd();
        if (!p.WaitForExit(timeoutSeconds * 1000)) { p.Kill(true); throw new TimeoutException($"{exe} {args} took more than {timeoutSeconds} s"); }
        return (p.ExitCode, output + err.Result);
    }
}

/// <summary>A fact that runs only where NativeAOT can link: Linux x64 with clang or gcc on the PATH.</summary>
public sealed class NativeAotFactAttribute : FactAttribute
{
    public NativeAotFactAttribute()
    {
        if (!OperatingSystem.IsLinux() || System.Runtime.InteropServices.RuntimeInformation.OSArchitecture != System.Runtime.InteropServices.Architecture.X64)
            Skip = "NativeAOT publishing is tested for linux-x64 only";
        else if (!new[] { "clang", "gcc" }.Any(OnPath))
            Skip = "no C toolchain (clang or gcc) on the PATH: NativeAOT cannot link here (apt-get install clang)";
    }

    private static bool OnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries).Any(d => File.Exists(Path.Combine(d, name)));
}
