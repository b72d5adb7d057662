using Recur.Nn;
using Recur.Nn.Blocks;
using Recur.Tests.TestUtil;
using Xunit;

namespace Recur.Tests.Nn.Blocks;

/// <summary>
/// The state-space blocks start where their papers start them, and Mamba's fused scan is right when the channel
/// count leaves a scalar tail after the 8-wide vectors (the contract tests and fixtures use multiples of 8).
/// </summary>
public sealed class SsmBlockTests
{
    [Fact]
    public void LruEigenvaluesStartOnThePapersRingWithNormalisedInputs()
    {
        const int D = 64;
        var store = new ParameterStore();
        var block = (LruBlock)BlockRegistry.Create("lru", store, "lru", D, new BlockOptions());
        block.Reset(new Rng(5));
        Assert.Equal(D, block.StateUnits);
        var nu = store["lru.nu_log"].Value; var theta = store["lru.theta_log"].Value; var gl = store["lru.gamma_log"].Value;
        for (int n = 0; n < D; n++)
        {
            double mod = Math.Exp(-Math.Exp(nu[n]));
            double phase = Math.Exp(theta[n]);
            Assert.InRange(mod, LruBlock.RMin - 1e-6, LruBlock.RMax + 1e-6);
            Assert.InRange(phase, 0, LruBlock.MaxPhase + 1e-6);
            Assert.Equal(Math.Sqrt(1 - mod * mod), Math.Exp(gl[n]), 4);
        }
        var bre = store["lru.B_re"].Value.ToArray();
        double var = bre.Sum(v => (double)v * v) / bre.Length;
        Assert.InRange(var, 0.8 / (2 * D), 1.2 / (2 * D));
    }

    [Fact]
    public void MambaStartsWithS4DRealDecaysAndLogUniformStepSizes()
    {
        const int D = 40;
        var store = new ParameterStore();
        var o = new BlockOptions(StateSize: 8, Expand: 2, ConvWidth: 4);
        var block = (MambaBlock)BlockRegistry.Create("mamba", store, "m", D, o);
        block.Reset(new Rng(9));
        Assert.Equal((80, 8, 4, 3), (block.Inner, block.StateSize, block.ConvWidth, block.DtRank));
        Assert.Equal([80, 1, 4], store["m.conv1d.weight"].Shape);
        Assert.Equal([3 + 16, 80], store["m.x_proj.weight"].Shape);
        var aLog = store["m.A_log"].Value;
        for (int c = 0; c < 80; c++)
            for (int n = 0; n < 8; n++) Assert.Equal(MathF.Log(n + 1), aLog[c * 8 + n]);
        Assert.All(store["m.D"].Value.ToArray(), v => Assert.Equal(1f, v));
        var bias = store["m.dt_proj.bias"].Value.ToArray();
        var dt = bias.Select(b => Math.Log(1 + Math.Exp(b))).ToArray();
        Assert.All(dt, v => Assert.InRange(v, MambaBlock.DtMin * 0.999, MambaBlock.DtMax * 1.001));
        // log-uniform: about half the draws below the geometric mean 0.01
        int below = dt.Count(v => v < 0.01);
        Assert.InRange(below, 25, 55);
        var s = block.NewState(3);
        Assert.Equal(3 * 80 * 8, s["h"].Length);
        Assert.Equal(3 * 3 * 80, s["conv"].Length);
    }

    [Fact]
    public void MambaWithARaggedChannelCountMatchesCentralDifferencesAndSteps()
    {
        const int D = 13, T = 18, B = 2; // Di = 13: one 8-wide vector and a 5-wide tail; T crosses a scan segment
        var store = new ParameterStore();
        var block = BlockRegistry.Create("mamba", store, "m", D, new BlockOptions(StateSize: 3, Expand: 1, ConvWidth: 2));
        block.Reset(new Rng(2));
        var rng = new Rng(3);
        for (int i = 0; i < store.Count; i++) store.Values[i] += 0.3f * (rng.NextFloat() - 0.5f);
        rng.FillUniform(store["m.dt_proj.bias"].Value, -1f, 1.5f); // steps near 1, so exp(delta A) is far from 1
        var start = block.NewState(B);
        block.Forward(Tensor.Randn(new Rng(4), 1f, 5, B, D).Data, 5, B, start, training: false, rng: null);
        var x = Tensor.Randn(new Rng(5), 1f, T, B, D).Data;
        var r = Tensor.Randn(new Rng(6), 1f, T, B, D).Data;
        var state = block.NewState(B);
        double Loss()
        {
            state.CopyFrom(start);
            return GradCheck.Dot(block.Forward(x, T, B, state, training: false, rng: null), r);
        }
        var y = block.Forward(x, T, B, state, training: false, rng: null).AsSpan(0, T * B * D).ToArray();
        Loss();
        store.ZeroGrad();
        var dx = block.Backward(r).AsSpan(0, T * B * D).ToArray();
        var grads = store.Grads.ToArray();
        foreach (var p in block.Parameters)
            GradCheck.Check(p.Name, Loss, store.Values, p.Offset, p.Length, grads.AsSpan(p.Offset, p.Length), samples: 10, h: 2e-3f, atol: 1e-3);
        GradCheck.Check("dx", Loss, x, 0, x.Length, dx, samples: 30, h: 2e-3f, atol: 1e-3);

        var stepState = block.NewState(B);
        stepState.CopyFrom(start);
        state.CopyFrom(start);
        y = block.Forward(x, T, B, state, training: false, rng: null).AsSpan(0, T * B * D).ToArray();
        var yt = new float[B * D];
        for (int t = 0; t < T; t++)
        {
            block.Step(x.AsSpan(t * B * D, B * D), yt, stepState);
            for (int i = 0; i < B * D; i++) Assert.Equal(y[t * B * D + i], yt[i], 4);
        }
        Assert.Equal(state["h"], stepState["h"], (a, b) => Math.Abs(a - b) <= 1e-5f + 1e-4f * Math.Abs(a));
        Assert.Equal(state["conv"], stepState["conv"]);
    }
}
