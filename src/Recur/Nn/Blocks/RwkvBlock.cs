using System.Numerics.Tensors;

namespace Recur.Nn.Blocks;

/// <summary>
/// An RWKV-4 block (Peng et al. 2023, "RWKV: Reinventing RNNs for the Transformer Era"): two pre-norm residual
/// sub-blocks over a time-major chunk <c>x (T, B, D)</c>.
/// <para>
/// Time mixing: <c>u = LN1(x)</c>; each token is mixed with the previous token's <c>u</c> (token shift;
/// the carried one at the chunk's start), <c>r = W_r (μ_r ⊙ u_t + (1 - μ_r) ⊙ u_{t-1})</c>, and likewise
/// <c>k</c> with <c>μ_k</c>, <c>v</c> with <c>μ_v</c>; per channel, with <c>w = exp(time_decay)</c> and
/// <c>u_b = time_first</c>,
/// <c>wkv_t = (Σ_{i&lt;t} e^{-(t-1-i)w + k_i} v_i + e^{u_b + k_t} v_t) / (Σ_{i&lt;t} e^{-(t-1-i)w + k_i} + e^{u_b + k_t})</c>,
/// run as a recurrence in its numerically stable form (numerator, denominator and a running maximum exponent;
/// see <see cref="RwkvKernels"/> for the equations of the forward and the backward);
/// <c>x' = x + W_o (σ(r) ⊙ wkv)</c>.
/// </para>
/// <para>
/// Channel mixing: <c>u' = LN2(x')</c> with its own token shift, <c>r' = W_r' (μ'_r mix)</c>,
/// <c>k' = W_k' (μ'_k mix)</c> of width <c>E·D</c> (<c>E = </c><see cref="BlockOptions.Expand"/>; the paper
/// uses 4), <c>y = x' + σ(r') ⊙ W_v' (ReLU(k'))²</c>. No matrix has a bias, as in RWKV-4.
/// </para>
/// <para>
/// State per row: the last <c>u</c> of each sub-block (<c>att_shift</c>, <c>ffn_shift</c>) and the WKV
/// numerator, denominator and exponent (<c>wkv_a</c>, <c>wkv_b</c>, <c>wkv_p</c>; an all-zero state is empty).
/// Training runs every matrix as one GEMM over all <c>T·B</c> rows and the WKV recurrence over time, vectorised
/// over the <c>B·D</c> channels.
/// </para>
/// <para>
/// Initialisation: RWKV-4's scheme for its first layer (the block does not know its depth):
/// <c>time_decay_i = -5 + 8 (i/(D-1))^0.7</c> (decays from <c>e^{-0.007}</c> to <c>e^{-20}</c> per step),
/// <c>time_first_i = ln 0.3 + 0.5·((i+1) mod 3 - 1)</c>, <c>μ_k = μ_v = μ'_k = μ'_r = i/D</c>,
/// <c>μ_r = (i/D)^0.5</c>; layer norms at gain 1, shift 0; every matrix <c>U(±1/sqrt(in))</c>
/// (PyTorch's default, in place of RWKV-4's scaled orthogonal and zero starts).
/// </para>
/// In training, dropout (<see cref="BlockOptions.Dropout"/>) acts on each sub-block's output before it joins the
/// residual stream, as in <see cref="CellBlock"/>. Reads <see cref="BlockOptions.Expand"/> and
/// <see cref="BlockOptions.Dropout"/>.
/// </summary>
public sealed class RwkvBlock : SequenceBlock
{
    private readonly int _hidden;
    private readonly LayerNorm _ln1, _ln2;
    private readonly Parameter _decay, _first, _muK, _muV, _muR, _fMuK, _fMuR;
    private readonly Linear _key, _value, _recept, _output, _fKey, _fRecept, _fValue;
    private readonly Dropout _dropAtt, _dropFfn;  // residual dropout on each sub-block's output
    private readonly Parameter[] _parameters;
    private readonly Work _train = new(), _step = new();
    private BlockState? _zero;
    private int _t, _b;

