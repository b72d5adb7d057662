using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
using Recur.Kernels;

namespace Recur.Nn.Cells;

/// <summary>
/// minGRU (Feng et al. 2024): the GRU with its gates cut loose from <c>h</c>, so training is a scan.
/// <c>z = σ(W_z x + b_z)</c>, <c>h~ = g(W_h x + b_h)</c>, <c>h_t = (1 - z) ⊙ h_{t-1} + z ⊙ h~</c>, with the
/// paper's positive activation <c>g(x) = x + 1/2</c> (<c>x ≥ 0</c>), <c>σ(x)</c> (<c>x &lt; 0</c>).
/// <c>weight_ih (2H, in)</c>, gate blocks z, h~; no <c>weight_hh</c>.
/// Log space: <c>log a = log(1 - z) = -softplus(k_z)</c>, <c>log b = log z + log g(k_h) = k_z - softplus(k_z) + log g(k_h)</c>.
/// Backward: <c>dk_z = g_t (h~ - h_{t-1}) z (1 - z)</c>, <c>dk_h = g_t z g'(k_h)</c>.
/// </summary>
public sealed class MinGruCell : MinRecurrentCell
{
    /// <inheritdoc/>
    public override string Name => "mingru";

    /// <inheritdoc/>
    public override string Summary => "minGRU: gates from x only, trained by a parallel scan in log space (Feng et al. 2024)";

    /// <inheritdoc/>
    public override int Gates => 2;

    /// <inheritdoc/>
    public override IReadOnlyList<string> GateNames { get; } = ["z", "h"];

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
                var kz = Vector256.LoadUnsafe(ref r, (nuint)j);
                var (sp, spNeg, z) = SoftplusAndSigmoid(kz);
                var (logG, g) = LogAndG(Vector256.LoadUnsafe(ref r, (nuint)(H + j)));
                (-sp).StoreUnsafe(ref a, (nuint)j);             // log(1 - z) = -softplus(k_z)
                (logG - spNeg).StoreUnsafe(ref b, (nuint)j);    // log z + log g = -softplus(-k_z) + log g
                z.StoreUnsafe(ref r, (nuint)j);
                g.StoreUnsafe(ref r, (nuint)(H + j));
            }
        }
        for (; j < H; j++)
        {
            var (sp, spNeg, z) = SoftplusAndSigmoid(row[j]);
            var (logG, g) = LogAndG(row[H + j]);
            la[j] = -sp;
            lb[j] = logG - spNeg;
            row[j] = z;
            row[H + j] = g;
        }
    }

    /// <inheritdoc/>
    protected override void Activate(Span<float> row, int H, int j0, int n, Span<float> tmp)
    {
        var z = row.Slice(j0, n);
        TensorPrimitives.Sigmoid(z, z);
        G(row.Slice(H + j0, n), tmp);
    }

    /// <inheritdoc/>
    protected override void Step(ReadOnlySpan<float> act, int H, int j0, int n, ReadOnlySpan<float> hprev, Span<float> h)
    {
        var z = act.Slice(j0, n); var c = act.Slice(H + j0, n);
        for (int j = 0; j < n; j++) h[j] = (1f - z[j]) * hprev[j] + z[j] * c[j];
    }

    /// <inheritdoc/>
    protected override void BackwardRow(ReadOnlySpan<float> act, int H, ReadOnlySpan<float> hprev, Span<float> g, Span<float> dpre)
    {
        int j = 0;
        if (ScanMath.Vectorized)
        {
            var one = Vector256<float>.One; var half = Vector256.Create(0.5f);
            for (; j <= H - 8; j += 8)
            {
                var z = Vector256.Create(act.Slice(j, 8)); var c = Vector256.Create(act.Slice(H + j, 8));
                var gj = Vector256.Create(g.Slice(j, 8)); var hp = Vector256.Create(hprev.Slice(j, 8));
                var gp = Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(c, half), one, c * (one - c));
                (gj * (c - hp) * z * (one - z)).CopyTo(dpre.Slice(j, 8));
                (gj * z * gp).CopyTo(dpre.Slice(H + j, 8));
                (gj * (one - z)).CopyTo(g.Slice(j, 8));
            }
        }
        for (; j < H; j++)
        {
            float z = act[j], c = act[H + j], gj = g[j];
            dpre[j] = gj * (c - hprev[j]) * z * (1f - z);
            dpre[H + j] = gj * z * GPrime(c);
            g[j] = gj * (1f - z);
        }
    }
}
