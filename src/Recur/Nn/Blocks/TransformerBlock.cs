using System.Numerics.Tensors;
using Recur.Kernels;

namespace Recur.Nn.Blocks;

/// <summary>
/// The baseline the lectures compare recurrences against: a pre-norm causal Transformer block in the style of
/// GPT-2 (Radford et al. 2019), with nanoGPT's parameter names. For a token <c>x</c> at position <c>p</c>:
/// <code>
/// u  = LN1(x) + wpe[min(p, Context - 1)]                 learned positions, this block's own table
/// q, k, v = u W_attn^T + b_attn                          one Linear D → 3D, H = Heads heads of width D/H
/// a  = softmax(q k^T / √(D/H)) v   per head, causal, over the last Context tokens (itself included)
/// x' = x + a W_proj^T + b_proj
/// y  = x' + W_2 GELU(W_1 LN2(x') + b_1) + b_2           hidden width Expand·D, exact (erf) GELU
/// </code>
/// <para>
/// Deviation from GPT-2, where learned positions are added once to the embeddings: every block here is
/// self-contained (the registry builds blocks of width <c>D</c> with no notion of "first"), so each carries its own
/// position table <c>wpe (Context, D)</c>, added to its attention input <c>LN1(x)</c> (so to q, k and v); the
/// residual stream itself carries no positions. Past the table, every position uses the last row
/// <c>wpe[Context - 1]</c>; together with the window of <c>Context</c> tokens this makes any length well defined,
/// training and sampling alike, and equal to GPT-2 below <c>Context</c> tokens.
/// </para>
/// <para>
/// State (the KV cache): per row the keys and values of the last <c>Context</c> tokens, <c>k</c>, <c>v</c>
/// <c>(B, Context, D)</c> as ring buffers (position <c>p</c> in slot <c>p mod Context</c>), and
/// <see cref="BlockState.Position"/>. <see cref="Forward"/> over a chunk attends to the cached tokens and the chunk's
/// own earlier tokens, positions continuing from the state, so a chunk split in two with the state carried equals
/// the whole; the cached keys and values are constants for <see cref="Backward"/> (truncated BPTT, as for the
/// recurrent models). Backward through the attention, per head with <c>P</c> the probabilities and <c>s = 1/√(D/H)</c>:
/// <c>dV = P^T dA</c>, <c>dP = dA V^T</c>, the softmax Jacobian <c>dS = P ⊙ (dP - rowsum(P ⊙ dP))</c>,
/// <c>dQ = s dS K</c>, <c>dK = s dS^T Q</c> (the chunk's columns only). <see cref="Step"/> appends one token's key
/// and value and attends over the cache: O(Context) per token, the growing cost the lectures point at. Options
/// read: <c>Heads</c>, <c>Context</c>, <c>Expand</c>
/// (<c>Dropout</c> is not implemented). Initialisation (GPT-2): weights N(0, 0.02), biases 0, <c>wpe</c> N(0, 0.01),
/// LayerNorm gains 1 and shifts 0.
/// </para>
/// </summary>
public sealed class TransformerBlock : SequenceBlock
{
    private readonly LayerNorm _ln1, _ln2;
    private readonly Parameter _wpe;
    private readonly Linear _attn, _proj, _fc, _out;
    private readonly CausalAttention _attention;
    private readonly int _heads, _context, _hidden;

    // Training buffers of the last Forward, N = T*B rows; L = nc + T keys per row.
    private float[]? _u, _qkv, _kAll, _vAll, _att, _x1, _u2, _h, _g, _y; // (N, D), (N, 3D), (B, L, D) x2, (N, D) x4, (N, E*D) x2, (N, D)
    private float[]? _dg, _du2, _dx1, _datt, _dqkv, _du, _dx;            // (N, E*D), (N, D) x2, (N, D), (N, 3D), (N, D) x2
    private int _T, _B, _p0 = -1;

    // Step buffers, B rows.
    private float[]? _su, _sqkv, _satt, _sx1, _su2, _sh, _sscores;      // (B, D), (B, 3D), (B, D) x3, (B, E*D), (Context)

