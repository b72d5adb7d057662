using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Recur.Kernels;

namespace Recur.Nn.Blocks;

/// <summary>
/// The loops of <see cref="RwkvBlock"/>: RWKV-4's WKV recurrence in its numerically stable form, forward and
/// backward, vectorised over the channels of every row (<c>B·D</c> at a time, 8 lanes of <see cref="Vector256{T}"/>
/// with a scalar twin doing the same arithmetic for the tail), and the token shift. Every element's arithmetic
/// is the same whatever the layout of the work, so results do not depend on the thread count.
/// <para>
/// WKV per channel, with decay <c>w = exp(time_decay) &gt; 0</c> and bonus <c>u = time_first</c>: the numerator
/// <c>A_t = Σ_{i&lt;t} e^{-(t-1-i)w + k_i} v_i</c> (plus the carried <c>e^{-t w} A_0</c>) and denominator
/// <c>B_t</c> (the same with <c>v = 1</c>) are kept as <c>A = a·e^p</c>, <c>B = b·e^p</c> with a running
/// exponent <c>p</c>, so no exponential of a large argument is ever taken:
/// <code>
///   m = max(p, u + k_t),  e1 = e^{p - m},  e2 = e^{u + k_t - m},  d = e1 b + e2,
///   wkv_t = (e1 a + e2 v_t) / d,
///   p' = max(p - w, k_t),  a' = e^{p - w - p'} a + e^{k_t - p'} v_t,  b' = e^{p - w - p'} b + e^{k_t - p'}.
/// </code>
/// Every exponent is at most 0; one of the two exponentials in <c>d</c> and in <c>b'</c> is exactly 1, so
/// <c>b ≥ 1</c> once a token is in and <c>d ≥ 1</c> always. An empty state (<c>b = 0</c>) has its exponent
/// set to <see cref="Empty"/> (<c>-1e38</c>), so the first token sets <c>p = k</c>.
/// </para>
/// <para>
/// Backward. With <c>g_t = dL/dwkv_t</c> and <c>D_t = d_t e^{m_t}</c> (the true denominator), the gradients
/// reaching the numerator and denominator of later steps are, per channel,
/// <c>α_t = dL/dA_{t+1} = Σ_{s&gt;t} e^{-(s-1-t)w} g_s / D_s</c> and
/// <c>-β_t = dL/dB_{t+1}</c> with <c>β_t = Σ_{s&gt;t} e^{-(s-1-t)w} g_s wkv_s / D_s</c>, run backwards as
/// <c>α_{t-1} = e^{-w} α_t + g_t / D_t</c>, <c>β_{t-1} = e^{-w} β_t + g_t wkv_t / D_t</c> (<c>α_{T-1} = β_{T-1} = 0</c>).
/// They too are kept scaled, <c>α = α̂ e^s</c>, <c>β = β̂ e^s</c>:
/// <code>
///   s' = max(s - w, -m_t),  α̂' = e^{s - w - s'} α̂ + e^{-m_t - s'} g_t/d_t,  β̂' = e^{s - w - s'} β̂ + e^{-m_t - s'} g_t wkv_t/d_t.
/// </code>
/// Then, with <c>G_t = g_t e2_t / d_t</c> (the bonus term's share) and <c>c_t = e^{k_t + s}</c> (<c>s</c> before the update):
/// <code>
///   dv_t = G_t + c_t α̂,
///   dk_t = G_t (v_t - wkv_t) + c_t (v_t α̂ - β̂),
///   du  += G_t (v_t - wkv_t),
///   dw  += -e^{-w} (α_t A_t - β_t B_t) = (β̂ b_t - α̂ a_t) e^{s + p_t - w},
/// </code>
/// and <c>dtime_decay = w · dw</c>. Each exponent is bounded above by about <c>log T</c> (a term of a sum never
/// exceeds the sum), so nothing overflows. The forward keeps the state before every step <c>(a_t, b_t, p_t)</c>;
/// the backward recomputes <c>m_t, e1, e2, d_t</c> from it in one reverse pass. Exponentials are
/// <see cref="FastMath.Exp(float)"/>, which clamps its argument to [-87, 88].
/// </para>
/// </summary>
internal static class RwkvKernels
{
    /// <summary>The exponent of an empty WKV state.</summary>
    internal const float Empty = -1e38f;