    /// <summary>Registers the block's parameters under <paramref name="path"/> (PyTorch-style names, RWKV-4's).</summary>
    public RwkvBlock(ParameterStore store, string path, int width, BlockOptions options)
        : base(path, width)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        Guard.Positive(options.Expand, nameof(options.Expand));
        int D = width;
        _hidden = options.Expand * D;
        _ln1 = new LayerNorm(store, Naming.Join(path, "ln1"), D);
        _ln2 = new LayerNorm(store, Naming.Join(path, "ln2"), D);
        string att = Naming.Join(path, "att"), ffn = Naming.Join(path, "ffn");
        _decay = store.Add(Naming.Join(att, "time_decay"), D);
        _first = store.Add(Naming.Join(att, "time_first"), D);
        _muK = store.Add(Naming.Join(att, "time_mix_k"), D);
        _muV = store.Add(Naming.Join(att, "time_mix_v"), D);
        _muR = store.Add(Naming.Join(att, "time_mix_r"), D);
        _key = new Linear(store, Naming.Join(att, "key"), D, D, bias: false);
        _value = new Linear(store, Naming.Join(att, "value"), D, D, bias: false);
        _recept = new Linear(store, Naming.Join(att, "receptance"), D, D, bias: false);
        _output = new Linear(store, Naming.Join(att, "output"), D, D, bias: false);
        _fMuK = store.Add(Naming.Join(ffn, "time_mix_k"), D);
        _fMuR = store.Add(Naming.Join(ffn, "time_mix_r"), D);
        _fKey = new Linear(store, Naming.Join(ffn, "key"), D, _hidden, bias: false);
        _fRecept = new Linear(store, Naming.Join(ffn, "receptance"), D, D, bias: false);
        _fValue = new Linear(store, Naming.Join(ffn, "value"), _hidden, D, bias: false);
        _dropAtt = new Dropout(options.Dropout);
        _dropFfn = new Dropout(options.Dropout);
        _parameters = [_ln1.Weight, _ln1.Bias, _ln2.Weight, _ln2.Bias, _decay, _first, _muK, _muV, _muR,
            _key.Weight, _value.Weight, _recept.Weight, _output.Weight, _fMuK, _fMuR, _fKey.Weight, _fRecept.Weight, _fValue.Weight];
    }

    /// <inheritdoc/>
    public override string Kind => "rwkv";

    /// <inheritdoc/>
    public override IReadOnlyList<Parameter> Parameters => _parameters;

    /// <summary>Channel-mix hidden width <c>E·D</c>.</summary>
    public int Hidden => _hidden;

    /// <inheritdoc/>
    public override void Reset(Rng rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        int D = Width;
        _ln1.Reset();
        _ln2.Reset();
        for (int i = 0; i < D; i++)
        {
            float frac = i / (float)D;
            _decay.Value[i] = -5f + 8f * MathF.Pow(i / (float)Math.Max(D - 1, 1), 0.7f);
            _first.Value[i] = MathF.Log(0.3f) + 0.5f * ((i + 1) % 3 - 1);
            _muK.Value[i] = _muV.Value[i] = _fMuK.Value[i] = _fMuR.Value[i] = frac;
            _muR.Value[i] = MathF.Sqrt(frac);
        }
        foreach (var l in new[] { _key, _value, _recept, _output, _fKey, _fRecept, _fValue }) l.Reset(rng);
    }

    /// <inheritdoc/>
    public override BlockState NewState(int batch)
    {
        int n = batch * Width;
        return new BlockState(batch, ("att_shift", n), ("ffn_shift", n), ("wkv_a", n), ("wkv_b", n), ("wkv_p", n));
    }

    /// <inheritdoc/>
    public override float[] Forward(float[] x, int T, int B, BlockState? state, bool training, Rng? rng)
    {
        ArgumentNullException.ThrowIfNull(x);
        Guard.Positive(T, nameof(T));
        Guard.Positive(B, nameof(B));
        if (x.Length < T * B * Width) throw new ArgumentException($"x holds {x.Length} values, expected (T={T}, B={B}, D={Width}).", nameof(x));
        if (state is null)
        {
            if (_zero is null || _zero.Batch != B) _zero = NewState(B);
            _zero.Clear();
            state = _zero;
        }
        else if (state.Batch != B) throw new ArgumentException($"state has {state.Batch} rows, the chunk {B}.", nameof(state));
        Compute(x, T, B, state, _train, train: true, training, rng);
        _t = T; _b = B;
        return _train.Y;
    }

    /// <inheritdoc/>
    public override void Step(ReadOnlySpan<float> x, Span<float> y, BlockState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        int n = state.Batch * Width;
        Compute(x[..n], 1, state.Batch, state, _step, train: false, dropout: false, rng: null);
        _step.Y.AsSpan(0, n).CopyTo(y);
    }

    /// <summary>
    /// The block over <c>(T, B, D)</c> into <paramref name="ws"/>; <paramref name="train"/> runs the layer norms
    /// through their modules (which keep what their backward needs), otherwise through a stateless copy;
    /// <paramref name="dropout"/> draws the residual dropout masks from <paramref name="rng"/>.
    /// </summary>
    private void Compute(ReadOnlySpan<float> x, int T, int B, BlockState s, Work ws, bool train, bool dropout, Rng? rng)
    {
        int D = Width, H = _hidden, N = T * B, nb = B * D, last = (T - 1) * nb;
        x = x[..(N * D)];
        ws.Ensure(N, B, D, H);
        foreach (var l in new[] { _key, _value, _recept, _output, _fKey, _fRecept, _fValue }) l.Threads = Threads;

        // Time mixing: (N, D) each.
        if (train) _ln1.Forward(x, N, ws.U1);
        else RwkvKernels.LayerNormRows(x, N, D, _ln1.Weight.Value, _ln1.Bias.Value, _ln1.Eps, ws.U1);
        var shift1 = s["att_shift"].AsSpan(0, nb);
        shift1.CopyTo(ws.Prev1);
        RwkvKernels.ShiftMix(ws.U1, ws.Prev1, T, B, D, _muK.Value, ws.Xk);
        RwkvKernels.ShiftMix(ws.U1, ws.Prev1, T, B, D, _muV.Value, ws.Xv);
        RwkvKernels.ShiftMix(ws.U1, ws.Prev1, T, B, D, _muR.Value, ws.Xr);
        ws.U1.AsSpan(last, nb).CopyTo(shift1);
        _key.Forward(ws.Xk, N, ws.K);
        _value.Forward(ws.Xv, N, ws.V);
        _recept.Forward(ws.Xr, N, ws.Sr);
        TensorPrimitives.Sigmoid(ws.Sr, ws.Sr);
        TensorPrimitives.Exp(_decay.Value, ws.W);
        RwkvKernels.WkvForward(ws.W, _first.Value, ws.K, ws.V, T, B, D,
            s["wkv_a"].AsSpan(0, nb), s["wkv_b"].AsSpan(0, nb), s["wkv_p"].AsSpan(0, nb), ws.Wkv, ws.SA, ws.SB, ws.SP);
        TensorPrimitives.Multiply(ws.Sr, ws.Wkv, ws.Z);
        _output.Forward(ws.Z, N, ws.X1);
        if (train) _dropAtt.Forward(ws.X1, ws.X1, dropout, rng);
        TensorPrimitives.Add(ws.X1, x, ws.X1);

        // Channel mixing.
        if (train) _ln2.Forward(ws.X1, N, ws.U2);
        else RwkvKernels.LayerNormRows(ws.X1, N, D, _ln2.Weight.Value, _ln2.Bias.Value, _ln2.Eps, ws.U2);
        var shift2 = s["ffn_shift"].AsSpan(0, nb);
        shift2.CopyTo(ws.Prev2);
        RwkvKernels.ShiftMix(ws.U2, ws.Prev2, T, B, D, _fMuK.Value, ws.Xk2);
        RwkvKernels.ShiftMix(ws.U2, ws.Prev2, T, B, D, _fMuR.Value, ws.Xr2);
        ws.U2.AsSpan(last, nb).CopyTo(shift2);
        _fKey.Forward(ws.Xk2, N, ws.Kk);                       // (N, E·D)
        TensorPrimitives.Max(ws.Kk, 0f, ws.Hsq);
        TensorPrimitives.Multiply(ws.Hsq, ws.Hsq, ws.Hsq);     // ReLU(k')²
        _fValue.Forward(ws.Hsq, N, ws.Vv);
        _fRecept.Forward(ws.Xr2, N, ws.Sr2);
        TensorPrimitives.Sigmoid(ws.Sr2, ws.Sr2);
        TensorPrimitives.Multiply(ws.Sr2, ws.Vv, ws.Y);
        if (train) _dropFfn.Forward(ws.Y, ws.Y, dropout, rng);
        TensorPrimitives.Add(ws.Y, ws.X1, ws.Y);
        s.Position += T;
    }

    /// <inheritdoc/>
    public override float[] Backward(float[] dy)
    {
        ArgumentNullException.ThrowIfNull(dy);
        if (_t == 0) throw new InvalidOperationException("Backward called before Forward.");
        int T = _t, B = _b, D = Width, N = T * B;
        var ws = _train;
        ws.EnsureBackward(N, B, D, _hidden);
        if (dy.Length < N * D) throw new ArgumentException($"dy holds {dy.Length} values, expected {N * D}.", nameof(dy));
        var g = dy.AsSpan(0, N * D);

        // Channel mixing: y = x' + drop(σ(r') ⊙ W_v' h), h = ReLU(k')².
        _dropFfn.Backward(g, ws.DX);                                       // d(σ(r') ⊙ vv) (N, D); DX is free until the end
        TensorPrimitives.Multiply(ws.DX, ws.Sr2, ws.DA);                   // dvv (N, D)
        SigmoidBackward(ws.DX, ws.Vv, ws.Sr2, ws.DB);                      // dr' (N, D)
        _fValue.Backward(ws.Hsq, ws.DA, N, ws.DH);                         // dh (N, E·D)
        for (int i = 0; i < ws.DH.Length; i++) ws.DH[i] = ws.Kk[i] > 0f ? ws.DH[i] * (2f * ws.Kk[i]) : 0f;
        _fKey.Backward(ws.Xk2, ws.DH, N, ws.DC);                           // dxk' (N, D)
        _fRecept.Backward(ws.Xr2, ws.DB, N, ws.DD);                        // dxr' (N, D)
        Array.Clear(ws.DU);
        RwkvKernels.ShiftMixBackward(ws.U2, ws.Prev2, T, B, D, _fMuK.Value, ws.DC, ws.DU, _fMuK.Grad, ws.Tmp);
        RwkvKernels.ShiftMixBackward(ws.U2, ws.Prev2, T, B, D, _fMuR.Value, ws.DD, ws.DU, _fMuR.Grad, ws.Tmp);
        _ln2.Backward(ws.DU, N, ws.DX1);
        TensorPrimitives.Add(ws.DX1, g, ws.DX1);                           // dL/dx' (N, D)

        // Time mixing: x' = x + drop(W_o (σ(r) ⊙ wkv)).
        _dropAtt.Backward(ws.DX1, ws.DE);                                  // d(W_o z) (N, D); DE is free until the key's backward
        _output.Backward(ws.Z, ws.DE, N, ws.DA);                           // dz (N, D)
        SigmoidBackward(ws.DA, ws.Wkv, ws.Sr, ws.DB);                      // dr (N, D)
        TensorPrimitives.Multiply(ws.DA, ws.Sr, ws.DA);                    // dwkv (N, D)
        ws.DW.AsSpan().Clear();
        RwkvKernels.WkvBackward(ws.W, _first.Value, ws.K, ws.V, ws.Wkv, ws.DA, ws.SA, ws.SB, ws.SP, T, B, D,
            ws.DC, ws.DD, ws.DW, _first.Grad, ws.Scratch);                  // dk, dv (N, D)
        var gd = _decay.Grad;
        for (int i = 0; i < D; i++) gd[i] += ws.DW[i] * ws.W[i];          // w = exp(time_decay)
        Array.Clear(ws.DU);
        _key.Backward(ws.Xk, ws.DC, N, ws.DE);
        RwkvKernels.ShiftMixBackward(ws.U1, ws.Prev1, T, B, D, _muK.Value, ws.DE, ws.DU, _muK.Grad, ws.Tmp);
        _value.Backward(ws.Xv, ws.DD, N, ws.DE);
        RwkvKernels.ShiftMixBackward(ws.U1, ws.Prev1, T, B, D, _muV.Value, ws.DE, ws.DU, _muV.Grad, ws.Tmp);
        _recept.Backward(ws.Xr, ws.DB, N, ws.DE);
        RwkvKernels.ShiftMixBackward(ws.U1, ws.Prev1, T, B, D, _muR.Value, ws.DE, ws.DU, _muR.Grad, ws.Tmp);
        _ln1.Backward(ws.DU, N, ws.DX);
        TensorPrimitives.Add(ws.DX, ws.DX1, ws.DX);
        return ws.DX;
    }

    /// <summary><c>dr = g ⊙ other ⊙ σ (1 - σ)</c> for <c>out = σ(r) ⊙ other</c>.</summary>
    private static void SigmoidBackward(ReadOnlySpan<float> g, ReadOnlySpan<float> other, ReadOnlySpan<float> sig, Span<float> dr)
    {
        for (int i = 0; i < dr.Length; i++) dr[i] = g[i] * other[i] * (sig[i] * (1f - sig[i]));
    }

    /// <summary>The buffers of one pass (training or the per-token step), owned by the block.</summary>
    private sealed class Work
    {
        public float[] U1 = [], Xk = [], Xv = [], Xr = [], K = [], V = [], Sr = [], Wkv = [], Z = [], X1 = []; // (N, D)
        public float[] SA = [], SB = [], SP = [];                                                     // (T, B, D) WKV state before each step
        public float[] U2 = [], Xk2 = [], Xr2 = [], Vv = [], Sr2 = [], Y = [];                        // (N, D)
        public float[] Kk = [], Hsq = [];                                                             // (N, E·D)
        public float[] Prev1 = [], Prev2 = [];                                                        // (B, D) carried shifts at the start
        public float[] W = [];                                                                        // (D) exp(time_decay)
        public float[] DA = [], DB = [], DC = [], DD = [], DE = [], DU = [], DX1 = [], DX = [];       // (N, D) backward
        public float[] DH = [];                                                                       // (N, E·D) backward
        public float[] DW = [], Tmp = [];                                                             // (D) backward
        public float[] Scratch = [];                                                                  // (3, B, D) WKV backward's running α̂, β̂, s

        public void Ensure(int N, int B, int D, int H)
        {
            int n = N * D;
            U1 = Buffers.Ensure(U1, n); Xk = Buffers.Ensure(Xk, n); Xv = Buffers.Ensure(Xv, n); Xr = Buffers.Ensure(Xr, n);
            K = Buffers.Ensure(K, n); V = Buffers.Ensure(V, n); Sr = Buffers.Ensure(Sr, n); Wkv = Buffers.Ensure(Wkv, n);
            Z = Buffers.Ensure(Z, n); X1 = Buffers.Ensure(X1, n);
            SA = Buffers.Ensure(SA, n); SB = Buffers.Ensure(SB, n); SP = Buffers.Ensure(SP, n);
            U2 = Buffers.Ensure(U2, n); Xk2 = Buffers.Ensure(Xk2, n); Xr2 = Buffers.Ensure(Xr2, n);
            Vv = Buffers.Ensure(Vv, n); Sr2 = Buffers.Ensure(Sr2, n); Y = Buffers.Ensure(Y, n);
            Kk = Buffers.Ensure(Kk, N * H); Hsq = Buffers.Ensure(Hsq, N * H);
            Prev1 = Buffers.Ensure(Prev1, B * D); Prev2 = Buffers.Ensure(Prev2, B * D);
            W = Buffers.Ensure(W, D);
        }

        public void EnsureBackward(int N, int B, int D, int H)
        {
            int n = N * D;
            DA = Buffers.Ensure(DA, n); DB = Buffers.Ensure(DB, n); DC = Buffers.Ensure(DC, n); DD = Buffers.Ensure(DD, n);
            DE = Buffers.Ensure(DE, n); DU = Buffers.Ensure(DU, n); DX1 = Buffers.Ensure(DX1, n); DX = Buffers.Ensure(DX, n);
            DH = Buffers.Ensure(DH, N * H);
            DW = Buffers.Ensure(DW, D); Tmp = Buffers.Ensure(Tmp, D);
            Scratch = Buffers.Ensure(Scratch, 3 * B * D);
        }
    }
}
