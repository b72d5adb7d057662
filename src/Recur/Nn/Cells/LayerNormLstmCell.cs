using System.Numerics.Tensors;
using Recur.Kernels;

namespace Recur.Nn.Cells;

/// <summary>
/// Layer-normalised LSTM (Ba, Kiros and Hinton 2016, "Layer Normalization", section 3.1 and the LSTM of its
/// supplementary material), gate order i, f, g, o as PyTorch's LSTM:
/// <c>a = LN(W_ih x_t + b_ih; α_x, β_x) + LN(W_hh h_{t-1} + b_hh; α_h, β_h)</c> <c>(4H)</c>, each LN over the
/// whole 4H row; <c>i, f, o = σ(a_i, a_f, a_o)</c>, <c>g = tanh(a_g)</c>; <c>c_t = f ⊙ c_{t-1} + i ⊙ g</c>;
/// <c>h_t = o ⊙ tanh(LN(c_t; α_c, β_c))</c>. <c>LN(v; α, β) = α ⊙ (v - mean v) / sqrt(var v + ε) + β</c>
/// (PyTorch's <c>LayerNorm</c>: biased variance, <c>ε = 1e-5</c>). The state carried is the unnormalised <c>c_t</c>.
/// <para>
/// Parameters: PyTorch's LSTM four (<c>weight_ih</c>, <c>weight_hh</c> <c>(4H, ·)</c>, <c>bias_ih</c>, <c>bias_hh</c>
/// <c>(4H)</c>), then <c>ln_ih_weight</c>, <c>ln_ih_bias</c>, <c>ln_hh_weight</c>, <c>ln_hh_bias</c> <c>(4H)</c>,
/// <c>ln_c_weight</c>, <c>ln_c_bias</c> <c>(H)</c>; gains start at 1, shifts at 0.
/// </para>
/// <para>
/// The biases: each side is PyTorch's <c>Linear</c> (weight and bias) followed by a <c>LayerNorm</c>, so
/// <c>b_ih</c> and <c>b_hh</c> enter before their normalisation and the paper's single shift <c>b</c> is
/// <c>β_x + β_h</c>. This is the form the cell contract carries exactly: the driver's input projection
/// <c>A = X W_ih^T + fold(b)</c> (and the sampler's per-token table) adds <c>fold(b) = b_ih</c> before the cell
/// sees the row, and the sampler hands the cell no <c>b_ih</c> of its own, so a <c>b_ih</c> added after the
/// normalisation could not be reproduced at inference. With it inside, the driver's input side is right as
/// it is: <see cref="LayerRun.DA"/> holds <c>dL/d(W_ih x + b_ih)</c> (the input LN's backward is done per step),
/// so <c>dW_ih = DA^T X</c>, <c>db_ih = sum DA</c> and <c>dX = DA W_ih</c>.
/// </para>
/// <para>
/// Backward of a row (<see cref="LayerNormLstmKernels.Backward"/>): <c>du = dh ⊙ o ⊙ (1 - k²)</c> with
/// <c>k = tanh(LN c_t)</c>, <c>dc = dc_carried + LN_c^T(du)</c>; the gate gradients <c>da</c> as the LSTM's; then
/// each side through its normalisation, <c>LN^T(g) = rstd (α⊙g - mean(α⊙g) - x̂ mean(α⊙g ⊙ x̂))</c>:
/// <c>DA = LN_x^T(da)</c>, <c>dpre_h = LN_h^T(da)</c>, <c>dh_{t-1} = dpre_h W_hh</c>, <c>dc_{t-1} = dc ⊙ f</c>.
/// After the reverse loop: <c>dW_hh = Σ dpre_h^T h_{t-1}</c>, <c>db_hh = Σ dpre_h</c>, <c>dα_x = Σ da ⊙ x̂_x</c>,
/// <c>dβ_x = dβ_h = Σ da</c>, <c>dα_h = Σ da ⊙ x̂_h</c>, <c>dα_c = Σ du ⊙ ĉ</c>, <c>dβ_c = Σ du</c>.
/// </para>
/// <para>
/// Buffers, per row <c>r = t*B + b</c>: <see cref="LayerRun.A"/> the activations i, f, g, o; the cell's own
/// <see cref="LayerNormLstmBuffers"/> the normalised vectors and reciprocal standard deviations (forward) and the
/// gradients the weight sums need (backward); <see cref="LayerRun.Scratch"/> <c>(B, 4H)</c> the step's
/// <c>W_hh h_{t-1} + b_hh</c> forward, a row's scratch backward.
/// </para>
/// <para>
/// Sampling: phase 0 computes the unit block's rows of <c>W_hh h + b_hh</c> (the expensive product, split
/// across the sampler's threads); the normalisations need whole rows, so phase 1 runs the rest of the layer,
/// all <c>H</c> units, in the one call whose block starts at unit 0 (every split of <c>[0, H)</c> into
/// contiguous blocks has exactly one non-empty block there), and the other blocks do nothing.
/// </para>
/// </summary>
public sealed class LayerNormLstmCell : RecurrentCell
{
    private const int Fwd = 10, Bwd = 9; // row widths of Norm and Grads, in units of H

