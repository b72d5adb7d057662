using System.Numerics.Tensors;

namespace Recur.Nn.Transformer;

/// <summary>
/// A pre-norm Transformer encoder layer, PyTorch's <c>nn.TransformerEncoderLayer(norm_first=True, activation="relu")</c>
/// with its names (<c>self_attn</c>, <c>linear1</c>, <c>linear2</c>, <c>norm1</c>, <c>norm2</c>):
/// <code>
/// x1 = x + Dropout(SelfAttention(LN1(x)))      keys masked past each row's length
/// y  = x1 + Dropout(FFN(LN2(x1)))
/// </code>
/// Dropout is the paper's residual dropout (on each sub-layer's output before the sum; Vaswani et al. 2017, §5.4).
/// Rows are batch-major <c>(B·T, D)</c>.
/// </summary>
public sealed class TransformerEncoderLayer : IModule
{
    private readonly LayerNorm _norm1, _norm2;
    private readonly MultiHeadAttention _attn;
    private readonly FeedForward _ffn;
    private readonly Dropout _drop1, _drop2;
    // Forward (N = B·T rows): LN1(x), the attention's output, x1, LN2(x1), the FFN's output, y: (N, D) each.
    private float[] _u1 = [], _a = [], _x1 = [], _u2 = [], _f = [], _y = [];
    // Backward: the gradients of a sub-layer's output, of its input, of x1 and of x: (N, D) each.
    private float[] _dBranch = [], _dIn = [], _dx1 = [], _dx = [];
    private int _n;

    /// <summary>Registers the layer's parameters under <paramref name="prefix"/>.</summary>
    public TransformerEncoderLayer(ParameterStore store, string prefix, int width, int heads, int hidden, float dropout)
    {
        Path = prefix;
        D = width;
        _attn = new MultiHeadAttention(store, Naming.Join(prefix, "self_attn"), width, heads);
        _ffn = new FeedForward(store, prefix, width, hidden);
        _norm1 = new LayerNorm(store, Naming.Join(prefix, "norm1"), width);
        _norm2 = new LayerNorm(store, Naming.Join(prefix, "norm2"), width);
        _drop1 = new Dropout(dropout);
        _drop2 = new Dropout(dropout);
    }

    /// <summary>Width <c>D</c>.</summary>
    public int D { get; }

    /// <summary>The self-attention (its kernel holds the last forward's probabilities).</summary>
    public MultiHeadAttention SelfAttention => _attn;

    /// <summary>Threads for the GEMMs and the heads.</summary>
    public int Threads { get; set; } = 1;

    /// <inheritdoc/>
    public string Path { get; }

    /// <inheritdoc/>
    public IReadOnlyList<Parameter> Parameters => [.. _attn.Parameters, .. _ffn.Parameters, .. _norm1.Parameters, .. _norm2.Parameters];

    /// <inheritdoc/>
    public bool Training { get; set; }

    /// <summary>Xavier-uniform projections, zero biases, unit norms.</summary>
    public void Reset(Rng rng)
    {
        _attn.Reset(rng);
        _ffn.Reset(rng);
        _norm1.Reset();
        _norm2.Reset();
    }

    /// <summary>
    /// The layer over <c>x (B·T, D)</c>; <paramref name="lengths"/> <c>(B)</c> the rows' lengths. Returns <c>y (B·T, D)</c>, owned by the
    /// layer until its next forward. Dropout acts when <paramref name="training"/>, drawing from <paramref name="rng"/>.
    /// </summary>
    public ReadOnlySpan<float> Forward(ReadOnlySpan<float> x, int B, int T, ReadOnlySpan<int> lengths, bool training, Rng? rng)
    {
        int N = B * T, ND = N * D;
        _n = N;
        _attn.Threads = _ffn.Threads = Threads;
        var u1 = Capacity.Take(ref _u1, ND); var a = Capacity.Take(ref _a, ND); var x1 = Capacity.Take(ref _x1, ND);
        var u2 = Capacity.Take(ref _u2, ND); var f = Capacity.Take(ref _f, ND); var y = Capacity.Take(ref _y, ND);
        _norm1.Forward(x, N, u1);
        _attn.SelfForward(u1, B, T, lengths, causal: false, a);
        _drop1.Forward(a, a, training, rng);
        TensorPrimitives.Add(x[..ND], a, x1);
        _norm2.Forward(x1, N, u2);
        _ffn.Forward(u2, N, f);
        _drop2.Forward(f, f, training, rng);
        TensorPrimitives.Add(x1, f, y);
        return y;
    }

    /// <summary>
    /// Backward of the last <see cref="Forward"/> from <c>dy (B·T, D)</c>; accumulates the parameters' gradients and returns
    /// <c>dx</c> (owned by the layer).
    /// </summary>
    public ReadOnlySpan<float> Backward(ReadOnlySpan<float> dy)
    {
        int N = _n, ND = N * D;
        _attn.Threads = _ffn.Threads = Threads;
        var dBranch = Capacity.Take(ref _dBranch, ND); var dIn = Capacity.Take(ref _dIn, ND);
        var dx1 = Capacity.Take(ref _dx1, ND); var dx = Capacity.Take(ref _dx, ND);
        // y = x1 + drop(FFN(LN2(x1)))
        _drop2.Backward(dy[..ND], dBranch);
        _ffn.Backward(_u2.AsSpan(0, ND), dBranch, dIn);
        _norm2.Backward(dIn, N, dx1);
        TensorPrimitives.Add(dx1, dy[..ND], dx1);
        // x1 = x + drop(SelfAttention(LN1(x)))
        _drop1.Backward(dx1, dBranch);
        _attn.SelfBackward(_u1.AsSpan(0, ND), dBranch, dIn);
        _norm1.Backward(dIn, N, dx);
        TensorPrimitives.Add(dx, dx1, dx);
        return dx;
    }
}
