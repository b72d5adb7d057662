using System.Numerics.Tensors;

namespace Recur.Nn.Transformer;

/// <summary>
/// A pre-norm Transformer decoder layer, PyTorch's <c>nn.TransformerDecoderLayer(norm_first=True, activation="relu")</c> with
/// its names (<c>self_attn</c>, <c>multihead_attn</c>, <c>linear1</c>, <c>linear2</c>, <c>norm1..3</c>):
/// <code>
/// x1 = x + Dropout(SelfAttention(LN1(x)))              causal: position t sees 0..t
/// x2 = x1 + Dropout(CrossAttention(LN2(x1), memory))   memory keys masked past each source's length
/// y  = x2 + Dropout(FFN(LN3(x2)))
/// </code>
/// Rows are batch-major: targets <c>(B·T, D)</c>, memory <c>(B·Ts, D)</c>. <see cref="Step"/> runs one position for every row
/// against a <see cref="DecoderLayerCache"/> (the past keys and values, the memory's projected keys and values) and equals
/// <see cref="Forward"/> at that position.
/// </summary>
public sealed class TransformerDecoderLayer : IModule
{
    private readonly LayerNorm _norm1, _norm2, _norm3;
    private readonly MultiHeadAttention _self, _cross;
    private readonly FeedForward _ffn;
    private readonly Dropout _drop1, _drop2, _drop3;
    // Forward (N = B·T rows): LN1(x), self-attention out, x1, LN2(x1), cross-attention out, x2, LN3(x2), FFN out, y: (N, D) each.
    private float[] _u1 = [], _a1 = [], _x1 = [], _u2 = [], _a2 = [], _x2 = [], _u3 = [], _f = [], _y = [];
    // Backward: a sub-layer output's gradient, its input's, x2's, x1's, x's: (N, D) each.
    private float[] _dBranch = [], _dIn = [], _dx2 = [], _dx1 = [], _dx = [];
    private float[] _memory = [];
    private int _n, _m;

    /// <summary>Registers the layer's parameters under <paramref name="prefix"/>.</summary>
    public TransformerDecoderLayer(ParameterStore store, string prefix, int width, int heads, int hidden, float dropout)
    {
        Path = prefix;
        D = width;
        _self = new MultiHeadAttention(store, Naming.Join(prefix, "self_attn"), width, heads);
        _cross = new MultiHeadAttention(store, Naming.Join(prefix, "multihead_attn"), width, heads);
        _ffn = new FeedForward(store, prefix, width, hidden);
        _norm1 = new LayerNorm(store, Naming.Join(prefix, "norm1"), width);
        _norm2 = new LayerNorm(store, Naming.Join(prefix, "norm2"), width);
        _norm3 = new LayerNorm(store, Naming.Join(prefix, "norm3"), width);
        _drop1 = new Dropout(dropout);
        _drop2 = new Dropout(dropout);
        _drop3 = new Dropout(dropout);
    }

    /// <summary>Width <c>D</c>.</summary>
    public int D { get; }

    /// <summary>Heads.</summary>
    public int Heads => _self.Heads;

    /// <summary>The cross-attention (its kernel holds the last forward's probabilities over the memory).</summary>
    public MultiHeadAttention CrossAttention => _cross;

    /// <summary>Threads for the GEMMs and the heads.</summary>
    public int Threads { get; set; } = 1;

    /// <inheritdoc/>
    public string Path { get; }

    /// <inheritdoc/>
    public IReadOnlyList<Parameter> Parameters =>
        [.. _self.Parameters, .. _cross.Parameters, .. _ffn.Parameters, .. _norm1.Parameters, .. _norm2.Parameters, .. _norm3.Parameters];

    /// <inheritdoc/>
    public bool Training { get; set; }

    /// <summary>Xavier-uniform projections, zero biases, unit norms.</summary>
    public void Reset(Rng rng)
    {
        _self.Reset(rng);
        _cross.Reset(rng);
        _ffn.Reset(rng);
        _norm1.Reset();
        _norm2.Reset();
        _norm3.Reset();
    }

    private void SetThreads() => _self.Threads = _cross.Threads = _ffn.Threads = Threads;

    /// <summary>
    /// The layer over targets <c>x (B·T, D)</c> and <c>memory (B·Ts, D)</c> (kept by reference until Backward: the caller leaves it
    /// unchanged), <paramref name="sourceLengths"/> <c>(B)</c>. Returns <c>y (B·T, D)</c>, owned by the layer until its next forward.
    /// </summary>
    public ReadOnlySpan<float> Forward(ReadOnlySpan<float> x, float[] memory, int B, int T, int Ts, ReadOnlySpan<int> sourceLengths,
        bool training, Rng? rng)
    {
        ArgumentNullException.ThrowIfNull(memory);
        int N = B * T, ND = N * D;
        (_n, _m, _memory) = (N, B * Ts, memory);
        SetThreads();
        var u1 = Capacity.Take(ref _u1, ND); var a1 = Capacity.Take(ref _a1, ND); var x1 = Capacity.Take(ref _x1, ND);
        var u2 = Capacity.Take(ref _u2, ND); var a2 = Capacity.Take(ref _a2, ND); var x2 = Capacity.Take(ref _x2, ND);
        var u3 = Capacity.Take(ref _u3, ND); var f = Capacity.Take(ref _f, ND); var y = Capacity.Take(ref _y, ND);
        var mem = memory.AsSpan(0, B * Ts * D);
        _norm1.Forward(x, N, u1);
        _self.SelfForward(u1, B, T, [], causal: true, a1);
        _drop1.Forward(a1, a1, training, rng);
        TensorPrimitives.Add(x[..ND], a1, x1);
        _norm2.Forward(x1, N, u2);
        _cross.CrossForward(u2, mem, B, T, Ts, sourceLengths, a2);
        _drop2.Forward(a2, a2, training, rng);
        TensorPrimitives.Add(x1, a2, x2);
        _norm3.Forward(x2, N, u3);
        _ffn.Forward(u3, N, f);
        _drop3.Forward(f, f, training, rng);
        TensorPrimitives.Add(x2, f, y);
        return y;
    }

