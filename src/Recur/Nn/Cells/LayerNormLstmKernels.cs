using System.Numerics.Tensors;

namespace Recur.Nn.Cells;

/// <summary>The six layer-norm parameters of one <see cref="LayerNormLstmCell"/> layer, as spans.</summary>
/// <param name="GainX">Gain of the input side's normalisation <c>(4H)</c>.</param>
/// <param name="ShiftX">Shift of the input side's normalisation <c>(4H)</c>.</param>
/// <param name="GainH">Gain of the recurrent side's normalisation <c>(4H)</c>.</param>
/// <param name="ShiftH">Shift of the recurrent side's normalisation <c>(4H)</c>.</param>
/// <param name="GainC">Gain of the cell state's normalisation <c>(H)</c>.</param>
/// <param name="ShiftC">Shift of the cell state's normalisation <c>(H)</c>.</param>
internal readonly ref struct LayerNormLstmParams(ReadOnlySpan<float> GainX, ReadOnlySpan<float> ShiftX,
    ReadOnlySpan<float> GainH, ReadOnlySpan<float> ShiftH, ReadOnlySpan<float> GainC, ReadOnlySpan<float> ShiftC)
{
    public readonly ReadOnlySpan<float> GainX = GainX, ShiftX = ShiftX, GainH = GainH, ShiftH = ShiftH, GainC = GainC, ShiftC = ShiftC;
}

/// <summary>
/// The layer-normalised LSTM's work on one batch row: the normalisations (PyTorch's <c>LayerNorm</c>: biased
/// variance, <c>ε = 1e-5</c>), the gates and the cell update, forward and backward. Unit <c>j</c>'s gates sit
/// at <c>j</c>, <c>H + j</c>, <c>2H + j</c>, <c>3H + j</c> of a row (i, f, g, o). Every function is elementwise
/// apart from the row statistics, so outputs may alias inputs where noted (the sampler works in place).
/// The row statistics (mean, variance, and the two means of the backward) accumulate in double: a row is
/// cheap next to its <c>4H x H</c> product, and a row's mean may be large next to its spread.
/// </summary>
internal static class LayerNormLstmKernels
{
    /// <summary>PyTorch's <c>LayerNorm</c> default epsilon.</summary>
    public const float Eps = 1e-5f;

    /// <summary>
    /// <c>xhat = (v - mean v) / sqrt(var v + ε)</c> over the whole span (biased variance); returns
    /// <c>1 / sqrt(var v + ε)</c>. <paramref name="xhat"/> may be <paramref name="v"/>.
    /// </summary>
    public static float Normalize(ReadOnlySpan<float> v, Span<float> xhat)
    {
        int n = v.Length;
        double sum = 0;
        for (int j = 0; j < n; j++) sum += v[j];
        double mean = sum / n, ss = 0;
        for (int j = 0; j < n; j++) { double d = v[j] - mean; ss += d * d; }
        double rstd = 1.0 / Math.Sqrt(ss / n + Eps);
        for (int j = 0; j < n; j++) xhat[j] = (float)((v[j] - mean) * rstd);
        return (float)rstd;
    }

    /// <summary>
    /// The gradient through <c>y = gain ⊙ xhat + shift</c>, <c>xhat = Normalize(v)</c>: from <c>dy</c> writes
    /// <c>dv = rstd (g - mean g - xhat mean(g ⊙ xhat))</c>, <c>g = gain ⊙ dy</c>. <paramref name="dv"/> may be
    /// <paramref name="dy"/>, not <paramref name="xhat"/>.
    /// </summary>
    public static void NormalizeBackward(ReadOnlySpan<float> dy, ReadOnlySpan<float> gain, ReadOnlySpan<float> xhat, float rstd, Span<float> dv)
    {
        int n = dy.Length;
        double s1 = 0, s2 = 0;
        for (int j = 0; j < n; j++) { double g = (double)dy[j] * gain[j]; s1 += g; s2 += g * xhat[j]; }
        double m1 = s1 / n, m2 = s2 / n;
        for (int j = 0; j < n; j++) dv[j] = (float)(rstd * ((double)dy[j] * gain[j] - m1 - xhat[j] * m2));
    }

