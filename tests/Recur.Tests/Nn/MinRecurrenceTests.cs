using Recur.Kernels;
using Recur.Nn;
using Recur.Nn.Cells;
using Xunit;
using Xunit.Abstractions;

namespace Recur.Tests.Nn;

/// <summary>
/// minGRU and minLSTM train through the log-space scan and sample through the O(1) step: the two forms
/// must compute the same function. And the scan kernel itself against a double-precision recurrence.
/// </summary>
public sealed class MinRecurrenceTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("mingru")]
    [InlineData("minlstm")]
    public void ScanAndStepAgreeOverAThousandSteps(string kind)
    {
        const int T = 1000, B = 3, I = 5, H = 16;
        var store = new ParameterStore();
        var rnn = new Recurrent(store, "rnn", kind, I, H) { Threads = 2 };
        var rng = new Rng(5);
        rnn.Reset(rng);
        var x = Tensor.Randn(rng, 1f, T, B, I);
        var h0 = Tensor.Randn(rng, 0.5f, 1, B, H);
        var scan = rnn.Forward(x, h0).Output.Data;

        var p = rnn.LayerParameters(0);
        var cell = rnn.Cell;
        int GH = cell.Gates * H;
        double worst = 0;
        for (int b = 0; b < B; b++)
        {
            var layer = new InferenceLayer(cell, H, [], null);
            h0.Data.AsSpan(b * H, H).CopyTo(layer.HPrev);
            for (int t = 0; t < T; t++)
            {
                // A = b_ih + W_ih x_t, the sampler's input projection
                p.BiasIh!.Value.CopyTo(layer.A);
                Gemv.MultiplyAdd(p.WeightIh.Value, GH, I, x.Data.AsSpan((t * B + b) * I, I), layer.A.AsSpan(0, GH));
                cell.InferUnits(layer, 0, 0, H);
                layer.Advance();
                for (int j = 0; j < H; j++)
                {
                    float want = layer.HPrev[j], got = scan[(t * B + b) * H + j];
                    // Relative to the value, floored at 0.05 (a tenth of the typical state): where h_{-1} < 0 and the
                    // candidate > 0 nearly cancel, both forms round the two terms, not their small difference.
                    double rel = Math.Abs(got - want) / Math.Max(Math.Abs(want), 0.05);
                    worst = Math.Max(worst, rel);
                    Assert.True(rel <= 1e-5, $"{kind} t={t} b={b} j={j}: scan {got:G9}, step {want:G9} (relative {rel:E2}).");
                }
            }
        }
        output.WriteLine($"{kind}: worst relative difference over {T} steps {worst:E2}");
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(31, 2)]
    [InlineData(32, 1)]
    [InlineData(33, 3)]
    [InlineData(200, 2)]
    public void ScanMatchesTheRecurrenceInDoublePrecision(int T, int threads)
    {
        const int N = 37;
        var rng = new Rng((ulong)T);
        var la = new float[T * N];
        var lb = new float[T * N];
        for (int i = 0; i < la.Length; i++) { la[i] = -2f * rng.NextFloat(); lb[i] = 3f * rng.NextFloat() - 2f; }
        var h0 = Enumerable.Range(0, N).Select(i => (float)(i % 5) - 2f).ToArray(); // signs mixed, zeros too
        var want = new double[T * N];
        for (int n = 0; n < N; n++)
        {
            double h = h0[n];
            for (int t = 0; t < T; t++) want[t * N + n] = h = Math.Exp(la[t * N + n]) * h + Math.Exp(lb[t * N + n]);
        }
        var got = new float[T * N];
        LogSpaceScan.Forward(la.ToArray(), lb.ToArray(), h0, got, T, N, threads);
        for (int i = 0; i < got.Length; i++)
            Assert.True(Math.Abs(got[i] - want[i]) <= 2e-6 * Math.Abs(want[i]) + 1e-6, $"element {i}: scan {got[i]:G9}, recurrence {want[i]:G9}.");

        // Thread count changes no bit.
        var one = new float[T * N];
        LogSpaceScan.Forward(la.ToArray(), lb.ToArray(), h0, one, T, N, 1);
        Assert.Equal(one, got);
    }

    [Fact]
    public void ScanDetectsAWrongCoefficient()
    {
        const int T = 40, N = 4;
        var la = Enumerable.Repeat(-0.1f, T * N).ToArray();
        var lb = Enumerable.Repeat(-1f, T * N).ToArray();
        var h0 = new float[N];
        var a = new float[T * N];
        LogSpaceScan.Forward(la.ToArray(), lb.ToArray(), h0, a, T, N, 1);
        lb[35 * N] = -0.5f; // one step's drive changed: that unit differs from step 35 on, the others never
        var b = new float[T * N];
        LogSpaceScan.Forward(la, lb, h0, b, T, N, 1);
        Assert.Equal(a[34 * N], b[34 * N]);
        Assert.NotEqual(a[35 * N], b[35 * N]);
        Assert.NotEqual(a[39 * N], b[39 * N]);
        Assert.Equal(a[39 * N + 1], b[39 * N + 1]);
    }
}
