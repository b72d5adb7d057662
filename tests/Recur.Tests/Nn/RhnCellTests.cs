using Recur.Nn;
using Recur.Nn.Cells;
using Xunit;

namespace Recur.Tests.Nn;

/// <summary>
/// The Recurrent Highway Network's registry names and layout (its arithmetic is checked against PyTorch by
/// the fixtures rhn_* and rhn_d2_*, by central differences and by the sampler tests, as every cell is).
/// </summary>
public sealed class RhnCellTests
{
    [Fact]
    public void DepthNamesResolveToOneCellPerDepth()
    {
        var rhn = Assert.IsType<RhnCell>(CellRegistry.Get("rhn"));
        Assert.Equal(RhnCell.DefaultDepth, rhn.Depth);
        Assert.Same(rhn, CellRegistry.Find("rhn-d3"));
        foreach (int d in new[] { 1, 2, 5, 10 })
        {
            var cell = Assert.IsType<RhnCell>(CellRegistry.Find($"rhn-d{d}"));
            Assert.Equal(d, cell.Depth);
            Assert.Equal($"rhn-d{d}", cell.Name);
            Assert.Equal(2 * d, cell.RecurrentGates);
            Assert.Equal(d, cell.InferencePhases);
            Assert.Same(cell, CellRegistry.Get($"rhn-d{d}")); // made once, then kept
        }
        foreach (var bad in new[] { "rhn-d0", "rhn-d11", "rhn-d05", "rhn-d+5", "rhn-d", "rhn-d 5", "rhn-dx", "rhn-d-1", "rhn5", "RHN-d2" })
            Assert.Null(CellRegistry.Find(bad));
        // Names lists rhn only; usage text and the refusal name the family
        Assert.Contains("rhn", CellRegistry.Names);
        Assert.DoesNotContain(CellRegistry.Names, n => n.StartsWith("rhn-d", StringComparison.Ordinal));
        Assert.Contains("rhn-dN", CellRegistry.Usage());
        Assert.Contains("rhn-dN", Assert.Throws<ArgumentException>(() => CellRegistry.Get("rhn-d11")).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new RhnCell(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RhnCell(RhnCell.MaxDepth + 1));
    }

    [Fact]
    public void ParametersAreTheEquationsMatricesAndNoOthers()
    {
        const int D = 4, I = 5, H = 7;
        var store = new ParameterStore();
        _ = new Recurrent(store, "rnn", $"rhn-d{D}", I, H, numLayers: 2);
        Assert.Equal(["rnn.weight_ih_l0", "rnn.weight_hh_l0", "rnn.bias_ih_l0", "rnn.bias_hh_l0",
                      "rnn.weight_ih_l1", "rnn.weight_hh_l1", "rnn.bias_ih_l1", "rnn.bias_hh_l1"], store.Parameters.Select(p => p.Name));
        Assert.Equal([2 * H, I], store["rnn.weight_ih_l0"].Shape);
        Assert.Equal([2 * D * H, H], store["rnn.weight_hh_l0"].Shape);
        Assert.Equal([2 * H], store["rnn.bias_ih_l0"].Shape);
        Assert.Equal([2 * D * H], store["rnn.bias_hh_l0"].Shape);
        Assert.Equal(CellRegistry.Get($"rhn-d{D}").ParameterCount(I, H, bias: true) + CellRegistry.Get($"rhn-d{D}").ParameterCount(H, H, bias: true), store.Count);
    }

    [Fact]
    public void DepthOneWithAClosedGateCarriesTheStateAndAnOpenGateTakesTheCandidate()
    {
        // D = 1, t saturated by its bias: t -> 0 keeps h_{t-1}; t -> 1 gives tanh(W_H x + b_H).
        const int H = 3, I = 2;
        foreach (bool open in new[] { false, true })
        {
            var store = new ParameterStore();
            var rnn = new Recurrent(store, "rnn", "rhn-d1", I, H);
            rnn.Reset(new Rng(5));
            var p = rnn.LayerParameters(0);
            p.WeightHh!.Value.Clear();
            for (int j = 0; j < H; j++) { p.BiasIh!.Value[H + j] = open ? 40f : -40f; p.BiasHh!.Value[H + j] = 0f; }
            var x = Tensor.Randn(new Rng(6), 1f, 1, 1, I);
            var h0 = Tensor.Randn(new Rng(7), 0.5f, 1, 1, H);
            var y = rnn.Forward(x, h0).Output.Data;
            for (int j = 0; j < H; j++)
            {
                float a = p.BiasIh!.Value[j] + p.BiasHh!.Value[j];
                for (int i = 0; i < I; i++) a += p.WeightIh.Value[j * I + i] * x.Data[i];
                Assert.Equal(open ? MathF.Tanh(a) : h0.Data[j], y[j], 5);
            }
        }
    }
}
