using System.Numerics.Tensors;
using Recur.Kernels;

namespace Recur.Nn.Cells;

/// <summary>
/// MUT1, the first mutated GRU of Jozefowicz et al. 2015 ("An Empirical Exploration of Recurrent Network
/// Architectures"), as the CS231n 2017 slides write it (<c>h = h_{t-1}</c>):
/// <c>z = σ(W_xz x + b_z)</c>; <c>r = σ(W_xr x + W_hr h + b_r)</c>;
/// <c>h_t = tanh(W_hh (r ⊙ h) + tanh(x) + b_h) ⊙ z + h ⊙ (1 - z)</c>. The raw <c>tanh(x)</c> term makes the
/// input as wide as the hidden state.
/// <para>
/// Parameters, exactly the matrices of the equations: <c>weight_ih (2H, H)</c> blocks z, r
/// (<c>W_xz, W_xr</c>; <see cref="GateNames"/>); <c>weight_hh (2H, H)</c> blocks r, n (<c>W_hr</c>, and the
/// candidate's <c>W_hh</c>). <c>bias_ih (2H)</c> = <c>b_iz, b_ir</c>, <c>bias_hh (2H)</c> = <c>b_hr, b_hn</c>, so
/// <c>b_z = b_iz</c>, <c>b_r = b_ir + b_hr</c> (folded into the input projection) and <c>b_h = b_hn</c> (added in
/// the candidate's branch).
/// </para>
/// <para>
/// A step is two products: <c>W_hr h</c>, then (once r is known) <c>W_hh (r ⊙ h)</c>. With <c>n</c> the
/// candidate: <c>da_n = dh ⊙ z ⊙ (1-n²)</c>, <c>da_z = dh ⊙ (n - h) ⊙ z(1-z)</c>, <c>d(r⊙h) = da_n W_hh</c>,
/// <c>da_r = d(r⊙h) ⊙ h ⊙ r(1-r)</c>, <c>dh_{t-1} = dh ⊙ (1-z) + d(r⊙h) ⊙ r + da_r W_hr</c>,
/// <c>dx += da_n ⊙ (1 - tanh²(x))</c> (into <see cref="LayerRun.DInput"/>); <c>dW_hr += da_r^T h</c>,
/// <c>dW_hh += da_n^T (r⊙h)</c>, <c>db_hr = Σ da_r</c>, <c>db_hn = Σ da_n</c>.
/// </para>
/// <para>Buffers: <see cref="LayerRun.A"/> keeps z, r; the cell's own <see cref="Mut1Buffers"/> keep <c>r ⊙ h</c>
/// and <c>n</c>, <c>da_n</c> (backward) and the two packed blocks of <c>W_hh</c>.</para>
/// </summary>
public sealed class Mut1Cell : RecurrentCell
{
    /// <inheritdoc/>
    public override string Name => "mut1";

    /// <inheritdoc/>
    public override string Summary => "MUT1 mutated GRU: z from x only, tanh(x) in the candidate (Jozefowicz et al. 2015); input width = hidden";

    /// <inheritdoc/>
    public override int Gates => 2;

    /// <inheritdoc/>
    public override int RecurrentGates => 2;

    /// <inheritdoc/>
    public override IReadOnlyList<string> GateNames { get; } = ["z", "r"];

    /// <inheritdoc/>
    public override bool RequiresInputEqualsHidden => true;

    /// <inheritdoc/>
    public override int InferencePhases => 2;

    /// <summary><c>b_iz</c>, <c>b_ir + b_hr</c>: <c>b_hn</c> stays in the candidate's branch.</summary>
    public override void FoldBias(ReadOnlySpan<float> bih, ReadOnlySpan<float> bhh, Span<float> dst)
    {
        int H = bih.Length / 2;
        bih.CopyTo(dst);
        TensorPrimitives.Add(dst.Slice(H, H), bhh[..H], dst.Slice(H, H));
    }

    /// <summary>What a MUT1 layer keeps besides <see cref="LayerRun"/>'s shared buffers.</summary>
    private sealed class Mut1Buffers : CellBuffers
    {
        /// <summary>
        /// <c>(T, B, 2H)</c>, per row <c>r ⊙ h_{t-1}</c> <c>(H)</c> then the candidate <c>n</c> <c>(H)</c> (before its
        /// product: <c>tanh(x) + b_hn</c>; after the step: <c>n</c>). <c>r ⊙ h</c> is the right operand of the
        /// candidate's <c>W_hh</c>, kept for its gradient.
        /// </summary>
        public float[] RhAndN = [];

        /// <summary><c>da_n</c> <c>(T, B, H)</c>, written by backward: the candidate's <c>d(r ⊙ h)</c> product, then <c>dW_hh</c>, <c>db_hn</c>.</summary>
        public float[] DaN = [];

