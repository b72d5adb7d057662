using Recur.Kernels;

namespace Recur.Nn.Cells;

/// <summary>
/// Long short-term memory (Hochreiter and Schmidhuber 1997, with the forget gate of Gers et al. 2000), in
/// PyTorch's gate order i, f, g, o:
/// <c>a = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh</c> <c>(4H)</c>; <c>i, f, o = σ(a_i, a_f, a_o)</c>, <c>g = tanh(a_g)</c>;
/// <c>c_t = f ⊙ c_{t-1} + i ⊙ g</c>; <c>h_t = o ⊙ tanh(c_t)</c>.
/// <para>
/// Backward, with <c>dc = dc_carried + dh ⊙ o ⊙ (1 - tanh²c_t)</c>: <c>da_o = dh ⊙ tanh c_t ⊙ o(1-o)</c>,
/// <c>da_i = dc ⊙ g ⊙ i(1-i)</c>, <c>da_g = dc ⊙ i ⊙ (1-g²)</c>, <c>da_f = dc ⊙ c_{t-1} ⊙ f(1-f)</c>,
/// <c>dc_{t-1} = dc ⊙ f</c>, <c>dh_{t-1} = da W_hh</c>. The elementwise work of a row is one fused pass
/// (<see cref="LstmCellKernels"/>).
/// </para>
/// <para>Buffers: <see cref="LayerRun.A"/> keeps the activated gates, <see cref="LayerRun.C"/> the cell states,
/// and the cell's own <see cref="LstmBuffers"/> <c>tanh(c_t)</c>.</para>
/// </summary>
public sealed class LstmCell : RecurrentCell
{
    /// <inheritdoc/>
    public override string Name => "lstm";

    /// <inheritdoc/>
    public override string Summary => "LSTM, gates i, f, g, o (PyTorch's nn.LSTM)";

    /// <inheritdoc/>
    public override int Gates => 4;

    /// <inheritdoc/>
    public override IReadOnlyList<string> GateNames { get; } = ["i", "f", "g", "o"];

    /// <inheritdoc/>
    public override bool HasCellState => true;

    /// <inheritdoc/>
    public override bool AdditiveRecurrence => true;

    /// <inheritdoc/>
    public override void Initialize(LayerParameters p, int hiddenSize, Rng rng, float? forgetBias)
    {
        base.Initialize(p, hiddenSize, rng, forgetBias);
        if (forgetBias is float fb && p.BiasIh is not null && p.BiasHh is not null)
        {
            p.BiasIh.Value.Slice(hiddenSize, hiddenSize).Fill(fb);
            p.BiasHh.Value.Slice(hiddenSize, hiddenSize).Clear();
        }
    }

    /// <summary>What an LSTM layer keeps besides <see cref="LayerRun"/>'s shared buffers.</summary>
    private sealed class LstmBuffers : CellBuffers
    {
        /// <summary><c>tanh(c_t)</c> <c>(T, B, H)</c>: written forward, read by backward (and <see cref="CellStateGradient"/>).</summary>
        public float[] TanhC = [];

        internal override void Allocate(int T, int B, int H) => TanhC = Buffers.Ensure(TanhC, T * B * H);
    }

    internal override CellBuffers CreateBuffers() => new LstmBuffers();

    internal override void ForwardStep(LayerRun run, int t)
    {
        int H = run.H, GH = 4 * H;
        Gemm.Sgemm(false, run.B, 1f, run.HPrev(t), H, run.WhhForward, 1f, run.Step(run.A, t, GH), GH, run.Threads);
        run.RunRows(t, 0, forward: true);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal override void ForwardRows(LayerRun run, int t, int phase, int b0, int b1)
    {
        int H = run.H, GH = 4 * H;
        var at = run.Step(run.A, t, GH);
        var ht = run.Step(run.Y, t, H);
        var cprev = run.CPrev(t);
        var ct = run.Step(run.C, t, H);
        var tct = run.Step(run.Own<LstmBuffers>().TanhC, t, H);
        for (int b = b0; b < b1; b++)
            LstmCellKernels.Forward(at.Slice(b * GH, GH), cprev.Slice(b * H, H), ct.Slice(b * H, H), tct.Slice(b * H, H), ht.Slice(b * H, H), H);
    }

    internal override void BackwardStep(LayerRun run, int t)
    {
        int H = run.H, GH = 4 * H;
        run.RunRows(t, 0, forward: false);
        Gemm.Sgemm(false, run.B, 1f, run.Step(run.DA, t, GH), GH, run.WhhBackward, 0f, run.DhCarry, H, run.Threads);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal override void BackwardRows(LayerRun run, int t, int phase, int b0, int b1)
    {
        int H = run.H, GH = 4 * H;
        var at = run.Step(run.A, t, GH);
        var dat = run.Step(run.DA, t, GH);
        var tct = run.Step(run.Own<LstmBuffers>().TanhC, t, H);
        var cprev = run.CPrev(t);
        var dh = run.DhCarry.AsSpan();
        var dc = run.DcCarry.AsSpan();
        run.AddUpstream(t, b0, b1);
        for (int b = b0; b < b1; b++)
            LstmCellKernels.Backward(at.Slice(b * GH, GH), tct.Slice(b * H, H), cprev.Slice(b * H, H),
                dh.Slice(b * H, H), dc.Slice(b * H, H), dat.Slice(b * GH, GH), H);
    }

    internal override void CellStateGradient(LayerRun run, int t, int b, Span<float> dst)
    {
        int H = run.H;
        var o = run.Step(run.A, t, 4 * H).Slice(b * 4 * H + 3 * H, H);
        var tc = run.Step(run.Own<LstmBuffers>().TanhC, t, H).Slice(b * H, H);
        var dh = run.DhCarry.AsSpan(b * H, H);
        var dc = run.DcCarry.AsSpan(b * H, H);
        for (int j = 0; j < H; j++) dst[j] = MathF.FusedMultiplyAdd(dh[j] * o[j], 1f - tc[j] * tc[j], dc[j]);
    }

    internal override void InferUnits(InferenceLayer layer, int phase, int j0, int n)
        => LstmCellKernels.ForwardInPlace(layer.A, layer.H, j0, n, layer.C.AsSpan(j0, n), layer.HNext.AsSpan(j0, n));
}
