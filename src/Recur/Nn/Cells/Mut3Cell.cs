using System.Numerics.Tensors;
using Recur.Kernels;

namespace Recur.Nn.Cells;

/// <summary>
/// MUT3, the third mutated GRU of Jozefowicz et al. 2015 ("An Empirical Exploration of Recurrent Network
/// Architectures"), as the CS231n 2017 slides write it (<c>h = h_{t-1}</c>):
/// <c>z = σ(W_xz x + W_hz tanh(h) + b_z)</c>; <c>r = σ(W_xr x + W_hr h + b_r)</c>;
/// <c>h_t = tanh(W_hh (r ⊙ h) + W_xh x + b_h) ⊙ z + h ⊙ (1 - z)</c>. It has no raw-input term, so any input
/// width works.
/// <para>
/// Parameters, exactly the matrices of the equations: <c>weight_ih (3H, in)</c> blocks z, r, n
/// (<c>W_xz, W_xr, W_xh</c>; <see cref="GateNames"/>, n the candidate); <c>weight_hh (3H, H)</c> blocks z, r, n
/// (<c>W_hz</c> on <c>tanh(h)</c>, <c>W_hr</c> on <c>h</c>, the candidate's <c>W_hh</c> on <c>r ⊙ h</c>).
/// <c>bias_ih</c> = <c>b_iz, b_ir, b_in</c>, <c>bias_hh</c> = <c>b_hz, b_hr, b_hn</c>; every gate's bias is the sum of its
/// two blocks and all of it folds into the input projection.
/// </para>
/// <para>
/// A step is three products (the three blocks see three different vectors): <c>W_hr h</c>; then, with r and
/// <c>tanh(h)</c> known, <c>W_hz tanh(h)</c> and <c>W_hh (r ⊙ h)</c>. With <c>n</c> the candidate:
/// <c>da_n = dh ⊙ z ⊙ (1-n²)</c>, <c>da_z = dh ⊙ (n - h) ⊙ z(1-z)</c>, <c>d(r⊙h) = da_n W_hh</c>,
/// <c>d(tanh h) = da_z W_hz</c>, <c>da_r = d(r⊙h) ⊙ h ⊙ r(1-r)</c>,
/// <c>dh_{t-1} = dh ⊙ (1-z) + d(r⊙h) ⊙ r + d(tanh h) ⊙ (1 - tanh²(h)) + da_r W_hr</c>;
/// <c>dW_hz += da_z^T tanh(h)</c>, <c>dW_hr += da_r^T h</c>, <c>dW_hh += da_n^T (r⊙h)</c>, <c>db_hh = Σ dA</c>.
/// </para>
/// <para>Buffers: <see cref="LayerRun.A"/> keeps z, r, n; the cell's own <see cref="Mut3Buffers"/> keep
/// <c>tanh(h_{t-1})</c> and <c>r ⊙ h_{t-1}</c> and the three packed blocks of <c>W_hh</c>.</para>
/// </summary>
public sealed class Mut3Cell : RecurrentCell
{
    /// <inheritdoc/>
    public override string Name => "mut3";

    /// <inheritdoc/>
    public override string Summary => "MUT3 mutated GRU: the update gate sees tanh(h) (Jozefowicz et al. 2015)";

    /// <inheritdoc/>
    public override int Gates => 3;

    /// <inheritdoc/>
    public override IReadOnlyList<string> GateNames { get; } = ["z", "r", "n"];

    /// <inheritdoc/>
    public override int InferencePhases => 2;

    /// <summary>What a MUT3 layer keeps besides <see cref="LayerRun"/>'s shared buffers.</summary>
    private sealed class Mut3Buffers : CellBuffers
    {
        /// <summary>
        /// <c>(T, B, 2H)</c>, per row <c>tanh(h_{t-1})</c> <c>(H)</c> then <c>r ⊙ h_{t-1}</c> <c>(H)</c>: the right
        /// operands of <c>W_hz</c> and of the candidate's <c>W_hh</c>, kept for their gradients.
        /// </summary>
        public float[] TanhHAndRh = [];

        /// <summary>Block z of <c>weight_hh</c>, <c>W_hz</c> <c>(H, H)</c>, packed for <c>tanh(h_{t-1}) W_hz^T</c> (forward).</summary>
        public readonly PackedMatrix WhzForward = new();

        /// <summary>Block r of <c>weight_hh</c>, <c>W_hr</c> <c>(H, H)</c>, packed for <c>h_{t-1} W_hr^T</c> (forward).</summary>
        public readonly PackedMatrix WhrForward = new();