        /// <summary>Block r of <c>weight_hh</c>, <c>W_hr</c> <c>(H, H)</c>, packed for <c>h_{t-1} W_hr^T</c> (forward).</summary>
        public readonly PackedMatrix WhrForward = new();

        /// <summary>Block n of <c>weight_hh</c>, the candidate's <c>W_hh</c> <c>(H, H)</c>, packed for <c>(r ⊙ h) W_hh^T</c> (forward).</summary>
        public readonly PackedMatrix WhnForward = new();

        /// <summary><c>W_hr</c> packed for <c>da_r W_hr</c> (backward).</summary>
        public readonly PackedMatrix WhrBackward = new();

        /// <summary>The candidate's <c>W_hh</c> packed for <c>d(r ⊙ h) = da_n W_hh</c> (backward).</summary>
        public readonly PackedMatrix WhnBackward = new();

        internal override void Allocate(int T, int B, int H)
        {
            RhAndN = Buffers.Ensure(RhAndN, T * B * 2 * H);
            DaN = Buffers.Ensure(DaN, T * B * H);
        }
    }

    internal override CellBuffers CreateBuffers() => new Mut1Buffers();

    internal override void PackForward(LayerRun run, ReadOnlySpan<float> whh)
    {
        int H = run.H;
        var own = run.Own<Mut1Buffers>();
        Gemm.PackB(true, H, H, whh, H, own.WhrForward);
        Gemm.PackB(true, H, H, whh.Slice(H * H), H, own.WhnForward);
    }

    internal override void PackBackward(LayerRun run, ReadOnlySpan<float> whh)
    {
        int H = run.H;
        var own = run.Own<Mut1Buffers>();
        Gemm.PackB(false, H, H, whh, H, own.WhrBackward);
        Gemm.PackB(false, H, H, whh.Slice(H * H), H, own.WhnBackward);
    }

