using System.Numerics.Tensors;
using Recur.Kernels;

namespace Recur.Nn.Cells;

/// <summary>
/// The Elman (vanilla) RNN of the lectures, PyTorch's <c>nn.RNN</c>:
/// <c>h_t = φ(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)</c> with <c>φ = tanh</c> or <c>ReLU</c>.
/// Backward: <c>da = dh ⊙ φ'(a)</c> (<c>1 - h²</c> for tanh, <c>[h &gt; 0]</c> for ReLU), <c>dh_{t-1} = da W_hh</c>.
/// <see cref="LayerRun.A"/> keeps the pre-activations; the cell has no buffers of its own.
/// </summary>
public sealed class RnnCell : RecurrentCell
{
    /// <summary>The tanh cell (<paramref name="relu"/> false) or the ReLU cell.</summary>
    public RnnCell(bool relu) => Relu = relu;

    /// <summary>True for ReLU, false for tanh.</summary>
    public bool Relu { get; }

    /// <summary>PyTorch's <c>nonlinearity</c> argument: "tanh" or "relu".</summary>
    public string Nonlinearity => Relu ? "relu" : "tanh";

    /// <inheritdoc/>
    public override string Name => Relu ? "rnn-relu" : "rnn";

    /// <inheritdoc/>
    public override string Summary => Relu ? "Elman RNN with ReLU (nn.RNN, nonlinearity='relu')" : "Elman RNN with tanh, the lectures' vanilla RNN (nn.RNN)";

    /// <inheritdoc/>
    public override int Gates => 1;

    /// <inheritdoc/>
    public override bool AdditiveRecurrence => true;

    internal override void ForwardStep(LayerRun run, int t)
    {
        int H = run.H;
        Gemm.Sgemm(false, run.B, 1f, run.HPrev(t), H, run.WhhForward, 1f, run.Step(run.A, t, H), H, run.Threads);
        run.RunRows(t, 0, forward: true);
    }

    internal override void ForwardRows(LayerRun run, int t, int phase, int b0, int b1)
    {
        int H = run.H;
        var a = run.Step(run.A, t, H)[(b0 * H)..(b1 * H)];
        var h = run.Step(run.Y, t, H)[(b0 * H)..(b1 * H)];
        Activate(a, h);
    }

    internal override void BackwardStep(LayerRun run, int t)
    {
        int H = run.H;
        run.RunRows(t, 0, forward: false);
        Gemm.Sgemm(false, run.B, 1f, run.Step(run.DA, t, H), H, run.WhhBackward, 0f, run.DhCarry, H, run.Threads);
    }

    internal override void BackwardRows(LayerRun run, int t, int phase, int b0, int b1)
    {
        int H = run.H, r0 = b0 * H, r1 = b1 * H;
        run.AddUpstream(t, b0, b1);
        var d = run.Step(run.DA, t, H)[r0..r1];
        var h = run.Step(run.Y, t, H)[r0..r1];
        var dh = run.DhCarry.AsSpan(r0, r1 - r0);
        if (Relu)
        {
            for (int i = 0; i < d.Length; i++) d[i] = h[i] > 0f ? dh[i] : 0f;
            return;
        }
        // da = dh * (1 - h^2)
        TensorPrimitives.Multiply(h, h, d);
        TensorPrimitives.Subtract(1f, d, d);
        TensorPrimitives.Multiply(d, dh, d);
    }

    internal override void InferUnits(InferenceLayer layer, int phase, int j0, int n)
        => Activate(layer.A.AsSpan(j0, n), layer.HNext.AsSpan(j0, n));

    private void Activate(ReadOnlySpan<float> a, Span<float> h)
    {
        if (Relu) TensorPrimitives.Max(a, 0f, h);
        else TensorPrimitives.Tanh(a, h);
    }
}