    /// <summary>
    /// One row forward. In: <paramref name="a"/> <c>(4H)</c> = <c>W_ih x + b_ih</c>, <paramref name="hh"/>
    /// <c>(4H)</c> = <c>W_hh h_{t-1} + b_hh</c>, <paramref name="cprev"/> <c>(H)</c>. Out: the normalised
    /// sides <paramref name="xhatX"/>, <paramref name="xhatH"/> <c>(4H)</c> (may be <paramref name="a"/>,
    /// <paramref name="hh"/>), the activations i, f, g, o in <paramref name="a"/>, <c>c_t</c> in <paramref name="c"/>
    /// (may be <paramref name="cprev"/>), the normalised cell state <paramref name="chat"/>, <c>k = tanh(LN c_t)</c>
    /// and <c>h_t = o ⊙ k</c> <c>(H)</c> (these three may be one span), and the three reciprocal standard
    /// deviations (x side, h side, cell) in <paramref name="rstd"/>.
    /// </summary>
    public static void Forward(Span<float> a, Span<float> hh, Span<float> xhatX, Span<float> xhatH,
        ReadOnlySpan<float> cprev, Span<float> c, Span<float> chat, Span<float> k, Span<float> h, Span<float> rstd,
        in LayerNormLstmParams p, int H)
    {
        int GH = 4 * H;
        rstd[0] = Normalize(a[..GH], xhatX);
        rstd[1] = Normalize(hh[..GH], xhatH);
        // a = gain_x xhat_x + shift_x + gain_h xhat_h + shift_h
        TensorPrimitives.FusedMultiplyAdd(xhatX, p.GainX, p.ShiftX, a[..GH]);
        TensorPrimitives.FusedMultiplyAdd(xhatH, p.GainH, a[..GH], a[..GH]);
        TensorPrimitives.Add(a[..GH], p.ShiftH, a[..GH]);
        var i = a[..H]; var f = a.Slice(H, H); var g = a.Slice(2 * H, H); var o = a.Slice(3 * H, H);
        TensorPrimitives.Sigmoid(a[..(2 * H)], a[..(2 * H)]);
        TensorPrimitives.Tanh(g, g);
        TensorPrimitives.Sigmoid(o, o);
        for (int j = 0; j < H; j++) c[j] = MathF.FusedMultiplyAdd(i[j], g[j], f[j] * cprev[j]);
        rstd[2] = Normalize(c[..H], chat);
        TensorPrimitives.FusedMultiplyAdd(chat[..H], p.GainC, p.ShiftC, k[..H]);
        TensorPrimitives.Tanh(k[..H], k[..H]);
        TensorPrimitives.Multiply(o, k[..H], h[..H]);
    }

    /// <summary>
    /// <c>dL/dc_t</c> in full: <paramref name="dc"/> (the part carried from step <c>t+1</c>) plus the part through
    /// <c>h_t = o ⊙ tanh(LN c_t)</c> given <paramref name="dh"/>; <paramref name="du"/> <c>(H)</c> receives
    /// <c>dL/d(LN c_t) = dh ⊙ o ⊙ (1 - k²)</c>. <paramref name="dst"/> must not alias the inputs.
    /// </summary>
    public static void CellGradient(ReadOnlySpan<float> o, ReadOnlySpan<float> k, ReadOnlySpan<float> chat, float rstdC,
        ReadOnlySpan<float> dh, ReadOnlySpan<float> dc, ReadOnlySpan<float> gainC, Span<float> du, Span<float> dst, int H)
    {
        for (int j = 0; j < H; j++) du[j] = dh[j] * o[j] * (1f - k[j] * k[j]);
        NormalizeBackward(du[..H], gainC, chat[..H], rstdC, dst[..H]);
        TensorPrimitives.Add(dst[..H], dc[..H], dst[..H]);
    }

    /// <summary>
    /// One row backward from the forward's saved row (<paramref name="act"/> the activations, the normalised
    /// sides and cell state, <paramref name="k"/>, <paramref name="rstd"/>, <paramref name="cprev"/>), the hidden
    /// gradient <paramref name="dh"/> and the carried cell gradient <paramref name="dc"/> (replaced by
    /// <c>dL/dc_{t-1}</c>). Writes <c>dL/da</c> to <paramref name="da"/> <c>(4H)</c>, <c>dL/d(LN c_t)</c> to
    /// <paramref name="du"/> <c>(H)</c>, and the gradients of the two sides before their normalisation,
    /// <c>dL/d(W_ih x + b_ih)</c> to <paramref name="dx"/> and <c>dL/d(W_hh h + b_hh)</c> to <paramref name="dhh"/>
    /// <c>(4H)</c>. <paramref name="tmp"/> <c>(H)</c> is scratch.
    /// </summary>
    public static void Backward(ReadOnlySpan<float> act, ReadOnlySpan<float> xhatX, ReadOnlySpan<float> xhatH,
        ReadOnlySpan<float> cprev, ReadOnlySpan<float> chat, ReadOnlySpan<float> k, ReadOnlySpan<float> rstd,
        ReadOnlySpan<float> dh, Span<float> dc, Span<float> da, Span<float> du, Span<float> dx, Span<float> dhh,
        Span<float> tmp, in LayerNormLstmParams p, int H)
    {
        var dct = tmp[..H];
        CellGradient(act.Slice(3 * H, H), k, chat, rstd[2], dh, dc, p.GainC, du, dct, H);
        for (int j = 0; j < H; j++)
        {
            float i = act[j], f = act[H + j], g = act[2 * H + j], o = act[3 * H + j], d = dct[j];
            da[j] = d * g * i * (1f - i);
            da[H + j] = d * cprev[j] * f * (1f - f);
            da[2 * H + j] = d * i * (1f - g * g);
            da[3 * H + j] = dh[j] * k[j] * o * (1f - o);
            dc[j] = d * f;
        }
        NormalizeBackward(da[..(4 * H)], p.GainX, xhatX, rstd[0], dx);
        NormalizeBackward(da[..(4 * H)], p.GainH, xhatH, rstd[1], dhh);
    }
}
