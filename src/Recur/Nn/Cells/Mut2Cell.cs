using System.Numerics.Tensors;
using Recur.Kernels;

namespace Recur.Nn.Cells;

/// <summary>
/// MUT2, the second mutated GRU of Jozefowicz et al. 2015 ("An Empirical Exploration of Recurrent Network
/// Architectures"), as the CS231n 2017 slides write it (<c>h = h_{t-1}</c>):
/// <c>z = σ(W_xz x + W_hz h + b_z)</c>; <c>r = σ(x + W_hr h + b_r)</c>;
/// <c>h_t = tanh(W_hh (r ⊙ h) + W_xh x + b_h) ⊙ z + h ⊙ (1 - z)</c>. The raw <c>x</c> in r makes the input as
/// wide as the hidden state.
/// <para>
/// Parameters, exactly the matrices of the equations: <c>weight_ih (2H, H)</c> blocks z, n
/// (<c>W_xz, W_xh</c>; <see cref="GateNames"/>, n the candidate); <c>weight_hh (3H, H)</c> blocks z, r, n
/// (<c>W_hz, W_hr</c>, the candidate's <c>W_hh</c>). <c>bias_ih (2H)</c> = <c>b_iz, b_in</c>, <c>bias_hh (3H)</c> =
/// <c>b_hz, b_hr, b_hn</c>, so <c>b_z = b_iz + b_hz</c> and <c>b_h = b_in + b_hn</c> (folded into the input
/// projection) and <c>b_r = b_hr</c> (added in r's branch).
/// </para>
/// <para>
/// A step is two products: <c>W_h{z,r} h</c>, then (once r is known) <c>W_hh (r ⊙ h)</c>. With <c>n</c> the
/// candidate: <c>da_n = dh ⊙ z ⊙ (1-n²)</c>, <c>da_z = dh ⊙ (n - h) ⊙ z(1-z)</c>, <c>d(r⊙h) = da_n W_hh</c>,
/// <c>da_r = d(r⊙h) ⊙ h ⊙ r(1-r)</c>, <c>dh_{t-1} = dh ⊙ (1-z) + d(r⊙h) ⊙ r + (da_z, da_r) W_h{z,r}</c>,
/// <c>dx += da_r</c> (into <see cref="LayerRun.DInput"/>); <c>dW_h{z,r} += (da_z, da_r)^T h</c>,
/// <c>dW_hh += da_n^T (r⊙h)</c>, <c>db_hh = Σ (da_z, da_r, da_n)</c>.
/// </para>
/// <para>Buffers: <see cref="LayerRun.A"/> keeps z, n; the cell's own <see cref="Mut2Buffers"/> keep r and
/// <c>r ⊙ h</c>, the recurrent side's gradients (backward) and the two packed blocks of <c>W_hh</c>.</para>
/// </summary>
public sealed class Mut2Cell : RecurrentCell
{
    /// <inheritdoc/>
    public override string Name => "mut2";

    /// <inheritdoc/>
    public override string Summary => "MUT2 mutated GRU: raw x in the reset gate (Jozefowicz et al. 2015); input width = hidden";

    /// <inheritdoc/>
    public override int Gates => 2;

    /// <inheritdoc/>
    public override int RecurrentGates => 3;

    /// <inheritdoc/>
    public override IReadOnlyList<string> GateNames { get; } = ["z", "n"];

    /// <inheritdoc/>
    public override bool RequiresInputEqualsHidden => true;

    /// <inheritdoc/>
    public override int InferencePhases => 2;

    /// <summary><c>b_iz + b_hz</c>, <c>b_in + b_hn</c>: <c>b_hr</c> stays in r's branch.</summary>
    public override void FoldBias(ReadOnlySpan<float> bih, ReadOnlySpan<float> bhh, Span<float> dst)
    {
        int H = bih.Length / 2;
        bih.CopyTo(dst);
        TensorPrimitives.Add(dst[..H], bhh[..H], dst[..H]);
        TensorPrimitives.Add(dst.Slice(H, H), bhh.Slice(2 * H, H), dst.Slice(H, H));
    }

    /// <summary>What a MUT2 layer keeps besides <see cref="LayerRun"/>'s shared buffers.</summary>
    private sealed class Mut2Buffers : CellBuffers
    {
        /// <summary>
        /// <c>(T, B, 2H)</c>, per row the reset gate <c>r</c> <c>(H)</c> then <c>r ⊙ h_{t-1}</c> <c>(H)</c>, the right
        /// operand of the candidate's <c>W_hh</c> (kept for its gradient).
        /// </summary>
        public float[] RAndRh = [];

        /// <summary>
        /// The recurrent side's gradients <c>(da_z, da_r, da_n)</c> <c>(T, B, 3H)</c> in <c>weight_hh</c>'s block order,
        /// written by backward: its <c>dh_{t-1}</c> products, then <c>dW_hh</c> and <c>db_hh</c>.
        /// </summary>
        public float[] DHidden = [];