    /// <summary>
    /// WKV over <c>T</c> steps of <c>B</c> rows of <c>D</c> channels: <paramref name="k"/>, <paramref name="v"/>,
    /// <paramref name="y"/> <c>(T, B, D)</c>; the state <paramref name="a"/>, <paramref name="b"/>, <paramref name="p"/>
    /// <c>(B, D)</c> is advanced in place; the state before every step goes to <paramref name="savedA"/>,
    /// <paramref name="savedB"/>, <paramref name="savedP"/> <c>(T, B, D)</c> unless they are empty.
    /// </summary>
    public static void WkvForward(ReadOnlySpan<float> w, ReadOnlySpan<float> u, ReadOnlySpan<float> k, ReadOnlySpan<float> v,
        int T, int B, int D, Span<float> a, Span<float> b, Span<float> p, Span<float> y,
        Span<float> savedA, Span<float> savedB, Span<float> savedP)
    {
        int n = B * D;
        for (int j = 0; j < n; j++)
            if (b[j] == 0f) p[j] = Empty;
        bool save = !savedA.IsEmpty;
        for (int t = 0; t < T; t++)
        {
            int o = t * n;
            if (save)
            {
                a[..n].CopyTo(savedA.Slice(o, n));
                b[..n].CopyTo(savedB.Slice(o, n));
                p[..n].CopyTo(savedP.Slice(o, n));
            }
            for (int r = 0; r < B; r++)
            {
                int s = r * D;
                ForwardRow(w, u, k.Slice(o + s, D), v.Slice(o + s, D), a.Slice(s, D), b.Slice(s, D), p.Slice(s, D), y.Slice(o + s, D));
            }
        }
    }

    private static unsafe void ForwardRow(ReadOnlySpan<float> w, ReadOnlySpan<float> u, ReadOnlySpan<float> k, ReadOnlySpan<float> v,
        Span<float> a, Span<float> b, Span<float> p, Span<float> y)
    {
        int D = w.Length, i = 0;
        fixed (float* pw = w, pu = u, pk = k, pv = v, pa = a, pb = b, pp = p, py = y)
        {
            if (FastMath.IsVectorized)
                for (; i + 8 <= D; i += 8)
                {
                    var vk = Avx.LoadVector256(pk + i); var vv = Avx.LoadVector256(pv + i);
                    var va = Avx.LoadVector256(pa + i); var vb = Avx.LoadVector256(pb + i); var vp = Avx.LoadVector256(pp + i);
                    var q = Avx.LoadVector256(pu + i) + vk;
                    var m = Avx.Max(vp, q);
                    var e1 = FastMath.Exp(vp - m);
                    var e2 = FastMath.Exp(q - m);
                    Avx.Store(py + i, (e1 * va + e2 * vv) / (e1 * vb + e2));
                    var pd = vp - Avx.LoadVector256(pw + i);
                    var pn = Avx.Max(pd, vk);
                    var f1 = FastMath.Exp(pd - pn);
                    var f2 = FastMath.Exp(vk - pn);
                    Avx.Store(pa + i, f1 * va + f2 * vv);
                    Avx.Store(pb + i, f1 * vb + f2);
                    Avx.Store(pp + i, pn);
                }
            for (; i < D; i++)
            {
                float vk = pk[i], vv = pv[i], va = pa[i], vb = pb[i], vp = pp[i];
                float q = pu[i] + vk;
                float m = vp > q ? vp : q;
                float e1 = FastMath.Exp(vp - m);
                float e2 = FastMath.Exp(q - m);
                py[i] = (e1 * va + e2 * vv) / (e1 * vb + e2);
                float pd = vp - pw[i];
                float pn = pd > vk ? pd : vk;
                float f1 = FastMath.Exp(pd - pn);
                float f2 = FastMath.Exp(vk - pn);
                pa[i] = f1 * va + f2 * vv;
                pb[i] = f1 * vb + f2;
                pp[i] = pn;
            }
        }
    }

