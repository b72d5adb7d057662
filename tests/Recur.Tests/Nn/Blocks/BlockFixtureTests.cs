using System.Text.Json;
using Recur.IO;
using Recur.Nn;
using Recur.Nn.Blocks;
using Recur.Tests.TestUtil;
using Xunit;
using Xunit.Abstractions;

namespace Recur.Tests.Nn.Blocks;

/// <summary>
/// Every block against PyTorch: each file under Fixtures/blocks (make_block_fixtures.py, the block written
/// from its paper's equations with autograd) holds x, dy, the parameters, and PyTorch's y, dx and
/// parameter gradients of <c>L = sum(y * dy)</c>; Recur must agree to <c>1e-5 * max(1, max|want|) + 1e-4 |want|</c>.
/// </summary>
public sealed class BlockFixtureTests(ITestOutputHelper output)
{
    private static string FixtureDir => Path.Combine(AppContext.BaseDirectory, "Fixtures", "blocks");

    /// <summary>Every fixture file.</summary>
    public static TheoryData<string> Files()
    {
        var data = new TheoryData<string>();
        if (Directory.Exists(FixtureDir))
            foreach (var f in Directory.GetFiles(FixtureDir, "*.safetensors").Select(Path.GetFileName).Order(StringComparer.Ordinal))
                data.Add(f!);
        return data;
    }

    [Fact]
    public void EveryBlockHasAFixture()
    {
        var kinds = Directory.Exists(FixtureDir)
            ? Directory.GetFiles(FixtureDir, "*.safetensors").Select(f => SafeTensors.Read(f).Metadata["kind"]).ToHashSet()
            : [];
        foreach (var k in BlockRegistry.Names)
            Assert.True(kinds.Contains(k), $"no fixture for block {k}; run tests/Recur.Tests/Fixtures/make_block_fixtures.py.");
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void ForwardAndBackwardMatchPyTorch(string file)
    {
        var st = SafeTensors.Read(Path.Combine(FixtureDir, file));
        string kind = st.Metadata["kind"];
        int D = int.Parse(st.Metadata["width"]), T = int.Parse(st.Metadata["seq_len"]), B = int.Parse(st.Metadata["batch"]);
        var o = JsonDocument.Parse(st.Metadata["options"]).RootElement;
        var options = new BlockOptions(o.GetProperty("state_size").GetInt32(), o.GetProperty("expand").GetInt32(),
            o.GetProperty("conv_width").GetInt32(), o.GetProperty("heads").GetInt32(), o.GetProperty("context").GetInt32());
        var store = new ParameterStore();
        var block = BlockRegistry.Create(kind, store, "block", D, options);
        var names = st.Names.Where(n => n.StartsWith("param.", StringComparison.Ordinal)).Select(n => n["param.".Length..]).ToList();
        Assert.Equal(names.Select(n => "block." + n), block.Parameters.Select(p => p.Name));
        foreach (var p in block.Parameters)
        {
            p.Value.Fill(float.NaN);
            p.CopyFrom(st.Tensors["param." + p.Name["block.".Length..]]);
        }
        var y = block.Forward(st.Tensors["x"].Data.ToArray(), T, B, null, training: false, rng: null);
        var rep = new FixtureAssert.Report($"{file} ({kind})", 1e-4, 1e-5);
        rep.AddScaled("y", new Tensor(y.AsSpan(0, T * B * D).ToArray(), T, B, D), st.Tensors["y"]);
        store.ZeroGrad();
        var dx = block.Backward(st.Tensors["dy"].Data.ToArray());
        rep.AddScaled("dx", new Tensor(dx.AsSpan(0, T * B * D).ToArray(), T, B, D), st.Tensors["dx"]);
        foreach (var p in block.Parameters)
            rep.AddScaled("grad." + p.Name, new Tensor(p.Grad.ToArray(), p.Shape), st.Tensors["grad." + p.Name["block.".Length..]]);
        output.WriteLine(rep.ToString());
        rep.AssertAll();
    }
}
