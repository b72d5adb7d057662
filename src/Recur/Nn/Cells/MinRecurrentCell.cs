using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
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
/// the cell. Buffers: <see cref="LayerRun.A"/> keeps the activations; the cells' own <see cref="ScanBuffers"/> hold
/// <c>log a</c>, <c>log b</c> for the scan.
/// </para>
/// </summary>
public abstract class MinRecurrentCell : RecurrentCell
{
    /// <inheritdoc/>
    public override int RecurrentGates => 0;

    /// <inheritdoc/>
    public override void FoldBias(ReadOnlySpan<float> bih, ReadOnlySpan<float> bhh, Span<float> dst) => bih.CopyTo(dst);

    /// <summary>
    /// One fused pass over a row of pre-activations <c>(G*H)</c>: writes <paramref name="la"/> = <c>log a</c> and
    /// <paramref name="lb"/> = <c>log b</c> <c>(H)</c>, and replaces the row by its activations (as <see cref="Activate"/>).
    /// </summary>
    protected abstract void PrepareScan(Span<float> row, int H, Span<float> la, Span<float> lb);

    /// <summary>
    /// Replaces units <c>[j0, j0+n)</c> of every gate block of <paramref name="row"/> by their activations;
    /// <paramref name="tmp"/> scratch <c>(n)</c>.
    /// </summary>
    protected abstract void Activate(Span<float> row, int H, int j0, int n, Span<float> tmp);

    /// <summary>
    /// The step on activated units <c>[j0, j0+n)</c>: <c>h = a ⊙ h_prev + b</c> (<paramref name="hprev"/>,
    /// <paramref name="h"/> <c>(n)</c>).
    /// </summary>
    protected abstract void Step(ReadOnlySpan<float> act, int H, int j0, int n, ReadOnlySpan<float> hprev, Span<float> h);

    /// <summary>
    /// One row of the reverse step: the gradients of the row's pre-activations <c>(G*H)</c> from <c>g = dL/dh_t</c>
    /// and <c>h_{t-1}</c>, then <c>g ← a ⊙ g</c> (the gradient carried to <c>h_{t-1}</c>), in one pass.
    /// </summary>
    protected abstract void BackwardRow(ReadOnlySpan<float> act, int H, ReadOnlySpan<float> hprev, Span<float> g, Span<float> dpre);

    /// <summary>What a minGRU or minLSTM layer keeps besides <see cref="LayerRun"/>'s shared buffers.</summary>
    private sealed class ScanBuffers : CellBuffers
    {
        /// <summary><c>log a_t</c> <c>(T, B, H)</c>: the scan's log decay, written by the fused pass before it.</summary>
        public float[] LogA = [];

        /// <summary><c>log b_t</c> <c>(T, B, H)</c>: the scan's log input term.</summary>
        public float[] LogB = [];

        internal override void Allocate(int T, int B, int H)
        {
            LogA = Buffers.Ensure(LogA, T * B * H);
            LogB = Buffers.Ensure(LogB, T * B * H);
        }
    }

    internal override CellBuffers CreateBuffers() => new ScanBuffers();

    internal override void PackForward(LayerRun run, ReadOnlySpan<float> whh) { }

    internal override void PackBackward(LayerRun run, ReadOnlySpan<float> whh) { }

    /// <summary>Training forward: coefficients and activations for every step, then the log-space scan.</summary>
    internal override bool SupportsLengths => false;

    internal override void ForwardSequence(LayerRun run)
    {
        for (int t = 0; t < run.T; t++) run.RunRows(t, ScanPhase, forward: true);
        var own = run.Own<ScanBuffers>();
        LogSpaceScan.Forward(own.LogA, own.LogB, run.H0, run.Y, run.T, run.B * run.H, run.Threads);
    }

    /// <summary>The sequential form of step <paramref name="t"/>: activations, then <c>h_t = a_t h_{t-1} + b_t</c>.</summary>
    internal override void ForwardStep(LayerRun run, int t) => run.RunRows(t, StepPhase, forward: true);

    private const int ScanPhase = 0, StepPhase = 1;