    internal override void ForwardStep(LayerRun run, int t)
    {
        int H = run.H, B = run.B;
        var own = run.Own<Mut1Buffers>();
        var at = run.Step(run.A, t, 2 * H);
        var aux = run.Step(own.RhAndN, t, 2 * H);
        // a_r += h W_hr^T; then z, r, r*h and tanh(x) + b_hn; then the candidate's product.
        Gemm.Sgemm(false, B, 1f, run.HPrev(t), H, own.WhrForward, 1f, at.Slice(H), 2 * H, run.Threads);
        run.RunRows(t, 0, forward: true);
        Gemm.Sgemm(false, B, 1f, aux, 2 * H, own.WhnForward, 1f, aux.Slice(H), 2 * H, run.Threads);
        run.RunRows(t, 1, forward: true);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal override void ForwardRows(LayerRun run, int t, int phase, int b0, int b1)
    {
        int H = run.H;
        var at = run.Step(run.A, t, 2 * H);
        var aux = run.Step(run.Own<Mut1Buffers>().RhAndN, t, 2 * H);
        var hprev = run.HPrev(t);
        if (phase == 0)
        {
            var x = run.Input(t);
            var bhn = run.Parameters.BiasHh is { } bhh ? bhh.Value.Slice(H, H) : default;
            for (int b = b0; b < b1; b++)
            {
                var g = at.Slice(b * 2 * H, 2 * H);
                var rh = aux.Slice(b * 2 * H, H); var nn = aux.Slice(b * 2 * H + H, H);
                TensorPrimitives.Sigmoid(g, g);
                TensorPrimitives.Multiply(g.Slice(H, H), hprev.Slice(b * H, H), rh);
                TensorPrimitives.Tanh(x.Slice(b * H, H), nn);
                if (!bhn.IsEmpty) TensorPrimitives.Add(nn, bhn, nn);
            }
            return;
        }
        var ht = run.Step(run.Y, t, H);
        for (int b = b0; b < b1; b++)
        {
            var z = at.Slice(b * 2 * H, H);
            var nn = aux.Slice(b * 2 * H + H, H);
            TensorPrimitives.Tanh(nn, nn);
            GruCell.Blend(z, nn, hprev.Slice(b * H, H), ht.Slice(b * H, H)); // z n + (1 - z) h
        }
    }

    internal override void BackwardStep(LayerRun run, int t)
    {
        int H = run.H, B = run.B;
        var own = run.Own<Mut1Buffers>();
        run.RunRows(t, 0, forward: false);
        // d(r*h) = da_n W_hh
        Gemm.Sgemm(false, B, 1f, run.Step(own.DaN, t, H), H, own.WhnBackward, 0f, run.Scratch.AsSpan(B * H, B * H), H, run.Threads);
        run.RunRows(t, 1, forward: false);
        run.Scratch.AsSpan(0, B * H).CopyTo(run.DhCarry);
        Gemm.Sgemm(false, B, 1f, run.Step(run.DA, t, 2 * H).Slice(H), 2 * H, own.WhrBackward, 1f, run.DhCarry, H, run.Threads);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal override void BackwardRows(LayerRun run, int t, int phase, int b0, int b1)
    {
        int H = run.H;
        var at = run.Step(run.A, t, 2 * H);
        var dat = run.Step(run.DA, t, 2 * H);
        var hprev = run.HPrev(t);
        var dh = run.DhCarry.AsSpan();
        if (phase == 0)
        {
            run.AddUpstream(t, b0, b1);
            var own = run.Own<Mut1Buffers>();
            var aux = run.Step(own.RhAndN, t, 2 * H);
            var dan = run.Step(own.DaN, t, H);
            var x = run.Input(t);
            var dx = run.Step(run.DInput, t, H);
            for (int b = b0; b < b1; b++)
            {
                var g = at.Slice(b * 2 * H, 2 * H); var d = dat.Slice(b * 2 * H, 2 * H);
                var nn = aux.Slice(b * 2 * H + H, H);
                var dhb = dh.Slice(b * H, H); var hp = hprev.Slice(b * H, H);
                var danb = dan.Slice(b * H, H); var xb = x.Slice(b * H, H); var dxb = dx.Slice(b * H, H);
                for (int j = 0; j < H; j++)
                {
                    float z = g[j], n = nn[j], dhj = dhb[j];
                    float da = dhj * z * (1f - n * n);
                    danb[j] = da;
                    d[j] = dhj * (n - hp[j]) * z * (1f - z);
                    float tx = MathF.Tanh(xb[j]);
                    dxb[j] = da * (1f - tx * tx);
                }
            }
            return;
        }
        var tmp = run.Scratch.AsSpan(0, run.B * H);
        var drh = run.Scratch.AsSpan(run.B * H, run.B * H);
        for (int b = b0; b < b1; b++)
        {
            var g = at.Slice(b * 2 * H, 2 * H); var d = dat.Slice(b * 2 * H, 2 * H);
            var dhb = dh.Slice(b * H, H); var hp = hprev.Slice(b * H, H);
            var dhp = tmp.Slice(b * H, H); var drhb = drh.Slice(b * H, H);
            for (int j = 0; j < H; j++)
            {
                float z = g[j], r = g[H + j];
                d[H + j] = drhb[j] * hp[j] * r * (1f - r);
                dhp[j] = dhb[j] * (1f - z) + drhb[j] * r;
            }
        }
    }

    internal override void AccumulateRecurrentGrads(LayerRun run, Span<float> dwhh, Span<float> dbhh)
    {
        int H = run.H, n = run.T * run.B;
        var dar = run.DA.AsSpan(H, n * 2 * H - H);
        var own = run.Own<Mut1Buffers>();
        var dan = own.DaN.AsSpan(0, n * H);
        // W_hr sees h_{t-1}; W_hh sees r*h_{t-1}.
        run.AccumulateHiddenGrad(dar, 2 * H, H, dwhh);
        Gemm.Sgemm(true, false, H, H, n, 1f, dan, H, own.RhAndN, 2 * H, 1f, dwhh.Slice(H * H), H, run.Threads);
        if (dbhh.IsEmpty) return;
        Reduce.SumRows(dar, n, H, dbhh[..H], 2 * H);
        Reduce.SumRows(dan, n, H, dbhh.Slice(H, H));
    }

    internal override void InferUnits(InferenceLayer layer, int phase, int j0, int n)
    {
        int H = layer.H;
        var a = layer.A.AsSpan();
        var hh = layer.Hh.AsSpan();
        if (phase == 0)
        {
            // a_r += W_hr h; z, r = σ(a); r*h and tanh(x) + b_hn for phase 1
            Gemv.MultiplyAdd(layer.Whh.AsSpan(j0 * H, n * H), n, H, layer.HPrev, a.Slice(H + j0, n));
            var z = a.Slice(j0, n); var r = a.Slice(H + j0, n);
            TensorPrimitives.Sigmoid(z, z);
            TensorPrimitives.Sigmoid(r, r);
            TensorPrimitives.Multiply(r, layer.HPrev.AsSpan(j0, n), hh.Slice(j0, n));
            var nn = hh.Slice(H + j0, n);
            TensorPrimitives.Tanh(layer.X.AsSpan(j0, n), nn);
            if (layer.BiasHh is { } bh) TensorPrimitives.Add(nn, bh.AsSpan(H + j0, n), nn);
            return;
        }
        // n = tanh(W_hh (r*h) + tanh(x) + b_hn); h' = z n + (1 - z) h
        var cand = hh.Slice(H + j0, n);
        Gemv.MultiplyAdd(layer.Whh.AsSpan((H + j0) * H, n * H), n, H, hh[..H], cand);
        TensorPrimitives.Tanh(cand, cand);
        GruCell.Blend(a.Slice(j0, n), cand, layer.HPrev.AsSpan(j0, n), layer.HNext.AsSpan(j0, n));
    }
}
