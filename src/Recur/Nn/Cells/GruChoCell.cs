using System.Numerics.Tensors;
using Recur.Kernels;

namespace Recur.Nn.Cells;

/// <summary>
/// Gated recurrent unit as Cho et al. 2014 and the lectures write it, the reset applied before the
/// recurrent product: <c>r, z</c> as in <see cref="GruCell"/>;
/// <c>n = tanh(W_in x + b_in + W_hn (r ⊙ h_{t-1}) + b_hn)</c>; <c>h_t = (1 - z) ⊙ n + z ⊙ h_{t-1}</c>.
/// Same parameters and shapes as <see cref="GruCell"/>.
/// <para>
/// A step is two products: <c>W_h{r,z} h_{t-1}</c>, then (after r is known) <c>W_hn (r ⊙ h_{t-1})</c>.
/// Backward: <c>da_n = dh (1-z)(1-n²)</c>, <c>da_z = dh (h_{t-1} - n) z(1-z)</c>, <c>d(r⊙h) = da_n W_hn</c>,
/// <c>da_r = d(r⊙h) ⊙ h_{t-1} ⊙ r(1-r)</c>, <c>dh_{t-1} = dh ⊙ z + d(r⊙h) ⊙ r + (da_r, da_z) W_h{r,z}</c>.
/// </para>
/// <para>Buffers: <see cref="LayerRun.A"/> keeps r, z, n; the cell's own <see cref="GruChoBuffers"/> keep
/// <c>r ⊙ h_{t-1}</c> and the two packed blocks of <c>W_hh</c>. <c>b_hr</c> and <c>b_hz</c> fold; <c>b_hn</c> is added
/// to the n branch.</para>
/// </summary>
public sealed class GruChoCell : RecurrentCell
{
    /// <inheritdoc/>
    public override string Name => "gru-cho";

    /// <inheritdoc/>
    public override string Summary => "GRU, reset applied before the recurrent product (Cho et al. 2014, the lectures)";

    /// <inheritdoc/>
    public override int Gates => 3;

    /// <inheritdoc/>
    public override IReadOnlyList<string> GateNames { get; } = ["r", "z", "n"];

    /// <inheritdoc/>
    public override int InferencePhases => 2;

    /// <inheritdoc/>
    public override void FoldBias(ReadOnlySpan<float> bih, ReadOnlySpan<float> bhh, Span<float> dst)
    {
        int h2 = 2 * (bih.Length / 3);
        bih.CopyTo(dst);
        TensorPrimitives.Add(dst[..h2], bhh[..h2], dst[..h2]);
    }

    /// <summary>What a reset-before GRU layer keeps besides <see cref="LayerRun"/>'s shared buffers.</summary>
    private sealed class GruChoBuffers : CellBuffers
    {
        /// <summary><c>r ⊙ h_{t-1}</c> <c>(T, B, H)</c>: the right operand of <c>W_hn</c>, kept for <c>dW_hn</c>.</summary>
        public float[] RH = [];

        /// <summary>Rows r, z of <c>W_hh</c>, <c>W_h{r,z}</c> <c>(2H, H)</c>, packed for <c>h_{t-1} W_h{r,z}^T</c> (forward).</summary>
        public readonly PackedMatrix WhrzForward = new();

        /// <summary>Row block n of <c>W_hh</c>, <c>W_hn</c> <c>(H, H)</c>, packed for <c>(r ⊙ h_{t-1}) W_hn^T</c> (forward).</summary>
        public readonly PackedMatrix WhnForward = new();

        /// <summary><c>W_h{r,z}</c> packed for <c>(da_r, da_z) W_h{r,z}</c> (backward).</summary>
        public readonly PackedMatrix WhrzBackward = new();

        /// <summary><c>W_hn</c> packed for <c>d(r ⊙ h) = da_n W_hn</c> (backward).</summary>
        public readonly PackedMatrix WhnBackward = new();

