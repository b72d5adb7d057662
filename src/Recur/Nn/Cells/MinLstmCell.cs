using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
using Recur.Kernels;

namespace Recur.Nn.Cells;

/// <summary>
/// minLSTM (Feng et al. 2024): forget and input gates from <c>x</c> only, normalised to sum to one, and no
/// output gate or cell state. <c>f = σ(W_f x + b_f)</c>, <c>i = σ(W_i x + b_i)</c>, <c>h~ = g(W_h x + b_h)</c>,
/// <c>f' = f / (f + i)</c>, <c>h_t = f' ⊙ h_{t-1} + (1 - f') ⊙ h~</c> (<c>g</c> as in <see cref="MinGruCell"/>).
/// <c>weight_ih (3H, in)</c>, gate blocks f, i, h~; no <c>weight_hh</c>.
/// Log space: with <c>d = softplus(-k_f) - softplus(-k_i)</c>, <c>f' = σ(-d)</c>, so
/// <c>log a = -softplus(d)</c> and <c>log b = -softplus(-d) + log g(k_h)</c>.
/// Backward: <c>df' = g_t (h_{t-1} - h~)</c>, <c>dd = -df' f'(1 - f')</c>, <c>dk_f = -dd (1 - f)</c>,
/// <c>dk_i = dd (1 - i)</c>, <c>dk_h = g_t (1 - f') g'(k_h)</c>. <see cref="LayerRun.A"/> keeps f, i, h~.
/// </summary>
public sealed class MinLstmCell : MinRecurrentCell
{
    /// <inheritdoc/>
    public override string Name => "minlstm";

    /// <inheritdoc/>
    public override string Summary => "minLSTM: normalised forget/input gates from x only, parallel scan in log space (Feng et al. 2024)";

    /// <inheritdoc/>
    public override int Gates => 3;

    /// <inheritdoc/>
    public override IReadOnlyList<string> GateNames { get; } = ["f", "i", "h"];

    /// <inheritdoc/>
    protected override void PrepareScan(Span<float> row, int H, Span<float> la, Span<float> lb)
    {
        int j = 0;
        if (ScanMath.Vectorized)
        {
            ref float r = ref row[0];
            ref float a = ref la[0], b = ref lb[0];
            for (; j <= H - 8; j += 8)
            {
                var (_, spNegF, f) = SoftplusAndSigmoid(Vector256.LoadUnsafe(ref r, (nuint)j));
                var (_, spNegI, i) = SoftplusAndSigmoid(Vector256.LoadUnsafe(ref r, (nuint)(H + j)));
                var (spD, spNegD, _) = SoftplusAndSigmoid(spNegF - spNegI); // d
                var (logG, g) = LogAndG(Vector256.LoadUnsafe(ref r, (nuint)(2 * H + j)));
                (-spD).StoreUnsafe(ref a, (nuint)j);            // log f' = -softplus(d)
                (logG - spNegD).StoreUnsafe(ref b, (nuint)j);   // log(1 - f') + log g = -softplus(-d) + log g
                f.StoreUnsafe(ref r, (nuint)j);
                i.StoreUnsafe(ref r, (nuint)(H + j));
                g.StoreUnsafe(ref r, (nuint)(2 * H + j));
            }
        }
        for (; j < H; j++)
        {
            var (_, spNegF, f) = SoftplusAndSigmoid(row[j]);
            var (_, spNegI, i) = SoftplusAndSigmoid(row[H + j]);
            var (spD, spNegD, _) = SoftplusAndSigmoid(spNegF - spNegI);
            var (logG, g) = LogAndG(row[2 * H + j]);
            la[j] = -spD;
            lb[j] = logG - spNegD;
            row[j] = f;
            row[H + j] = i;
            row[2 * H + j] = g;
        }
    }

    /// <inheritdoc/>
    protected override void Activate(Span<float> row, int H, int j0, int n, Span<float> tmp)
    {
        var f = row.Slice(j0, n); var i = row.Slice(H + j0, n);
        TensorPrimitives.Sigmoid(f, f);
        TensorPrimitives.Sigmoid(i, i);
        G(row.Slice(2 * H + j0, n), tmp);
    }

    /// <inheritdoc/>
    protected override void Step(ReadOnlySpan<float> act, int H, int j0, int n, ReadOnlySpan<float> hprev, Span<float> h)
    {
        var f = act.Slice(j0, n); var i = act.Slice(H + j0, n); var c = act.Slice(2 * H + j0, n);
        for (int j = 0; j < n; j++)
        {
            float fp = f[j] / (f[j] + i[j]);
            h[j] = fp * hprev[j] + (1f - fp) * c[j];
        }
    }

    /// <inheritdoc/>
    protected override void BackwardRow(ReadOnlySpan<float> act, int H, ReadOnlySpan<float> hprev, Span<float> g, Span<float> dpre)
    {
        for (int j = 0; j < H; j++)
        {
            float f = act[j], i = act[H + j], c = act[2 * H + j], gj = g[j];
            float fp = f / (f + i);
            float dd = -gj * (hprev[j] - c) * fp * (1f - fp);
            dpre[j] = -dd * (1f - f);
            dpre[H + j] = dd * (1f - i);
            dpre[2 * H + j] = gj * (1f - fp) * GPrime(c);
            g[j] = gj * fp;
        }
    }
}
