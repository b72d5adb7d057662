using System.Numerics.Tensors;
using Recur.Kernels;

namespace Recur.Nn;

/// <summary>
/// One layer's highway parameters (<see cref="Recurrent.HighwayParameters"/>): <c>highway_weight_l{k}</c>
/// <c>W_g (H, H)</c> and <c>highway_bias_l{k}</c> <c>b_g (H)</c> (null in a stack without biases).
/// </summary>
public sealed record HighwayParameters(Parameter Weight, Parameter? Bias)
{
    /// <summary>The parameters in registration order.</summary>
    public IEnumerable<Parameter> All
    {
        get
        {
            yield return Weight;
            if (Bias is not null) yield return Bias;
        }
    }

    /// <summary>Scalars of one layer's highway of width <paramref name="hiddenSize"/>.</summary>
    public static long Count(int hiddenSize, bool bias) => (long)hiddenSize * hiddenSize + (bias ? hiddenSize : 0);
}

/// <summary>
/// The highway connection around one recurrent layer of a stack (Srivastava et al. 2015's highway layer, as the
/// CS231n 2017 slides write it between stacked layers): with <c>x</c> the layer's input and <c>h</c> its recurrent
/// output, the layer passes on <c>y = g ⊙ h + (1 - g) ⊙ x</c> with the transform gate <c>g = σ(W_g x + b_g)</c>.
/// The gate depends on the input alone, so the whole chunk's gates are one GEMM after the time loop, and the
/// backward is one GEMM for <c>dW_g</c> and one for <c>dx</c>. <c>h</c> stays the recurrent state.
/// <para>
/// Backward, with <c>dy</c> the gradient of <c>y</c>: <c>dL/dh = dy ⊙ g</c> (into the cell's backward),
/// <c>da_g = dy ⊙ (h - x) ⊙ g(1 - g)</c>, <c>dW_g += da_g^T x</c>, <c>db_g += Σ da_g</c>,
/// <c>dL/dx += dy ⊙ (1 - g) + da_g W_g</c>.
/// </para>
/// </summary>
internal sealed class LayerHighway(HighwayParameters parameters, int hidden)
{
    /// <summary>
    /// <c>b_g</c>'s start: <c>σ(-1) ≈ 0.27</c>, so a fresh layer passes on mostly its input (carry), as Srivastava
    /// et al. recommend (a negative transform-gate bias) so that a deep stack starts close to the identity and
    /// gradients reach the lower layers; the layer's own output still gets about a quarter of the say.
    /// </summary>
    public const float InitialBias = -1f;

    public HighwayParameters Parameters { get; } = parameters;

    /// <summary>The gate <c>g</c>, the output <c>y</c>, <c>dL/dh = dy ⊙ g</c>, <c>da_g</c>: <c>(T, B, H)</c> each.</summary>
    public float[] Gate = [], Out = [], DCell = [], DGate = [];

    public void Allocate(int n)
    {
        Gate = Buffers.Ensure(Gate, n * hidden);
        Out = Buffers.Ensure(Out, n * hidden);
        DCell = Buffers.Ensure(DCell, n * hidden);
        DGate = Buffers.Ensure(DGate, n * hidden);
    }

    /// <summary><c>W_g ~ U(-1/sqrt(H), 1/sqrt(H))</c> as the cells' weights; <c>b_g = </c><see cref="InitialBias"/>.</summary>
    public void Initialize(Rng rng)
    {
        float bound = 1f / MathF.Sqrt(hidden);
        rng.FillUniform(Parameters.Weight.Value, -bound, bound);
        Parameters.Bias?.Value.Fill(InitialBias);
    }

    /// <summary><c>g = σ(x W_g^T + b_g)</c>, <c>y = x + g ⊙ (h - x)</c> over <paramref name="n"/> rows; <c>x, h</c> are <c>(n, H)</c>.</summary>
    public void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> h, int n, int threads)
    {
        int H = hidden, len = n * H;
        var g = Gate.AsSpan(0, len);
        var bias = Parameters.Bias;
        if (bias is not null)
            for (int r = 0; r < n; r++) bias.Value.CopyTo(g.Slice(r * H, H));
        Gemm.Sgemm(false, true, n, H, H, 1f, x, H, Parameters.Weight.Value, H, bias is null ? 0f : 1f, g, H, threads);
        TensorPrimitives.Sigmoid(g, g);
        var y = Out.AsSpan(0, len);
        TensorPrimitives.Subtract(h[..len], x[..len], y);
        TensorPrimitives.FusedMultiplyAdd(g, y, x[..len], y);
    }

    /// <summary>
    /// From <paramref name="dy"/> <c>(n, H)</c>: <see cref="DCell"/> <c>= dy ⊙ g</c>, <see cref="DGate"/>
    /// <c>= dy ⊙ (h - x) ⊙ g(1 - g)</c>, and the parameters' gradients accumulated.
    /// </summary>
    public void Backward(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, ReadOnlySpan<float> h, int n, int threads)
    {
        int H = hidden, len = n * H;
        var g = Gate.AsSpan(0, len);
        var dh = DCell.AsSpan(0, len);
        var da = DGate.AsSpan(0, len);
        TensorPrimitives.Multiply(dy[..len], g, dh);
        for (int i = 0; i < len; i++)
        {
            float gi = g[i];
            da[i] = dy[i] * (h[i] - x[i]) * gi * (1f - gi);
        }
        Gemm.Sgemm(true, false, H, H, n, 1f, da, H, x, H, 1f, Parameters.Weight.Grad, H, threads);
        if (Parameters.Bias is { } b) Reduce.SumRows(da, n, H, b.Grad);
    }

    /// <summary>
    /// The gradient through the highway to its input, <c>dy ⊙ (1 - g) + da_g W_g</c>, added to <paramref name="dx"/>
    /// <c>(n, H)</c> (written over it when <paramref name="accumulate"/> is false). Call after <see cref="Backward"/>.
    /// </summary>
    public void AddInputGradient(ReadOnlySpan<float> dy, Span<float> dx, bool accumulate, int n, int threads)
    {
        int H = hidden, len = n * H;
        var carry = dx[..len];
        if (accumulate) TensorPrimitives.Add(carry, dy[..len], carry);
        else dy[..len].CopyTo(carry);
        TensorPrimitives.Subtract(carry, DCell.AsSpan(0, len), carry); // dy - dy ⊙ g
        Gemm.Sgemm(false, false, n, H, H, 1f, DGate.AsSpan(0, len), H, Parameters.Weight.Value, H, 1f, carry, H, threads);
    }
}