    /// <inheritdoc/>
    public override string Name => "lstm-ln";

    /// <inheritdoc/>
    public override string Summary => "LSTM with layer normalisation of both projections and the cell state (Ba et al. 2016)";

    /// <inheritdoc/>
    public override int Gates => 4;

    /// <inheritdoc/>
    public override IReadOnlyList<string> GateNames { get; } = ["i", "f", "g", "o"];

    /// <inheritdoc/>
    public override bool HasCellState => true;

    /// <inheritdoc/>
    public override int InferencePhases => 2;

    /// <inheritdoc/>
    public override IReadOnlyList<CellParameter> ExtraParameters { get; } =
    [
        new("ln_ih_weight", (_, h) => [4 * h], 1f), new("ln_ih_bias", (_, h) => [4 * h], 0f),
        new("ln_hh_weight", (_, h) => [4 * h], 1f), new("ln_hh_bias", (_, h) => [4 * h], 0f),
        new("ln_c_weight", (_, h) => [h], 1f), new("ln_c_bias", (_, h) => [h], 0f),
    ];

    /// <summary>
    /// PyTorch's LSTM initialisation, gains 1 and shifts 0. <paramref name="forgetBias"/> sets the forget-gate
    /// slice of <c>β_x</c> (the shift after the normalisation, where a constant survives it) and clears
    /// <c>β_h</c>'s, so the forget gate's pre-activation starts around it.
    /// </summary>
    public override void Initialize(LayerParameters p, int hiddenSize, Rng rng, float? forgetBias)
    {
        base.Initialize(p, hiddenSize, rng, forgetBias);
        if (forgetBias is float fb)
        {
            p.Extra[1].Value.Slice(hiddenSize, hiddenSize).Fill(fb);
            p.Extra[3].Value.Slice(hiddenSize, hiddenSize).Clear();
        }
    }

    /// <summary>Only <c>b_ih</c> goes into the input projection (it is normalised with <c>W_ih x</c>); <c>b_hh</c> joins <c>W_hh h</c>.</summary>
    public override void FoldBias(ReadOnlySpan<float> bih, ReadOnlySpan<float> bhh, Span<float> dst) => bih.CopyTo(dst);

    private static LayerNormLstmParams Params(IReadOnlyList<Parameter> e)
        => new(e[0].Value, e[1].Value, e[2].Value, e[3].Value, e[4].Value, e[5].Value);

    private static LayerNormLstmParams Params(float[][] e) => new(e[0], e[1], e[2], e[3], e[4], e[5]);

    /// <summary>What a layer-normalised LSTM layer keeps besides <see cref="LayerRun"/>'s shared buffers.</summary>
    private sealed class LayerNormLstmBuffers : CellBuffers
    {
        /// <summary>
        /// <c>(T, B, 10H)</c>, per row <c>x̂_x (4H) | x̂_h (4H) | ĉ (H) | k (H)</c>: the normalised input and recurrent
        /// projections and cell state, and <c>k = tanh(LN c_t)</c>; written forward, read by backward and the weight sums.
        /// </summary>
        public float[] Norm = [];

