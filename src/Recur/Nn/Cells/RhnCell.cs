using System.Numerics.Tensors;
using Recur.Kernels;

namespace Recur.Nn.Cells;

/// <summary>
/// The Recurrent Highway Network of Zilly et al. 2017 ("Recurrent Highway Networks"), with recurrence depth
/// <c>D</c> (<see cref="Depth"/>) and the paper's coupled carry gate <c>c = 1 - t</c>. One time step runs
/// <c>D</c> micro-layers <c>l = 1..D</c> from <c>s_0 = h_{t-1}</c>; only the first sees the input:
/// <c>h_l = tanh(W_H x [l = 1] + R_Hl s_{l-1} + b_Hl)</c>, <c>t_l = σ(W_T x [l = 1] + R_Tl s_{l-1} + b_Tl)</c>,
/// <c>s_l = h_l ⊙ t_l + s_{l-1} ⊙ (1 - t_l)</c>, and <c>h_t = s_D</c>.
/// <para>
/// Parameters, exactly the matrices of the equations: <c>weight_ih (2H, in)</c> blocks <c>W_H, W_T</c>
/// (<see cref="GateNames"/>: the first micro-layer's <c>h</c> and <c>t</c>); <c>weight_hh (2DH, H)</c> blocks
/// <c>R_H1, R_T1, R_H2, R_T2, ..., R_HD, R_TD</c>; <c>bias_ih (2H)</c>; <c>bias_hh (2DH)</c> in the order of
/// <c>weight_hh</c>. The first micro-layer's bias is <c>b_ih + b_hh[0:2H]</c> (folded into the input projection);
/// micro-layer <c>l &gt; 1</c> adds its own <c>b_hh</c> block.
/// </para>
/// <para>
/// Each micro-layer is one product per step against its <c>(2H, H)</c> block of <c>W_hh</c>, packed once per
/// chunk (<see cref="RhnBuffers.RForward"/>, <see cref="RhnBuffers.RBackward"/>). Backward, micro-layer by
/// micro-layer from <c>l = D</c> with <c>ds = dL/ds_l</c>: <c>da_H = ds ⊙ t ⊙ (1 - h²)</c>,
/// <c>da_T = ds ⊙ (h - s_{l-1}) ⊙ t(1 - t)</c>, <c>dL/ds_{l-1} = ds ⊙ (1 - t) + (da_H, da_T) R_l</c>;
/// after the reverse loop <c>dR_l += da_l^T s_{l-1}</c> and <c>db_hh,l += Σ da_l</c>, one product per micro-layer.
/// </para>
/// <para>Buffers: <see cref="LayerRun.A"/> keeps micro-layer 1's <c>h, t</c> and <see cref="LayerRun.DA"/> its
/// pre-activation gradients; the cell's own <see cref="RhnBuffers"/> keep the same for micro-layers <c>2..D</c>,
/// the intermediate states <c>s_1..s_{D-1}</c> (<c>s_D</c> is the output <see cref="LayerRun.Y"/>) and the packed
/// blocks <c>R_l</c>.</para>
/// </summary>
public sealed class RhnCell : RecurrentCell
{
    /// <summary>The depth of the registered <c>"rhn"</c> cell.</summary>
    public const int DefaultDepth = 3;

    /// <summary>The largest recurrence depth <c>rhn-dN</c> accepts.</summary>
    public const int MaxDepth = 10;

    /// <summary>
    /// An RHN of recurrence depth <paramref name="depth"/> (1..<see cref="MaxDepth"/>); named <c>rhn</c> at depth 3,
    /// else <c>rhn-d{depth}</c>.
    /// </summary>
    public RhnCell(int depth)
    {
        if (depth < 1 || depth > MaxDepth)
            throw new ArgumentOutOfRangeException(nameof(depth), depth, $"the RHN's recurrence depth must be in [1, {MaxDepth}], got {depth}.");
        Depth = depth;
        Name = depth == DefaultDepth ? "rhn" : $"rhn-d{depth}";
    }