    internal override void ForwardRows(LayerRun run, int t, int phase, int b0, int b1)
    {
        int H = run.H, GH = Gates * H;
        var at = run.Step(run.A, t, GH);
        var own = run.Own<ScanBuffers>();
        for (int b = b0; b < b1; b++)
        {
            var row = at.Slice(b * GH, GH);
            if (phase == ScanPhase)
            {
                PrepareScan(row, H, run.Step(own.LogA, t, H).Slice(b * H, H), run.Step(own.LogB, t, H).Slice(b * H, H));
                continue;
            }
            Activate(row, H, 0, H, run.Scratch.AsSpan(b * GH, H));
            Step(row, H, 0, H, run.HPrev(t).Slice(b * H, H), run.Step(run.Y, t, H).Slice(b * H, H));
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
            BackwardRow(at.Slice(b * GH, GH), H, hprev.Slice(b * H, H), run.DhCarry.AsSpan(b * H, H), dat.Slice(b * GH, GH));
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

    /// <summary>
    /// <c>g(x) = x + 1/2</c> for <c>x ≥ 0</c>, <c>σ(x)</c> otherwise: the paper's positive candidate activation;
    /// <paramref name="tmp"/> scratch.
    /// </summary>
    protected static void G(Span<float> x, Span<float> tmp)
    {
        System.Numerics.Tensors.TensorPrimitives.Sigmoid(x, tmp);
        for (int i = 0; i < x.Length; i++) x[i] = x[i] >= 0f ? x[i] + 0.5f : tmp[i];
    }

    /// <summary><c>g'(x)</c> from <c>y = g(x)</c>: 1 where <c>y ≥ 1/2</c> (<c>x ≥ 0</c>), else <c>y (1 - y)</c>.</summary>
    protected static float GPrime(float y) => y >= 0.5f ? 1f : y * (1f - y);

    /// <summary>
    /// For a candidate pre-activation <c>x</c>: <c>log g(x)</c> and <c>g(x)</c> (<c>log(x + 1/2)</c>, <c>x + 1/2</c> for
    /// <c>x ≥ 0</c>; <c>log σ(x) = x - softplus(x)</c>, <c>σ(x)</c> otherwise).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    protected static (Vector256<float> LogG, Vector256<float> G) LogAndG(Vector256<float> x)
    {
        var pos = Vector256.GreaterThanOrEqual(x, Vector256<float>.Zero);
        var e = Vector256.Exp(-Vector256.Abs(x));                       // exp(-|x|) = exp(x) for x < 0
        var onePlus = Vector256<float>.One + e;
        var shifted = x + Vector256.Create(0.5f);
        // One logarithm serves both branches: log(x + 1/2) for x >= 0, log(1 + e^x) for x < 0.
        var l = Vector256.Log(Vector256.ConditionalSelect(pos, shifted, onePlus));
        return (Vector256.ConditionalSelect(pos, l, x - l), Vector256.ConditionalSelect(pos, shifted, e / onePlus));
    }

    /// <inheritdoc cref="LogAndG(Vector256{float})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    protected static (float LogG, float G) LogAndG(float x)
    {
        if (x >= 0f) return (MathF.Log(x + 0.5f), x + 0.5f);
        float e = MathF.Exp(x);
        return (x - ScanMath.Softplus(x), e / (1f + e));
    }

    /// <summary>
    /// <c>softplus(x)</c>, <c>softplus(-x)</c> and <c>σ(x)</c> from one exponential and one logarithm, each without
    /// cancellation (<c>log σ(x) = -softplus(-x)</c>, <c>log(1 - σ(x)) = -softplus(x)</c>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    protected static (Vector256<float> Sp, Vector256<float> SpNeg, Vector256<float> Sig) SoftplusAndSigmoid(Vector256<float> x)
    {
        var e = Vector256.Exp(-Vector256.Abs(x));
        var onePlus = Vector256<float>.One + e;
        var l = Vector256.Log(onePlus);
        var pos = Vector256.GreaterThanOrEqual(x, Vector256<float>.Zero);
        return (Vector256.Max(x, Vector256<float>.Zero) + l, Vector256.Max(-x, Vector256<float>.Zero) + l,
            Vector256.ConditionalSelect(pos, Vector256<float>.One, e) / onePlus);
    }

    /// <inheritdoc cref="SoftplusAndSigmoid(Vector256{float})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    protected static (float Sp, float SpNeg, float Sig) SoftplusAndSigmoid(float x)
    {
        float e = MathF.Exp(-MathF.Abs(x)), onePlus = 1f + e, l = MathF.Log(onePlus);
        return (MathF.Max(x, 0f) + l, MathF.Max(-x, 0f) + l, (x >= 0f ? 1f : e) / onePlus);
    }
}