        /// <summary><c>(T, B, 3)</c>: per row the reciprocal standard deviations of the input side, the recurrent side and <c>c_t</c>.</summary>
        public float[] Rstd = [];

        /// <summary>
        /// <c>(T, B, 9H)</c>, per row <c>dpre_h (4H) | da (4H) | du (H)</c>, written by backward: <c>dpre_h</c> for
        /// <c>dh_{t-1}</c>, <c>dW_hh</c>, <c>db_hh</c>; <c>da</c>, <c>du</c> for the gains' and shifts' gradients.
        /// </summary>
        public float[] Grads = [];

        internal override void Allocate(int T, int B, int H)
        {
            int n = T * B;
            Norm = Buffers.Ensure(Norm, n * Fwd * H);
            Rstd = Buffers.Ensure(Rstd, n * 3);
            Grads = Buffers.Ensure(Grads, n * Bwd * H);
        }
    }

    internal override CellBuffers CreateBuffers() => new LayerNormLstmBuffers();

    internal override void ForwardStep(LayerRun run, int t)
    {
        int H = run.H, GH = 4 * H, B = run.B;
        var hh = run.Scratch.AsSpan(0, B * GH);
        float beta = 0f;
        if (run.Parameters.BiasHh is { } bhh)
        {
            for (int b = 0; b < B; b++) bhh.Value.CopyTo(hh.Slice(b * GH, GH));
            beta = 1f;
        }
        Gemm.Sgemm(false, B, 1f, run.HPrev(t), H, run.WhhForward, beta, hh, GH, run.Threads);
        run.RunRows(t, 0, forward: true);
    }

    internal override void ForwardRows(LayerRun run, int t, int phase, int b0, int b1)
    {
        int H = run.H, GH = 4 * H, W = Fwd * H;
        var p = Params(run.Parameters.Extra);
        var own = run.Own<LayerNormLstmBuffers>();
        var aux = own.Norm.AsSpan();
        var rstd = own.Rstd.AsSpan();
        var cprev = run.CPrev(t);
        for (int b = b0; b < b1; b++)
        {
            int r = t * run.B + b;
            var row = aux.Slice(r * W, W);
            var k = row.Slice(9 * H, H);
            LayerNormLstmKernels.Forward(run.A.AsSpan(r * GH, GH), run.Scratch.AsSpan(b * GH, GH), row[..GH], row.Slice(GH, GH),
                cprev.Slice(b * H, H), run.C.AsSpan(r * H, H), row.Slice(8 * H, H), k, run.Y.AsSpan(r * H, H),
                rstd.Slice(r * 3, 3), p, H);
        }
    }

    internal override void BackwardStep(LayerRun run, int t)
    {
        int H = run.H, W = Bwd * H;
        run.RunRows(t, 0, forward: false);
        // dL/dh_{t-1} = dpre_h W_hh, dpre_h at the start of each Grads row
        var grads = run.Own<LayerNormLstmBuffers>().Grads;
        Gemm.Sgemm(false, run.B, 1f, grads.AsSpan(t * run.B * W), W, run.WhhBackward, 0f, run.DhCarry, H, run.Threads);
    }

    internal override void BackwardRows(LayerRun run, int t, int phase, int b0, int b1)
    {
        int H = run.H, GH = 4 * H, W = Fwd * H, WB = Bwd * H;
        var p = Params(run.Parameters.Extra);
        var own = run.Own<LayerNormLstmBuffers>();
        var aux = own.Norm.AsSpan();
        var rstd = own.Rstd.AsSpan();
        var grads = own.Grads.AsSpan();
        var cprev = run.CPrev(t);
        run.AddUpstream(t, b0, b1);
        for (int b = b0; b < b1; b++)
        {
            int r = t * run.B + b;
            var row = aux.Slice(r * W, W);
            var g = grads.Slice(r * WB, WB);
            LayerNormLstmKernels.Backward(run.A.AsSpan(r * GH, GH), row[..GH], row.Slice(GH, GH), cprev.Slice(b * H, H),
                row.Slice(8 * H, H), row.Slice(9 * H, H), rstd.Slice(r * 3, 3), run.DhCarry.AsSpan(b * H, H),
                run.DcCarry.AsSpan(b * H, H), g.Slice(GH, GH), g.Slice(2 * GH, H), run.DA.AsSpan(r * GH, GH), g[..GH],
                run.Scratch.AsSpan(b * GH, H), p, H);
        }
    }

