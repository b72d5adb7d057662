using Recur.Kernels;
using Recur.Nn;
using Recur.Nn.Blocks;
using Recur.Tests.TestUtil;
using Xunit;

namespace Recur.Tests.Nn.Blocks;

/// <summary>
/// What the block contract tests (context 64) do not reach: the Transformer past its context, where the window
/// slides, the ring cache wraps and positions share the table's last row; the head check; the exact GELU.
/// </summary>
public sealed class TransformerBlockTests
{
    private const int D = 12;
    private static readonly BlockOptions Short = new(Heads: 3, Context: 8, Expand: 2);

    private static (TransformerBlock Block, ParameterStore Store) Build()
    {
        var store = new ParameterStore();
        var block = (TransformerBlock)BlockRegistry.Create("transformer", store, "block", D, Short);
        block.Reset(new Rng(11));
        var rng = new Rng(12);
        var v = store.Values;
        for (int i = 0; i < store.Count; i++) v[i] += 0.3f * (rng.NextFloat() - 0.5f);
        return (block, store);
    }

    private static BlockState Warm(SequenceBlock block, int B, int T)
    {
        var s = block.NewState(B);
        block.Forward(Tensor.Randn(new Rng(13), 1f, T, B, D).Data, T, B, s, training: false, rng: null);
        return s;
    }

    private static void Near(float want, float got, string what) =>
        Assert.True(Math.Abs(got - want) <= 1e-5 + 1e-4 * Math.Abs(want), $"{what}: got {got:G9}, want {want:G9}.");

    [Fact]
    public void StepMatchesTheChunkPastTheContext()
    {
        const int T = 30, B = 2;
        var (block, _) = Build();
        var start = Warm(block, B, 5);
        var x = Tensor.Randn(new Rng(14), 1f, T, B, D).Data;
        var chunk = block.NewState(B);
        chunk.CopyFrom(start);
        var y = block.Forward(x, T, B, chunk, false, null).AsSpan(0, T * B * D).ToArray();
        var steps = block.NewState(B);
        steps.CopyFrom(start);
        var yt = new float[B * D];
        for (int t = 0; t < T; t++)
        {
            block.Step(x.AsSpan(t * B * D, B * D), yt, steps);
            for (int i = 0; i < B * D; i++) Near(y[t * B * D + i], yt[i], $"t={t} i={i}");
        }
        Assert.Equal(35, chunk.Position);
        Assert.Equal(chunk.Position, steps.Position);
        foreach (var (name, buf) in chunk.Buffers)
            for (int i = 0; i < buf.Length; i++) Near(buf[i], steps[name][i], $"state {name}[{i}]");
    }

    [Fact]
    public void ChunksSplitPastTheContextEqualTheWhole()
    {
        const int T = 27, B = 2;
        var (block, _) = Build();
        var x = Tensor.Randn(new Rng(15), 1f, T, B, D).Data;
        var whole = block.Forward(x, T, B, block.NewState(B), false, null).AsSpan(0, T * B * D).ToArray();
        var s = block.NewState(B);
        var parts = new List<float>();
        foreach (var (t0, n) in new[] { (0, 3), (3, 11), (14, 1), (15, 12) })
            parts.AddRange(block.Forward(x.AsSpan(t0 * B * D, n * B * D).ToArray(), n, B, s, false, null).AsSpan(0, n * B * D).ToArray());
        for (int i = 0; i < whole.Length; i++) Near(whole[i], parts[i], $"element {i}");
    }

    [Fact]
    public void GradientsMatchCentralDifferencesPastTheContext()
    {
        const int T = 11, B = 2;
        var (block, store) = Build();
        var start = Warm(block, B, 6); // positions 6..16: the window slides and positions reach the table's end
        var state = block.NewState(B);
        var x = Tensor.Randn(new Rng(16), 1f, T, B, D).Data;
        var r = Tensor.Randn(new Rng(17), 1f, T, B, D).Data;
        double Loss()
        {
            state.CopyFrom(start);
            return GradCheck.Dot(block.Forward(x, T, B, state, false, null), r);
        }
        Loss();
        store.ZeroGrad();
        var dx = block.Backward(r).AsSpan(0, T * B * D).ToArray();
        var grads = store.Grads.ToArray();
        foreach (var p in block.Parameters)
            GradCheck.Check(p.Name, Loss, store.Values, p.Offset, p.Length, grads.AsSpan(p.Offset, p.Length), samples: 12, h: 2e-3f);
        GradCheck.Check("dx", Loss, x, 0, x.Length, dx, samples: 40, h: 2e-3f);
        // Rows 0..5 of the table belong to the warm-up only: this chunk gives them no gradient.
        var wpe = store["block.wpe.weight"];
        Assert.All(grads.AsSpan(wpe.Offset, 6 * D).ToArray(), g => Assert.Equal(0f, g));
    }

