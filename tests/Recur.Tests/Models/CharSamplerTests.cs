using Recur.Data;
using Recur.Models;
using Xunit;

namespace Recur.Tests.Models;

public sealed class CharSamplerTests
{
    private static CharModel Model(string cell, int embed, int hidden, int layers, int vocab = 11, ulong seed = 3, string nonlinearity = "tanh", bool highway = false)
    {
        var m = new CharModel(new CharModelConfig { Cell = cell, Nonlinearity = nonlinearity, VocabSize = vocab, Embed = embed, Hidden = hidden, Layers = layers, Dropout = 0.3f, Highway = highway });
        var rng = new Rng(seed);
        m.Reset(rng);
        // Make every weight matter more than PyTorch's small init does, so gates saturate differently.
        // Layer-norm gains and shifts start at constants, not at a small scale: they stay.
        foreach (var p in m.Store.Parameters)
        {
            if (p.Name.Contains(".ln_", StringComparison.Ordinal)) continue;
            var v = p.Value;
            for (int i = 0; i < v.Length; i++) v[i] *= 2.5f;
        }
        return m;
    }

    /// <summary>Largest |sampler - model| over a step's logits, relative to the largest |model logit|.</summary>
    private static double CompareSequence(CharModel model, CharSampler sampler, int[] tokens)
    {
        model.ResetState();
        sampler.Reset();
        double worst = 0;
        foreach (int tok in tokens)
        {
            var reference = model.Forward([tok], 1, 1, training: false, rng: null).Data;
            sampler.Step(tok);
            var got = sampler.Logits;
            Assert.Equal(reference.Length, got.Length);
            double scale = reference.Max(Math.Abs);
            for (int i = 0; i < got.Length; i++)
                worst = Math.Max(worst, Math.Abs(got[i] - reference[i]) / scale);
        }
        return worst;
    }

    /// <summary>
    /// As <see cref="CompareSequence"/>, against one training forward over all of <paramref name="tokens"/>
    /// (one chunk, T = n) instead of n one-step chunks: a cell whose state within a chunk is more than
    /// (h, c), such as the FGR LSTM's previous gate activations, samples what that chunk computes.
    /// </summary>
    private static double CompareOneChunk(CharModel model, CharSampler sampler, int[] tokens)
    {
        model.ResetState();
        sampler.Reset();
        var reference = model.Forward(tokens, tokens.Length, 1, training: false, rng: null).Data;
        int v = reference.Length / tokens.Length;
        double worst = 0;
        for (int t = 0; t < tokens.Length; t++)
        {
            sampler.Step(tokens[t]);
            var got = sampler.Logits;
            Assert.Equal(v, got.Length);
            var row = reference.AsSpan(t * v, v);
            double scale = 0;
            foreach (float r in row) scale = Math.Max(scale, Math.Abs(r));
            for (int i = 0; i < v; i++)
                worst = Math.Max(worst, Math.Abs(got[i] - row[i]) / scale);
        }
        return worst;
    }

    private static int[] Tokens(int n, int vocab, ulong seed)
    {
        var rng = new Rng(seed);
        return Enumerable.Range(0, n).Select(_ => rng.NextInt(vocab)).ToArray();
    }

    [Theory]
    [InlineData("lstm", "tanh", 8, 24, 2)]
    [InlineData("lstm", "tanh", 0, 24, 2)]
    [InlineData("gru", "tanh", 8, 24, 2)]
    [InlineData("gru", "tanh", 0, 20, 3)]
    [InlineData("gru-cho", "tanh", 8, 24, 2)]
    [InlineData("gru-cho", "tanh", 0, 17, 2)]
    [InlineData("rnn", "tanh", 8, 24, 2)]
    [InlineData("rnn", "tanh", 0, 33, 1)]
    [InlineData("rnn", "relu", 5, 24, 3)]
    [InlineData("mut1", "tanh", 24, 24, 2)]
    [InlineData("mut1", "tanh", 0, 11, 2)] // one-hot input as wide as the hidden state (V = 11)
    [InlineData("mut2", "tanh", 24, 24, 2)]
    [InlineData("mut3", "tanh", 8, 24, 2)]
    [InlineData("rhn-d5", "tanh", 8, 24, 2)]
    [InlineData("rhn-d1", "tanh", 0, 17, 2)]
    public void LogitsEqualCharModelForwardStepByStep(string cell, string nonlinearity, int embed, int hidden, int layers)
    {
        var model = Model(cell, embed, hidden, layers, nonlinearity: nonlinearity);
        var tokens = Tokens(40, 11, 9);
        foreach (bool table in new[] { true, false })
        {
            var sampler = new CharSampler(model, 1, allowTable: table);
            Assert.Equal(table, sampler.UsesInputTable);
            double worst = CompareSequence(model, sampler, tokens);
            Assert.True(worst < 1e-5, $"{cell}/{nonlinearity} embed {embed} table {table}: max relative logit difference {worst:E2}");
        }
    }

