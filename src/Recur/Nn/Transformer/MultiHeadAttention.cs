using Recur.Kernels;

namespace Recur.Nn.Transformer;

/// <summary>
/// Multi-head attention with PyTorch's <c>nn.MultiheadAttention</c> names and shapes: <c>in_proj_weight (3D, D)</c> and
/// <c>in_proj_bias (3D)</c> stack the query, key and value projections <c>W_q, W_k, W_v</c>; <c>out_proj</c> is
/// <c>W_o (D, D)</c> with a bias. <c>MultiHead(X, M) = concat_h(softmax(Q_h K_h^T / √dh) V_h) W_o^T + b_o</c> with
/// <c>Q = X W_q^T + b_q</c>, <c>K = M W_k^T + b_k</c>, <c>V = M W_v^T + b_v</c> (Vaswani et al. 2017, §3.2.2):
/// self-attention reads <c>M = X</c> (one fused <c>(3D)</c>-wide projection), cross-attention the encoder's output.
/// Rows are batch-major: row <c>b·T + t</c>. The masks are <see cref="ScaledDotProductAttention"/>'s (key lengths,
/// causal). Forward saves what Backward needs; the caller keeps the inputs unchanged between the two.
/// </summary>
public sealed class MultiHeadAttention : IModule
{
    private readonly Linear _out;
    private float[] _qkv = [], _ctx = [], _dctx = [], _dqkv = []; // (N, 3D) or (Nq, D) + (Nk, 2D), (Nq, D) x2, as _qkv
    private int _b, _tq, _tk;
    private bool _cross;

    /// <summary>Registers <c>{prefix}.in_proj_weight</c>, <c>{prefix}.in_proj_bias</c> and <c>{prefix}.out_proj</c>.</summary>
    public MultiHeadAttention(ParameterStore store, string prefix, int width, int heads)
    {
        ArgumentNullException.ThrowIfNull(store);
        Path = prefix;
        D = width;
        Core = new ScaledDotProductAttention(width, heads);
        InProjWeight = store.Add(Naming.Join(prefix, "in_proj_weight"), 3 * width, width);
        InProjBias = store.Add(Naming.Join(prefix, "in_proj_bias"), 3 * width);
        _out = new Linear(store, Naming.Join(prefix, "out_proj"), width, width);
    }

    /// <summary>Width <c>D</c>.</summary>
    public int D { get; }

    /// <summary>Heads.</summary>
    public int Heads => Core.H;

    /// <summary>The attention kernel of the training forward (its probabilities are the last forward's).</summary>
    public ScaledDotProductAttention Core { get; }

    /// <summary><c>[W_q ; W_k ; W_v] (3D, D)</c>.</summary>
    public Parameter InProjWeight { get; }

    /// <summary><c>[b_q ; b_k ; b_v] (3D)</c>.</summary>
    public Parameter InProjBias { get; }

    /// <summary>Threads for the GEMMs and the heads.</summary>
    public int Threads { get; set; } = 1;

    /// <inheritdoc/>
    public string Path { get; }

    /// <inheritdoc/>
    public IReadOnlyList<Parameter> Parameters => [InProjWeight, InProjBias, .. _out.Parameters];

    /// <inheritdoc/>
    public bool Training { get; set; }

    /// <summary>Xavier-uniform weights (over the whole stacked <c>(3D, D)</c> matrix, as PyTorch), zero biases.</summary>
    public void Reset(Rng rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        float a = MathF.Sqrt(6f / (4 * D)), o = MathF.Sqrt(6f / (2 * D));
        rng.FillUniform(InProjWeight.Value, -a, a);
        InProjBias.Value.Clear();
        rng.FillUniform(_out.Weight.Value, -o, o);
        _out.Bias!.Value.Clear();
    }

