using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Recur.Kernels;

namespace Recur.Nn.Blocks;

/// <summary>
/// Mamba's selective scan over a time-major chunk and its reverse (<see cref="MambaBlock"/> has the equations),
/// for channels <c>Di</c> and state size <c>N</c>:
/// <c>h_t[n] = exp(delta_t ⊙ A[n]) ⊙ h_{t-1}[n] + (delta_t ⊙ x_t) B_t[n]</c>, <c>y_t = sum_n C_t[n] h_t[n]</c>.
/// A row's state is stored <c>(N, Di)</c> (the state index outermost), so every operation is one vector
/// operation over the <c>Di</c> channels; <c>A</c> comes transposed, <c>At (N, Di)</c>. Inputs are rows of
/// <c>n = T B</c>: <c>delta, x (n, Di)</c>; <c>B_t</c> and <c>C_t</c> are read from the <c>x_proj</c> output
/// <c>dbl (n, R + 2N)</c> at columns <c>R</c> and <c>R + N</c>.
/// <para>
/// Memory: the forward keeps the state only at the start of every <see cref="Segment"/> steps
/// (checkpoints <c>(ceil(T/S), B, N, Di)</c>); the backward recomputes one segment's states at a time, with the
/// same arithmetic, and runs the reverse recurrence through it. Sequential over time, one thread.
/// </para>
/// </summary>
internal static class SelectiveScan
{
    /// <summary>Steps between stored states.</summary>
    public const int Segment = 16;

    /// <summary>Checkpoint slots a chunk of <paramref name="T"/> steps needs.</summary>
    public static int Segments(int T) => (T + Segment - 1) / Segment;

    /// <summary>
    /// The scan from <paramref name="h"/> <c>(B, N, Di)</c>, left at the chunk's end state; writes
    /// <c>y (n, Di)</c> (the <c>C h</c> part only) and the checkpoints <c>(Segments(T), B, N, Di)</c>.
    /// <paramref name="tmp"/> holds at least <c>Di</c>.
    /// </summary>
    public static void Forward(ReadOnlySpan<float> delta, ReadOnlySpan<float> x, ReadOnlySpan<float> dbl, int R, int N,
        ReadOnlySpan<float> at, Span<float> h, Span<float> y, Span<float> checkpoints, int T, int B, int Di, Span<float> tmp)
    {
        int P = R + 2 * N, S = N * Di;
        for (int t = 0; t < T; t++)
        {
            if (t % Segment == 0) h.Slice(0, B * S).CopyTo(checkpoints.Slice(t / Segment * B * S, B * S));
            for (int b = 0; b < B; b++)
            {
                int r = t * B + b;
                var hb = h.Slice(b * S, S);
                var yr = y.Slice(r * Di, Di);
                yr.Clear();
                StepRow(delta.Slice(r * Di, Di), x.Slice(r * Di, Di), dbl.Slice(r * P + R, N), dbl.Slice(r * P + R + N, N),
                    at, hb, hb, yr, N, Di, tmp);
            }
        }
    }

    /// <summary>
    /// One row's step: <c>hOut[n] = exp(delta ⊙ At[n]) ⊙ hPrev[n] + (delta ⊙ x) bm[n]</c> (in place allowed) and,
    /// unless <paramref name="y"/> is empty, <c>y += cm[n] hOut[n]</c>. One fused pass per state index: 256-bit
    /// vectors with <see cref="FastMath.Exp(Vector256{float})"/>, the tail in the same arithmetic in scalar form.
    /// </summary>
    private static unsafe void StepRow(ReadOnlySpan<float> delta, ReadOnlySpan<float> x, ReadOnlySpan<float> bm, ReadOnlySpan<float> cm,
        ReadOnlySpan<float> at, ReadOnlySpan<float> hPrev, Span<float> hOut, Span<float> y, int N, int Di, Span<float> tmp)
    {
        var dxs = tmp.Slice(0, Di);
        TensorPrimitives.Multiply(delta, x, dxs);
        bool hasY = !y.IsEmpty;
        fixed (float* pd = delta, pdx = dxs, pat = at, php = hPrev, pho = hOut, py = y)
            for (int n = 0; n < N; n++)
            {
                float* an = pat + n * Di, hp = php + n * Di, ho = pho + n * Di;
                float bn = bm[n], cn = cm[n];
                int i = 0;
                if (FastMath.IsVectorized)
                {
                    var vb = Vector256.Create(bn); var vc = Vector256.Create(cn);
                    for (; i + 8 <= Di; i += 8)
                    {
                        var a = FastMath.Exp(Avx.LoadVector256(pd + i) * Avx.LoadVector256(an + i));
                        var h = Fma.MultiplyAdd(a, Avx.LoadVector256(hp + i), Avx.LoadVector256(pdx + i) * vb);
                        Avx.Store(ho + i, h);
                        if (hasY) Avx.Store(py + i, Fma.MultiplyAdd(h, vc, Avx.LoadVector256(py + i)));
                    }
                }
                for (; i < Di; i++)
                {
                    float a = FastMath.Exp(pd[i] * an[i]);
                    float h = MathF.FusedMultiplyAdd(a, hp[i], pdx[i] * bn);
                    ho[i] = h;
                    if (hasY) py[i] = MathF.FusedMultiplyAdd(h, cn, py[i]);
                }
            }
    }

