using Recur.IO;
using Xunit;

namespace Recur.Tests.IO;

/// <summary>Reads a file written by Fixtures/io/make_io_fixture.py (numpy, from the format spec).</summary>
public sealed class SafeTensorsFixtureTests
{
    private static string FixturePath => Path.Combine(AppContext.BaseDirectory, "Fixtures", "io", "io_fixture.safetensors");

    [Fact]
    public void ReadsThePythonWrittenFile()
    {
        var f = SafeTensors.Read(FixturePath);

        var w = f.Tensors["weight"];
        Assert.Equal([2, 3], w.Shape);
        for (int i = 0; i < 6; i++) Assert.Equal((i - 3) * 0.25f, w.Data[i]);
        Assert.Equal("F32", f.DTypes["weight"]);

        var s = f.Tensors["scale"];
        Assert.Equal("F64", f.DTypes["scale"]);
        Assert.Equal([4], s.Shape);
        for (int i = 0; i < 4; i++) Assert.Equal((float)(1.0 / (i + 3)), s.Data[i]);

        var st = f.Integers["state"];
        Assert.Equal([2, 2], st.Shape);
        Assert.Equal([(1L << 62) + 1, -7L, (1L << 53) + 1, 0L], st.Data);

        var ids = f.Integers["ids"];
        Assert.Equal("I32", f.DTypes["ids"]);
        Assert.Equal([(long)int.MinValue, 0L, int.MaxValue], ids.Data);
        Assert.Equal([int.MinValue, 0, int.MaxValue], ids.ToInt32());

        Assert.Empty(f.Tensors["scalar"].Shape);
        Assert.Equal(-1.5f, f.Tensors["scalar"].Data[0]);
        Assert.Equal([0, 4], f.Tensors["empty"].Shape);
        Assert.Empty(f.Tensors["empty"].Data);

        Assert.Equal("pt", f.Metadata["format"]);
        Assert.Equal("h\u00e9llo \u2713", f.Metadata["note"]);
    }

    [Fact]
    public void RewritingThePythonFileKeepsEveryValue()
    {
        var f = SafeTensors.Read(FixturePath);
        var again = SafeTensors.Parse(SafeTensors.ToBytes(f));
        foreach (var (name, t) in f.Tensors) Assert.Equal(t.Data, again.Tensors[name].Data);
        foreach (var (name, a) in f.Integers) Assert.Equal(a.Data, again.Integers[name].Data);
        Assert.Equal(f.Metadata, again.Metadata);
    }
}

/// <summary>
/// The other direction: a file Recur writes is parsed by Fixtures/io/check_io_file.py (numpy). Runs
/// only where /usr/bin/python3 with numpy exists; elsewhere it is skipped with the reason.
/// </summary>
public sealed class SafeTensorsPythonCrossCheck
{
    private const string Install = "Debian/Ubuntu: sudo apt-get install -y python3 python3-numpy";

    [SkippableFact]
    public void PythonReadsWhatRecurWrites()
    {
        const string python = "/usr/bin/python3";
        Skip.IfNot(File.Exists(python), $"{python} is not installed ({Install}); this cross-check runs Fixtures/io/check_io_file.py with it.");
        string script = Path.Combine(AppContext.BaseDirectory, "Fixtures", "io", "check_io_file.py");
        string path = Path.Combine(Path.GetTempPath(), "recur-xcheck-" + Guid.NewGuid() + ".safetensors");
        var rng = new Rng(5);
        var w = Tensor.Randn(rng, 1f, 3, 4);
        var content = new SafeTensorsFile(
            [new("w", w), new("s", new Tensor([0.125f], []))],
            [new("rng", IntegerArray.FromUInt64(rng.State))],
            new Dictionary<string, string> { ["format"] = "pt" });
        try
        {
            SafeTensors.Write(path, content);
            var psi = new System.Diagnostics.ProcessStartInfo(python, [script, path])
            {
                RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            };
            using var p = System.Diagnostics.Process.Start(psi)!;
            string stdout = p.StandardOutput.ReadToEnd();
            string stderr = p.StandardError.ReadToEnd();
            Assert.True(p.WaitForExit(60_000), "python did not finish");
            Skip.If(stderr.Contains("No module named 'numpy'"),
                $"numpy is not installed for {python} ({Install}); Fixtures/io/check_io_file.py reads the file with it.");
            Assert.True(p.ExitCode == 0, stderr);
            var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToDictionary(l => l.Split(' ')[0] == "meta" ? l : l.Split(' ')[0]);
            Assert.Contains("meta format=pt", lines.Keys);

            var wl = lines["w"].Split(' ');
            Assert.Equal("F32", wl[1]);
            Assert.Equal("3x4", wl[2]);
            double sum = 0;
            foreach (float v in w.Data) sum += v;
            Assert.Equal(sum, double.Parse(wl[3], System.Globalization.CultureInfo.InvariantCulture), 9);
            Assert.Equal((double)w.Data[0], double.Parse(wl[4], System.Globalization.CultureInfo.InvariantCulture));

            var rl = lines["rng"].Split(' ');
            Assert.Equal("I64", rl[1]);
            long first = unchecked((long)rng.State[0]);
            Assert.Equal(first, long.Parse(rl[4], System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal("0.125", lines["s"].Split(' ')[4]);
        }
        finally { File.Delete(path); }
    }
}
