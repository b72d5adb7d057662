using Recur.Nn;
using Recur.Nn.Blocks;
using Xunit;

namespace Recur.Tests.Nn.Blocks;

/// <summary>The state-space blocks start where their papers start them.</summary>
public sealed class SsmInitTests
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
}
