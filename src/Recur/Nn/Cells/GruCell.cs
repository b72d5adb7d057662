using System.Numerics.Tensors;
using Recur.Kernels;

namespace Recur.Nn.Cells;

/// <summary>
/// Gated recurrent unit with the reset gate applied after the recurrent product (PyTorch's <c>nn.GRU</c>,
/// cuDNN), gates r, z, n:
/// <c>r, z = σ(W_i{r,z} x + b_i{r,z} + W_h{r,z} h_{t-1} + b_h{r,z})</c>;
/// <c>n = tanh(W_in x + b_in + r ⊙ (W_hn h_{t-1} + b_hn))</c>; <c>h_t = (1 - z) ⊙ n + z ⊙ h_{t-1}</c>.
/// <para>
/// Backward: <c>da_n = dh (1-z)(1-n²)</c>, <c>da_z = dh (h_{t-1} - n) z(1-z)</c>,
/// <c>da_r = da_n ⊙ hn ⊙ r(1-r)</c> with <c>hn = W_hn h_{t-1} + b_hn</c>; the recurrent side sees
/// <c>(da_r, da_z, da_n ⊙ r)</c>, so <c>dh_{t-1} = dh ⊙ z + (da_r, da_z, da_n ⊙ r) W_hh</c>.
/// </para>
/// <para>Buffers: <see cref="LayerRun.A"/> keeps r, z, n; the cell's own <see cref="GruBuffers"/> keep <c>hn</c> and
/// the recurrent side's gradients. <c>b_hh</c> does not fold.</para>
/// </summary>
public sealed class GruCell : RecurrentCell
{
    /// <inheritdoc/>
    public override string Name => "gru";

    /// <inheritdoc/>
    public override string Summary => "GRU, reset applied after the recurrent product (PyTorch's nn.GRU)";

    /// <inheritdoc/>
    public override int Gates => 3;

    /// <inheritdoc/>
    public override IReadOnlyList<string> GateNames { get; } = ["r", "z", "n"];

    /// <inheritdoc/>
    public override void FoldBias(ReadOnlySpan<float> bih, ReadOnlySpan<float> bhh, Span<float> dst) => bih.CopyTo(dst);

    /// <summary>What a GRU layer keeps besides <see cref="LayerRun"/>'s shared buffers.</summary>
    private sealed class GruBuffers : CellBuffers
    {
        /// <summary><c>hn = W_hn h_{t-1} + b_hn</c> <c>(T, B, H)</c>: written forward, read by backward for <c>da_r</c>.</summary>
        public float[] Hn = [];

        /// <summary>
        /// The recurrent side's gradients <c>(da_r, da_z, da_n ⊙ r)</c> <c>(T, B, 3H)</c>, in <c>W_hh</c>'s block order:
        /// backward's <c>dh_{t-1}</c> product, then <c>dW_hh</c> and <c>db_hh</c>.
        /// </summary>
        public float[] DHidden = [];

        internal override void Allocate(int T, int B, int H)
        {
            Hn = Buffers.Ensure(Hn, T * B * H);
            DHidden = Buffers.Ensure(DHidden, T * B * 3 * H);
        }
    }

    internal override CellBuffers CreateBuffers() => new GruBuffers();