        internal override void Allocate(int T, int B, int H) => RH = Buffers.Ensure(RH, T * B * H);
    }

    internal override CellBuffers CreateBuffers() => new GruChoBuffers();

    internal override void PackForward(LayerRun run, ReadOnlySpan<float> whh)
    {
        int H = run.H;
        var own = run.Own<GruChoBuffers>();
        Gemm.PackB(true, H, 2 * H, whh, H, own.WhrzForward);
        Gemm.PackB(true, H, H, whh.Slice(2 * H * H), H, own.WhnForward);
    }

    internal override void PackBackward(LayerRun run, ReadOnlySpan<float> whh)
    {
        int H = run.H;
        var own = run.Own<GruChoBuffers>();
        Gemm.PackB(false, 2 * H, H, whh, H, own.WhrzBackward);
        Gemm.PackB(false, H, H, whh.Slice(2 * H * H), H, own.WhnBackward);
    }

    internal override void ForwardStep(LayerRun run, int t)
    {
        int H = run.H, GH = 3 * H, B = run.B;
        var at = run.Step(run.A, t, GH);
        var own = run.Own<GruChoBuffers>();
        // r, z: A[:, :2H] += h W_h{r,z}^T (b_h{r,z} folded already); then r*h; then n.
        Gemm.Sgemm(false, B, 1f, run.HPrev(t), H, own.WhrzForward, 1f, at, GH, run.Threads);
        run.RunRows(t, 0, forward: true);
        Gemm.Sgemm(false, B, 1f, run.Step(own.RH, t, H), H, own.WhnForward, 1f, at.Slice(2 * H), GH, run.Threads);
        run.RunRows(t, 1, forward: true);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal override void ForwardRows(LayerRun run, int t, int phase, int b0, int b1)
    {
        int H = run.H, GH = 3 * H;
        var at = run.Step(run.A, t, GH);
        var hprev = run.HPrev(t);
        if (phase == 0)
        {
            var rh = run.Step(run.Own<GruChoBuffers>().RH, t, H); // r * hprev, kept for backward
            var bhn = run.Parameters.BiasHh is { } bhh ? bhh.Value.Slice(2 * H, H) : default;
            for (int b = b0; b < b1; b++)
            {
                var g = at.Slice(b * GH, GH);
                TensorPrimitives.Sigmoid(g[..(2 * H)], g[..(2 * H)]);
                TensorPrimitives.Multiply(g[..H], hprev.Slice(b * H, H), rh.Slice(b * H, H));
                if (!bhn.IsEmpty) { var nn = g.Slice(2 * H, H); TensorPrimitives.Add(nn, bhn, nn); }
            }
            return;
        }
        var ht = run.Step(run.Y, t, H);
        for (int b = b0; b < b1; b++)
        {
            var g = at.Slice(b * GH, GH);
            var z = g.Slice(H, H); var nn = g.Slice(2 * H, H);
            TensorPrimitives.Tanh(nn, nn);
            GruCell.Blend(z, hprev.Slice(b * H, H), nn, ht.Slice(b * H, H));
        }
    }

    internal override void BackwardStep(LayerRun run, int t)
    {
        int H = run.H, GH = 3 * H, B = run.B;
        var dat = run.Step(run.DA, t, GH);
        var own = run.Own<GruChoBuffers>();
        run.RunRows(t, 0, forward: false);
        // d(r*h) = dan W_hn
        Gemm.Sgemm(false, B, 1f, dat.Slice(2 * H), GH, own.WhnBackward, 0f, run.Scratch.AsSpan(B * H, B * H), H, run.Threads);
        run.RunRows(t, 1, forward: false);
        run.Scratch.AsSpan(0, B * H).CopyTo(run.DhCarry);
        Gemm.Sgemm(false, B, 1f, dat, GH, own.WhrzBackward, 1f, run.DhCarry, H, run.Threads);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal override void BackwardRows(LayerRun run, int t, int phase, int b0, int b1)
    {
        int H = run.H, GH = 3 * H;
        var at = run.Step(run.A, t, GH);
        var dat = run.Step(run.DA, t, GH);
        var hprev = run.HPrev(t);
        var dh = run.DhCarry.AsSpan();
        if (phase == 0)
        {
            run.AddUpstream(t, b0, b1);
            for (int b = b0; b < b1; b++)
            {
                var g = at.Slice(b * GH, GH);
                var d = dat.Slice(b * GH, GH);
                var dhb = dh.Slice(b * H, H); var hp = hprev.Slice(b * H, H);
                for (int j = 0; j < H; j++)
                {
                    float z = g[H + j], nn = g[2 * H + j], dhj = dhb[j];
                    d[2 * H + j] = dhj * (1f - z) * (1f - nn * nn);
                    d[H + j] = dhj * (hp[j] - nn) * z * (1f - z);
                }
            }
            return;
        }
        var tmp = run.Scratch.AsSpan(0, run.B * H);
        var drh = run.Scratch.AsSpan(run.B * H, run.B * H);
        for (int b = b0; b < b1; b++)
        {
            var g = at.Slice(b * GH, GH);
            var d = dat.Slice(b * GH, GH);
            var dhb = dh.Slice(b * H, H); var hp = hprev.Slice(b * H, H);
            var dhp = tmp.Slice(b * H, H); var drhb = drh.Slice(b * H, H);
            for (int j = 0; j < H; j++)
            {
                float r = g[j], z = g[H + j];
                d[j] = drhb[j] * hp[j] * r * (1f - r);
                dhp[j] = dhb[j] * z + drhb[j] * r;
            }
        }
    }

    internal override void AccumulateRecurrentGrads(LayerRun run, Span<float> dwhh, Span<float> dbhh)
    {
        int H = run.H, GH = 3 * H, n = run.T * run.B;
        var dA = run.DA.AsSpan(0, n * GH);
        // rows [0, 2H) of W_hh see h_{t-1}; rows [2H, 3H) see r*h_{t-1}.
        run.AccumulateHiddenGrad(dA, GH, 2 * H, dwhh);
        var rh = run.Own<GruChoBuffers>().RH;
        Gemm.Sgemm(true, false, H, H, n, 1f, dA.Slice(2 * H), GH, rh, H, 1f, dwhh.Slice(2 * H * H), H, run.Threads);
        if (!dbhh.IsEmpty) Reduce.SumRows(dA, n, GH, dbhh);
    }

    internal override void InferUnits(InferenceLayer layer, int phase, int j0, int n)
    {
        int H = layer.H;
        var a = layer.A.AsSpan();
        if (phase == 0)
        {
            // r, z = σ(a + W_h{r,z} h); r*h for phase 1; a_n += b_hn
            layer.GateRows(layer.Whh, H, layer.HPrev, a, 0, 2, j0, n);
            var r = a.Slice(j0, n); var z = a.Slice(H + j0, n);
            TensorPrimitives.Sigmoid(r, r);
            TensorPrimitives.Sigmoid(z, z);
            TensorPrimitives.Multiply(r, layer.HPrev.AsSpan(j0, n), layer.Hh.AsSpan(j0, n));
            if (layer.BiasHh is { } bh) { var nn = a.Slice(2 * H + j0, n); TensorPrimitives.Add(nn, bh.AsSpan(2 * H + j0, n), nn); }
            return;
        }
        // n = tanh(a_n + W_hn (r*h)); h' = n + z*(h - n)
        var an = a.Slice(2 * H + j0, n);
        layer.GateRows(layer.Whh, H, layer.Hh.AsSpan(0, H), a, 2, 3, j0, n);
        TensorPrimitives.Tanh(an, an);
        GruCell.Blend(a.Slice(H + j0, n), layer.HPrev.AsSpan(j0, n), an, layer.HNext.AsSpan(j0, n));
    }
}
