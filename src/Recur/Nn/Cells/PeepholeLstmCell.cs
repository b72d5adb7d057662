using Recur.Kernels;

namespace Recur.Nn.Cells;

/// <summary>The LSTM variants of Greff et al. 2017, "LSTM: A Search Space Odyssey" (see <see cref="PeepholeLstmCell"/>).</summary>
public enum GreffVariant
{
    /// <summary>Their vanilla LSTM: input, forget and output gates, peepholes, tanh activations.</summary>
    Vanilla,
    /// <summary>No input gate: <c>i = 1</c>.</summary>
    NIG,
    /// <summary>No forget gate: <c>f = 1</c>.</summary>
    NFG,
    /// <summary>No output gate: <c>o = 1</c>.</summary>
    NOG,
    /// <summary>No input activation function: <c>g</c> is the identity.</summary>
    NIAF,
    /// <summary>No output activation function: <c>h</c> is the identity.</summary>
    NOAF,
    /// <summary>No peepholes.</summary>
    NP,
    /// <summary>Coupled input and forget gate: <c>f = 1 − i</c>.</summary>
    CIFG,
    /// <summary>Full gate recurrence: <c>i, f, o</c> also receive <c>i_{t-1}, f_{t-1}, o_{t-1}</c> through nine matrices.</summary>
    FGR,
}

/// <summary>
/// The LSTM of Greff et al. 2017 ("LSTM: A Search Space Odyssey") and its eight variants, one instance per
/// variant. The vanilla cell, with diagonal peepholes <c>p_i, p_f, p_o</c> (elementwise), <c>σ</c> the
/// logistic sigmoid and <c>g = h = tanh</c>:
/// <c>i = σ(W_i x + R_i h_{t-1} + p_i ⊙ c_{t-1} + b_i)</c>; <c>f = σ(W_f x + R_f h_{t-1} + p_f ⊙ c_{t-1} + b_f)</c>;
/// <c>z = g(W_z x + R_z h_{t-1} + b_z)</c>; <c>c_t = z ⊙ i + c_{t-1} ⊙ f</c>;
/// <c>o = σ(W_o x + R_o h_{t-1} + p_o ⊙ c_t + b_o)</c>; <c>h_t = h(c_t) ⊙ o</c>.
/// <para>
/// Parameters: <c>W_ih</c>, <c>W_hh</c>, <c>b_ih</c>, <c>b_hh</c> have one block per gate that exists, in
/// PyTorch's LSTM order i, f, g (= z), o (<see cref="RecurrentCell.GateNames"/>); a removed gate has no rows
/// and no peephole. <c>weight_peep</c> <c>(P*H)</c> holds the peepholes of the P peepholed gates, in the order
/// i, f, o. FGR adds <c>weight_gg</c> <c>(3H, 3H)</c>: rows are the receiving gate i, f, o, columns the
/// sending gate <c>i_{t-1}, f_{t-1}, o_{t-1}</c>. Initialisation is PyTorch's LSTM one for the weights and
/// biases; the peepholes and <c>weight_gg</c> are drawn like the weights, <c>U(−1/√H, 1/√H)</c>.
/// </para>
/// <para>
/// FGR's previous gate activations are zero at the first step of every chunk: the driver carries only
/// <c>h</c> and <c>c</c> from chunk to chunk, so under truncated BPTT the gate recurrence restarts at each
/// chunk (carrying the gates across chunks is not done). The sampler carries them from token to token
/// (<see cref="InferenceLayer.Hh"/>) from its reset on, which is what one training chunk over the same
/// tokens computes.
/// </para>
/// <para>
/// Buffers: <see cref="LayerRun.A"/> keeps the activations, <see cref="LayerRun.C"/> <c>c_t</c>, the cell's own
/// <see cref="PeepholeBuffers"/> <c>h(c_t)</c> and, for FGR, the gate activations <c>[i; f; o]</c>, the gradient
/// reaching them from the next step and the packed <c>weight_gg</c>; for FGR <see cref="LayerRun.Scratch"/> holds
/// the step's gate-recurrence product <c>(B, 3H)</c>. The elementwise arithmetic is
/// <see cref="PeepholeLstmCellKernels"/>'.
/// </para>
/// </summary>
public sealed class PeepholeLstmCell : RecurrentCell
{
    private readonly GreffLayout _l;
    private readonly int _gates, _peepholes;
    private readonly bool _fgr;

