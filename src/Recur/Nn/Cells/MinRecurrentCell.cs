using Recur.Kernels;

namespace Recur.Nn.Cells;

/// <summary>
/// What minGRU and minLSTM (Feng et al. 2024, "Were RNNs All We Needed?") share: every gate depends on the
/// input only, so a step is the diagonal linear recurrence <c>h_t = a_t ⊙ h_{t-1} + b_t</c> with
/// <c>a_t ∈ (0, 1)</c> and <c>b_t &gt; 0</c> computed from <c>x_t</c> alone, and there is no <c>W_hh</c>.
/// <para>
/// Training runs the whole chunk without any per-step product: the driver's one input-projection GEMM, one
/// elementwise pass for <c>log a</c>, <c>log b</c> and the activations, then the sequence-parallel scan in log
/// space (<see cref="LogSpaceScan"/>). Sampling and the gradient-flow probe run the O(1) step
/// <c>h_t = a_t h_{t-1} + b_t</c> directly (<see cref="ForwardStep"/>, <see cref="RecurrentCell.InferUnits"/>); the
/// two forms agree to float rounding (tested at length 1,000).
/// </para>
/// <para>
/// Backward is the reverse recurrence <c>g_t = dL/dy_t + a_{t+1} ⊙ g_{t+1}</c>, vectorised over the batch
/// and the units, with <c>dL/da_t = g_t ⊙ h_{t-1}</c> and <c>dL/db_t = g_t</c> turned into gate gradients by
/// the cell. Buffers: <see cref="LayerRun.A"/> keeps the activations; <see cref="LayerRun.Aux1"/> and
/// <see cref="LayerRun.Aux2"/> <c>(T, B, H)</c> hold <c>log a</c>, <c>log b</c> for the scan.
/// </para>
/// </summary>
public abstract class MinRecurrentCell : RecurrentCell
{
    /// <inheritdoc/>
    public override int RecurrentGates => 0;

    /// <inheritdoc/>
    public override void FoldBias(ReadOnlySpan<float> bih, ReadOnlySpan<float> bhh, Span<float> dst) => bih.CopyTo(dst);

    /// <summary>From a row's pre-activations <c>(G*H)</c>: <paramref name="la"/> = <c>log a</c>, <paramref name="lb"/> = <c>log b</c> <c>(H)</c>; <paramref name="scratch"/> <c>(G*H)</c>.</summary>
    protected abstract void LogCoefficients(ReadOnlySpan<float> pre, int H, Span<float> la, Span<float> lb, Span<float> scratch);

    /// <summary>Replaces units <c>[j0, j0+n)</c> of every gate block of <paramref name="row"/> by their activations; <paramref name="tmp"/> scratch <c>(n)</c>.</summary>
    protected abstract void Activate(Span<float> row, int H, int j0, int n, Span<float> tmp);

    /// <summary>The step on activated units <c>[j0, j0+n)</c>: <c>h = a ⊙ h_prev + b</c> (<paramref name="hprev"/>, <paramref name="h"/> <c>(n)</c>).</summary>
    protected abstract void Step(ReadOnlySpan<float> act, int H, int j0, int n, ReadOnlySpan<float> hprev, Span<float> h);

    /// <summary>The decay <c>a</c> <c>(H)</c> of an activated row.</summary>
    protected abstract void Decay(ReadOnlySpan<float> act, int H, Span<float> a);

    /// <summary>Gradients of the row's pre-activations <c>(G*H)</c> from <c>g = dL/dh_t</c> and <c>h_{t-1}</c>.</summary>
    protected abstract void GateGradients(ReadOnlySpan<float> act, int H, ReadOnlySpan<float> hprev, ReadOnlySpan<float> g, Span<float> dpre);

    internal override void Allocate(LayerRun run, int T, int B)
    {
        run.Aux1 = Buffers.Ensure(run.Aux1, T * B * run.H);
        run.Aux2 = Buffers.Ensure(run.Aux2, T * B * run.H);
    }

    internal override void PackForward(LayerRun run, ReadOnlySpan<float> whh) { }

    internal override void PackBackward(LayerRun run, ReadOnlySpan<float> whh) { }

    /// <summary>Training forward: coefficients and activations for every step, then the log-space scan.</summary>
    internal override void ForwardSequence(LayerRun run)
    {
        for (int t = 0; t < run.T; t++) run.RunRows(t, ScanPhase, forward: true);
        LogSpaceScan.Forward(run.Aux1, run.Aux2, run.H0, run.Y, run.T, run.B * run.H, run.Threads);
    }