    /// <summary>
    /// The reverse recurrence. <paramref name="dy"/> <c>(n, Di)</c> is <c>dL/dy_t</c> for the <c>C h</c> part;
    /// writes <c>ddelta (n, Di)</c> and the <c>B</c>, <c>C</c> columns of <c>ddbl (n, R + 2N)</c>; accumulates (+=)
    /// <c>dx (n, Di)</c> and <c>dAt (N, Di)</c>. <paramref name="hseg"/> holds <c>(Segment, B, N, Di)</c>,
    /// <paramref name="carry"/> <c>(B, N, Di)</c>, <paramref name="tmp"/> at least <c>Di</c>.
    /// With <c>g_t = dL/dh_t</c>, <c>a_t = exp(delta_t A)</c>, <c>q_t = a_t ⊙ h_{t-1}</c>:
    /// <c>g_t = C_t dy_t + a_{t+1} ⊙ g_{t+1}</c>; <c>dC_t = sum_c dy_t h_t</c>; <c>dA += g ⊙ delta ⊙ q</c>;
    /// <c>ddelta += sum_n g ⊙ (A ⊙ q + B_t x_t)</c>; <c>dB_t = sum_c g ⊙ delta ⊙ x</c>; <c>dx += sum_n g ⊙ delta B_t</c>.
    /// </summary>
    public static void Backward(ReadOnlySpan<float> delta, ReadOnlySpan<float> x, ReadOnlySpan<float> dbl, int R, int N,
        ReadOnlySpan<float> at, ReadOnlySpan<float> checkpoints, ReadOnlySpan<float> dy,
        Span<float> ddelta, Span<float> ddbl, Span<float> dx, Span<float> dAt,
        Span<float> hseg, Span<float> carry, int T, int B, int Di, Span<float> tmp)
    {
        int P = R + 2 * N, S = N * Di;
        carry.Slice(0, B * S).Clear();
        for (int s = Segments(T) - 1; s >= 0; s--)
        {
            int t0 = s * Segment, t1 = Math.Min(T, t0 + Segment);
            var ck = checkpoints.Slice(s * B * S, B * S);
            for (int t = t0; t < t1; t++)
                for (int b = 0; b < B; b++)
                {
                    int r = t * B + b;
                    ReadOnlySpan<float> prev = t == t0 ? ck.Slice(b * S, S) : hseg.Slice(((t - 1 - t0) * B + b) * S, S);
                    StepRow(delta.Slice(r * Di, Di), x.Slice(r * Di, Di), dbl.Slice(r * P + R, N), dbl.Slice(r * P + R + N, N),
                        at, prev, hseg.Slice(((t - t0) * B + b) * S, S), [], N, Di, tmp);
                }
            for (int t = t1 - 1; t >= t0; t--)
                for (int b = 0; b < B; b++)
                {
                    int r = t * B + b;
                    ReadOnlySpan<float> prev = t == t0 ? ck.Slice(b * S, S) : hseg.Slice(((t - 1 - t0) * B + b) * S, S);
                    ReadOnlySpan<float> cur = hseg.Slice(((t - t0) * B + b) * S, S);
                    BackwardRow(delta.Slice(r * Di, Di), x.Slice(r * Di, Di), dbl.Slice(r * P + R, N), dbl.Slice(r * P + R + N, N),
                        at, prev, cur, dy.Slice(r * Di, Di), ddelta.Slice(r * Di, Di), ddbl.Slice(r * P + R, N),
                        ddbl.Slice(r * P + R + N, N), dx.Slice(r * Di, Di), dAt, carry.Slice(b * S, S), N, Di);
                }
        }
    }