    /// <summary>The cell of <paramref name="variant"/>.</summary>
    public PeepholeLstmCell(GreffVariant variant)
    {
        Variant = variant;
        bool noI = variant == GreffVariant.NIG, noF = variant is GreffVariant.NFG or GreffVariant.CIFG, noO = variant == GreffVariant.NOG;
        bool peep = variant != GreffVariant.NP;
        var names = new List<string>();
        int Block(string gate, bool exists)
        {
            if (!exists) return -1;
            names.Add(gate);
            return names.Count - 1;
        }
        int i = Block("i", !noI), f = Block("f", !noF), g = Block("g", true), o = Block("o", !noO);
        int p = 0;
        int Peep(bool exists) => peep && exists ? p++ : -1;
        int pi = Peep(!noI), pf = Peep(!noF), po = Peep(!noO);
        _l = new GreffLayout(i, f, g, o, pi, pf, po, variant == GreffVariant.CIFG,
            variant == GreffVariant.NIAF, variant == GreffVariant.NOAF);
        _gates = names.Count;
        _peepholes = p;
        _fgr = variant == GreffVariant.FGR;
        GateNames = names;
        var extra = new List<CellParameter>();
        if (p > 0) extra.Add(new CellParameter("weight_peep", (_, h) => [p * h]));
        if (_fgr) extra.Add(new CellParameter("weight_gg", (_, h) => [3 * h, 3 * h]));
        ExtraParameters = extra;
        (Name, Summary) = variant switch
        {
            GreffVariant.Vanilla => ("peephole", "LSTM with peepholes, Greff et al. 2017's vanilla (gates i, f, g, o; p_i, p_f, p_o)"),
            GreffVariant.NIG => ("nig", "Greff's peephole LSTM, no input gate (i = 1)"),
            GreffVariant.NFG => ("nfg", "Greff's peephole LSTM, no forget gate (f = 1)"),
            GreffVariant.NOG => ("nog", "Greff's peephole LSTM, no output gate (o = 1)"),
            GreffVariant.NIAF => ("niaf", "Greff's peephole LSTM, no input activation (z = W x + R h + b)"),
            GreffVariant.NOAF => ("noaf", "Greff's peephole LSTM, no output activation (h = c * o)"),
            GreffVariant.NP => ("np", "Greff's LSTM without peepholes"),
            GreffVariant.CIFG => ("cifg", "Greff's peephole LSTM, coupled input and forget gate (f = 1 - i)"),
            GreffVariant.FGR => ("fgr", "Greff's peephole LSTM, full gate recurrence (i, f, o see last step's i, f, o)"),
            _ => throw new ArgumentOutOfRangeException(nameof(variant), variant, "not a Greff variant."),
        };
    }

    /// <summary>The variant this cell computes.</summary>
    public GreffVariant Variant { get; }

    /// <inheritdoc/>
    public override string Name { get; }

    /// <inheritdoc/>
    public override string Summary { get; }

    /// <inheritdoc/>
    public override int Gates => _gates;

    /// <inheritdoc/>
    public override IReadOnlyList<string> GateNames { get; }

    /// <inheritdoc/>
    public override IReadOnlyList<CellParameter> ExtraParameters { get; }

    /// <inheritdoc/>
    public override bool HasCellState => true;

    /// <summary>
    /// True: every gate sees <c>W_ih x + W_hh h + b</c>, so the sampler may compute it as one product; the
    /// peepholes (and FGR's gate recurrence) are added by the cell after it.
    /// </summary>
    public override bool AdditiveRecurrence => true;

    /// <summary>2 for FGR (phase 0 reads every unit's previous gates, phase 1 overwrites them), else 1.</summary>
    public override int InferencePhases => _fgr ? 2 : 1;

    /// <inheritdoc/>
    public override void Initialize(LayerParameters p, int hiddenSize, Rng rng, float? forgetBias)
    {
        base.Initialize(p, hiddenSize, rng, forgetBias);
        if (_l.F >= 0 && forgetBias is float fb && p.BiasIh is not null && p.BiasHh is not null)
        {
            p.BiasIh.Value.Slice(_l.F * hiddenSize, hiddenSize).Fill(fb);
            p.BiasHh.Value.Slice(_l.F * hiddenSize, hiddenSize).Clear();
        }
    }

