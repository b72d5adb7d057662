using Recur.Nn;
using Xunit;

namespace Recur.Tests.Nn;

/// <summary>
/// Highway connections between stacked layers (<see cref="Recurrent.Highway"/>): which layers get one, their
/// parameters and start, what the output and the final states are, where dropout acts, thread-count bit identity.
/// PyTorch agreement is RecurrentFixtureTests' (lstm_highway_* files, make_highway_fixtures.py), gradients
/// RecurrentGradTests' (HighwayGradientsMatchCentralDifferences), the token path RecurrentTokenInputTests'.
/// </summary>
public sealed class HighwayTests
{
    [Fact]
    public void LayersWhoseInputIsHiddenWideGetAHighwayAfterTheirCellParameters()
    {
        const int H = 7;
        var narrow = new ParameterStore();
        var rnn = new Recurrent(narrow, "rnn", "lstm", 5, H, numLayers: 3, highway: true);
        Assert.True(rnn.Highway);
        Assert.Null(rnn.HighwayParameters(0));
        Assert.Equal(["rnn.weight_ih_l0", "rnn.weight_hh_l0", "rnn.bias_ih_l0", "rnn.bias_hh_l0",
                      "rnn.weight_ih_l1", "rnn.weight_hh_l1", "rnn.bias_ih_l1", "rnn.bias_hh_l1", "rnn.highway_weight_l1", "rnn.highway_bias_l1",
                      "rnn.weight_ih_l2", "rnn.weight_hh_l2", "rnn.bias_ih_l2", "rnn.bias_hh_l2", "rnn.highway_weight_l2", "rnn.highway_bias_l2"],
            rnn.Parameters.Select(p => p.Name));
        Assert.Equal(narrow.Parameters.Select(p => p.Name), rnn.Parameters.Select(p => p.Name));
        Assert.Equal([H, H], narrow["rnn.highway_weight_l1"].Shape);
        Assert.Equal([H], narrow["rnn.highway_bias_l2"].Shape);

        // an input as wide as the hidden state: layer 0 too; without biases: no highway bias
        var wide = new ParameterStore();
        var all = new Recurrent(wide, "rnn", "gru", H, H, numLayers: 2, bias: false, highway: true);
        Assert.NotNull(all.HighwayParameters(0));
        Assert.Null(all.HighwayParameters(0)!.Bias);
        Assert.Equal(["rnn.weight_ih_l0", "rnn.weight_hh_l0", "rnn.highway_weight_l0", "rnn.weight_ih_l1", "rnn.weight_hh_l1", "rnn.highway_weight_l1"],
            wide.Parameters.Select(p => p.Name));
        Assert.Equal(2 * (Recur.Nn.Cells.CellRegistry.Gru.ParameterCount(H, H, bias: false) + HighwayParameters.Count(H, bias: false)), wide.Count);

        // off by default, and a stack with no hidden-wide input is refused rather than silently plain
        Assert.False(new Recurrent(new ParameterStore(), "rnn", "lstm", 5, H, numLayers: 2).Highway);
        var e = Assert.Throws<ArgumentException>(() => new Recurrent(new ParameterStore(), "rnn", "lstm", 5, H, highway: true));
        Assert.Contains("highway", e.Message);
    }

    [Fact]
    public void ResetStartsTheGatesMostlyCarryingTheInput()
    {
        const int H = 16;
        var store = new ParameterStore();
        var rnn = new Recurrent(store, "rnn", "lstm", 3, H, numLayers: 3, highway: true);
        rnn.Reset(new Rng(4));
        float bound = 1f / MathF.Sqrt(H);
        for (int l = 1; l < 3; l++)
        {
            var hw = rnn.HighwayParameters(l)!;
            Assert.All(hw.Bias!.Value.ToArray(), b => Assert.Equal(LayerHighway.InitialBias, b));
            var w = hw.Weight.Value.ToArray();
            Assert.All(w, v => Assert.InRange(v, -bound, bound));
            Assert.True(w.Distinct().Count() > w.Length / 2, "W_g is drawn, not constant");
        }
        // The plain stack's draw is untouched by the option: same seed, same cell parameters for layer 0.
        var plain = new Recurrent(new ParameterStore(), "rnn", "lstm", 3, H, numLayers: 3);
        plain.Reset(new Rng(4));
        Assert.Equal(plain.LayerParameters(0).WeightHh!.Value.ToArray(), rnn.LayerParameters(0).WeightHh!.Value.ToArray());
    }