    /// <summary>Registers the block's parameters under <paramref name="path"/>; <paramref name="width"/> must divide into <c>Heads</c> heads.</summary>
    public TransformerBlock(ParameterStore store, string path, int width, BlockOptions options) : base(path, width)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        Guard.Positive(options.Heads, "heads");
        Guard.Positive(options.Context, "context");
        Guard.Positive(options.Expand, "expand");
        if (width % options.Heads != 0)
            throw new ArgumentException(
                $"transformer: width {width} is not divisible by heads {options.Heads} (each head has width D / heads); " +
                "choose a width that is a multiple of the heads, or other heads.", nameof(width));
        _heads = options.Heads;
        _context = options.Context;
        _hidden = options.Expand * width;
        _ln1 = new LayerNorm(store, Naming.Join(path, "ln_1"), width);
        _wpe = store.Add(Naming.Join(path, "wpe.weight"), _context, width);
        _attn = new Linear(store, Naming.Join(path, "attn.c_attn"), width, 3 * width);
        _proj = new Linear(store, Naming.Join(path, "attn.c_proj"), width, width);
        _ln2 = new LayerNorm(store, Naming.Join(path, "ln_2"), width);
        _fc = new Linear(store, Naming.Join(path, "mlp.c_fc"), width, _hidden);
        _out = new Linear(store, Naming.Join(path, "mlp.c_proj"), _hidden, width);
        _attention = new CausalAttention(width, _heads, _context);
        Parameters = [_ln1.Weight, _ln1.Bias, _wpe, .. _attn.Parameters, .. _proj.Parameters, _ln2.Weight, _ln2.Bias, .. _fc.Parameters, .. _out.Parameters];
    }

    /// <inheritdoc/>
    public override IReadOnlyList<Parameter> Parameters { get; }

    /// <inheritdoc/>
    public override string Kind => "transformer";

    /// <summary>Heads <c>H</c>.</summary>
    public int Heads => _heads;

    /// <summary>Tokens attended to (the window, the KV cache's length and the position table's rows).</summary>
    public int Context => _context;

    /// <inheritdoc/>
    public override void Reset(Rng rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        _ln1.Reset();
        _ln2.Reset();
        Normal(rng, _wpe.Value, 0.01f);
        foreach (var lin in new[] { _attn, _proj, _fc, _out })
        {
            Normal(rng, lin.Weight.Value, 0.02f);
            lin.Bias!.Value.Clear();
        }
    }

    private static void Normal(Rng rng, Span<float> dst, float std)
    {
        for (int i = 0; i < dst.Length; i++) dst[i] = std * rng.NextGaussian();
    }

    /// <inheritdoc/>
    public override BlockState NewState(int batch) => new(batch, ("k", batch * _context * Width), ("v", batch * _context * Width));

    /// <summary>The position-table row of absolute position <paramref name="p"/>: <c>min(p, Context - 1)</c>.</summary>
    private int Row(int p) => Math.Min(p, _context - 1);

    private void SetThreads()
    {
        _attn.Threads = _proj.Threads = _fc.Threads = _out.Threads = Threads;
    }

    /// <inheritdoc/>
    public override float[] Forward(float[] x, int T, int B, BlockState? state, bool training, Rng? rng)
    {
        ArgumentNullException.ThrowIfNull(x);
        Guard.Positive(T, nameof(T));
        Guard.Positive(B, nameof(B));
        int D = Width, N = T * B, E = _hidden;
        if (x.Length < N * D) throw new ArgumentException($"x has {x.Length} values, expected at least T*B*D = {N * D}.", nameof(x));
        if (state is not null && state.Batch != B) throw new ArgumentException($"state has {state.Batch} rows, the chunk {B}.", nameof(state));
        SetThreads();
        int p0 = state?.Position ?? 0, nc = Math.Min(p0, _context - 1), L = nc + T;
        (_T, _B, _p0) = (T, B, p0);
        _u = Buffers.Ensure(_u, N * D); _qkv = Buffers.Ensure(_qkv, N * 3 * D);
        _kAll = Buffers.Ensure(_kAll, B * L * D); _vAll = Buffers.Ensure(_vAll, B * L * D);
        _att = Buffers.Ensure(_att, N * D); _x1 = Buffers.Ensure(_x1, N * D); _u2 = Buffers.Ensure(_u2, N * D);
        _h = Buffers.Ensure(_h, N * E); _g = Buffers.Ensure(_g, N * E); _y = Buffers.Ensure(_y, N * D);

        // u = LN1(x) + wpe[row(p0 + t)]; qkv = u W_attn^T + b_attn
        _ln1.Forward(x.AsSpan(0, N * D), N, _u);
        var wpe = _wpe.Value;
        for (int t = 0; t < T; t++)
        {
            var pos = wpe.Slice(Row(p0 + t) * D, D);
            for (int b = 0; b < B; b++)
            {
                var ur = _u.AsSpan((t * B + b) * D, D);
                TensorPrimitives.Add(ur, pos, ur);
            }
        }
        _attn.Forward(_u, N, _qkv);

        // Key and value lists per row: the nc cached tokens (positions p0-nc .. p0-1), then the chunk's.
        for (int b = 0; b < B; b++)
        {
            for (int i = 0; i < nc; i++)
            {
                int slot = (p0 - nc + i) % _context;
                state!["k"].AsSpan((b * _context + slot) * D, D).CopyTo(_kAll.AsSpan((b * L + i) * D, D));
                state["v"].AsSpan((b * _context + slot) * D, D).CopyTo(_vAll.AsSpan((b * L + i) * D, D));
            }
            for (int t = 0; t < T; t++)
            {
                _qkv.AsSpan((t * B + b) * 3 * D + D, D).CopyTo(_kAll.AsSpan((b * L + nc + t) * D, D));
                _qkv.AsSpan((t * B + b) * 3 * D + 2 * D, D).CopyTo(_vAll.AsSpan((b * L + nc + t) * D, D));
            }
        }
        _attention.Forward(_qkv, _kAll, _vAll, _att, T, B, nc, Threads);

        // x' = x + att W_proj^T + b_proj; y = x' + W_2 GELU(W_1 LN2(x') + b_1) + b_2
        _proj.Forward(_att, N, _x1);
        TensorPrimitives.Add(_x1, x.AsSpan(0, N * D), _x1);
        _ln2.Forward(_x1, N, _u2);
        _fc.Forward(_u2, N, _h);
        Gelu.Forward(_h, _g, N * E, Threads);
        _out.Forward(_g, N, _y);
        TensorPrimitives.Add(_y, _x1, _y);

        if (state is not null)
        {
            // The cache keeps the last Context tokens: chunk token t at slot (p0 + t) mod Context.
            for (int t = Math.Max(0, T - _context); t < T; t++)
            {
                int slot = (p0 + t) % _context;
                for (int b = 0; b < B; b++)
                {
                    _qkv.AsSpan((t * B + b) * 3 * D + D, D).CopyTo(state["k"].AsSpan((b * _context + slot) * D, D));
                    _qkv.AsSpan((t * B + b) * 3 * D + 2 * D, D).CopyTo(state["v"].AsSpan((b * _context + slot) * D, D));
                }
            }
            state.Position = p0 + T;
        }
        return _y;
    }

    /// <inheritdoc/>
    public override float[] Backward(float[] dy)
    {
        ArgumentNullException.ThrowIfNull(dy);
        if (_p0 < 0 || _u is null || _qkv is null || _kAll is null || _vAll is null || _att is null || _x1 is null || _u2 is null || _h is null || _g is null)
            throw new InvalidOperationException("Backward called before Forward.");
        int T = _T, B = _B, D = Width, N = T * B, E = _hidden;
        if (dy.Length < N * D) throw new ArgumentException($"dy has {dy.Length} values, expected at least T*B*D = {N * D}.", nameof(dy));
        SetThreads();
        _dg = Buffers.Ensure(_dg, N * E); _du2 = Buffers.Ensure(_du2, N * D); _dx1 = Buffers.Ensure(_dx1, N * D);
        _datt = Buffers.Ensure(_datt, N * D); _dqkv = Buffers.Ensure(_dqkv, N * 3 * D);
        _du = Buffers.Ensure(_du, N * D); _dx = Buffers.Ensure(_dx, N * D);
        var dyN = dy.AsSpan(0, N * D);

        // MLP branch: dg = dy W_2; dh = dg gelu'(h); du2 = dh W_1; dx' = dy + LN2'(du2)
        _out.Backward(_g, dyN, N, _dg);
        Gelu.Backward(_h, _dg, _dg, N * E, Threads);
        _fc.Backward(_u2, _dg, N, _du2);
        _ln2.Backward(_du2, N, _dx1);
        TensorPrimitives.Add(_dx1, dyN, _dx1);

        // Attention branch: datt = dx' W_proj; dqkv from the attention; du = dqkv W_attn
        _proj.Backward(_att, _dx1, N, _datt);
        _attention.Backward(_qkv, _kAll, _vAll, _datt, _dqkv, Threads);
        _attn.Backward(_u, _dqkv, N, _du);

        // dwpe[row(p0 + t)] += sum over rows of du; dx = dx' + LN1'(du)
        var dwpe = _wpe.Grad;
        for (int t = 0; t < T; t++)
        {
            var g = dwpe.Slice(Row(_p0 + t) * D, D);
            for (int b = 0; b < B; b++) TensorPrimitives.Add(g, _du.AsSpan((t * B + b) * D, D), g);
        }
        _ln1.Backward(_du, N, _dx);
        TensorPrimitives.Add(_dx, _dx1, _dx);
        return _dx;
    }

    /// <summary>
    /// One token for every row, attending over the KV cache (O(Context) per token). It runs the same LayerNorm
    /// instances as <see cref="Forward"/>, so it replaces their saved statistics: no <see cref="Backward"/> after a Step.
    /// </summary>
    public override void Step(ReadOnlySpan<float> x, Span<float> y, BlockState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        int B = state.Batch, D = Width, E = _hidden;
        if (x.Length < B * D || y.Length < B * D) throw new ArgumentException($"x and y need B*D = {B * D} values.");
        SetThreads();
        _su = Buffers.Ensure(_su, B * D); _sqkv = Buffers.Ensure(_sqkv, B * 3 * D); _satt = Buffers.Ensure(_satt, B * D);
        _sx1 = Buffers.Ensure(_sx1, B * D); _su2 = Buffers.Ensure(_su2, B * D); _sh = Buffers.Ensure(_sh, B * E);
        _sscores = Buffers.Ensure(_sscores, _context);
        int p = state.Position, slot = p % _context;
        var xs = x[..(B * D)];

        _ln1.Forward(xs, B, _su);
        var pos = _wpe.Value.Slice(Row(p) * D, D);
        for (int b = 0; b < B; b++) TensorPrimitives.Add(_su.AsSpan(b * D, D), pos, _su.AsSpan(b * D, D));
        _attn.Forward(_su, B, _sqkv);
        var kc = state["k"]; var vc = state["v"];
        for (int b = 0; b < B; b++)
        {
            _sqkv.AsSpan(b * 3 * D + D, D).CopyTo(kc.AsSpan((b * _context + slot) * D, D));
            _sqkv.AsSpan(b * 3 * D + 2 * D, D).CopyTo(vc.AsSpan((b * _context + slot) * D, D));
            _attention.StepRow(_sqkv.AsSpan(b * 3 * D, D), kc.AsSpan(b * _context * D, _context * D),
                vc.AsSpan(b * _context * D, _context * D), p, _satt.AsSpan(b * D, D), _sscores);
        }
        _proj.Forward(_satt, B, _sx1);
        TensorPrimitives.Add(_sx1, xs, _sx1);
        _ln2.Forward(_sx1, B, _su2);
        _fc.Forward(_su2, B, _sh);
        Gelu.Forward(_sh, _sh, B * E, Threads);
        var ys = y[..(B * D)];
        _out.Forward(_sh, B, ys);
        TensorPrimitives.Add(ys, _sx1, ys);
        state.Position = p + 1;
    }
}