        /// <summary>Blocks z, r of <c>weight_hh</c>, <c>W_h{z,r}</c> <c>(2H, H)</c>, packed for <c>h_{t-1} W_h{z,r}^T</c> (forward).</summary>
        public readonly PackedMatrix WhzrForward = new();

        /// <summary>Block n of <c>weight_hh</c>, the candidate's <c>W_hh</c> <c>(H, H)</c>, packed for <c>(r ⊙ h) W_hh^T</c> (forward).</summary>
        public readonly PackedMatrix WhnForward = new();

        /// <summary><c>W_h{z,r}</c> packed for <c>(da_z, da_r) W_h{z,r}</c> (backward).</summary>
        public readonly PackedMatrix WhzrBackward = new();

        /// <summary>The candidate's <c>W_hh</c> packed for <c>d(r ⊙ h) = da_n W_hh</c> (backward).</summary>
        public readonly PackedMatrix WhnBackward = new();

        internal override void Allocate(int T, int B, int H)
        {
            RAndRh = Buffers.Ensure(RAndRh, T * B * 2 * H);
            DHidden = Buffers.Ensure(DHidden, T * B * 3 * H);
        }
    }

    internal override CellBuffers CreateBuffers() => new Mut2Buffers();

    internal override void PackForward(LayerRun run, ReadOnlySpan<float> whh)
    {
        int H = run.H;
        var own = run.Own<Mut2Buffers>();
        Gemm.PackB(true, H, 2 * H, whh, H, own.WhzrForward);
        Gemm.PackB(true, H, H, whh.Slice(2 * H * H), H, own.WhnForward);
    }

    internal override void PackBackward(LayerRun run, ReadOnlySpan<float> whh)
    {
        int H = run.H;
        var own = run.Own<Mut2Buffers>();
        Gemm.PackB(false, 2 * H, H, whh, H, own.WhzrBackward);
        Gemm.PackB(false, H, H, whh.Slice(2 * H * H), H, own.WhnBackward);
    }