    /// <summary>
    /// Backward of <see cref="WkvForward"/> over <c>(T, B, D)</c>: from <paramref name="g"/> = dL/dwkv, the forward's
    /// <paramref name="y"/> and saved states, writes <paramref name="dk"/>, <paramref name="dv"/> <c>(T, B, D)</c> and adds
    /// dL/dw to <paramref name="dw"/> <c>(D)</c> and dL/du to <paramref name="du"/> <c>(D)</c>, summed over rows in a fixed
    /// order. <paramref name="scratch"/> holds at least <c>3·B·D</c> floats (the running α̂, β̂, s).
    /// </summary>
    public static void WkvBackward(ReadOnlySpan<float> w, ReadOnlySpan<float> u, ReadOnlySpan<float> k, ReadOnlySpan<float> v,
        ReadOnlySpan<float> y, ReadOnlySpan<float> g, ReadOnlySpan<float> savedA, ReadOnlySpan<float> savedB, ReadOnlySpan<float> savedP,
        int T, int B, int D, Span<float> dk, Span<float> dv, Span<float> dw, Span<float> du, Span<float> scratch)
    {
        int n = B * D;
        var ra = scratch[..n]; var rb = scratch.Slice(n, n); var rs = scratch.Slice(2 * n, n);
        ra.Clear(); rb.Clear(); rs.Fill(Empty);
        for (int t = T - 1; t >= 0; t--)
        {
            int o = t * n;
            for (int r = 0; r < B; r++)
            {
                int s = r * D, x = o + s;
                BackwardRow(w, u, k.Slice(x, D), v.Slice(x, D), y.Slice(x, D), g.Slice(x, D),
                    savedA.Slice(x, D), savedB.Slice(x, D), savedP.Slice(x, D),
                    ra.Slice(s, D), rb.Slice(s, D), rs.Slice(s, D), dk.Slice(x, D), dv.Slice(x, D), dw, du);
            }
        }
    }

    private static unsafe void BackwardRow(ReadOnlySpan<float> w, ReadOnlySpan<float> u, ReadOnlySpan<float> k, ReadOnlySpan<float> v,
        ReadOnlySpan<float> y, ReadOnlySpan<float> g, ReadOnlySpan<float> sa, ReadOnlySpan<float> sb, ReadOnlySpan<float> sp,
        Span<float> ra, Span<float> rb, Span<float> rs, Span<float> dk, Span<float> dv, Span<float> dw, Span<float> du)
    {
        int D = w.Length, i = 0;
        fixed (float* pw = w, pu = u, pk = k, pv = v, py = y, pg = g, pA = sa, pB = sb, pP = sp)
        fixed (float* pra = ra, prb = rb, prs = rs, pdk = dk, pdv = dv, pdw = dw, pdu = du)
        {
            if (FastMath.IsVectorized)
                for (; i + 8 <= D; i += 8)
                {
                    var vk = Avx.LoadVector256(pk + i); var vv = Avx.LoadVector256(pv + i); var vy = Avx.LoadVector256(py + i);
                    var vp = Avx.LoadVector256(pP + i); var vw = Avx.LoadVector256(pw + i);
                    var al = Avx.LoadVector256(pra + i); var be = Avx.LoadVector256(prb + i); var s = Avx.LoadVector256(prs + i);
                    var q = Avx.LoadVector256(pu + i) + vk;
                    var m = Avx.Max(vp, q);
                    var e1 = FastMath.Exp(vp - m);
                    var e2 = FastMath.Exp(q - m);
                    var gd = Avx.LoadVector256(pg + i) / (e1 * Avx.LoadVector256(pB + i) + e2);
                    var ge = gd * e2;
                    var c = FastMath.Exp(vk + s);
                    var vmy = vv - vy;
                    Avx.Store(pdv + i, ge + al * c);
                    Avx.Store(pdk + i, ge * vmy + (vv * al - be) * c);
                    Avx.Store(pdu + i, Avx.LoadVector256(pdu + i) + ge * vmy);
                    var decay = (be * Avx.LoadVector256(pB + i) - al * Avx.LoadVector256(pA + i)) * FastMath.Exp(s + vp - vw);
                    Avx.Store(pdw + i, Avx.LoadVector256(pdw + i) + decay);
                    var s1 = s - vw; var s2 = Vector256<float>.Zero - m;
                    var sn = Avx.Max(s1, s2);
                    var h1 = FastMath.Exp(s1 - sn);
                    var h2 = FastMath.Exp(s2 - sn);
                    Avx.Store(pra + i, h1 * al + h2 * gd);
                    Avx.Store(prb + i, h1 * be + h2 * (gd * vy));
                    Avx.Store(prs + i, sn);
                }
            for (; i < D; i++)
            {
                float vk = pk[i], vv = pv[i], vy = py[i], vp = pP[i], vw = pw[i], al = pra[i], be = prb[i], s = prs[i];
                float q = pu[i] + vk;
                float m = vp > q ? vp : q;
                float e1 = FastMath.Exp(vp - m);
                float e2 = FastMath.Exp(q - m);
                float gd = pg[i] / (e1 * pB[i] + e2);
                float ge = gd * e2;
                float c = FastMath.Exp(vk + s);
                float vmy = vv - vy;
                pdv[i] = ge + al * c;
                pdk[i] = ge * vmy + (vv * al - be) * c;
                pdu[i] = pdu[i] + ge * vmy;
                float decay = (be * pB[i] - al * pA[i]) * FastMath.Exp(s + vp - vw);
                pdw[i] = pdw[i] + decay;
                float s1 = s - vw, s2 = 0f - m;
                float sn = s1 > s2 ? s1 : s2;
                float h1 = FastMath.Exp(s1 - sn);
                float h2 = FastMath.Exp(s2 - sn);
                pra[i] = h1 * al + h2 * gd;
                prb[i] = h1 * be + h2 * (gd * vy);
                prs[i] = sn;
            }
        }
    }