    internal override void AccumulateRecurrentGrads(LayerRun run, Span<float> dwhh, Span<float> dbhh)
    {
        int H = run.H, GH = 4 * H, n = run.T * run.B, W = Fwd * H, WB = Bwd * H;
        var own = run.Own<LayerNormLstmBuffers>();
        var grads = own.Grads.AsSpan(0, n * WB);
        run.AccumulateHiddenGrad(grads, WB, GH, dwhh);
        if (!dbhh.IsEmpty) Reduce.SumRows(grads, n, GH, dbhh, WB);
        var e = run.Parameters.Extra;
        Span<float> gx = e[0].Grad, bx = e[1].Grad, gh = e[2].Grad, bh = e[3].Grad, gc = e[4].Grad, bc = e[5].Grad;
        var aux = own.Norm.AsSpan();
        for (int r = 0; r < n; r++)
        {
            var row = aux.Slice(r * W, W);
            var da = grads.Slice(r * WB + GH, GH);
            var du = grads.Slice(r * WB + 2 * GH, H);
            TensorPrimitives.FusedMultiplyAdd(da, row[..GH], gx, gx);
            TensorPrimitives.Add(bx, da, bx);
            TensorPrimitives.FusedMultiplyAdd(da, row.Slice(GH, GH), gh, gh);
            TensorPrimitives.Add(bh, da, bh);
            TensorPrimitives.FusedMultiplyAdd(du, row.Slice(8 * H, H), gc, gc);
            TensorPrimitives.Add(bc, du, bc);
        }
    }

    internal override void CellStateGradient(LayerRun run, int t, int b, Span<float> dst)
    {
        int H = run.H, W = Fwd * H, r = t * run.B + b;
        var own = run.Own<LayerNormLstmBuffers>();
        var row = own.Norm.AsSpan(r * W, W);
        float rstdC = own.Rstd[r * 3 + 2];
        Span<float> du = H <= 1024 ? stackalloc float[H] : new float[H];
        LayerNormLstmKernels.CellGradient(run.A.AsSpan(r * 4 * H + 3 * H, H), row.Slice(9 * H, H), row.Slice(8 * H, H), rstdC,
            run.DhCarry.AsSpan(b * H, H), run.DcCarry.AsSpan(b * H, H), run.Parameters.Extra[4].Value, du, dst, H);
    }

    internal override void InferUnits(InferenceLayer layer, int phase, int j0, int n)
    {
        int H = layer.H;
        var hh = layer.Hh.AsSpan();
        if (phase == 0)
        {
            // this block's rows of W_hh h + b_hh
            if (layer.BiasHh is { } bhh) layer.CopyGateRows(bhh, hh, 0, 4, j0, n);
            else for (int g = 0; g < 4; g++) hh.Slice(g * H + j0, n).Clear();
            layer.GateRows(layer.Whh, H, layer.HPrev, hh, 0, 4, j0, n);
            return;
        }
        if (j0 != 0) return; // the block at unit 0 normalises whole rows and updates every unit
        Span<float> rstd = stackalloc float[3];
        var a = layer.A.AsSpan(0, 4 * H);
        var h = layer.HNext.AsSpan(0, H);
        LayerNormLstmKernels.Forward(a, hh[..(4 * H)], a, hh[..(4 * H)], layer.C, layer.C, h, h, h, rstd, Params(layer.Extra), H);
    }
}