    internal override void ForwardStep(LayerRun run, int t)
    {
        int H = run.H, B = run.B;
        var own = run.Own<Mut2Buffers>();
        var at = run.Step(run.A, t, 2 * H);
        var aux = run.Step(own.RAndRh, t, 2 * H);
        // (B, 2H) scratch = h W_h{z,r}^T; then z, r, r*h; then a_n += (r*h) W_hh^T.
        Gemm.Sgemm(false, B, 1f, run.HPrev(t), H, own.WhzrForward, 0f, run.Scratch.AsSpan(0, B * 2 * H), 2 * H, run.Threads);
        run.RunRows(t, 0, forward: true);
        Gemm.Sgemm(false, B, 1f, aux.Slice(H), 2 * H, own.WhnForward, 1f, at.Slice(H), 2 * H, run.Threads);
        run.RunRows(t, 1, forward: true);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal override void ForwardRows(LayerRun run, int t, int phase, int b0, int b1)
    {
        int H = run.H;
        var at = run.Step(run.A, t, 2 * H);
        var hprev = run.HPrev(t);
        if (phase == 0)
        {
            var aux = run.Step(run.Own<Mut2Buffers>().RAndRh, t, 2 * H);
            var hh = run.Scratch.AsSpan(0, run.B * 2 * H);
            var x = run.Input(t);
            var bhr = run.Parameters.BiasHh is { } bhh ? bhh.Value.Slice(H, H) : default;
            for (int b = b0; b < b1; b++)
            {
                var z = at.Slice(b * 2 * H, H);
                var r = aux.Slice(b * 2 * H, H); var rh = aux.Slice(b * 2 * H + H, H);
                var hz = hh.Slice(b * 2 * H, H); var hr = hh.Slice(b * 2 * H + H, H);
                TensorPrimitives.Add(z, hz, z);
                TensorPrimitives.Sigmoid(z, z);
                TensorPrimitives.Add(x.Slice(b * H, H), hr, r);
                if (!bhr.IsEmpty) TensorPrimitives.Add(r, bhr, r);
                TensorPrimitives.Sigmoid(r, r);
                TensorPrimitives.Multiply(r, hprev.Slice(b * H, H), rh);
            }
            return;
        }
        var ht = run.Step(run.Y, t, H);
        for (int b = b0; b < b1; b++)
        {
            var z = at.Slice(b * 2 * H, H); var nn = at.Slice(b * 2 * H + H, H);
            TensorPrimitives.Tanh(nn, nn);
            GruCell.Blend(z, nn, hprev.Slice(b * H, H), ht.Slice(b * H, H)); // z n + (1 - z) h
        }
    }

    internal override void BackwardStep(LayerRun run, int t)
    {
        int H = run.H, B = run.B;
        var own = run.Own<Mut2Buffers>();
        var e = run.Step(own.DHidden, t, 3 * H);
        run.RunRows(t, 0, forward: false);
        // d(r*h) = da_n W_hh
        Gemm.Sgemm(false, B, 1f, e.Slice(2 * H), 3 * H, own.WhnBackward, 0f, run.Scratch.AsSpan(B * H, B * H), H, run.Threads);
        run.RunRows(t, 1, forward: false);
        run.Scratch.AsSpan(0, B * H).CopyTo(run.DhCarry);
        Gemm.Sgemm(false, B, 1f, e, 3 * H, own.WhzrBackward, 1f, run.DhCarry, H, run.Threads);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal override void BackwardRows(LayerRun run, int t, int phase, int b0, int b1)
    {
        int H = run.H;
        var own = run.Own<Mut2Buffers>();
        var at = run.Step(run.A, t, 2 * H);
        var e = run.Step(own.DHidden, t, 3 * H);
        var hprev = run.HPrev(t);
        var dh = run.DhCarry.AsSpan();
        if (phase == 0)
        {
            run.AddUpstream(t, b0, b1);
            var dat = run.Step(run.DA, t, 2 * H);
            for (int b = b0; b < b1; b++)
            {
                var g = at.Slice(b * 2 * H, 2 * H); var d = dat.Slice(b * 2 * H, 2 * H);
                var eb = e.Slice(b * 3 * H, 3 * H);
                var dhb = dh.Slice(b * H, H); var hp = hprev.Slice(b * H, H);
                for (int j = 0; j < H; j++)
                {
                    float z = g[j], n = g[H + j], dhj = dhb[j];
                    float daz = dhj * (n - hp[j]) * z * (1f - z);
                    float dan = dhj * z * (1f - n * n);
                    d[j] = daz; d[H + j] = dan;
                    eb[j] = daz; eb[2 * H + j] = dan;
                }
            }
            return;
        }
        var aux = run.Step(own.RAndRh, t, 2 * H);
        var dx = run.Step(run.DInput, t, H);
        var tmp = run.Scratch.AsSpan(0, run.B * H);
        var drh = run.Scratch.AsSpan(run.B * H, run.B * H);
        for (int b = b0; b < b1; b++)
        {
            var z = at.Slice(b * 2 * H, H); var r = aux.Slice(b * 2 * H, H);
            var eb = e.Slice(b * 3 * H, 3 * H); var dxb = dx.Slice(b * H, H);
            var dhb = dh.Slice(b * H, H); var hp = hprev.Slice(b * H, H);
            var dhp = tmp.Slice(b * H, H); var drhb = drh.Slice(b * H, H);
            for (int j = 0; j < H; j++)
            {
                float rj = r[j];
                float dar = drhb[j] * hp[j] * rj * (1f - rj);
                eb[H + j] = dar;
                dxb[j] = dar;
                dhp[j] = dhb[j] * (1f - z[j]) + drhb[j] * rj;
            }
        }
    }

    internal override void AccumulateRecurrentGrads(LayerRun run, Span<float> dwhh, Span<float> dbhh)
    {
        int H = run.H, n = run.T * run.B;
        var own = run.Own<Mut2Buffers>();
        var e = own.DHidden.AsSpan(0, n * 3 * H);
        // W_h{z,r} see h_{t-1}; W_hh sees r*h_{t-1}.
        run.AccumulateHiddenGrad(e, 3 * H, 2 * H, dwhh);
        Gemm.Sgemm(true, false, H, H, n, 1f, e.Slice(2 * H), 3 * H, own.RAndRh.AsSpan(H), 2 * H, 1f, dwhh.Slice(2 * H * H), H,
            run.Threads);
        if (!dbhh.IsEmpty) Reduce.SumRows(e, n, 3 * H, dbhh);
    }

    internal override void InferUnits(InferenceLayer layer, int phase, int j0, int n)
    {
        int H = layer.H;
        var a = layer.A.AsSpan();
        var hh = layer.Hh.AsSpan();
        if (phase == 0)
        {
            // hh_{z,r} = W_h{z,r} h; z = σ(a_z + hh_z); r = σ(x + hh_r + b_hr); r*h for phase 1
            for (int g = 0; g < 2; g++) hh.Slice(g * H + j0, n).Clear();
            layer.GateRows(layer.Whh, H, layer.HPrev, hh, 0, 2, j0, n);
            var z = a.Slice(j0, n); var r = hh.Slice(H + j0, n);
            TensorPrimitives.Add(z, hh.Slice(j0, n), z);
            TensorPrimitives.Sigmoid(z, z);
            TensorPrimitives.Add(r, layer.X.AsSpan(j0, n), r);
            if (layer.BiasHh is { } bh) TensorPrimitives.Add(r, bh.AsSpan(H + j0, n), r);
            TensorPrimitives.Sigmoid(r, r);
            TensorPrimitives.Multiply(r, layer.HPrev.AsSpan(j0, n), hh.Slice(2 * H + j0, n));
            return;
        }
        // n = tanh(a_n + W_hh (r*h)); h' = z n + (1 - z) h
        var cand = a.Slice(H + j0, n);
        Gemv.MultiplyAdd(layer.Whh.AsSpan((2 * H + j0) * H, n * H), n, H, hh.Slice(2 * H, H), cand);
        TensorPrimitives.Tanh(cand, cand);
        GruCell.Blend(a.Slice(j0, n), cand, layer.HPrev.AsSpan(j0, n), layer.HNext.AsSpan(j0, n));
    }
}