    public static TheoryData<string> RegisteredCells() => new(Recur.Nn.Cells.CellRegistry.Names);

    [Theory]
    [MemberData(nameof(RegisteredCells))]
    public void EveryRegisteredCellSamplesWhatTrainingComputes(string cell)
    {
        // The sampler runs the cell's inference step (with the hidden units split over 2 threads), training its
        // sequence step; a new cell in the registry is checked here without a new line.
        // Cells that read their raw input need it as wide as the hidden state.
        var model = Model(cell, Recur.Nn.Cells.CellRegistry.Get(cell).RequiresInputEqualsHidden ? 272 : 6, 272, 2);
        var sampler = new CharSampler(model, 2, allowTable: true, parallelMinHidden: 64);
        Assert.Equal(2, sampler.Parts);
        double worst = CompareOneChunk(model, sampler, Tokens(12, 11, 4));
        Assert.True(worst < 1e-5, $"{cell}: max relative logit difference {worst:E2}");
    }

    [Theory]
    [InlineData("lstm", 16)]
    [InlineData("gru", 0)]
    [InlineData("gru-cho", 16)]
    [InlineData("rnn", 16)]
    [InlineData("mut1", 272)]
    [InlineData("mut2", 272)]
    [InlineData("mut3", 16)]
    [InlineData("rhn", 16)]
    [InlineData("rhn-d4", 0)]
    public void SplitAcrossThreadsIsBitIdenticalAndMatchesTheModel(string cell, int embed)
    {
        // H = 272 >= 256 splits the units over threads (two blocks, 128 + 144, the second not a multiple of 16).
        var model = Model(cell, embed, 272, 2, vocab: 13, seed: 4);
        var tokens = Tokens(12, 13, 5);
        var one = new CharSampler(model, 1);
        var two = new CharSampler(model, 2);
        Assert.Equal(1, one.Parts);
        Assert.Equal(2, two.Parts);
        foreach (int t in tokens)
        {
            one.Step(t);
            two.Step(t);
            Assert.True(one.Logits.SequenceEqual(two.Logits), $"{cell}: logits differ between 1 and 2 threads");
        }
        Assert.True(CompareSequence(model, two, tokens) < 1e-5);
    }

    [Theory]
    [InlineData("lstm", 8, 24, 3)]  // layer 0 has no highway (input 8 wide), layers 1 and 2 have
    [InlineData("gru", 24, 24, 2)]  // embedding as wide as the hidden state: layer 0 too
    [InlineData("rhn", 0, 11, 2)]   // one-hot input as wide as the hidden state (V = 11)
    [InlineData("mut1", 24, 24, 2)] // a cell that reads its raw input, and a highway around it
    public void HighwayModelsSampleWhatTrainingComputes(string cell, int embed, int hidden, int layers)
    {
        var model = Model(cell, embed, hidden, layers, highway: true);
        Assert.Equal(embed == hidden || embed == 0 && hidden == 11, model.Rnn.HighwayParameters(0) is not null);
        var tokens = Tokens(30, 11, 6);
        foreach (bool table in new[] { true, false })
        {
            var sampler = new CharSampler(model, 1, allowTable: table);
            Assert.True(CompareSequence(model, sampler, tokens) < 1e-5, $"{cell} table {table}: step by step");
            Assert.True(CompareOneChunk(model, sampler, tokens) < 1e-5, $"{cell} table {table}: one chunk");
        }
        // Without the highways the same weights give other logits: the sampler really applies them.
        var plain = Model(cell, embed, hidden, layers, highway: false);
        var a = new CharSampler(model); var b = new CharSampler(plain);
        a.Step(3); b.Step(3);
        Assert.False(a.Logits.SequenceEqual(b.Logits));
    }

    [Theory]
    [InlineData("lstm", 272)]
    [InlineData("rhn", 16)]
    public void HighwayModelsSplitAcrossThreadsBitIdentically(string cell, int embed)
    {
        var model = Model(cell, embed, 272, 2, vocab: 13, seed: 4, highway: true);
        var tokens = Tokens(10, 13, 5);
        var one = new CharSampler(model, 1);
        var two = new CharSampler(model, 2);
        Assert.Equal(2, two.Parts);
        foreach (int t in tokens)
        {
            one.Step(t);
            two.Step(t);
            Assert.True(one.Logits.SequenceEqual(two.Logits), $"{cell}: logits differ between 1 and 2 threads");
        }
        Assert.True(CompareSequence(model, two, tokens) < 1e-5);
    }

