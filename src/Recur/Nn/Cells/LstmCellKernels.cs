using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Recur.Kernels;
using static Recur.Kernels.FastMath;

namespace Recur.Nn.Cells;

/// <summary>
/// The LSTM cell's elementwise work for one batch row, fused into one pass over the hidden units:
/// forward (gate nonlinearities, cell and hidden state) and backward (gate pre-activation gradients and
/// the carried cell gradient). Each unit's four gates sit at <c>j</c>, <c>H + j</c>, <c>2H + j</c> and
/// <c>3H + j</c> of the row (PyTorch's i, f, g, o order).
/// <para>
/// The nonlinearities are <see cref="FastMath"/>'s single-precision ones. The general-purpose
/// <c>TensorPrimitives</c> versions compute in double precision and take one pass per operation; this
/// pass reads and writes each value once.
/// </para>
/// </summary>
internal static class LstmCellKernels
{
    /// <summary>
    /// <paramref name="gates"/> (4H) holds the pre-activations and receives the activations i, f, g, o;
    /// writes <c>c = f * cprev + i * g</c>, <c>tanh(c)</c> and <c>h = o * tanh(c)</c>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static unsafe void Forward(Span<float> gates, ReadOnlySpan<float> cprev, Span<float> c, Span<float> tanhC, Span<float> h, int H)
    {
        fixed (float* g = gates, cp = cprev, cc = c, tc = tanhC, hh = h)
            ForwardUnits(g, H, cp, cc, tc, hh, H);
    }

    /// <summary>
    /// Units <c>[j0, j0 + n)</c> of one row for inference (the sampler): <paramref name="gates"/> (4H)
    /// receives the activations, <paramref name="c"/> (n) is updated in place and <paramref name="h"/>
    /// (n) receives the new hidden state. Same arithmetic as <see cref="Forward"/>.
    /// </summary>
    public static unsafe void ForwardInPlace(Span<float> gates, int H, int j0, int n, Span<float> c, Span<float> h)
    {
        if ((uint)j0 > (uint)H || (uint)n > (uint)(H - j0) || gates.Length < 4 * H || c.Length < n || h.Length < n)
            throw new ArgumentException($"units [{j0}, {j0 + n}) of a {H}-unit cell do not fit the spans ({gates.Length}, {c.Length}, {h.Length}).");
        fixed (float* g = gates, cc = c, hh = h)
            ForwardUnits(g + j0, H, cc, cc, null, hh, n);
    }

    /// <summary>
    /// Gate i of unit j at <c>g[j]</c>, f at <c>g[H + j]</c>, g at <c>g[2H + j]</c>, o at <c>g[3H + j]</c>;
    /// <paramref name="tc"/> may be null.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void ForwardUnits(float* g, int H, float* cp, float* cc, float* tc, float* hh, int n)
    {
        int j = 0;
        if (IsVectorized)
        {
            for (; j + 8 <= n; j += 8)
            {
                var i = Sigmoid(Avx.LoadVector256(g + j));
                var f = Sigmoid(Avx.LoadVector256(g + H + j));
                var gg = Tanh(Avx.LoadVector256(g + 2 * H + j));
                var o = Sigmoid(Avx.LoadVector256(g + 3 * H + j));
                Avx.Store(g + j, i); Avx.Store(g + H + j, f); Avx.Store(g + 2 * H + j, gg); Avx.Store(g + 3 * H + j, o);
                var cv = Fma.MultiplyAdd(i, gg, f * Avx.LoadVector256(cp + j));
                var t = Tanh(cv);
                Avx.Store(cc + j, cv);
                if (tc != null) Avx.Store(tc + j, t);
                Avx.Store(hh + j, o * t);
            }
        }
        for (; j < n; j++)
        {
            float i = Sigmoid(g[j]), f = Sigmoid(g[H + j]), gg = Tanh(g[2 * H + j]), o = Sigmoid(g[3 * H + j]);
            g[j] = i; g[H + j] = f; g[2 * H + j] = gg; g[3 * H + j] = o;
            float cv = MathF.FusedMultiplyAdd(i, gg, f * cp[j]);
            float t = Tanh(cv);
            cc[j] = cv;
            if (tc != null) tc[j] = t;
            hh[j] = o * t;
        }
    }

    /// <summary>
    /// From the activations <paramref name="gates"/> (4H), <c>tanh(c)</c>, <c>cprev</c>, the hidden-state
    /// gradient <paramref name="dh"/> and the carried cell gradient <paramref name="dc"/>, writes the
    /// pre-activation gradients to <paramref name="dGates"/> (4H) and replaces <paramref name="dc"/> with
    /// the gradient for the previous cell state.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static unsafe void Backward(ReadOnlySpan<float> gates, ReadOnlySpan<float> tanhC, ReadOnlySpan<float> cprev,
        ReadOnlySpan<float> dh, Span<float> dc, Span<float> dGates, int H)
    {
        fixed (float* g = gates, tc = tanhC, cp = cprev, dhp = dh, dcp = dc, d = dGates)
        {
            int j = 0;
            if (IsVectorized)
            {
                var one = Vector256.Create(1f);
                for (; j + 8 <= H; j += 8)
                {
                    var o = Avx.LoadVector256(g + 3 * H + j);
                    var t = Avx.LoadVector256(tc + j);
                    var dhj = Avx.LoadVector256(dhp + j);
                    var dcj = Fma.MultiplyAdd(dhj * o, one - t * t, Avx.LoadVector256(dcp + j));
                    var i = Avx.LoadVector256(g + j);
                    var f = Avx.LoadVector256(g + H + j);
                    var gg = Avx.LoadVector256(g + 2 * H + j);
                    Avx.Store(d + 3 * H + j, dhj * t * o * (one - o));
                    Avx.Store(d + j, dcj * gg * i * (one - i));
                    Avx.Store(d + 2 * H + j, dcj * i * (one - gg * gg));
                    Avx.Store(d + H + j, dcj * Avx.LoadVector256(cp + j) * f * (one - f));
                    Avx.Store(dcp + j, dcj * f);
                }
            }
            for (; j < H; j++)
            {
                float o = g[3 * H + j], t = tc[j], dhj = dhp[j];
                float dcj = MathF.FusedMultiplyAdd(dhj * o, 1f - t * t, dcp[j]);
                float i = g[j], f = g[H + j], gg = g[2 * H + j];
                d[3 * H + j] = dhj * t * o * (1f - o);
                d[j] = dcj * gg * i * (1f - i);
                d[2 * H + j] = dcj * i * (1f - gg * gg);
                d[H + j] = dcj * cp[j] * f * (1f - f);
                dcp[j] = dcj * f;
            }
        }
    }
}
