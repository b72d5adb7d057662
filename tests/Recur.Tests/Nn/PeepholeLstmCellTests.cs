using Recur.Nn;
using Recur.Nn.Cells;
using Xunit;

namespace Recur.Tests.Nn;

/// <summary>
/// Greff et al.'s LSTM variants (<see cref="PeepholeLstmCell"/>): their layout, initialisation and two
/// identities with PyTorch's LSTM. The arithmetic itself is checked against PyTorch by the zoo fixtures
/// (RecurrentFixtureTests), by central differences (RecurrentGradTests) and against the sampler (CharSamplerTests).
/// </summary>
public sealed class PeepholeLstmCellTests
{
    [Theory]
    [InlineData("peephole", "ifgo", 3, false)]
    [InlineData("nig", "fgo", 2, false)]
    [InlineData("nfg", "igo", 2, false)]
    [InlineData("nog", "ifg", 2, false)]
    [InlineData("niaf", "ifgo", 3, false)]
    [InlineData("noaf", "ifgo", 3, false)]
    [InlineData("np", "ifgo", 0, false)]
    [InlineData("cifg", "igo", 2, false)]
    [InlineData("fgr", "ifgo", 3, true)]
    public void RemovedGatesHaveNoRowsAndNoPeephole(string name, string gates, int peepholes, bool gateWeights)
    {
        const int I = 3, H = 5;
        var store = new ParameterStore();
        var rnn = new Recurrent(store, "r", name, I, H);
        var cell = rnn.Cell;
        Assert.Equal(gates.Select(g => g.ToString()), cell.GateNames);
        Assert.True(cell.HasCellState);
        int G = gates.Length;
        Assert.Equal([G * H, I], store["r.weight_ih_l0"].Shape);
        Assert.Equal([G * H, H], store["r.weight_hh_l0"].Shape);
        Assert.Equal([G * H], store["r.bias_hh_l0"].Shape);
        if (peepholes > 0) Assert.Equal([peepholes * H], store["r.weight_peep_l0"].Shape);
        else Assert.DoesNotContain(store.Parameters, p => p.Name == "r.weight_peep_l0");
        if (gateWeights) Assert.Equal([3 * H, 3 * H], store["r.weight_gg_l0"].Shape);
        else Assert.DoesNotContain(store.Parameters, p => p.Name == "r.weight_gg_l0");
        long n = G * H * (I + H + 2) + peepholes * H + (gateWeights ? 9 * H * H : 0);
        Assert.Equal(n, store.Count);
        Assert.Equal(n, cell.ParameterCount(I, H, bias: true));
    }

    [Theory]
    [InlineData("peephole", 1)]
    [InlineData("nig", 0)]
    [InlineData("fgr", 1)]
    public void ForgetBiasSetsTheForgetBlock(string name, int block)
    {
        const int H = 4;
        var rnn = new Recurrent(new ParameterStore(), "", name, 3, H);
        rnn.Reset(new Rng(5), forgetBias: 2f);
        var p = rnn.LayerParameters(0);
        for (int j = block * H; j < (block + 1) * H; j++) Assert.Equal(2f, p.BiasIh!.Value[j] + p.BiasHh!.Value[j]);
    }

    [Theory]
    [InlineData("nfg")]
    [InlineData("cifg")]
    public void ForgetBiasLeavesCellsWithoutAForgetGateAsDrawn(string name)
    {
        var a = new Recurrent(new ParameterStore(), "", name, 3, 4);
        var b = new Recurrent(new ParameterStore(), "", name, 3, 4);
        a.Reset(new Rng(5));
        b.Reset(new Rng(5), forgetBias: 2f);
        Assert.Equal(a.LayerParameters(0).BiasIh!.Value.ToArray(), b.LayerParameters(0).BiasIh!.Value.ToArray());
        Assert.Equal(a.LayerParameters(0).BiasHh!.Value.ToArray(), b.LayerParameters(0).BiasHh!.Value.ToArray());
    }

    [Theory]
    [InlineData("np", false)]       // no peepholes: PyTorch's LSTM
    [InlineData("peephole", true)]  // zero peepholes: PyTorch's LSTM
    [InlineData("fgr", true)]       // zero peepholes and gate weights: PyTorch's LSTM
    public void WithoutItsExtrasTheCellIsPyTorchsLstm(string name, bool zeroExtras)
    {
        const int I = 3, H = 6, T = 5, B = 2;
        var ours = new Recurrent(new ParameterStore(), "", name, I, H, numLayers: 2);
        var lstm = new Recurrent(new ParameterStore(), "", CellRegistry.Lstm, I, H, numLayers: 2);
        lstm.Reset(new Rng(11));
        ours.Reset(new Rng(12));
        for (int l = 0; l < 2; l++)
        {
            var (p, q) = (ours.LayerParameters(l), lstm.LayerParameters(l));
            q.WeightIh.Value.CopyTo(p.WeightIh.Value);
            q.WeightHh!.Value.CopyTo(p.WeightHh!.Value);
            q.BiasIh!.Value.CopyTo(p.BiasIh!.Value);
            q.BiasHh!.Value.CopyTo(p.BiasHh!.Value);
            if (zeroExtras) foreach (var e in p.Extra) e.Value.Clear();
        }
        var rng = new Rng(13);
        var x = Tensor.Randn(rng, 1f, T, B, I);
        var h0 = Tensor.Randn(rng, 0.5f, 2, B, H);
        var c0 = Tensor.Randn(rng, 0.5f, 2, B, H);
        var a = ours.Forward(x, h0, c0);
        var b = lstm.Forward(x, h0, c0);
        for (int i = 0; i < a.Output.Length; i++) Assert.Equal(b.Output.Data[i], a.Output.Data[i], 1e-6f);
        for (int i = 0; i < a.CN!.Length; i++) Assert.Equal(b.CN!.Data[i], a.CN.Data[i], 1e-6f);
        // ... and a peephole that is not zero changes it.
        var d = ours.LayerParameters(0).Extra;
        if (d.Count == 0) return;
        d[0].Value.Fill(0.5f);
        var c = ours.Forward(x, h0, c0);
        Assert.NotEqual(b.Output.Data[..a.Output.Length], c.Output.Data[..a.Output.Length]);
    }
}