    /// <summary>Recurrence depth <c>D</c>: micro-layers per time step.</summary>
    public int Depth { get; }

    /// <inheritdoc/>
    public override string Name { get; }

    /// <inheritdoc/>
    public override string Summary =>
        $"Recurrent Highway Network of recurrence depth {Depth}, coupled carry c = 1 - t (Zilly et al. 2017)";

    /// <inheritdoc/>
    public override int Gates => 2;

    /// <inheritdoc/>
    public override int RecurrentGates => 2 * Depth;

    /// <summary>The first micro-layer's candidate <c>h1</c> and transform gate <c>t1</c> (the only ones that see the input).</summary>
    public override IReadOnlyList<string> GateNames { get; } = ["h1", "t1"];

    /// <summary>One phase per micro-layer: each needs the whole previous state.</summary>
    public override int InferencePhases => Depth;

    /// <summary><c>b_ih + b_hh[0:2H]</c>: the first micro-layer's two bias blocks; the others stay in their micro-layers.</summary>
    public override void FoldBias(ReadOnlySpan<float> bih, ReadOnlySpan<float> bhh, Span<float> dst)
    {
        bih.CopyTo(dst);
        if (!bhh.IsEmpty) TensorPrimitives.Add(dst[..bih.Length], bhh[..bih.Length], dst[..bih.Length]);
    }

    /// <summary>What an RHN layer keeps besides <see cref="LayerRun"/>'s shared buffers (micro-layer 1 uses those).</summary>
    private sealed class RhnBuffers(int depth) : CellBuffers
    {
        /// <summary>The activations <c>h_l, t_l</c> of micro-layers <c>l = 2..D</c> <c>(D-1, T, B, 2H)</c>.</summary>
        public float[] Acts = [];

        /// <summary>Their pre-activation gradients <c>(da_H, da_T)</c> <c>(D-1, T, B, 2H)</c>, written by backward.</summary>
        public float[] ActGrads = [];

        /// <summary>The intermediate states <c>s_1..s_{D-1}</c> <c>(D-1, T, B, H)</c>.</summary>
        public float[] States = [];

        /// <summary>
        /// The blocks <c>R_l = [R_Hl; R_Tl]</c> <c>(2H, H)</c> of <c>weight_hh</c>, one per micro-layer, packed for
        /// <c>s_{l-1} R_l^T</c> (forward).
        /// </summary>
        public readonly PackedMatrix[] RForward = NewPacked(depth);

        /// <summary>The same blocks packed for <c>(da_H, da_T) R_l</c> (backward).</summary>
        public readonly PackedMatrix[] RBackward = NewPacked(depth);

        internal override void Allocate(int T, int B, int H)
        {
            int more = (depth - 1) * T * B * H;
            Acts = Buffers.Ensure(Acts, 2 * more);
            States = Buffers.Ensure(States, more);
            ActGrads = Buffers.Ensure(ActGrads, 2 * more);
        }

        private static PackedMatrix[] NewPacked(int n)
        {
            var a = new PackedMatrix[n];
            for (int i = 0; i < n; i++) a[i] = new PackedMatrix();
            return a;
        }
    }

    internal override CellBuffers CreateBuffers() => new RhnBuffers(Depth);

    // Micro-layer m (0-based) of step t: its activations h, t (B, 2H), their pre-activation gradients (B, 2H),
    // the state it reads s_{m-1} (B, H) and the state it writes s_m (B, H).
    private static Span<float> Acts(LayerRun run, int t, int m)
        => m == 0 ? run.Step(run.A, t, 2 * run.H) : MicroLayer(run, run.Own<RhnBuffers>().Acts, t, m - 1, 2 * run.H);