        /// <summary>Block n of <c>weight_hh</c>, the candidate's <c>W_hh</c> <c>(H, H)</c>, packed for <c>(r ⊙ h) W_hh^T</c> (forward).</summary>
        public readonly PackedMatrix WhnForward = new();

        /// <summary><c>W_hz</c> packed for <c>d(tanh h) = da_z W_hz</c> (backward).</summary>
        public readonly PackedMatrix WhzBackward = new();

        /// <summary><c>W_hr</c> packed for <c>da_r W_hr</c> (backward).</summary>
        public readonly PackedMatrix WhrBackward = new();

        /// <summary>The candidate's <c>W_hh</c> packed for <c>d(r ⊙ h) = da_n W_hh</c> (backward).</summary>
        public readonly PackedMatrix WhnBackward = new();

        internal override void Allocate(int T, int B, int H) => TanhHAndRh = Buffers.Ensure(TanhHAndRh, T * B * 2 * H);
    }

    internal override CellBuffers CreateBuffers() => new Mut3Buffers();

    internal override void PackForward(LayerRun run, ReadOnlySpan<float> whh)
    {
        int H = run.H;
        var own = run.Own<Mut3Buffers>();
        Gemm.PackB(true, H, H, whh.Slice(H * H), H, own.WhrForward);
        Gemm.PackB(true, H, H, whh, H, own.WhzForward);
        Gemm.PackB(true, H, H, whh.Slice(2 * H * H), H, own.WhnForward);
    }

    internal override void PackBackward(LayerRun run, ReadOnlySpan<float> whh)
    {
        int H = run.H;
        var own = run.Own<Mut3Buffers>();
        Gemm.PackB(false, H, H, whh.Slice(H * H), H, own.WhrBackward);
        Gemm.PackB(false, H, H, whh, H, own.WhzBackward);
        Gemm.PackB(false, H, H, whh.Slice(2 * H * H), H, own.WhnBackward);
    }

