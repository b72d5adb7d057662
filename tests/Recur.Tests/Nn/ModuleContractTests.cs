using Recur.Nn;
using Recur.Nn.Cells;
using Xunit;

namespace Recur.Tests.Nn;

public sealed class ModuleContractTests
{
    [Fact]
    public void StateDictNamesComeFromTheModulePath()
    {
        var store = new ParameterStore();
        IModule[] modules =
        [
            new Embedding(store, "encoder.embedding", 7, 3),
            new Recurrent(store, "encoder.rnn", "gru", 3, 4, numLayers: 2),
            new LayerNorm(store, "encoder.norm", 4),
            new Linear(store, "head", 4, 7),
        ];
        Assert.Equal(["encoder.embedding.weight"], modules[0].Parameters.Select(p => p.Name));
        Assert.Equal(["encoder.rnn.weight_ih_l0", "encoder.rnn.weight_hh_l0", "encoder.rnn.bias_ih_l0", "encoder.rnn.bias_hh_l0",
                      "encoder.rnn.weight_ih_l1", "encoder.rnn.weight_hh_l1", "encoder.rnn.bias_ih_l1", "encoder.rnn.bias_hh_l1"],
            modules[1].Parameters.Select(p => p.Name));
        Assert.Equal("encoder.rnn", modules[1].Path);
        // every parameter of the arena belongs to exactly one module, in registration order
        Assert.Equal(store.Parameters.Select(p => p.Name), modules.SelectMany(m => m.Parameters).Select(p => p.Name));
    }

    [Fact]
    public void TheModeDecidesWhetherDropoutActsWhenTheForwardDoesNotSay()
    {
        var store = new ParameterStore();
        var rnn = new Recurrent(store, "rnn", CellRegistry.Lstm, 3, 5, numLayers: 2, dropout: 0.5f);
        rnn.Reset(new Rng(1));
        var x = Tensor.Randn(new Rng(2), 1f, 4, 2, 3);
        var eval = rnn.Forward(x).Output.Data.ToArray();
        rnn.Training = true;
        var train = rnn.Forward(x, rng: new Rng(3)).Output.Data.ToArray();
        Assert.NotEqual(eval, train);
        Assert.Equal(eval, rnn.Forward(x, training: false).Output.Data.ToArray());
    }

    [Fact]
    public void TheRegistryNamesEveryCellOnceAndRefusesOthersByListingThem()
    {
        Assert.Equal(CellRegistry.Names.Count, CellRegistry.Names.Distinct().Count());
        foreach (var c in CellRegistry.All)
        {
            Assert.Same(c, CellRegistry.Get(c.Name));
            Assert.Contains(c.Name, CellRegistry.Usage());
            Assert.Equal(c.GateNames.Count == 0 ? 1 : c.GateNames.Count, c.Gates);
        }
        var e = Assert.Throws<ArgumentException>(() => CellRegistry.Get("lstn"));
        foreach (var n in CellRegistry.Names) Assert.Contains(n, e.Message);
    }

    [Theory]
    [InlineData("mut1")]
    [InlineData("mut2")]
    public void CellsThatAddTheirRawInputRefuseAnotherInputWidthNamingBoth(string kind)
    {
        Assert.True(CellRegistry.Get(kind).RequiresInputEqualsHidden);
        var e = Assert.Throws<ArgumentException>(() => new Recurrent(new ParameterStore(), "rnn", kind, 13, 20, numLayers: 2));
        Assert.Contains(kind, e.Message);
        Assert.Contains("hidden width 20", e.Message);
        Assert.Contains("got 13", e.Message);
        // equal widths are accepted; MUT3 has no raw-input term, so any width is
        _ = new Recurrent(new ParameterStore(), "rnn", kind, 20, 20, numLayers: 2);
        Assert.False(CellRegistry.Get("mut3").RequiresInputEqualsHidden);
        _ = new Recurrent(new ParameterStore(), "rnn", "mut3", 13, 20);
    }
}