    private static Span<float> ActGrads(LayerRun run, int t, int m)
        => m == 0 ? run.Step(run.DA, t, 2 * run.H) : MicroLayer(run, run.Own<RhnBuffers>().ActGrads, t, m - 1, 2 * run.H);

    private static ReadOnlySpan<float> StateIn(LayerRun run, int t, int m)
        => m == 0 ? run.HPrev(t) : MicroLayer(run, run.Own<RhnBuffers>().States, t, m - 1, run.H);

    private Span<float> StateOut(LayerRun run, int t, int m)
        => m == Depth - 1 ? run.Step(run.Y, t, run.H) : MicroLayer(run, run.Own<RhnBuffers>().States, t, m, run.H);

    /// <summary>Step <paramref name="t"/>'s rows <c>(B, width)</c> of slice <paramref name="k"/> of a <c>(D-1, T, B, width)</c> buffer.</summary>
    private static Span<float> MicroLayer(LayerRun run, float[] buffer, int t, int k, int width)
        => buffer.AsSpan((k * run.T + t) * run.B * width, run.B * width);

    internal override void PackForward(LayerRun run, ReadOnlySpan<float> whh)
    {
        int H = run.H;
        var r = run.Own<RhnBuffers>().RForward;
        for (int m = 0; m < Depth; m++) Gemm.PackB(true, H, 2 * H, whh.Slice(m * 2 * H * H), H, r[m]);
    }

    internal override void PackBackward(LayerRun run, ReadOnlySpan<float> whh)
    {
        int H = run.H;
        var r = run.Own<RhnBuffers>().RBackward;
        for (int m = 0; m < Depth; m++) Gemm.PackB(false, 2 * H, H, whh.Slice(m * 2 * H * H), H, r[m]);
    }

    internal override void ForwardStep(LayerRun run, int t)
    {
        int H = run.H;
        var r = run.Own<RhnBuffers>().RForward;
        for (int m = 0; m < Depth; m++)
        {
            // Micro-layer 1 adds R_1 s_0 to the input projection; the others start from zero (their bias in the rows).
            Gemm.Sgemm(false, run.B, 1f, StateIn(run, t, m), H, r[m], m == 0 ? 1f : 0f, Acts(run, t, m), 2 * H, run.Threads);
            run.RunRows(t, m, forward: true);
        }
    }

    /// <summary>Micro-layer <paramref name="phase"/>: <c>h, t</c> from the pre-activations, then <c>s = t h + (1 - t) s_{l-1}</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal override void ForwardRows(LayerRun run, int t, int phase, int b0, int b1)
    {
        int H = run.H, m = phase;
        var acts = Acts(run, t, m);
        var sin = StateIn(run, t, m);
        var sout = StateOut(run, t, m);
        var bias = m > 0 && run.Parameters.BiasHh is { } bhh ? bhh.Value.Slice(m * 2 * H, 2 * H) : default;
        for (int b = b0; b < b1; b++)
        {
            var g = acts.Slice(b * 2 * H, 2 * H);
            if (!bias.IsEmpty) TensorPrimitives.Add(g, bias, g);
            var h = g[..H]; var tg = g.Slice(H, H);
            TensorPrimitives.Tanh(h, h);
            TensorPrimitives.Sigmoid(tg, tg);
            GruCell.Blend(tg, h, sin.Slice(b * H, H), sout.Slice(b * H, H)); // t h + (1 - t) s_{l-1}
        }
    }

    internal override void BackwardStep(LayerRun run, int t)
    {
        int H = run.H;
        var r = run.Own<RhnBuffers>().RBackward;
        for (int p = 0; p < Depth; p++)
        {
            int m = Depth - 1 - p;
            // The rows leave da_l in place and ds ⊙ (1 - t) in the carry; the product adds da_l R_l.
            run.RunRows(t, p, forward: false);
            Gemm.Sgemm(false, run.B, 1f, ActGrads(run, t, m), 2 * H, r[m], 1f, run.DhCarry, H, run.Threads);
        }
    }