    [Fact]
    public void OutputIsTheGatedMixAndTheFinalStatesStayTheCellsStates()
    {
        const int T = 4, B = 3, I = 5, H = 6;
        var store = new ParameterStore();
        var rnn = new Recurrent(store, "rnn", "gru", I, H, numLayers: 2, highway: true);
        rnn.Reset(new Rng(8));
        foreach (var p in rnn.HighwayParameters(1)!.All) new Rng(9).FillUniform(p.Value, -1f, 1f);
        var x = Tensor.Randn(new Rng(10), 1f, T, B, I);
        var o = rnn.Forward(x);
        var x1 = rnn.Layer(0).Y; // layer 0 has no highway (input 5 wide): layer 1 reads its h
        var h1 = rnn.Layer(1).Y;
        var hw = rnn.HighwayParameters(1)!;
        double maxDiff = 0;
        for (int r = 0; r < T * B; r++)
            for (int j = 0; j < H; j++)
            {
                double a = hw.Bias!.Value[j];
                for (int k = 0; k < H; k++) a += hw.Weight.Value[j * H + k] * x1[r * H + k];
                double g = 1 / (1 + Math.Exp(-a));
                double y = g * h1[r * H + j] + (1 - g) * x1[r * H + j];
                Assert.Equal(y, o.Output.Data[r * H + j], 5);
                maxDiff = Math.Max(maxDiff, Math.Abs(o.Output.Data[r * H + j] - h1[r * H + j]));
            }
        Assert.True(maxDiff > 1e-2, "the output should differ from the recurrent state");
        // h_n: each layer's last recurrent state, not the highway's output
        for (int l = 0; l < 2; l++)
            Assert.Equal(rnn.Layer(l).Y.AsSpan((T - 1) * B * H, B * H).ToArray(), o.HN.Data.AsSpan(l * B * H, B * H).ToArray());
    }

    [Fact]
    public void DropoutActsOnTheOutputAfterTheHighway()
    {
        const int T = 5, B = 4, H = 8;
        var rnn = new Recurrent(new ParameterStore(), "lstm", "lstm", H, H, numLayers: 2, dropout: 0.5f, highway: true);
        rnn.Reset(new Rng(2));
        var x = Tensor.Randn(new Rng(3), 1f, T, B, H);
        rnn.Forward(x, training: true, rng: new Rng(4));
        var y0 = rnn.Layer(0).Highway!.Out;           // layer 0's output (highway on: input is H wide)
        var seen = rnn.Layer(1).X!;                   // what layer 1 read
        int kept = 0;
        for (int i = 0; i < T * B * H; i++)
        {
            if (seen[i] == 0f) continue;
            kept++;
            Assert.Equal(2f * y0[i], seen[i], 6);       // inverted dropout of y, p = 0.5
        }
        Assert.InRange(kept, T * B * H / 4, 3 * T * B * H / 4);
    }

    [Theory]
    [InlineData("lstm")]
    [InlineData("rhn")]
    public void ThreadCountDoesNotChangeAnyBitWithHighwaysAndDropout(string kind)
    {
        const int T = 16, B = 16, H = 64, L = 3;
        float[]? reference = null;
        foreach (int threads in new[] { 1, 2, 3 })
        {
            var store = new ParameterStore();
            var rnn = new Recurrent(store, "rnn", kind, H, H, L, batchFirst: true, dropout: 0.2f, highway: true) { Threads = threads };
            var rng = new Rng(42);
            rnn.Reset(rng);
            var x = Tensor.Randn(rng, 1f, B, T, H);
            var dy = Tensor.Randn(rng, 1f, B, T, H);
            var o = rnn.Forward(x, training: true, rng: new Rng(7));
            store.ZeroGrad();
            var g = rnn.Backward(dy);
            float[] now = [.. o.Output.Data, .. o.HN.Data, .. g.DInput.Data, .. g.DH0.Data, .. store.Grads];
            if (reference is null) { reference = now; continue; }
            Assert.Equal(reference.Length, now.Length);
            for (int i = 0; i < now.Length; i++)
                Assert.True(BitConverter.SingleToInt32Bits(reference[i]) == BitConverter.SingleToInt32Bits(now[i]),
                    $"{kind}: element {i} differs between Threads = 1 ({reference[i]:G9}) and Threads = {threads} ({now[i]:G9}).");
        }
    }
}
