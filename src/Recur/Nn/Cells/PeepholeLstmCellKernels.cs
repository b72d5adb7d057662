using static Recur.Kernels.FastMath;

namespace Recur.Nn.Cells;

/// <summary>
/// Where the parts of one of Greff et al.'s LSTM variants live: the gate block of <c>i</c>, <c>f</c>,
/// <c>z</c> (PyTorch's <c>g</c>) and <c>o</c> in a row of the input projection (−1 for a removed gate),
/// the block of each peephole in <c>weight_peep</c> (−1 for none), and the switches of the variants.
/// </summary>
/// <param name="I">Block of the input gate, or −1 (NIG, i = 1).</param>
/// <param name="F">Block of the forget gate, or −1 (NFG: f = 1; CIFG: f = 1 − i).</param>
/// <param name="G">Block of the block input z.</param>
/// <param name="O">Block of the output gate, or −1 (NOG, o = 1).</param>
/// <param name="PeepI">Block of <c>p_i</c> in <c>weight_peep</c>, or −1.</param>
/// <param name="PeepF">Block of <c>p_f</c>, or −1.</param>
/// <param name="PeepO">Block of <c>p_o</c>, or −1.</param>
/// <param name="Coupled">CIFG: <c>f = 1 − i</c>.</param>
/// <param name="LinearInput">NIAF: <c>z = a_z</c> instead of <c>tanh(a_z)</c>.</param>
/// <param name="LinearOutput">NOAF: <c>h = c ⊙ o</c> instead of <c>tanh(c) ⊙ o</c>.</param>
internal readonly record struct GreffLayout(int I, int F, int G, int O, int PeepI, int PeepF, int PeepO,
    bool Coupled, bool LinearInput, bool LinearOutput);

/// <summary>
/// The elementwise work of <see cref="PeepholeLstmCell"/> for one batch row, unit by unit: forward from
/// the gate pre-activations (recurrent products already added) to <c>c_t</c> and <c>h_t</c>, and backward
/// from <c>dL/dh_t</c>, <c>dL/dc_t</c> to the pre-activation gradients and <c>dL/dc_{t-1}</c>. Spans of gate
/// blocks (<c>G*H</c>, <c>P*H</c>, <c>3H</c>) and of units (<c>H</c>) are indexed by absolute unit, so the same
/// code serves a whole training row and a slice of units in inference.
/// </summary>
internal static class PeepholeLstmCellKernels
{
    /// <summary>
    /// Units <c>[j0, j0+n)</c>: <paramref name="gates"/> holds the pre-activations and receives the
    /// activations (z in its block; removed gates have none); writes <c>c_t</c>, <c>h(c_t)</c> (skipped when
    /// <paramref name="hc"/> is empty) and <c>h_t</c>. <paramref name="cprev"/> and <paramref name="c"/> may be
    /// the same span (inference updates the cell state in place).
    /// </summary>
    public static void Forward(in GreffLayout L, Span<float> gates, ReadOnlySpan<float> peep, ReadOnlySpan<float> cprev,
        Span<float> c, Span<float> hc, Span<float> h, int H, int j0, int n)
    {
        for (int j = j0; j < j0 + n; j++)
        {
            float cp = cprev[j];
            float i = 1f, f = 1f, o = 1f;
            if (L.I >= 0)
            {
                float a = gates[L.I * H + j];
                if (L.PeepI >= 0) a += peep[L.PeepI * H + j] * cp;
                gates[L.I * H + j] = i = Sigmoid(a);
            }
            if (L.F >= 0)
            {
                float a = gates[L.F * H + j];
                if (L.PeepF >= 0) a += peep[L.PeepF * H + j] * cp;
                gates[L.F * H + j] = f = Sigmoid(a);
            }
            else if (L.Coupled) f = 1f - i;
            float z = gates[L.G * H + j];
            if (!L.LinearInput) gates[L.G * H + j] = z = Tanh(z);
            float cv = z * i + cp * f;
            if (L.O >= 0)
            {
                float a = gates[L.O * H + j];
                if (L.PeepO >= 0) a += peep[L.PeepO * H + j] * cv;
                gates[L.O * H + j] = o = Sigmoid(a);
            }
            float t = L.LinearOutput ? cv : Tanh(cv);
            c[j] = cv;
            if (!hc.IsEmpty) hc[j] = t;
            h[j] = t * o;
        }
    }

