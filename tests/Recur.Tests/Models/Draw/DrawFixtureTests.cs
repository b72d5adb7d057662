using System.Globalization;
using Recur.IO;
using Recur.Models.Draw;
using Recur.Tests.TestUtil;
using Xunit;

namespace Recur.Tests.Models.Draw;

/// <summary>
/// DRAW against PyTorch (Fixtures/make_draw_fixtures.py, the paper's equations with autograd in float64): a 6-wide,
/// 5-high image (so the two axes cannot be swapped unnoticed), T = 3, both LSTMs 7 wide, latent 4, batch 3, read N 2,
/// write N 3, with and without attention; the same weights and noise; both loss terms, the canvas of every step and
/// every parameter's gradient.
/// </summary>
public sealed class DrawFixtureTests
{
    private static string Dir => Path.Combine(AppContext.BaseDirectory, "Fixtures", "draw");

    public static TheoryData<string> Files() => FixtureFiles.In("draw");

    [Fact]
    public void BothVariantsHaveAFixture()
    {
        var kinds = Directory.GetFiles(Dir, "*.safetensors").Select(f => SafeTensors.Read(f).Metadata["attention"]).Order().ToArray();
        Assert.Equal(["false", "true"], kinds);
    }

    internal static (DrawModel Model, SafeTensorsFile File) Load(string file)
    {
        var st = SafeTensors.Read(Path.Combine(Dir, file));
        int M(string k) => int.Parse(st.Metadata[k], CultureInfo.InvariantCulture);
        var m = new DrawModel(new DrawConfig
        {
            Width = M("width"), Height = M("height"), Steps = M("steps"), EncoderHidden = M("encoder_hidden"), DecoderHidden = M("decoder_hidden"),
            Latent = M("latent"), Attention = st.Metadata["attention"] == "true", ReadN = M("read_n"), WriteN = M("write_n"),
        });
        foreach (var p in m.Store.Parameters) p.CopyFrom(st.Tensors[p.Name]);
        return (m, st);
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void MatchesPyTorch(string file)
    {
        var (m, st) = Load(file);
        var t = st.Tensors;
        Assert.Equal(t.Keys.Count(k => k.StartsWith("grad.", StringComparison.Ordinal)), m.Store.Parameters.Count);
        m.Store.ZeroGrad();
        var loss = m.Forward(t["images"], t["eps"]);
        m.Backward();
        var report = new FixtureAssert.Report(file, 1e-5, 1e-6);
        report.Add("loss_x", [(float)loss.Reconstruction], [1], t["loss_x"]);
        report.Add("loss_z", [(float)loss.Latent], [1], t["loss_z"]);
        report.Add("canvases", m.Canvases(), t["canvases"]);
        foreach (var p in m.Store.Parameters) report.Add("grad." + p.Name, p.Grad, p.Shape, t["grad." + p.Name]);
        report.AssertAll();
    }

    /// <summary>The fixture test can fail: a 1e-4 relative change of one weight moves the result out of tolerance.</summary>
    [Fact]
    public void AWeightOffByOneIn10000FailsTheComparison()
    {
        var (m, st) = Load("attention.safetensors");
        m.Store["write_attn.bias"].Value[2] *= 1.0001f;
        m.Store.ZeroGrad();
        m.Forward(st.Tensors["images"], st.Tensors["eps"]);
        m.Backward();
        var report = new FixtureAssert.Report("mutant", 1e-5, 1e-6);
        report.Add("canvases", m.Canvases(), st.Tensors["canvases"]);
        foreach (var p in m.Store.Parameters) report.Add("grad." + p.Name, p.Grad, p.Shape, st.Tensors["grad." + p.Name]);
        Assert.False(report.AllPassed, report.ToString());
    }
}