    /// <summary>
    /// Rows <paramref name="first"/>..<paramref name="first"/> + <paramref name="count"/> - 1 of the stacked projection applied
    /// to <c>x (n, D)</c>: <c>y (n, count)</c>.
    /// </summary>
    private void Project(ReadOnlySpan<float> x, int n, int first, int count, Span<float> y)
    {
        var bias = InProjBias.Value.Slice(first, count);
        for (int r = 0; r < n; r++) bias.CopyTo(y.Slice(r * count, count));
        Gemm.Sgemm(false, true, n, count, D, 1f, x, D, InProjWeight.Value.Slice(first * D, count * D), D, 1f, y, count, Threads);
    }

    /// <summary>
    /// Backward of <see cref="Project"/>: accumulates the weight and bias gradients; <c>dx = dy W</c> written or, with
    /// <paramref name="accumulate"/>, added.
    /// </summary>
    private void ProjectBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, int n, int first, int count, Span<float> dx, bool accumulate)
    {
        Gemm.Sgemm(true, false, count, D, n, 1f, dy, count, x, D, 1f, InProjWeight.Grad.Slice(first * D, count * D), D, Threads);
        Reduce.SumRows(dy, n, count, InProjBias.Grad.Slice(first, count));
        Gemm.Sgemm(false, false, n, D, count, 1f, dy, count, InProjWeight.Value.Slice(first * D, count * D), D, accumulate ? 1f : 0f, dx, D, Threads);
    }

    /// <summary>Queries, keys and values of <c>x (n, D)</c> side by side: <c>qkv (n, 3D)</c>.</summary>
    public void ProjectQkv(ReadOnlySpan<float> x, int n, Span<float> qkv) => Project(x, n, 0, 3 * D, qkv);

    /// <summary>Queries of <c>x (n, D)</c>: <c>q (n, D)</c>.</summary>
    public void ProjectQuery(ReadOnlySpan<float> x, int n, Span<float> q) => Project(x, n, 0, D, q);

    /// <summary>Keys and values of <c>memory (n, D)</c> side by side: <c>kv (n, 2D)</c>.</summary>
    public void ProjectKeysValues(ReadOnlySpan<float> memory, int n, Span<float> kv) => Project(memory, n, D, 2 * D, kv);

    /// <summary>The output projection of the heads' concatenation <c>ctx (n, D)</c>: <c>y (n, D)</c>.</summary>
    public void ProjectOutput(ReadOnlySpan<float> ctx, int n, Span<float> y)
    {
        _out.Threads = Threads;
        _out.Forward(ctx, n, y);
    }

    /// <summary>
    /// Self-attention of <paramref name="B"/> rows of <paramref name="T"/> positions <c>x (B·T, D)</c> into <c>y (B·T, D)</c>;
    /// <paramref name="keyLengths"/> <c>(B)</c> masks each row's padding (empty: none), <paramref name="causal"/> the future.
    /// </summary>
    public void SelfForward(ReadOnlySpan<float> x, int B, int T, ReadOnlySpan<int> keyLengths, bool causal, Span<float> y)
    {
        int N = B * T;
        (_b, _tq, _tk, _cross) = (B, T, T, false);
        ProjectQkv(x, N, Capacity.Take(ref _qkv, N * 3 * D));
        Capacity.Take(ref _ctx, N * D);
        Core.Forward(HeadRows.Packed(_qkv, T, 3 * D), HeadRows.Packed(_qkv, T, 3 * D, D), HeadRows.Packed(_qkv, T, 3 * D, 2 * D),
            HeadRows.Packed(_ctx, T, D), B, T, T, keyLengths, causal, Threads);
        ProjectOutput(_ctx.AsSpan(0, N * D), N, y);
    }

    /// <summary>Backward of <see cref="SelfForward"/> (its input <paramref name="x"/> again) from <c>dy (B·T, D)</c>: writes <c>dx (B·T, D)</c>.</summary>
    public void SelfBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx)
    {
        if (_cross) throw new InvalidOperationException("SelfBackward after a CrossForward.");
        int B = _b, T = _tq, N = B * T;
        var dctx = Capacity.Take(ref _dctx, N * D);
        _out.Threads = Threads;
        _out.Backward(_ctx.AsSpan(0, N * D), dy, N, dctx);
        var dqkv = Capacity.Take(ref _dqkv, N * 3 * D);
        Core.Backward(HeadRows.Packed(_qkv, T, 3 * D), HeadRows.Packed(_qkv, T, 3 * D, D), HeadRows.Packed(_qkv, T, 3 * D, 2 * D),
            HeadRows.Packed(_dctx, T, D), HeadRows.Packed(_dqkv, T, 3 * D), HeadRows.Packed(_dqkv, T, 3 * D, D),
            HeadRows.Packed(_dqkv, T, 3 * D, 2 * D), Threads);
        ProjectBackward(x, dqkv, N, 0, 3 * D, dx, accumulate: false);
    }

    /// <summary>
    /// Cross-attention of queries <c>x (B·Tq, D)</c> to <c>memory (B·Tk, D)</c> into <c>y (B·Tq, D)</c>;
    /// <paramref name="keyLengths"/> <c>(B)</c>: each row's memory length (the source padding mask).
    /// </summary>
    public void CrossForward(ReadOnlySpan<float> x, ReadOnlySpan<float> memory, int B, int Tq, int Tk, ReadOnlySpan<int> keyLengths, Span<float> y)
    {
        int Nq = B * Tq, Nk = B * Tk;
        (_b, _tq, _tk, _cross) = (B, Tq, Tk, true);
        var buf = Capacity.Take(ref _qkv, Nq * D + Nk * 2 * D); // q (Nq, D) then kv (Nk, 2D)
        ProjectQuery(x, Nq, buf[..(Nq * D)]);
        ProjectKeysValues(memory, Nk, buf.Slice(Nq * D, Nk * 2 * D));
        Capacity.Take(ref _ctx, Nq * D);
        Core.Forward(HeadRows.Packed(_qkv, Tq, D), HeadRows.Packed(_qkv, Tk, 2 * D, Nq * D), HeadRows.Packed(_qkv, Tk, 2 * D, Nq * D + D),
            HeadRows.Packed(_ctx, Tq, D), B, Tq, Tk, keyLengths, causal: false, Threads);
        ProjectOutput(_ctx.AsSpan(0, Nq * D), Nq, y);
    }

    /// <summary>
    /// Backward of <see cref="CrossForward"/> (its inputs again) from <c>dy (B·Tq, D)</c>: writes <c>dx (B·Tq, D)</c> and adds
    /// the memory's gradient into <c>dMemory (B·Tk, D)</c>.
    /// </summary>
    public void CrossBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> memory, ReadOnlySpan<float> dy, Span<float> dx, Span<float> dMemory)
    {
        if (!_cross) throw new InvalidOperationException("CrossBackward after a SelfForward.");
        int B = _b, Tq = _tq, Tk = _tk, Nq = B * Tq, Nk = B * Tk;
        var dctx = Capacity.Take(ref _dctx, Nq * D);
        _out.Threads = Threads;
        _out.Backward(_ctx.AsSpan(0, Nq * D), dy, Nq, dctx);
        var d = Capacity.Take(ref _dqkv, Nq * D + Nk * 2 * D); // dq (Nq, D) then dkv (Nk, 2D)
        Core.Backward(HeadRows.Packed(_qkv, Tq, D), HeadRows.Packed(_qkv, Tk, 2 * D, Nq * D), HeadRows.Packed(_qkv, Tk, 2 * D, Nq * D + D),
            HeadRows.Packed(_dctx, Tq, D), HeadRows.Packed(_dqkv, Tq, D), HeadRows.Packed(_dqkv, Tk, 2 * D, Nq * D),
            HeadRows.Packed(_dqkv, Tk, 2 * D, Nq * D + D), Threads);
        ProjectBackward(x, d[..(Nq * D)], Nq, 0, D, dx, accumulate: false);
        ProjectBackward(memory, d.Slice(Nq * D, Nk * 2 * D), Nk, D, 2 * D, dMemory, accumulate: true);
    }
}
