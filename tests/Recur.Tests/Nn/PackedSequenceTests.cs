using Recur.Nn;
using Recur.Nn.Cells;
using Xunit;

namespace Recur.Tests.Nn;

/// <summary>
/// Per-row lengths (packed sequences) for every cell with a step form: a padded batch must give, row by row, exactly
/// what that row gives alone over its own steps: the outputs of its steps, zeros after them, the final states of its own
/// last step, and (summed over the rows) the same gradients of every parameter, of the input and of the initial state.
/// </summary>
public sealed class PackedSequenceTests
{
    public static TheoryData<string> Cells()
    {
        var d = new TheoryData<string>();
        foreach (var c in CellRegistry.All.Where(c => c.SupportsLengths)) d.Add(c.Name);
        return d;
    }

    [Theory]
    [MemberData(nameof(Cells))]
    public void APaddedBatchIsEachRowAlone(string cellName)
    {
        var cell = CellRegistry.Get(cellName);
        int T = 6, B = 3, H = 4, L = 2, I = cell.RequiresInputEqualsHidden ? H : 5;
        int[] lengths = [6, 2, 4];
        var rng = new Rng(17);
        var store = new ParameterStore();
        var rnn = new Recurrent(store, "rnn", cell, I, H, L);
        rnn.Reset(rng);
        var x = Tensor.Randn(rng, 1f, T, B, I);
        var h0 = Tensor.Randn(rng, 0.5f, L, B, H);
        var c0 = cell.HasCellState ? Tensor.Randn(rng, 0.5f, L, B, H) : null;
        var wy = Tensor.Randn(rng, 1f, T, B, H);
        var wh = Tensor.Randn(rng, 1f, L, B, H);
        var wc = Tensor.Randn(rng, 1f, L, B, H);

        var o = rnn.Forward(x, h0, c0, lengths: lengths);
        var y = o.Output.Clone(); var hn = o.HN.Clone(); var cn = o.CN?.Clone();
        store.ZeroGrad();
        var g = rnn.Backward(wy, wh, cell.HasCellState ? wc : null);
        var dx = g.DInput.Clone(); var dh0 = g.DH0.Clone(); var dc0 = g.DC0?.Clone();
        var grads = (float[])store.Grads.Clone();

        var sum = new float[store.Count];
        for (int b = 0; b < B; b++)
        {
            int n = lengths[b];
            var xb = new Tensor(n, 1, I);
            for (int t = 0; t < n; t++) x.Data.AsSpan((t * B + b) * I, I).CopyTo(xb.Data.AsSpan(t * I, I));
            Tensor Row(Tensor s) { var r = new Tensor(L, 1, H); for (int l = 0; l < L; l++) s.Data.AsSpan((l * B + b) * H, H).CopyTo(r.Data.AsSpan(l * H, H)); return r; }
            var ob = rnn.Forward(xb, Row(h0), c0 is null ? null : Row(c0));
            for (int t = 0; t < T; t++)
                for (int k = 0; k < H; k++)
                    Assert.Equal(t < n ? ob.Output.Data[t * H + k] : 0f, y.Data[(t * B + b) * H + k], 5);
            for (int l = 0; l < L; l++)
                for (int k = 0; k < H; k++)
                {
                    Assert.Equal(ob.HN.Data[l * H + k], hn.Data[(l * B + b) * H + k], 5);
                    if (cn is not null) Assert.Equal(ob.CN!.Data[l * H + k], cn.Data[(l * B + b) * H + k], 5);
                }
            var wyb = new Tensor(n, 1, H);
            for (int t = 0; t < n; t++) wy.Data.AsSpan((t * B + b) * H, H).CopyTo(wyb.Data.AsSpan(t * H, H));
            store.ZeroGrad();
            var gb = rnn.Backward(wyb, Row(wh), cell.HasCellState ? Row(wc) : null);
            for (int i = 0; i < sum.Length; i++) sum[i] += store.Grads[i];
            for (int t = 0; t < T; t++)
                for (int k = 0; k < I; k++)
                    Assert.Equal(t < n ? gb.DInput.Data[t * I + k] : 0f, dx.Data[(t * B + b) * I + k], 4);
            for (int l = 0; l < L; l++)
                for (int k = 0; k < H; k++)
                {
                    Assert.Equal(gb.DH0.Data[l * H + k], dh0.Data[(l * B + b) * H + k], 4);
                    if (dc0 is not null) Assert.Equal(gb.DC0!.Data[l * H + k], dc0.Data[(l * B + b) * H + k], 4);
                }
        }
        for (int i = 0; i < sum.Length; i++) Assert.True(Math.Abs(sum[i] - grads[i]) <= 1e-4 * Math.Max(1, Math.Abs(sum[i])), $"{cellName}: gradient {i}: rows summed {sum[i]}, packed {grads[i]}");
    }

    [Fact]
    public void LengthsAreCheckedAndScansRefuseThem()
    {
        var store = new ParameterStore();
        var lstm = new Recurrent(store, "a", "lstm", 3, 4);
        var x = new Tensor(5, 2, 3);
        Assert.Throws<ArgumentException>(() => lstm.Forward(x, lengths: [5]));
        Assert.Throws<ArgumentOutOfRangeException>(() => lstm.Forward(x, lengths: [0, 5]));
        Assert.Throws<ArgumentOutOfRangeException>(() => lstm.Forward(x, lengths: [6, 5]));
        var min = new Recurrent(store, "m", "mingru", 3, 4);
        Assert.Contains("scan", Assert.Throws<NotSupportedException>(() => min.Forward(x, lengths: [5, 3])).Message);
    }
}
