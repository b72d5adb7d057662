using Recur.Models;
using Recur.Training;
using Xunit;

namespace Recur.Tests.Models;

/// <summary>
/// Guards the finding of docs/PARITY.md: Recur's default initialisation is PyTorch's, including the LSTM
/// forget-gate biases (a torch-rnn start of 1 learned measurably slower); the old start is an opt-in.
/// </summary>
public sealed class InitialisationTests
{
    private static CharModel Lstm(float? forgetBias)
    {
        var m = new CharModel(new CharModelConfig { Cell = "lstm", VocabSize = 30, Embed = 16, Hidden = 64, Layers = 2 });
        m.Reset(new Rng(7), forgetBias);
        return m;
    }

    [Fact]
    public void EveryRecurrentBiasIsPyTorchsUniformDrawByDefault()
    {
        var m = Lstm(null);
        float bound = 1f / MathF.Sqrt(64);
        for (int l = 0; l < 2; l++)
        {
            var p = m.Rnn.LayerParameters(l);
            foreach (var b in new[] { p.BiasIh!, p.BiasHh! })
            {
                var f = b.Value.Slice(64, 64).ToArray(); // the forget gate's slice
                Assert.All(f, v => Assert.InRange(v, -bound, bound));
                Assert.InRange(f.Average(), -0.05, 0.05); // centred, not the old 1 / 0
                Assert.True(f.Max() - f.Min() > bound, "the slice is drawn, not filled");
            }
        }
        // The trainer's default options keep it.
        Assert.Null(new Recur.Training.TrainOptions().InitialForgetBias);
    }

    [Fact]
    public void TorchRnnsForgetBiasIsAnOptInThatChangesNothingElse()
    {
        var drawn = Lstm(null);
        var old = Lstm(1f);
        var pd = drawn.Rnn.LayerParameters(0);
        var po = old.Rnn.LayerParameters(0);
        Assert.All(po.BiasIh!.Value.Slice(64, 64).ToArray(), v => Assert.Equal(1f, v));
        Assert.All(po.BiasHh!.Value.Slice(64, 64).ToArray(), v => Assert.Equal(0f, v));
        Assert.Equal(pd.WeightIh.Value.ToArray(), po.WeightIh.Value.ToArray());
        Assert.Equal(pd.BiasIh!.Value[..64].ToArray(), po.BiasIh.Value[..64].ToArray());
        Assert.Equal(drawn.Head.Weight.Value.ToArray(), old.Head.Weight.Value.ToArray());
    }
}