    private static ReadOnlySpan<float> Peepholes(LayerParameters p, int count) => count > 0 ? p.Extra[0].Value : default;

    private Parameter GateWeights(LayerParameters p) => p.Extra[_peepholes > 0 ? 1 : 0];

    /// <summary>What a Greff LSTM layer keeps besides <see cref="LayerRun"/>'s shared buffers (FGR: more).</summary>
    private sealed class PeepholeBuffers(bool fgr) : CellBuffers
    {
        /// <summary>The output activation <c>h(c_t)</c> <c>(T, B, H)</c> (<c>c_t</c> itself for NOAF), read by backward.</summary>
        public float[] HC = [];

        /// <summary>FGR: the gate activations <c>[i; f; o]</c> <c>(T, B, 3H)</c>, read by the next step's gate recurrence.</summary>
        public float[] Ifo = [];

        /// <summary>
        /// FGR: the gradient reaching the previous step's <c>[i; f; o]</c> <c>(B, 3H)</c> through <c>weight_gg</c>,
        /// carried through the reverse loop (cleared before it).
        /// </summary>
        public float[] IfoGradCarry = [];

        /// <summary>FGR: <c>weight_gg</c> <c>(3H, 3H)</c> packed for <c>[i; f; o]_{t-1} weight_gg^T</c> (forward).</summary>
        public readonly PackedMatrix WggForward = new();

        /// <summary>FGR: <c>weight_gg</c> packed for <c>(da_i, da_f, da_o) weight_gg</c> (backward).</summary>
        public readonly PackedMatrix WggBackward = new();

        internal override void Allocate(int T, int B, int H)
        {
            HC = Buffers.Ensure(HC, T * B * H);
            if (!fgr) return;
            Ifo = Buffers.Ensure(Ifo, T * B * 3 * H);
            IfoGradCarry = Buffers.Ensure(IfoGradCarry, B * 3 * H);
        }
    }

    internal override CellBuffers CreateBuffers() => new PeepholeBuffers(_fgr);

    internal override void PackForward(LayerRun run, ReadOnlySpan<float> whh)
    {
        base.PackForward(run, whh);
        int H3 = 3 * run.H;
        if (_fgr) Gemm.PackB(true, H3, H3, GateWeights(run.Parameters).Value, H3, run.Own<PeepholeBuffers>().WggForward);
    }

    /// <summary>Packs <c>W_hh</c> (and FGR's <c>weight_gg</c>) and, for FGR, clears the carried gate gradient: called once before each reverse loop.</summary>
    internal override void PackBackward(LayerRun run, ReadOnlySpan<float> whh)
    {
        base.PackBackward(run, whh);
        int H3 = 3 * run.H;
        if (!_fgr) return;
        var own = run.Own<PeepholeBuffers>();
        Gemm.PackB(false, H3, H3, GateWeights(run.Parameters).Value, H3, own.WggBackward);
        own.IfoGradCarry.AsSpan().Clear();
    }

    internal override void ForwardStep(LayerRun run, int t)
    {
        int H = run.H, GH = _gates * H, B = run.B;
        Gemm.Sgemm(false, B, 1f, run.HPrev(t), H, run.WhhForward, 1f, run.Step(run.A, t, GH), GH, run.Threads);
        // FGR: Scratch (B, 3H) = [i; f; o]_{t-1} weight_gg^T (zero gates before the chunk's first step).
        if (_fgr && t > 0)
        {
            var own = run.Own<PeepholeBuffers>();
            Gemm.Sgemm(false, B, 1f, run.Step(own.Ifo, t - 1, 3 * H), 3 * H, own.WggForward, 0f, run.Scratch, 3 * H, run.Threads);
        }
        run.RunRows(t, 0, forward: true);
    }

