using System.Globalization;
using Recur.IO;
using Recur.Nn;
using Recur.Tests.TestUtil;
using Xunit;

namespace Recur.Tests.Nn;

/// <summary>
/// Packed and bidirectional stacks against PyTorch (Fixtures/make_packed_fixtures.py: nn.LSTM and nn.GRU on
/// pack_padded_sequence batches, 1 and 2 layers): outputs (0 on padding), final states in PyTorch's order, and the
/// gradients of the input, the initial states and every parameter (PyTorch's names, "_reverse" included), within 1e-4.
/// </summary>
public sealed class PackedFixtureTests
{
    private static string Dir => Path.Combine(AppContext.BaseDirectory, "Fixtures", "packed");

    public static TheoryData<string> Files() => FixtureFiles.In("packed");

    [Theory]
    [MemberData(nameof(Files))]
    public void MatchesPyTorch(string file)
    {
        var st = SafeTensors.Read(Path.Combine(Dir, file));
        var t = st.Tensors;
        string kind = st.Metadata["kind"];
        int layers = int.Parse(st.Metadata["layers"], CultureInfo.InvariantCulture), H = int.Parse(st.Metadata["hidden"], CultureInfo.InvariantCulture);
        bool bi = st.Metadata["bidirectional"] == "true";
        var x = t["x"];
        int[]? lengths = t.TryGetValue("lengths", out var lt) ? lt.Data.Select(v => (int)v).ToArray() : null;
        var store = new ParameterStore();
        Func<RecurrentOutput> forward;
        Func<Tensor, Tensor, Tensor?, RecurrentGrads> backward;
        bool lstm = kind == "lstm";
        var c0 = lstm ? t["c0"] : null;
        if (bi)
        {
            var m = new BiRecurrent(store, "rnn", kind, x.Shape[2], H, layers);
            forward = () => m.Forward(x, t["h0"], c0, lengths: lengths);
            backward = m.Backward;
        }
        else
        {
            var m = new Recurrent(store, "rnn", kind, x.Shape[2], H, layers);
            forward = () => m.Forward(x, t["h0"], c0, lengths: lengths);
            backward = (dy, dh, dc) => m.Backward(dy, dh, dc);
        }
        Assert.Equal(t.Keys.Count(k => k.StartsWith("grad.", StringComparison.Ordinal)), store.Parameters.Count);
        foreach (var p in store.Parameters) p.CopyFrom(t[p.Name["rnn.".Length..]]);
        var report = new FixtureAssert.Report(file, 1e-4, 1e-4);
        var o = forward();
        report.Add("out", o.Output.Clone(), t["out"]);
        report.Add("h_n", o.HN.Clone(), t["h_n"]);
        if (lstm) report.Add("c_n", o.CN!.Clone(), t["c_n"]);
        store.ZeroGrad();
        var g = backward(t["wy"], t["wh"], lstm ? t["wc"] : null);
        report.Add("dx", g.DInput.Clone(), t["dx"]);
        report.Add("dh0", g.DH0.Clone(), t["dh0"]);
        if (lstm) report.Add("dc0", g.DC0!.Clone(), t["dc0"]);
        foreach (var p in store.Parameters) report.Add("grad." + p.Name, p.Grad, p.Shape, t["grad." + p.Name["rnn.".Length..]]);
        report.AssertAll();
    }

    [Fact]
    public void ReversalWithinLengthsIsItsOwnInverse()
    {
        var x = Tensor.Randn(new Rng(2), 1f, 5, 3, 2);
        int[] lengths = [5, 2, 3];
        var back = BiRecurrent.Reverse(BiRecurrent.Reverse(x, lengths), lengths);
        for (int b = 0; b < 3; b++)
            for (int s = 0; s < 5; s++)
                for (int k = 0; k < 2; k++)
                    Assert.Equal(s < lengths[b] ? x.Data[(s * 3 + b) * 2 + k] : 0f, back.Data[(s * 3 + b) * 2 + k]);
        var r = BiRecurrent.Reverse(x, lengths);
        Assert.Equal(x.Data[(1 * 3 + 1) * 2], r.Data[(0 * 3 + 1) * 2]); // row 1 (length 2): step 0 of the reverse is step 1
    }
}