    [Fact]
    public void RefusesAWidthTheHeadsDoNotDivide()
    {
        var e = Assert.Throws<ArgumentException>(() => BlockRegistry.Create("transformer", new ParameterStore(), "b", 10, new BlockOptions(Heads: 4)));
        Assert.Contains("not divisible by heads 4", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0.1, 0.8875370839817152)]
    [InlineData(0.5, 0.4795001221869535)]
    [InlineData(1.0, 0.15729920705028513)]
    [InlineData(2.0, 0.004677734981047265)]
    [InlineData(3.0, 2.2090496998585438e-05)]
    [InlineData(5.0, 1.5374597944280351e-12)]
    [InlineData(8.0, 1.1224297172982928e-29)]
    [InlineData(-1.5, 1.9661051464753108)]
    public void ErfcMatchesPython(double z, double want) // values: Python's math.erfc
        => Assert.True(Math.Abs(Gelu.Erfc(z) / want - 1) < 1e-9, $"erfc({z}) = {Gelu.Erfc(z):R}, want {want:R}.");

    [Fact]
    public void GeluIsTheExactErfForm()
    {
        // x Φ(x) from Python's math.erfc; the tanh approximation misses -3 by 3e-4.
        (float X, double Want)[] cases = [(-3f, -0.004049694094890287), (-1f, -0.15865525393145707), (0.5f, 0.34573123063700656), (2f, 1.9544997361036416)];
        foreach (var (x, want) in cases) Assert.True(Math.Abs(Gelu.Value(x) - want) <= 1e-7 * Math.Max(1, Math.Abs(want)), $"gelu({x}) = {Gelu.Value(x):G9}, want {want:R}.");
        for (float x = -6f; x <= 6f; x += 0.37f)
        {
            double numeric = ((double)Gelu.Value(x + 1e-2f) - Gelu.Value(x - 1e-2f)) / 2e-2;
            Assert.True(Math.Abs(Gelu.Derivative(x) - numeric) < 1e-4, $"gelu'({x}) = {Gelu.Derivative(x):G9}, differences {numeric:G9}.");
        }
    }

    [Fact]
    public void GeluArraysAgreeWithTheScalarFormsForAnyThreads()
    {
        const int n = 40_000; // many tiles and a ragged last one
        var x = Tensor.Randn(new Rng(18), 4f, n).Data;
        x[0] = 20f; x[1] = -20f; x[2] = 0f;
        var dy = Tensor.Randn(new Rng(19), 1f, n).Data;
        var y1 = new float[n]; var y2 = new float[n]; var d1 = new float[n]; var d2 = new float[n];
        Gelu.Forward(x, y1, n, 1);
        Gelu.Forward(x, y2, n, 3);
        Gelu.Backward(x, dy, d1, n, 1);
        Gelu.Backward(x, dy, d2, n, 3);
        Assert.Equal(y1, y2);
        Assert.Equal(d1, d2);
        for (int i = 0; i < n; i++)
        {
            float v = Gelu.Value(x[i]), d = dy[i] * Gelu.Derivative(x[i]);
            Assert.True(Math.Abs(y1[i] - v) <= 1e-7f * Math.Max(1f, Math.Abs(v)), $"gelu({x[i]:G9}): array {y1[i]:G9}, scalar {v:G9}.");
            Assert.True(Math.Abs(d1[i] - d) <= 1e-7f * Math.Max(1f, Math.Abs(d)), $"gelu'({x[i]:G9}): array {d1[i]:G9}, scalar {d:G9}.");
        }
        Assert.Equal(20f, y1[0]);
        Assert.Equal(0f, y1[1]);
        Assert.Equal(0f, y1[2]);
    }
}