    internal override void ForwardRows(LayerRun run, int t, int phase, int b0, int b1)
    {
        int H = run.H, GH = _gates * H;
        var at = run.Step(run.A, t, GH);
        var cprev = run.CPrev(t);
        var ct = run.Step(run.C, t, H);
        var own = run.Own<PeepholeBuffers>();
        var hct = run.Step(own.HC, t, H);
        var ht = run.Step(run.Y, t, H);
        var peep = Peepholes(run.Parameters, _peepholes);
        for (int b = b0; b < b1; b++)
        {
            var a = at.Slice(b * GH, GH);
            if (_fgr && t > 0) AddGateBlocks(run.Scratch.AsSpan(b * 3 * H, 3 * H), a, H);
            PeepholeLstmCellKernels.Forward(_l, a, peep, cprev.Slice(b * H, H), ct.Slice(b * H, H), hct.Slice(b * H, H),
                ht.Slice(b * H, H), H, 0, H);
            if (_fgr) CopyGateBlocks(a, run.Step(own.Ifo, t, 3 * H).Slice(b * 3 * H, 3 * H), H);
        }
    }

    /// <summary><c>a_{i,f,o} += src</c> for <paramref name="src"/> <c>(3H)</c> in the order i, f, o (FGR: all four gates exist).</summary>
    private void AddGateBlocks(ReadOnlySpan<float> src, Span<float> a, int H)
    {
        ReadOnlySpan<int> blocks = [_l.I, _l.F, _l.O];
        for (int k = 0; k < 3; k++)
        {
            var dst = a.Slice(blocks[k] * H, H);
            System.Numerics.Tensors.TensorPrimitives.Add(dst, src.Slice(k * H, H), dst);
        }
    }

    /// <summary><c>dst (3H) = [a_i; a_f; a_o]</c>.</summary>
    private void CopyGateBlocks(ReadOnlySpan<float> a, Span<float> dst, int H)
    {
        a.Slice(_l.I * H, H).CopyTo(dst);
        a.Slice(_l.F * H, H).CopyTo(dst.Slice(H));
        a.Slice(_l.O * H, H).CopyTo(dst.Slice(2 * H));
    }

    internal override void BackwardStep(LayerRun run, int t)
    {
        int H = run.H, GH = _gates * H, B = run.B;
        run.RunRows(t, 0, forward: false);
        Gemm.Sgemm(false, B, 1f, run.Step(run.DA, t, GH), GH, run.WhhBackward, 0f, run.DhCarry, H, run.Threads);
        // FGR: the gradient reaching [i; f; o]_{t-1} = (da_i, da_f, da_o)_t weight_gg (Scratch holds the copy).
        if (_fgr && t > 0)
        {
            var own = run.Own<PeepholeBuffers>();
            Gemm.Sgemm(false, B, 1f, run.Scratch, 3 * H, own.WggBackward, 0f, own.IfoGradCarry, 3 * H, run.Threads);
        }
    }

    internal override void BackwardRows(LayerRun run, int t, int phase, int b0, int b1)
    {
        int H = run.H, GH = _gates * H;
        var at = run.Step(run.A, t, GH);
        var dat = run.Step(run.DA, t, GH);
        var own = run.Own<PeepholeBuffers>();
        var hct = run.Step(own.HC, t, H);
        var cprev = run.CPrev(t);
        var dh = run.DhCarry.AsSpan();
        var dc = run.DcCarry.AsSpan();
        var peep = Peepholes(run.Parameters, _peepholes);
        var carry = _fgr ? own.IfoGradCarry.AsSpan() : default;
        run.AddUpstream(t, b0, b1);
        for (int b = b0; b < b1; b++)
        {
            var d = dat.Slice(b * GH, GH);
            PeepholeLstmCellKernels.Backward(_l, at.Slice(b * GH, GH), peep, hct.Slice(b * H, H), cprev.Slice(b * H, H),
                dh.Slice(b * H, H), dc.Slice(b * H, H), _fgr ? carry.Slice(b * 3 * H, 3 * H) : default, d, H);
            if (_fgr) CopyGateBlocks(d, run.Scratch.AsSpan(b * 3 * H, 3 * H), H);
        }
    }