    /// <summary>
    /// Backward of the last <see cref="Forward"/> from <c>dy (B·T, D)</c>: accumulates the parameters' gradients, adds the memory's
    /// gradient into <c>dMemory (B·Ts, D)</c> and returns <c>dx</c> (owned by the layer).
    /// </summary>
    public ReadOnlySpan<float> Backward(ReadOnlySpan<float> dy, Span<float> dMemory)
    {
        int N = _n, ND = N * D;
        SetThreads();
        var dBranch = Capacity.Take(ref _dBranch, ND); var dIn = Capacity.Take(ref _dIn, ND);
        var dx2 = Capacity.Take(ref _dx2, ND); var dx1 = Capacity.Take(ref _dx1, ND); var dx = Capacity.Take(ref _dx, ND);
        // y = x2 + drop(FFN(LN3(x2)))
        _drop3.Backward(dy[..ND], dBranch);
        _ffn.Backward(_u3.AsSpan(0, ND), dBranch, dIn);
        _norm3.Backward(dIn, N, dx2);
        TensorPrimitives.Add(dx2, dy[..ND], dx2);
        // x2 = x1 + drop(CrossAttention(LN2(x1), memory))
        _drop2.Backward(dx2, dBranch);
        _cross.CrossBackward(_u2.AsSpan(0, ND), _memory.AsSpan(0, _m * D), dBranch, dIn, dMemory);
        _norm2.Backward(dIn, N, dx1);
        TensorPrimitives.Add(dx1, dx2, dx1);
        // x1 = x + drop(SelfAttention(LN1(x)))
        _drop1.Backward(dx1, dBranch);
        _self.SelfBackward(_u1.AsSpan(0, ND), dBranch, dIn);
        _norm1.Backward(dIn, N, dx);
        TensorPrimitives.Add(dx, dx1, dx);
        return dx;
    }

    /// <summary>A cache for stepping <paramref name="batch"/> rows over <c>memory (B·Ts, D)</c> with those source lengths.</summary>
    public DecoderLayerCache NewCache(ReadOnlySpan<float> memory, int batch, int Ts, ReadOnlySpan<int> sourceLengths, int capacity)
    {
        var cache = new DecoderLayerCache(D, Heads, batch, Ts, sourceLengths, capacity);
        _cross.Threads = Threads;
        _cross.ProjectKeysValues(memory[..(batch * Ts * D)], batch * Ts, cache.MemoryKeysValues);
        return cache;
    }

    /// <summary>
    /// One position for every row: <c>x (B, D)</c> at the cache's position into <c>y (B, D)</c>; appends the position's keys and
    /// values to the cache. It runs the same LayerNorm instances as <see cref="Forward"/>: no Backward after a Step.
    /// </summary>
    public void Step(ReadOnlySpan<float> x, Span<float> y, DecoderLayerCache cache)
    {
        ArgumentNullException.ThrowIfNull(cache);
        int B = cache.Batch, BD = B * D, p = cache.Position;
        SetThreads();
        cache.EnsureRoom();
        var s = cache.Scratch; // u (B, D), qkv (B, 3D), ctx (B, D), x1 (B, D), x2 (B, D)
        var u = s.AsSpan(0, BD); var qkv = s.AsSpan(BD, 3 * BD); var ctx = s.AsSpan(4 * BD, BD);
        var x1 = s.AsSpan(5 * BD, BD); var x2 = s.AsSpan(6 * BD, BD);
        // x1 = x + SelfAttention(LN1(x)) over positions 0..p
        _norm1.Forward(x, B, u);
        _self.ProjectQkv(u, B, qkv);
        cache.Append(qkv);
        var lengths = cache.PastLengths;
        cache.SelfCore.Forward(HeadRows.Packed(s, 1, 3 * D, BD), cache.PastKeys, cache.PastValues, HeadRows.Packed(s, 1, D, 4 * BD),
            B, 1, p + 1, lengths, causal: false, Threads);
        _self.ProjectOutput(ctx, B, x1);
        TensorPrimitives.Add(x1, x[..BD], x1);
        // x2 = x1 + CrossAttention(LN2(x1), memory)
        _norm2.Forward(x1, B, u);
        _cross.ProjectQuery(u, B, qkv[..BD]);
        cache.CrossCore.Forward(HeadRows.Packed(s, 1, D, BD), cache.MemoryKeys, cache.MemoryValues, HeadRows.Packed(s, 1, D, 4 * BD),
            B, 1, cache.SourceSteps, cache.SourceLengths, causal: false, Threads);
        _cross.ProjectOutput(ctx, B, x2);
        TensorPrimitives.Add(x2, x1, x2);
        // y = x2 + FFN(LN3(x2))
        _norm3.Forward(x2, B, u);
        _ffn.Forward(u, B, y);
        TensorPrimitives.Add(y[..BD], x2, y);
    }
}