    /// <summary>
    /// Unit <paramref name="j"/>'s total <c>dL/dc_t</c> and the output gate's pre-activation gradient
    /// <c>da_o</c> (0 without an output gate): <c>dc = dc_carried + dh ⊙ o ⊙ h'(c) + da_o ⊙ p_o</c>, with
    /// <c>da_o = (dh ⊙ h(c) + dgo) ⊙ o(1 − o)</c>. <paramref name="dgo"/> is FGR's gradient reaching
    /// <c>o_t</c> from the next step's gates (else 0).
    /// </summary>
    public static (float Dc, float DaO) CellGradient(in GreffLayout L, ReadOnlySpan<float> gates, ReadOnlySpan<float> peep,
        float hc, float dh, float dcCarried, float dgo, int H, int j)
    {
        float o = L.O >= 0 ? gates[L.O * H + j] : 1f;
        float dc = dcCarried + dh * o * (L.LinearOutput ? 1f : 1f - hc * hc);
        float dao = 0f;
        if (L.O >= 0)
        {
            dao = (dh * hc + dgo) * o * (1f - o);
            if (L.PeepO >= 0) dc += dao * peep[L.PeepO * H + j];
        }
        return (dc, dao);
    }

    /// <summary>
    /// One row backward. From the activations <paramref name="gates"/>, <paramref name="hc"/> = h(c_t),
    /// <paramref name="cprev"/>, the hidden-state gradient <paramref name="dh"/> and the carried
    /// <paramref name="dc"/> = dL/dc_t from later steps, writes the pre-activation gradients into
    /// <paramref name="dGates"/> and replaces <paramref name="dc"/> with dL/dc_{t-1}. <paramref name="dgPrev"/>
    /// (<c>3H</c>: i, f, o; empty except for FGR) is the gradient reaching this step's gate activations from
    /// the next step's gate recurrence.
    /// </summary>
    public static void Backward(in GreffLayout L, ReadOnlySpan<float> gates, ReadOnlySpan<float> peep, ReadOnlySpan<float> hc,
        ReadOnlySpan<float> cprev, ReadOnlySpan<float> dh, Span<float> dc, ReadOnlySpan<float> dgPrev, Span<float> dGates, int H)
    {
        bool fgr = !dgPrev.IsEmpty;
        for (int j = 0; j < H; j++)
        {
            var (dcj, dao) = CellGradient(L, gates, peep, hc[j], dh[j], dc[j], fgr ? dgPrev[2 * H + j] : 0f, H, j);
            if (L.O >= 0) dGates[L.O * H + j] = dao;
            float cp = cprev[j];
            float i = L.I >= 0 ? gates[L.I * H + j] : 1f;
            float f = L.F >= 0 ? gates[L.F * H + j] : L.Coupled ? 1f - i : 1f;
            float z = gates[L.G * H + j];
            float dz = dcj * i;
            dGates[L.G * H + j] = L.LinearInput ? dz : dz * (1f - z * z);
            // Gradients with respect to the activations i and f (c_t = z i + c_{t-1} f), then their pre-activations.
            float di = dcj * z, df = dcj * cp;
            if (fgr) { di += dgPrev[j]; df += dgPrev[H + j]; }
            if (L.Coupled) di -= df;
            float dcPrev = dcj * f;
            if (L.I >= 0)
            {
                float dai = di * i * (1f - i);
                dGates[L.I * H + j] = dai;
                if (L.PeepI >= 0) dcPrev += dai * peep[L.PeepI * H + j];
            }
            if (L.F >= 0)
            {
                float daf = df * f * (1f - f);
                dGates[L.F * H + j] = daf;
                if (L.PeepF >= 0) dcPrev += daf * peep[L.PeepF * H + j];
            }
            dc[j] = dcPrev;
        }
    }

    /// <summary>
    /// <c>dp += da ⊙ c</c> over <paramref name="rows"/> rows for the peepholes: <c>dp_i</c> and <c>dp_f</c>
    /// against <c>c_{t-1}</c> (<paramref name="cprev"/>), <c>dp_o</c> against <c>c_t</c> (<paramref name="c"/>);
    /// <paramref name="dA"/> is <c>(rows, G*H)</c>, the states <c>(rows, H)</c>.
    /// </summary>
    public static void AccumulatePeepholes(in GreffLayout L, ReadOnlySpan<float> dA, ReadOnlySpan<float> cprev,
        ReadOnlySpan<float> c, Span<float> dPeep, int rows, int gates, int H)
    {
        for (int r = 0; r < rows; r++)
        {
            var d = dA.Slice(r * gates * H, gates * H);
            var cp = cprev.Slice(r * H, H);
            var ct = c.Slice(r * H, H);
            for (int j = 0; j < H; j++)
            {
                if (L.PeepI >= 0) dPeep[L.PeepI * H + j] += d[L.I * H + j] * cp[j];
                if (L.PeepF >= 0) dPeep[L.PeepF * H + j] += d[L.F * H + j] * cp[j];
                if (L.PeepO >= 0) dPeep[L.PeepO * H + j] += d[L.O * H + j] * ct[j];
            }
        }
    }
}