    /// <summary>
    /// <c>dW_hh</c>, <c>db_hh</c> as for every gate-sees-<c>h</c> cell, then <c>dp += Σ da ⊙ c</c> for the
    /// peepholes (<c>c_{t-1}</c> for i and f, <c>c_t</c> for o) and for FGR
    /// <c>dW_gg += Σ_{t≥1} (da_i, da_f, da_o)_t^T [i; f; o]_{t-1}</c>.
    /// </summary>
    internal override void AccumulateRecurrentGrads(LayerRun run, Span<float> dwhh, Span<float> dbhh)
    {
        base.AccumulateRecurrentGrads(run, dwhh, dbhh);
        int H = run.H, GH = _gates * H, B = run.B, T = run.T;
        if (_peepholes > 0)
        {
            var dp = run.Parameters.Extra[0].Grad;
            for (int t = 0; t < T; t++)
                PeepholeLstmCellKernels.AccumulatePeepholes(_l, run.Step(run.DA, t, GH), run.CPrev(t), run.Step(run.C, t, H), dp, B, _gates, H);
        }
        if (_fgr && T > 1)
        {
            int H3 = 3 * H, k = (T - 1) * B;
            var dA = run.DA.AsSpan(B * GH, k * GH);   // steps 1..T-1
            var gates = run.Own<PeepholeBuffers>().Ifo.AsSpan(0, k * H3);    // steps 0..T-2
            var dW = GateWeights(run.Parameters).Grad;
            // Rows i, f of weight_gg come from blocks I, F (adjacent); row o from block O.
            Gemm.Sgemm(true, false, 2 * H, H3, k, 1f, dA.Slice(_l.I * H), GH, gates, H3, 1f, dW, H3, run.Threads);
            Gemm.Sgemm(true, false, H, H3, k, 1f, dA.Slice(_l.O * H), GH, gates, H3, 1f, dW.Slice(2 * H * H3), H3, run.Threads);
        }
    }

    internal override void CellStateGradient(LayerRun run, int t, int b, Span<float> dst)
    {
        int H = run.H, GH = _gates * H;
        var own = run.Own<PeepholeBuffers>();
        var a = run.Step(run.A, t, GH).Slice(b * GH, GH);
        var hc = run.Step(own.HC, t, H).Slice(b * H, H);
        var dh = run.DhCarry.AsSpan(b * H, H);
        var dc = run.DcCarry.AsSpan(b * H, H);
        var dgo = _fgr ? own.IfoGradCarry.AsSpan(b * 3 * H + 2 * H, H) : default;
        var peep = Peepholes(run.Parameters, _peepholes);
        for (int j = 0; j < H; j++)
            dst[j] = PeepholeLstmCellKernels.CellGradient(_l, a, peep, hc[j], dh[j], dc[j], _fgr ? dgo[j] : 0f, H, j).Dc;
    }

    /// <summary>
    /// <see cref="InferenceLayer.A"/> holds <c>fold(b) + W_ih x + W_hh h</c>. FGR: phase 0 adds
    /// <c>weight_gg [i; f; o]_{t-1}</c> from <see cref="InferenceLayer.Hh"/> <c>(3H)</c> (zero after a reset),
    /// phase 1 runs the step and stores the new gate activations there.
    /// </summary>
    internal override void InferUnits(InferenceLayer layer, int phase, int j0, int n)
    {
        int H = layer.H;
        var a = layer.A.AsSpan();
        if (_fgr && phase == 0)
        {
            var wgg = layer.Extra[_peepholes > 0 ? 1 : 0];
            var prev = layer.Hh.AsSpan(0, 3 * H);
            layer.GateRows(wgg, 3 * H, prev, a, 0, 2, j0, n);             // rows i, f -> blocks I = 0, F = 1
            layer.GateRows(wgg, 3 * H, prev, a[((_l.O - 2) * H)..], 2, 3, j0, n); // row o -> block O
            return;
        }
        var peep = _peepholes > 0 ? layer.Extra[0] : default;
        PeepholeLstmCellKernels.Forward(_l, a, peep, layer.C, layer.C, default, layer.HNext, H, j0, n);
        if (_fgr)
        {
            var g = layer.Hh.AsSpan();
            a.Slice(_l.I * H + j0, n).CopyTo(g.Slice(j0, n));
            a.Slice(_l.F * H + j0, n).CopyTo(g.Slice(H + j0, n));
            a.Slice(_l.O * H + j0, n).CopyTo(g.Slice(2 * H + j0, n));
        }
    }
}