    internal override void ForwardStep(LayerRun run, int t)
    {
        int H = run.H, GH = 3 * H, B = run.B;
        // hh = W_hh h + b_hh (B, 3H) into scratch.
        var hh = run.Scratch.AsSpan(0, B * GH);
        var bhh = run.Parameters.BiasHh;
        if (bhh is null) hh.Clear();
        else for (int r = 0; r < B; r++) bhh.Value.CopyTo(hh.Slice(r * GH, GH));
        Gemm.Sgemm(false, B, 1f, run.HPrev(t), H, run.WhhForward, bhh is null ? 0f : 1f, hh, GH, run.Threads);
        run.RunRows(t, 0, forward: true);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal override void ForwardRows(LayerRun run, int t, int phase, int b0, int b1)
    {
        int H = run.H, GH = 3 * H;
        var at = run.Step(run.A, t, GH);
        var ht = run.Step(run.Y, t, H);
        var hprev = run.HPrev(t);
        var hh = run.Scratch.AsSpan(0, run.B * GH);
        var hn = run.Step(run.Own<GruBuffers>().Hn, t, H); // W_hn h + b_hn, kept for backward
        for (int b = b0; b < b1; b++)
        {
            var g = at.Slice(b * GH, GH);
            var hb = hh.Slice(b * GH, GH);
            var rz = g[..(2 * H)];
            TensorPrimitives.Add(rz, hb[..(2 * H)], rz);
            TensorPrimitives.Sigmoid(rz, rz);
            var r = g[..H]; var z = g.Slice(H, H); var nn = g.Slice(2 * H, H);
            var hnb = hn.Slice(b * H, H);
            hb.Slice(2 * H, H).CopyTo(hnb);
            TensorPrimitives.FusedMultiplyAdd(r, hnb, nn, nn);
            TensorPrimitives.Tanh(nn, nn);
            Blend(z, hprev.Slice(b * H, H), nn, ht.Slice(b * H, H));
        }
    }

    internal override void BackwardStep(LayerRun run, int t)
    {
        int H = run.H, GH = 3 * H, B = run.B;
        run.RunRows(t, 0, forward: false);
        // dh_{t-1} = dh * z (left in scratch by the rows) + DHid W_hh
        run.Scratch.AsSpan(0, B * H).CopyTo(run.DhCarry);
        Gemm.Sgemm(false, B, 1f, run.Step(run.Own<GruBuffers>().DHidden, t, GH), GH, run.WhhBackward, 1f, run.DhCarry, H, run.Threads);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal override void BackwardRows(LayerRun run, int t, int phase, int b0, int b1)
    {
        int H = run.H, GH = 3 * H;
        run.AddUpstream(t, b0, b1);
        var at = run.Step(run.A, t, GH);
        var dat = run.Step(run.DA, t, GH);
        var hprev = run.HPrev(t);
        var own = run.Own<GruBuffers>();
        var hn = run.Step(own.Hn, t, H);
        var dht = run.Step(own.DHidden, t, GH);
        var dh = run.DhCarry.AsSpan();
        var tmp = run.Scratch.AsSpan(0, run.B * H);
        for (int b = b0; b < b1; b++)
        {
            var g = at.Slice(b * GH, GH);
            var d = dat.Slice(b * GH, GH);
            var e = dht.Slice(b * GH, GH);
            var dhb = dh.Slice(b * H, H); var hp = hprev.Slice(b * H, H); var hnb = hn.Slice(b * H, H);
            var dhp = tmp.Slice(b * H, H);
            for (int j = 0; j < H; j++)
            {
                float r = g[j], z = g[H + j], nn = g[2 * H + j], dhj = dhb[j];
                float dan = dhj * (1f - z) * (1f - nn * nn);
                float daz = dhj * (hp[j] - nn) * z * (1f - z);
                float dar = dan * hnb[j] * r * (1f - r);
                d[j] = dar; d[H + j] = daz; d[2 * H + j] = dan;
                e[j] = dar; e[H + j] = daz; e[2 * H + j] = dan * r;
                dhp[j] = dhj * z;
            }
        }
    }

    internal override void AccumulateRecurrentGrads(LayerRun run, Span<float> dwhh, Span<float> dbhh)
    {
        int GH = 3 * run.H, n = run.T * run.B;
        var dHid = run.Own<GruBuffers>().DHidden.AsSpan(0, n * GH);
        run.AccumulateHiddenGrad(dHid, GH, GH, dwhh);
        if (!dbhh.IsEmpty) Reduce.SumRows(dHid, n, GH, dbhh);
    }

    internal override void InferUnits(InferenceLayer layer, int phase, int j0, int n)
    {
        // hh = W_hh h + b_hh; r,z = σ(a + hh); n = tanh(a_n + r*hh_n); h' = n + z*(h - n)
        int H = layer.H;
        var a = layer.A.AsSpan();
        var hh = layer.Hh.AsSpan();
        if (layer.BiasHh is { } bh) layer.CopyGateRows(bh, hh, 0, 3, j0, n);
        else for (int g = 0; g < 3; g++) hh.Slice(g * H + j0, n).Clear();
        layer.GateRows(layer.Whh, H, layer.HPrev, hh, 0, 3, j0, n);
        var r = a.Slice(j0, n); var z = a.Slice(H + j0, n); var nn = a.Slice(2 * H + j0, n);
        TensorPrimitives.Add(r, hh.Slice(j0, n), r);
        TensorPrimitives.Add(z, hh.Slice(H + j0, n), z);
        TensorPrimitives.Sigmoid(r, r);
        TensorPrimitives.Sigmoid(z, z);
        TensorPrimitives.FusedMultiplyAdd(r, hh.Slice(2 * H + j0, n), nn, nn);
        TensorPrimitives.Tanh(nn, nn);
        Blend(z, layer.HPrev.AsSpan(j0, n), nn, layer.HNext.AsSpan(j0, n));
    }

    /// <summary>The GRU's output <c>h = (1 - z) ⊙ n + z ⊙ h_{t-1}</c>, computed as <c>n + z ⊙ (h_{t-1} - n)</c>.</summary>
    internal static void Blend(ReadOnlySpan<float> z, ReadOnlySpan<float> hprev, ReadOnlySpan<float> n, Span<float> h)
    {
        TensorPrimitives.Subtract(hprev, n, h);
        TensorPrimitives.FusedMultiplyAdd(z, h, n, h);
    }
}