    /// <summary>Micro-layer <c>D - 1 - phase</c> backward (the upstream gradient joins at phase 0).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal override void BackwardRows(LayerRun run, int t, int phase, int b0, int b1)
    {
        int H = run.H, m = Depth - 1 - phase;
        if (phase == 0) run.AddUpstream(t, b0, b1);
        var acts = Acts(run, t, m);
        var grads = ActGrads(run, t, m);
        var sin = StateIn(run, t, m);
        var ds = run.DhCarry.AsSpan();
        for (int b = b0; b < b1; b++)
        {
            var g = acts.Slice(b * 2 * H, 2 * H); var d = grads.Slice(b * 2 * H, 2 * H);
            var dsb = ds.Slice(b * H, H); var sp = sin.Slice(b * H, H);
            for (int j = 0; j < H; j++)
            {
                float h = g[j], tg = g[H + j], dj = dsb[j];
                d[j] = dj * tg * (1f - h * h);
                d[H + j] = dj * (h - sp[j]) * tg * (1f - tg);
                dsb[j] = dj * (1f - tg);
            }
        }
    }

    internal override void AccumulateRecurrentGrads(LayerRun run, Span<float> dwhh, Span<float> dbhh)
    {
        int H = run.H, n = run.T * run.B, block = 2 * H * H;
        // Micro-layer 1 reads h_{t-1}; micro-layer l > 1 reads s_{l-1} of the same step.
        run.AccumulateHiddenGrad(run.DA.AsSpan(0, n * 2 * H), 2 * H, 2 * H, dwhh[..block]);
        if (!dbhh.IsEmpty) Reduce.SumRows(run.DA.AsSpan(0, n * 2 * H), n, 2 * H, dbhh[..(2 * H)]);
        var own = run.Own<RhnBuffers>();
        for (int m = 1; m < Depth; m++)
        {
            var da = own.ActGrads.AsSpan((m - 1) * n * 2 * H, n * 2 * H);
            var s = own.States.AsSpan((m - 1) * n * H, n * H);
            Gemm.Sgemm(true, false, 2 * H, H, n, 1f, da, 2 * H, s, H, 1f, dwhh.Slice(m * block, block), H, run.Threads);
            if (!dbhh.IsEmpty) Reduce.SumRows(da, n, 2 * H, dbhh.Slice(m * 2 * H, 2 * H));
        }
    }

    internal override void InferUnits(InferenceLayer layer, int phase, int j0, int n)
    {
        int H = layer.H, m = phase;
        var a = layer.A.AsSpan();
        // Micro-layer m's rows of A: [2mH, 2mH + 2H). Micro-layer 1's hold fold(b) + W_ih x already; the
        // others start from their b_hh block. States s_1..s_{D-1} live in Hh, s_D goes to HNext.
        ReadOnlySpan<float> sin = m == 0 ? layer.HPrev : layer.Hh.AsSpan((m - 1) * H, H);
        var sout = m == Depth - 1 ? layer.HNext.AsSpan(j0, n) : layer.Hh.AsSpan(m * H + j0, n);
        if (m > 0)
        {
            if (layer.BiasHh is { } bh) layer.CopyGateRows(bh, a, 2 * m, 2 * m + 2, j0, n);
            else { a.Slice(2 * m * H + j0, n).Clear(); a.Slice((2 * m + 1) * H + j0, n).Clear(); }
        }
        layer.GateRows(layer.Whh, H, sin, a, 2 * m, 2 * m + 2, j0, n);
        var h = a.Slice(2 * m * H + j0, n); var tg = a.Slice((2 * m + 1) * H + j0, n);
        TensorPrimitives.Tanh(h, h);
        TensorPrimitives.Sigmoid(tg, tg);
        GruCell.Blend(tg, h, sin.Slice(j0, n), sout);
    }
}