    /// <summary>
    /// Token shift and mix over <c>(T, B, D)</c>: <c>out_t = prev_t + μ ⊙ (cur_t - prev_t)</c> with
    /// <c>prev_t = cur_{t-1}</c> and <c>prev_0 = </c><paramref name="prev0"/> <c>(B, D)</c>.
    /// </summary>
    public static void ShiftMix(ReadOnlySpan<float> cur, ReadOnlySpan<float> prev0, int T, int B, int D, ReadOnlySpan<float> mu, Span<float> output)
    {
        int n = B * D;
        for (int r = 0; r < T * B; r++)
        {
            var c = cur.Slice(r * D, D);
            var prev = r < B ? prev0.Slice(r * D, D) : cur.Slice(r * D - n, D);
            var o = output.Slice(r * D, D);
            TensorPrimitives.Subtract(c, prev, o);
            TensorPrimitives.MultiplyAdd(o, mu, prev, o);
        }
    }

    /// <summary>
    /// Backward of <see cref="ShiftMix"/>: adds <c>μ ⊙ dout_t</c> to <paramref name="dcur"/> at <c>t</c> and
    /// <c>(1 - μ) ⊙ dout_t</c> at <c>t - 1</c> (nothing flows into the carried <paramref name="prev0"/>), and
    /// <c>Σ dout_t ⊙ (cur_t - prev_t)</c> over rows in order to <paramref name="dmu"/> <c>(D)</c>.
    /// <paramref name="tmp"/> holds <c>D</c> floats.
    /// </summary>
    public static void ShiftMixBackward(ReadOnlySpan<float> cur, ReadOnlySpan<float> prev0, int T, int B, int D, ReadOnlySpan<float> mu,
        ReadOnlySpan<float> dout, Span<float> dcur, Span<float> dmu, Span<float> tmp)
    {
        int n = B * D;
        tmp = tmp[..D];
        for (int r = 0; r < T * B; r++)
        {
            var d = dout.Slice(r * D, D);
            var c = cur.Slice(r * D, D);
            var prev = r < B ? prev0.Slice(r * D, D) : cur.Slice(r * D - n, D);
            TensorPrimitives.Subtract(c, prev, tmp);
            TensorPrimitives.MultiplyAdd(d, tmp, dmu, dmu);
            TensorPrimitives.Multiply(d, mu, tmp);
            var dc = dcur.Slice(r * D, D);
            TensorPrimitives.Add(dc, tmp, dc);
            if (r >= B)
            {
                var dp = dcur.Slice(r * D - n, D);
                TensorPrimitives.Add(dp, d, dp);
                TensorPrimitives.Subtract(dp, tmp, dp);
            }
        }
    }

    /// <summary>
    /// Layer normalisation of <paramref name="n"/> rows of <c>x (n, C)</c> with the arithmetic of
    /// <see cref="LayerNorm.Forward"/>, keeping nothing (the per-token step, which must not disturb a pending
    /// training backward).
    /// </summary>
    public static void LayerNormRows(ReadOnlySpan<float> x, int n, int C, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, float eps, Span<float> y)
    {
        for (int r = 0; r < n; r++)
        {
            var xr = x.Slice(r * C, C);
            var yr = y.Slice(r * C, C);
            float mean = TensorPrimitives.Sum(xr) / C;
            TensorPrimitives.Subtract(xr, mean, yr);
            float var = TensorPrimitives.SumOfSquares(yr) / C;
            float rstd = 1f / MathF.Sqrt(var + eps);
            TensorPrimitives.Multiply(yr, rstd, yr);
            TensorPrimitives.FusedMultiplyAdd(yr, weight, bias, yr);
        }
    }
}