    internal override void ForwardStep(LayerRun run, int t)
    {
        int H = run.H, GH = 3 * H, B = run.B;
        var own = run.Own<Mut3Buffers>();
        var at = run.Step(run.A, t, GH);
        var aux = run.Step(own.TanhHAndRh, t, 2 * H);
        // a_r += h W_hr^T; then r, tanh(h), r*h; then a_z += tanh(h) W_hz^T, a_n += (r*h) W_hh^T.
        Gemm.Sgemm(false, B, 1f, run.HPrev(t), H, own.WhrForward, 1f, at.Slice(H), GH, run.Threads);
        run.RunRows(t, 0, forward: true);
        Gemm.Sgemm(false, B, 1f, aux, 2 * H, own.WhzForward, 1f, at, GH, run.Threads);
        Gemm.Sgemm(false, B, 1f, aux.Slice(H), 2 * H, own.WhnForward, 1f, at.Slice(2 * H), GH, run.Threads);
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
            var aux = run.Step(run.Own<Mut3Buffers>().TanhHAndRh, t, 2 * H);
            for (int b = b0; b < b1; b++)
            {
                var r = at.Slice(b * GH + H, H); var hp = hprev.Slice(b * H, H);
                TensorPrimitives.Sigmoid(r, r);
                TensorPrimitives.Tanh(hp, aux.Slice(b * 2 * H, H));
                TensorPrimitives.Multiply(r, hp, aux.Slice(b * 2 * H + H, H));
            }
            return;
        }
        var ht = run.Step(run.Y, t, H);
        for (int b = b0; b < b1; b++)
        {
            var z = at.Slice(b * GH, H); var nn = at.Slice(b * GH + 2 * H, H);
            TensorPrimitives.Sigmoid(z, z);
            TensorPrimitives.Tanh(nn, nn);
            GruCell.Blend(z, nn, hprev.Slice(b * H, H), ht.Slice(b * H, H)); // z n + (1 - z) h
        }
    }

    internal override void BackwardStep(LayerRun run, int t)
    {
        int H = run.H, GH = 3 * H, B = run.B;
        var dat = run.Step(run.DA, t, GH);
        var own = run.Own<Mut3Buffers>();
        run.RunRows(t, 0, forward: false);
        // d(r*h) = da_n W_hh, d(tanh h) = da_z W_hz
        Gemm.Sgemm(false, B, 1f, dat.Slice(2 * H), GH, own.WhnBackward, 0f, run.Scratch.AsSpan(B * H, B * H), H, run.Threads);
        Gemm.Sgemm(false, B, 1f, dat, GH, own.WhzBackward, 0f, run.Scratch.AsSpan(2 * B * H, B * H), H, run.Threads);
        run.RunRows(t, 1, forward: false);
        run.Scratch.AsSpan(0, B * H).CopyTo(run.DhCarry);
        Gemm.Sgemm(false, B, 1f, dat.Slice(H), GH, own.WhrBackward, 1f, run.DhCarry, H, run.Threads);
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
                var g = at.Slice(b * GH, GH); var d = dat.Slice(b * GH, GH);
                var dhb = dh.Slice(b * H, H); var hp = hprev.Slice(b * H, H);
                for (int j = 0; j < H; j++)
                {
                    float z = g[j], n = g[2 * H + j], dhj = dhb[j];
                    d[j] = dhj * (n - hp[j]) * z * (1f - z);
                    d[2 * H + j] = dhj * z * (1f - n * n);
                }
            }
            return;
        }
        var aux = run.Step(run.Own<Mut3Buffers>().TanhHAndRh, t, 2 * H);
        var tmp = run.Scratch.AsSpan(0, run.B * H);
        var drh = run.Scratch.AsSpan(run.B * H, run.B * H);
        var dth = run.Scratch.AsSpan(2 * run.B * H, run.B * H);
        for (int b = b0; b < b1; b++)
        {
            var g = at.Slice(b * GH, GH); var d = dat.Slice(b * GH, GH);
            var th = aux.Slice(b * 2 * H, H);
            var dhb = dh.Slice(b * H, H); var hp = hprev.Slice(b * H, H);
            var dhp = tmp.Slice(b * H, H); var drhb = drh.Slice(b * H, H); var dthb = dth.Slice(b * H, H);
            for (int j = 0; j < H; j++)
            {
                float z = g[j], r = g[H + j], tj = th[j];
                d[H + j] = drhb[j] * hp[j] * r * (1f - r);
                dhp[j] = dhb[j] * (1f - z) + drhb[j] * r + dthb[j] * (1f - tj * tj);
            }
        }
    }

    internal override void AccumulateRecurrentGrads(LayerRun run, Span<float> dwhh, Span<float> dbhh)
    {
        int H = run.H, GH = 3 * H, n = run.T * run.B;
        var dA = run.DA.AsSpan(0, n * GH);
        var aux = run.Own<Mut3Buffers>().TanhHAndRh;
        // W_hz sees tanh(h_{t-1}), W_hr h_{t-1}, W_hh r*h_{t-1}.
        Gemm.Sgemm(true, false, H, H, n, 1f, dA, GH, aux, 2 * H, 1f, dwhh, H, run.Threads);
        run.AccumulateHiddenGrad(dA.Slice(H), GH, H, dwhh.Slice(H * H));
        Gemm.Sgemm(true, false, H, H, n, 1f, dA.Slice(2 * H), GH, aux.AsSpan(H), 2 * H, 1f, dwhh.Slice(2 * H * H), H, run.Threads);
        if (!dbhh.IsEmpty) Reduce.SumRows(dA, n, GH, dbhh);
    }

    internal override void InferUnits(InferenceLayer layer, int phase, int j0, int n)
    {
        int H = layer.H;
        var a = layer.A.AsSpan();
        var hh = layer.Hh.AsSpan();
        if (phase == 0)
        {
            // r = σ(a_r + W_hr h); tanh(h) and r*h for phase 1
            layer.GateRows(layer.Whh, H, layer.HPrev, a, 1, 2, j0, n);
            var r = a.Slice(H + j0, n);
            TensorPrimitives.Sigmoid(r, r);
            TensorPrimitives.Tanh(layer.HPrev.AsSpan(j0, n), hh.Slice(j0, n));
            TensorPrimitives.Multiply(r, layer.HPrev.AsSpan(j0, n), hh.Slice(H + j0, n));
            return;
        }
        // z = σ(a_z + W_hz tanh(h)); n = tanh(a_n + W_hh (r*h)); h' = z n + (1 - z) h
        layer.GateRows(layer.Whh, H, hh[..H], a, 0, 1, j0, n);
        layer.GateRows(layer.Whh, H, hh.Slice(H, H), a, 2, 3, j0, n);
        var z = a.Slice(j0, n); var cand = a.Slice(2 * H + j0, n);
        TensorPrimitives.Sigmoid(z, z);
        TensorPrimitives.Tanh(cand, cand);
        GruCell.Blend(z, cand, layer.HPrev.AsSpan(j0, n), layer.HNext.AsSpan(j0, n));
    }
}
