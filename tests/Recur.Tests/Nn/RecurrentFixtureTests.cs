using System.Globalization;
using Recur.IO;
using Recur.Nn;
using Recur.Nn.Cells;
using Recur.Tests.TestUtil;
using Xunit;
using Xunit.Abstractions;

namespace Recur.Tests.Nn;

/// <summary>
/// <see cref="Recurrent"/> against PyTorch: each file under Fixtures/rnn (written by
/// Fixtures/make_rnn_fixtures.py) holds float32 inputs and weights, and PyTorch's float64 forward
/// outputs and gradients of <c>L = sum(y*dy) + sum(h_n*dhn) + sum(c_n*dcn)</c> rounded to float32.
/// Every tensor must agree to <c>1e-5 * max(1, max|reference|) + 1e-4 * |reference|</c>, element by element.
/// </summary>
public sealed class RecurrentFixtureTests(ITestOutputHelper output)
{
    private const double RTol = 1e-4, ATol = 1e-5;

    private static string FixtureDir => Path.Combine(AppContext.BaseDirectory, "Fixtures", "rnn");

    /// <summary>Every fixture file, by name.</summary>
    public static TheoryData<string> Files()
    {
        var data = new TheoryData<string>();
        foreach (var f in Directory.GetFiles(FixtureDir, "*.safetensors").Select(Path.GetFileName).Order(StringComparer.Ordinal))
            data.Add(f!);
        return data;
    }

    /// <summary>Every registered cell name.</summary>
    public static TheoryData<string> CellNames()
    {
        var data = new TheoryData<string>();
        foreach (var n in CellRegistry.Names) data.Add(n);
        return data;
    }