    /// <summary>The sequential form of step <paramref name="t"/>: activations, then <c>h_t = a_t h_{t-1} + b_t</c>.</summary>
    internal override void ForwardStep(LayerRun run, int t) => run.RunRows(t, StepPhase, forward: true);

    private const int ScanPhase = 0, StepPhase = 1;

    internal override void ForwardRows(LayerRun run, int t, int phase, int b0, int b1)
    {
        int H = run.H, GH = Gates * H;
        var at = run.Step(run.A, t, GH);
        for (int b = b0; b < b1; b++)
        {
            var row = at.Slice(b * GH, GH);
            var tmp = run.Scratch.AsSpan(b * GH, GH); // (G*H) per row, G >= 2
            if (phase == ScanPhase)
                LogCoefficients(row, H, run.Step(run.Aux1, t, H).Slice(b * H, H), run.Step(run.Aux2, t, H).Slice(b * H, H), tmp);
            Activate(row, H, 0, H, tmp[..H]);
            if (phase == StepPhase) Step(row, H, 0, H, run.HPrev(t).Slice(b * H, H), run.Step(run.Y, t, H).Slice(b * H, H));
        }
    }

    /// <summary>One reverse step, no product: <c>g_t = dL/dy_t + carry</c>, gate gradients, carry <c>= a_t ⊙ g_t</c>.</summary>
    internal override void BackwardStep(LayerRun run, int t) => run.RunRows(t, 0, forward: false);

    internal override void BackwardRows(LayerRun run, int t, int phase, int b0, int b1)
    {
        int H = run.H, GH = Gates * H;
        run.AddUpstream(t, b0, b1);
        var at = run.Step(run.A, t, GH);
        var dat = run.Step(run.DA, t, GH);
        var hprev = run.HPrev(t);
        for (int b = b0; b < b1; b++)
        {
            var act = at.Slice(b * GH, GH);
            var g = run.DhCarry.AsSpan(b * H, H);
            GateGradients(act, H, hprev.Slice(b * H, H), g, dat.Slice(b * GH, GH));
            var a = run.Scratch.AsSpan(b * GH, H);
            Decay(act, H, a);
            System.Numerics.Tensors.TensorPrimitives.Multiply(g, a, g);
        }
    }

    /// <summary>No recurrent matrix: nothing to accumulate after the reverse loop (the driver does <c>W_ih</c>, <c>b_ih</c>).</summary>
    internal override void AccumulateRecurrentGrads(LayerRun run, Span<float> dwhh, Span<float> dbhh) { }

    internal override void InferUnits(InferenceLayer layer, int phase, int j0, int n)
    {
        var a = layer.A.AsSpan();
        Activate(a, layer.H, j0, n, layer.Hh.AsSpan(j0, n));
        Step(a, layer.H, j0, n, layer.HPrev.AsSpan(j0, n), layer.HNext.AsSpan(j0, n));
    }

    /// <summary><c>g(x) = x + 1/2</c> for <c>x ≥ 0</c>, <c>σ(x)</c> otherwise: the paper's positive candidate activation; <paramref name="tmp"/> scratch.</summary>
    protected static void G(Span<float> x, Span<float> tmp)
    {
        System.Numerics.Tensors.TensorPrimitives.Sigmoid(x, tmp);
        for (int i = 0; i < x.Length; i++) x[i] = x[i] >= 0f ? x[i] + 0.5f : tmp[i];
    }

    /// <summary><c>g'(x)</c> from <c>y = g(x)</c>: 1 where <c>y ≥ 1/2</c> (<c>x ≥ 0</c>), else <c>y (1 - y)</c>.</summary>
    protected static float GPrime(float y) => y >= 0.5f ? 1f : y * (1f - y);

    /// <summary><c>dst = log g(x)</c>: <c>log(x + 1/2)</c> for <c>x ≥ 0</c>, <c>log σ(x) = x - softplus(x)</c> otherwise; t1, t2 scratch.</summary>
    protected static void LogG(ReadOnlySpan<float> x, Span<float> dst, Span<float> t1, Span<float> t2)
    {
        LogSpaceScan.Softplus(x, t2, t1);
        System.Numerics.Tensors.TensorPrimitives.Subtract(x, t2, t2);  // log σ(x)
        System.Numerics.Tensors.TensorPrimitives.Max(x, 0f, t1);
        System.Numerics.Tensors.TensorPrimitives.Add(t1, 0.5f, t1);
        System.Numerics.Tensors.TensorPrimitives.Log(t1, t1);           // log(max(x, 0) + 1/2)
        for (int i = 0; i < x.Length; i++) dst[i] = x[i] >= 0f ? t1[i] : t2[i];
    }
}
