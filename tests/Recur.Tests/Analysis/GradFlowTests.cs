using Recur.Analysis;
using Recur.Nn;
using Recur.Nn.Cells;
using Xunit;

namespace Recur.Tests.Analysis;

public sealed class GradFlowTests
{
    [Theory]
    [InlineData("rnn")]
    [InlineData("rnn-relu")]
    [InlineData("lstm")]
    [InlineData("gru")]
    [InlineData("gru-cho")]
    [InlineData("mut1")]
    [InlineData("mut2")]
    [InlineData("mut3")]
    [InlineData("rhn")]
    [InlineData("rhn-d2")]
    public void ProbeMatchesRecurrentForwardAndBackward(string kind)
    {
        // The probe runs the cells' own steps: same outputs, and the gradient
        // it carries back to h_0 (via dL/dh_0 of step 0) must equal Recurrent.Backward's DH0.
        const int T = 7, B = 3, H = 6, L = 2;
        int I = CellRegistry.Get(kind).RequiresInputEqualsHidden ? H : 5;
        var store = new ParameterStore();
        var rnn = new Recurrent(store, "rnn", kind, I, H, L);
        rnn.Reset(new Rng(3));
        var probe = GradFlowProbe.FromRecurrent(rnn);
        var rng = new Rng(4);
        var x = Tensor.Randn(rng, 1f, T, B, I);
        var o = rnn.Forward(x);
        var xd = x.Data.Select(v => (double)v).ToArray();
        var trace = probe.Forward(xd, T, B);
        for (int t = 0; t < T; t++)
            for (int b = 0; b < B; b++)
            {
                var h = trace.Hidden(L - 1, t, b);
                for (int j = 0; j < H; j++) Assert.Equal(o.Output.Data[(t * B + b) * H + j], h[j], 1e-5);
            }

        var dOut = new Tensor(T, B, H);
        var dTop = GradFlow.RandomUnitGradient(B, H, new Rng(5));
        for (int i = 0; i < B * H; i++) dOut.Data[(T - 1) * B * H + i] = (float)dTop[i];
        var g = rnn.Backward(dOut);
        var norms = probe.Backward(trace, dTop);
        Assert.Equal(0.0, norms.LogH(L - 1, T - 1, 0), 6); // the seed is a unit vector (carried in float)
        for (int l = 0; l < L; l++)
            for (int i = 0; i < B * H; i++)
            {
                Assert.Equal(g.DH0.Data[l * B * H + i], norms.InitialH[l][i], 1e-5);
                if (g.DC0 is not null) Assert.Equal(g.DC0.Data[l * B * H + i], norms.InitialC[l][i], 1e-5);
            }
    }

    [Fact]
    public void HighwayStacksAreRefusedWithAReason()
    {
        var rnn = new Recurrent(new ParameterStore(), "rnn", "lstm", 5, 6, numLayers: 2, highway: true);
        var e = Assert.Throws<NotSupportedException>(() => GradFlowProbe.FromRecurrent(rnn));
        Assert.Contains("highway", e.Message);
        _ = GradFlowProbe.FromRecurrent(new Recurrent(new ParameterStore(), "rnn", "lstm", 5, 6, numLayers: 2));
    }

    [Fact]
    public void LstmReachesBackOrdersOfMagnitudeFurtherThanVanillaRnn()
    {
        const int T = 200, B = 8, I = 64, H = 128;
        var x = GradFlow.RandomInputs(T, B, I, new Rng(1));
        var curves = GradFlow.CompareCells(x, T, B, I, H, seed: 1);
        var rnn = curves.Single(c => c.Name == "rnn-tanh");
        var lstm = curves.Single(c => c.Name == "lstm h");
        double rRnn = rnn.Ratio(100), rLstm = lstm.Ratio(100);
        Assert.True(rLstm >= 100 * rRnn, $"LSTM ratio at distance 100 = {rLstm:E2}, vanilla RNN = {rRnn:E2}");
        Assert.True(rnn.Rate < 1, $"vanilla RNN rate {rnn.Rate}");
    }

    [Fact]
    public void SmallerSingularValueVanishesFaster()
    {
        const int T = 120, B = 4, I = 32, H = 64;
        var x = GradFlow.RandomInputs(T, B, I, new Rng(2));
        var curves = GradFlow.SigmaSweep(x, T, B, I, H, seed: 2, [0.5, 1.5]);
        Assert.Equal(0.5, curves[0].SigmaMax, 6);
        Assert.Equal(1.5, curves[1].SigmaMax, 6);
        Assert.True(curves[0].Slope < curves[1].Slope, $"slopes {curves[0].Slope} vs {curves[1].Slope}");
        // The lecture's bound holds: measured per-step factor <= sigma_max * max tanh'.
        foreach (var c in curves) Assert.True(c.Rate <= c.Bound + 1e-9, $"{c.Name}: rate {c.Rate} above bound {c.Bound}");
    }

    [Fact]
    public void PowerIterationFindsLargestSingularValue()
    {
        // W = Q diag(s) with Q orthogonal (Gram-Schmidt of a random matrix): singular values are s.
        const int n = 12;
        var rng = new Rng(9);
        var q = new double[n, n];
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) q[i, j] = rng.NextGaussian();
        for (int j = 0; j < n; j++)
        {
            for (int k = 0; k < j; k++)
            {
                double d = 0; for (int i = 0; i < n; i++) d += q[i, j] * q[i, k];
                for (int i = 0; i < n; i++) q[i, j] -= d * q[i, k];
            }
            double nn = 0; for (int i = 0; i < n; i++) nn += q[i, j] * q[i, j];
            nn = Math.Sqrt(nn); for (int i = 0; i < n; i++) q[i, j] /= nn;
        }
        var s = Enumerable.Range(0, n).Select(i => 0.3 + 0.2 * ((i * 7) % n)).ToArray();
        var w = new double[n * n];
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) w[i * n + j] = q[i, j] * s[j];
        double sigma = PowerIteration.LargestSingularValue(w, n, n, new Rng(1));
        Assert.Equal(s.Max(), sigma, 9);

        var wf = w.Select(v => (float)v).ToArray();
        double before = PowerIteration.ScaleToSingularValue(wf, n, n, 0.5, new Rng(2));
        Assert.Equal(s.Max(), before, 5);
        Assert.Equal(0.5, PowerIteration.LargestSingularValue(wf, n, n, new Rng(3)), 5);
    }

    [Fact]
    public void FitSlopeRecoversLine()
    {
        var y = Enumerable.Range(0, 50).Select(d => 2.0 - 0.25 * d).ToArray();
        y[3] = double.NegativeInfinity; // skipped
        Assert.Equal(-0.25, GradFlow.FitSlope(y), 12);
    }
}