    /// <summary>
    /// One row's reverse step; <paramref name="carry"/> comes in as <c>a_{t+1} ⊙ g_{t+1}</c> and leaves as <c>a_t ⊙ g_t</c>.
    /// One fused pass per state index (vectors and a scalar tail, as <see cref="StepRow"/>); the two sums over channels
    /// (<c>dC</c>, <c>dB</c>) add the vector lanes in a fixed order.
    /// </summary>
    private static unsafe void BackwardRow(ReadOnlySpan<float> delta, ReadOnlySpan<float> x, ReadOnlySpan<float> bm, ReadOnlySpan<float> cm,
        ReadOnlySpan<float> at, ReadOnlySpan<float> hPrev, ReadOnlySpan<float> hCur, ReadOnlySpan<float> dy,
        Span<float> ddelta, Span<float> dbm, Span<float> dcm, Span<float> dx, Span<float> dAt, Span<float> carry,
        int N, int Di)
    {
        ddelta.Clear();
        fixed (float* pd = delta, px = x, pat = at, php = hPrev, phc = hCur, pdy = dy, pdd = ddelta, pdx = dx, pdat = dAt, pg = carry)
            for (int n = 0; n < N; n++)
            {
                int o = n * Di;
                float bn = bm[n], cn = cm[n];
                float sumC = 0f, sumB = 0f;
                int i = 0;
                if (FastMath.IsVectorized)
                {
                    var vb = Vector256.Create(bn); var vc = Vector256.Create(cn);
                    var accC = Vector256<float>.Zero; var accB = Vector256<float>.Zero;
                    for (; i + 8 <= Di; i += 8)
                    {
                        var d = Avx.LoadVector256(pd + i); var xi = Avx.LoadVector256(px + i);
                        var an = Avx.LoadVector256(pat + o + i); var dyi = Avx.LoadVector256(pdy + i);
                        var a = FastMath.Exp(d * an);
                        var q = a * Avx.LoadVector256(php + o + i);                         // a ⊙ h_{t-1}
                        var g = Fma.MultiplyAdd(dyi, vc, Avx.LoadVector256(pg + o + i));    // C[n] dy + a_{t+1} g_{t+1}
                        accC = Fma.MultiplyAdd(dyi, Avx.LoadVector256(phc + o + i), accC);
                        var gd = g * d;
                        Avx.Store(pdat + o + i, Fma.MultiplyAdd(gd, q, Avx.LoadVector256(pdat + o + i)));
                        var w = Fma.MultiplyAdd(xi, vb, an * q);                            // A ⊙ q + B[n] x
                        Avx.Store(pdd + i, Fma.MultiplyAdd(g, w, Avx.LoadVector256(pdd + i)));
                        accB = Fma.MultiplyAdd(gd, xi, accB);
                        Avx.Store(pdx + i, Fma.MultiplyAdd(gd, vb, Avx.LoadVector256(pdx + i)));
                        Avx.Store(pg + o + i, a * g);
                    }
                    sumC = Vector256.Sum(accC);
                    sumB = Vector256.Sum(accB);
                }
                for (; i < Di; i++)
                {
                    float d = pd[i], xi = px[i], an = pat[o + i], dyi = pdy[i];
                    float a = FastMath.Exp(d * an);
                    float q = a * php[o + i];
                    float g = MathF.FusedMultiplyAdd(dyi, cn, pg[o + i]);
                    sumC = MathF.FusedMultiplyAdd(dyi, phc[o + i], sumC);
                    float gd = g * d;
                    pdat[o + i] = MathF.FusedMultiplyAdd(gd, q, pdat[o + i]);
                    float w = MathF.FusedMultiplyAdd(xi, bn, an * q);
                    pdd[i] = MathF.FusedMultiplyAdd(g, w, pdd[i]);
                    sumB = MathF.FusedMultiplyAdd(gd, xi, sumB);
                    pdx[i] = MathF.FusedMultiplyAdd(gd, bn, pdx[i]);
                    pg[o + i] = a * g;
                }
                dcm[n] = sumC;
                dbm[n] = sumB;
            }
    }
}
