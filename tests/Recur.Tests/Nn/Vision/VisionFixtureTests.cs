using System.Globalization;
using Recur.IO;
using Recur.Models;
using Recur.Nn;
using Recur.Nn.Vision;
using Recur.Tests.TestUtil;
using Xunit;

namespace Recur.Tests.Nn.Vision;

/// <summary>
/// The vision layers and the convolutional classifier against PyTorch: each file under Fixtures/vision (written by
/// Fixtures/make_vision_fixtures.py from F.conv2d, F.max_pool2d, F.relu, F.linear and F.cross_entropy in float64)
/// holds float32 inputs and weights and the rounded references; outputs and every gradient must agree within 1e-4.
/// </summary>
public sealed class VisionFixtureTests
{
    private const double Rtol = 1e-4, Atol = 1e-4;

    private static string Dir => Path.Combine(AppContext.BaseDirectory, "Fixtures", "vision");

    public static TheoryData<string> Files(string prefix)
    {
        var data = new TheoryData<string>();
        foreach (var f in Directory.GetFiles(Dir, prefix + "_*.safetensors").Select(Path.GetFileName).Order(StringComparer.Ordinal)) data.Add(f!);
        return data;
    }

    public static TheoryData<string> ConvFiles => Files("conv");
    public static TheoryData<string> PoolFiles => Files("pool");
    public static TheoryData<string> NetFiles => Files("convnet");

    [Fact]
    public void EveryKindOfFixtureIsThere()
    {
        Assert.True(ConvFiles.Count >= 4 && PoolFiles.Count >= 3 && NetFiles.Count >= 2,
            $"fixtures missing in {Dir}; run tests/Recur.Tests/Fixtures/make_vision_fixtures.py.");
    }

    [Theory]
    [MemberData(nameof(ConvFiles))]
    public void Conv2dMatchesPyTorch(string file)
    {
        var st = SafeTensors.Read(Path.Combine(Dir, file));
        var t = st.Tensors;
        int Meta(string k) => int.Parse(st.Metadata[k], CultureInfo.InvariantCulture);
        bool bias = st.Metadata["bias"] == "true";
        var w = t["weight"];
        foreach (int threads in new[] { 1, 2 })
        {
            var store = new ParameterStore();
            var conv = new Conv2d(store, "conv", w.Shape[1], w.Shape[0], Meta("kernel"), Meta("stride"), Meta("padding"), bias) { Threads = threads };
            conv.Weight.CopyFrom(w);
            if (bias) conv.Bias!.CopyFrom(t["bias"]);
            var report = new FixtureAssert.Report($"{file} ({threads} thread(s))", Rtol, Atol);
            report.Add("y", conv.Forward(t["x"]).Clone(), t["y"]);
            report.Add("dx", conv.Backward(t["dy"])!.Clone(), t["dx"]);
            report.Add("dweight", conv.Weight.Grad, conv.Weight.Shape, t["dweight"]);
            if (bias) report.Add("dbias", conv.Bias!.Grad, conv.Bias.Shape, t["dbias"]);
            report.AssertAll();
        }
    }

    [Theory]
    [MemberData(nameof(PoolFiles))]
    public void MaxPoolMatchesPyTorch(string file)
    {
        var st = SafeTensors.Read(Path.Combine(Dir, file));
        var t = st.Tensors;
        var pool = new MaxPool2d(int.Parse(st.Metadata["kernel"], CultureInfo.InvariantCulture), int.Parse(st.Metadata["stride"], CultureInfo.InvariantCulture));
        var report = new FixtureAssert.Report(file, 1e-6, 1e-30); // max pooling moves values (overlapping windows add two in float32)
        report.Add("y", pool.Forward(t["x"]).Clone(), t["y"]);
        report.Add("dx", pool.Backward(t["dy"]).Clone(), t["dx"]);
        report.AssertAll();
    }

    [Theory]
    [MemberData(nameof(NetFiles))]
    public void ConvNetMatchesPyTorch(string file)
    {
        var st = SafeTensors.Read(Path.Combine(Dir, file));
        var t = st.Tensors;
        int Meta(string k) => int.Parse(st.Metadata[k], CultureInfo.InvariantCulture);
        var x = t["x"];
        var net = new ConvNet(new ConvNetConfig
        {
            Rows = x.Shape[2], Cols = x.Shape[3],
            Channels = st.Metadata["channels"].Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray(),
            Kernel = Meta("kernel"), Pool = Meta("pool"), Fc = Meta("fc"), Classes = Meta("classes"), Dropout = 0,
        });
        foreach (var p in net.Store.Parameters) p.CopyFrom(t[p.Name]);
        Assert.Equal(t.Keys.Count(k => k.StartsWith("grad.", StringComparison.Ordinal)), net.Store.Parameters.Count);
        int[] labels = t["labels"].Data.Select(v => (int)v).ToArray();
        var report = new FixtureAssert.Report(file, Rtol, Atol);
        report.Add("logits", net.Forward(x).Clone(), t["logits"]);
        double loss = net.TrainStep(x, labels, new Rng(1));
        report.Add("loss", [(float)loss], [1], t["loss"]);
        foreach (var p in net.Store.Parameters) report.Add("grad." + p.Name, p.Grad, p.Shape, t["grad." + p.Name]);
        report.AssertAll();
    }
}