    [Fact]
    public void MutatingTheModelAfterConstructionDoesNotChangeTheSampler()
    {
        var model = Model("lstm", 8, 16, 2);
        var sampler = new CharSampler(model);
        sampler.Step(3);
        var before = sampler.Logits.ToArray();
        model.Store.Values.AsSpan().Fill(0.5f);
        sampler.Reset();
        sampler.Step(3);
        Assert.Equal(before, sampler.Logits.ToArray());
    }

    /// <summary>A model whose logits are the head bias whatever the input: all other weights zero.</summary>
    private static CharSampler ConstantLogits(float[] logits)
    {
        var model = new CharModel(new CharModelConfig { Cell = "lstm", VocabSize = logits.Length, Embed = 4, Hidden = 8, Layers = 1 });
        model.Store.Values.AsSpan().Clear();
        logits.CopyTo(model.Head.Bias!.Value);
        return new CharSampler(model);
    }

    [Fact]
    public void DrawsFollowTheTemperedSoftmaxAndTopK()
    {
        float[] logits = [1.0f, 2.0f, 0.0f, 2.5f, -1.0f];
        const int n = 40000;
        foreach (var (temperature, topK) in new[] { (1f, 0), (0.5f, 0), (2f, 0), (1f, 2), (0.7f, 3) })
        {
            var sampler = ConstantLogits(logits);
            sampler.Step(0);
            var rng = new Rng(17);
            var counts = new int[logits.Length];
            foreach (int t in sampler.Sample(n, temperature, topK, argmax: false, rng)) counts[t]++;
            var keep = Enumerable.Range(0, logits.Length).OrderByDescending(i => logits[i]).Take(topK == 0 ? logits.Length : topK).ToHashSet();
            double z = keep.Sum(i => Math.Exp(logits[i] / temperature));
            for (int i = 0; i < logits.Length; i++)
            {
                double p = keep.Contains(i) ? Math.Exp(logits[i] / temperature) / z : 0;
                double sd = Math.Sqrt(p * (1 - p) / n);
                double f = counts[i] / (double)n;
                Assert.True(Math.Abs(f - p) <= 5 * sd + 1e-9, $"T={temperature} k={topK}: token {i} frequency {f:F4}, expected {p:F4}");
            }
        }
    }

    [Fact]
    public void ArgmaxAndTopOneAgreeAndTopKKeepsLowerIdsOnTies()
    {
        var s = ConstantLogits([0.5f, 3f, 3f, 1f]);
        s.Step(0);
        Assert.Equal(1, s.Next(1f, 0, argmax: true, rng: null));
        Assert.Equal(1, s.Next(1f, 1, argmax: false, rng: new Rng(1))); // tie at the cut: lower id
        var seen = new HashSet<int>();
        var rng = new Rng(2);
        for (int i = 0; i < 200; i++) seen.Add(s.Next(1f, 2, false, rng));
        Assert.Equal(new HashSet<int> { 1, 2 }, seen);
    }

    [Fact]
    public void SamplingIsDeterministicBySeed()
    {
        var model = Model("gru", 8, 24, 2);
        string Run(ulong seed)
        {
            var s = new CharSampler(model);
            s.Prime([1, 2, 3]);
            return string.Join(",", s.Sample(60, 0.9f, 0, false, new Rng(seed)));
        }
        Assert.Equal(Run(7), Run(7));
        Assert.NotEqual(Run(7), Run(8));
    }

    [Fact]
    public void RejectsBadArguments()
    {
        var s = ConstantLogits([0f, 1f]);
        Assert.Throws<ArgumentOutOfRangeException>(() => s.Next(0f, 0, false, new Rng(1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => s.Next(-1f, 0, false, new Rng(1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => s.Next(float.NaN, 0, false, new Rng(1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => s.Sample(5, 0f, 0, false, new Rng(1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => s.Next(1f, -1, false, new Rng(1)));
        Assert.Throws<ArgumentNullException>(() => s.Next(1f, 0, false, null));
        Assert.Throws<ArgumentOutOfRangeException>(() => s.Step(2));
    }

    [Fact]
    public void PrimeWithUnseenCharactersNamesThem()
    {
        var vocab = Vocabulary.FromText("abc ");
        var model = Model("lstm", 4, 8, 1, vocab: vocab.Count);
        var s = new CharSampler(model);
        var e = Assert.Throws<UnknownCharactersException>(() => s.Prime("a bxz", vocab));
        Assert.Equal(["x", "z"], e.Characters.Select(r => r.ToString()));
        s.Prime("ab c", vocab);
        Assert.Equal(vocab.Count, s.Logits.Length);
        Assert.Equal(10, s.Sample(vocab, 10, 1f, 0, false, new Rng(3)).Count());
    }
}