    [Fact]
    public void FixturesCoverEveryCellKind()
    {
        var kinds = Directory.GetFiles(FixtureDir, "*.safetensors")
            .Select(f => Load(Path.GetFileName(f)).Kind).ToHashSet();
        foreach (var k in CellRegistry.Names)
            Assert.True(kinds.Contains(k), $"no fixture in {FixtureDir} for {k}; run tests/Recur.Tests/Fixtures/make_rnn_fixtures.py.");
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void ForwardAndBackwardMatchPyTorch(string file)
    {
        var fx = Load(file);
        var report = fx.Compare(Run(fx, kindOverride: null, threads: 1));
        output.WriteLine(report.ToString());
        report.AssertAll();
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void ThreadCountDoesNotChangeAnyBit(string file)
    {
        var fx = Load(file);
        var one = Run(fx, null, threads: 1);
        var two = Run(fx, null, threads: 2);
        foreach (var (name, a) in one.All())
        {
            var b = two.All().Single(p => p.Name == name).Values;
            Assert.Equal(a.Length, b.Length);
            for (int i = 0; i < a.Length; i++)
                Assert.True(BitConverter.SingleToInt32Bits(a[i]) == BitConverter.SingleToInt32Bits(b[i]),
                    $"{file}: {name}[{i}] differs between Threads = 1 ({a[i]:G9}) and Threads = 2 ({b[i]:G9}).");
        }
    }

    /// <summary>
    /// Bit-identical results for Threads = 1, 2 and 3 at a size where the layer's GEMMs really split
    /// (more than 2*64^3 flops each), two layers, batch-first, in training with dropout.
    /// </summary>
    [Theory]
    [MemberData(nameof(CellNames))]
    public void ThreadCountDoesNotChangeAnyBitAtParallelSizes(string kind)
    {
        const int T = 16, B = 16, H = 64, L = 2;
        var cell = CellRegistry.Get(kind);
        int I = cell.RequiresInputEqualsHidden ? H : 48;
        float[]? reference = null;
        foreach (int threads in new[] { 1, 2, 3 })
        {
            var store = new ParameterStore();
            var rnn = new Recurrent(store, "rnn", kind, I, H, L, bias: true, batchFirst: true, dropout: 0.2f) { Threads = threads };
            var rng = new Rng(42);
            rnn.Reset(rng);
            var x = Tensor.Randn(rng, 1f, B, T, I);
            var h0 = Tensor.Randn(rng, 0.5f, L, B, H);
            var c0 = cell.HasCellState ? Tensor.Randn(rng, 0.5f, L, B, H) : null;
            var dy = Tensor.Randn(rng, 1f, B, T, H);
            var dhn = Tensor.Randn(rng, 1f, L, B, H);
            var dcn = cell.HasCellState ? Tensor.Randn(rng, 1f, L, B, H) : null;
            var o = rnn.Forward(x, h0, c0, training: true, rng: new Rng(7));
            var all = new List<float>();
            all.AddRange(o.Output.Data); all.AddRange(o.HN.Data);
            if (o.CN is not null) all.AddRange(o.CN.Data);
            store.ZeroGrad();
            var g = rnn.Backward(dy, dhn, dcn);
            all.AddRange(g.DInput.Data); all.AddRange(g.DH0.Data);
            if (g.DC0 is not null) all.AddRange(g.DC0.Data);
            all.AddRange(store.Grads);
            var now = all.ToArray();
            if (reference is null) { reference = now; continue; }
            Assert.Equal(reference.Length, now.Length);
            for (int i = 0; i < now.Length; i++)
                Assert.True(BitConverter.SingleToInt32Bits(reference[i]) == BitConverter.SingleToInt32Bits(now[i]),
                    $"{kind}: element {i} of (y, h_n, c_n, dx, dh0, dc0, grads) differs between Threads = 1 ({reference[i]:G9}) and Threads = {threads} ({now[i]:G9}).");
        }
    }

    /// <summary>
    /// The comparison can fail: the reset-after GRU's fixture run as the reset-before cell (same
    /// parameters, different math), or with one weight nudged by 1e-3, must be rejected.
    /// </summary>
    [Fact]
    public void ComparisonRejectsWrongMath()
    {
        var fx = Load("gru_l2.safetensors");
        Assert.True(fx.Compare(Run(fx, null, 1)).AllPassed, "baseline case must pass for this control to mean anything.");
        var wrong = fx.Compare(Run(fx, "gru-cho", 1));
        output.WriteLine(wrong.ToString());
        Assert.False(wrong.AllPassed,
            "gru_l2 run as GruResetBefore was accepted: the fixture comparison cannot tell the two GRU forms apart.");

        var lstm = Load("lstm_l2_bf.safetensors");
        var w = lstm.Tensors["weight_hh_l1"];
        float saved = w.Data[3];
        w.Data[3] += 1e-3f;
        try
        {
            var nudged = lstm.Compare(Run(lstm, null, 1));
            output.WriteLine(nudged.ToString());
            Assert.False(nudged.AllPassed,
                "nudging weight_hh_l1[3] by 1e-3 went unnoticed: the tolerance is too loose.");
        }
        finally { w.Data[3] = saved; }

        // A highway stack whose gate's weights are nudged must be rejected too (the gate is really compared).
        var hw = Load("lstm_highway_l3_bf_in_eq_h.safetensors");
        Assert.True(hw.Highway);
        Assert.True(hw.Compare(Run(hw, null, 1)).AllPassed, "the highway baseline must pass for this control to mean anything.");
        var wg = hw.Tensors["highway_weight_l0"];
        float keep = wg.Data[5];
        wg.Data[5] += 1e-3f;
        try
        {
            var nudged = hw.Compare(Run(hw, null, 1));
            output.WriteLine(nudged.ToString());
            Assert.False(nudged.AllPassed, "nudging highway_weight_l0[5] by 1e-3 went unnoticed.");
        }
        finally { wg.Data[5] = keep; }
    }

    // ------------------------------------------------------------------ helpers

    private sealed record Fixture(string Name, string Kind, int Layers, bool BatchFirst, bool Bias,
        int InputSize, int HiddenSize, IReadOnlyDictionary<string, Tensor> Tensors, IReadOnlyList<string> ParameterNames)
    {
        /// <summary>Highway connections between the layers (make_highway_fixtures.py's files say so; the others do not).</summary>
        public bool Highway { get; init; }

        public Tensor this[string name] => Tensors.TryGetValue(name, out var t) ? t
            : throw new InvalidDataException($"{Name}: fixture has no tensor '{name}' (has: {string.Join(", ", Tensors.Keys)}).");

        public Tensor? Optional(string name) => Tensors.TryGetValue(name, out var t) ? t : null;

        public bool HasC => CellRegistry.Get(Kind).HasCellState;

        public FixtureAssert.Report Compare(Result r)
        {
            var rep = new FixtureAssert.Report($"{Name} ({Kind}, layers {Layers}, batchFirst {BatchFirst}, bias {Bias}{(Highway ? ", highway" : "")})", RTol, ATol);
            rep.AddScaled("y", r.Y, this["y"]);
            rep.AddScaled("h_n", r.HN, this["hn"]);
            if (HasC) rep.AddScaled("c_n", r.CN, this["cn"]);
            rep.AddScaled("dx", r.DX, this["dx"]);
            rep.AddScaled("dh0", r.DH0, this["dh0"]);
            if (HasC) rep.AddScaled("dc0", r.DC0, this["dc0"]);
            foreach (var p in ParameterNames)
                rep.AddScaled("grad." + p, r.ParamGrads[p], this["grad." + p]);
            return rep;
        }
    }

    private sealed record Result(Tensor Y, Tensor HN, Tensor? CN, Tensor DX, Tensor DH0, Tensor? DC0, Dictionary<string, Tensor> ParamGrads)
    {
        public IEnumerable<(string Name, float[] Values)> All()
        {
            yield return ("y", Y.Data);
            yield return ("h_n", HN.Data);
            if (CN is not null) yield return ("c_n", CN.Data);
            yield return ("dx", DX.Data);
            yield return ("dh0", DH0.Data);
            if (DC0 is not null) yield return ("dc0", DC0.Data);
            foreach (var (n, g) in ParamGrads.OrderBy(p => p.Key, StringComparer.Ordinal)) yield return ("grad." + n, g.Data);
        }
    }

    private static Fixture Load(string file)
    {
        string path = Path.Combine(FixtureDir, file);
        var st = SafeTensors.Read(path);
        string Meta(string key) => st.Metadata.TryGetValue(key, out var v) ? v
            : throw new InvalidDataException($"{file}: __metadata__ has no '{key}'.");
        int Int(string key) => int.Parse(Meta(key), NumberStyles.Integer, CultureInfo.InvariantCulture);
        bool Bool(string key) => Meta(key) switch
        {
            "true" => true,
            "false" => false,
            var s => throw new InvalidDataException($"{file}: __metadata__ '{key}' is '{s}', expected true or false."),
        };
        var kind = Meta("kind") switch
        {
            "rnn_tanh" => "rnn",
            "rnn_relu" => "rnn-relu",
            "lstm" => "lstm",
            "gru" => "gru",
            "gru_reset_before" => "gru-cho",
            var s when CellRegistry.Find(s) is not null => s, // the zoo's fixtures (make_zoo_fixtures.py) use registry names
            var s => throw new InvalidDataException($"{file}: unknown kind '{s}'."),
        };
        var names = st.Names.Where(n => n.StartsWith("grad.", StringComparison.Ordinal)).Select(n => n["grad.".Length..]).ToList();
        return new Fixture(file, kind, Int("num_layers"), Bool("batch_first"), Bool("bias"), Int("input_size"), Int("hidden_size"),
            st.Tensors, names) { Highway = st.Metadata.ContainsKey("highway") && Bool("highway") };
    }

    /// <summary>Builds the layer the fixture describes (optionally as another cell kind), loads its weights, runs forward and backward.</summary>
    private static Result Run(Fixture fx, string? kindOverride, int threads)
    {
        var store = new ParameterStore();
        var rnn = new Recurrent(store, "rnn", kindOverride ?? fx.Kind, fx.InputSize, fx.HiddenSize, fx.Layers, fx.Bias, fx.BatchFirst, 0f, fx.Highway)
        {
            Threads = threads,
        };
        // The layer registers exactly the fixture's parameters, with PyTorch's names and shapes.
        var registered = store.Parameters.Select(p => p.Name).ToList();
        Assert.Equal(fx.ParameterNames.Select(n => "rnn." + n), registered);
        foreach (var p in store.Parameters)
        {
            // Poison the arena first so a parameter the copy misses cannot pass by accident.
            p.Value.Fill(float.NaN);
            p.CopyFrom(fx[p.Name["rnn.".Length..]]);
        }
        bool hasC = rnn.Cell.HasCellState;
        var outp = rnn.Forward(fx["x"], fx["h0"], hasC ? fx["c0"] : null, training: false);
        var y = outp.Output.Clone();
        var hn = outp.HN.Clone();
        var cn = outp.CN?.Clone();

        store.ZeroGrad();
        var g = rnn.Backward(fx["dy"], fx["dhn"], hasC ? fx["dcn"] : null);
        var grads = store.Parameters.ToDictionary(p => p.Name["rnn.".Length..], p => new Tensor(p.Grad.ToArray(), p.Shape));
        return new Result(y, hn, cn, g.DInput.Clone(), g.DH0.Clone(), g.DC0?.Clone(), grads);
    }
}
