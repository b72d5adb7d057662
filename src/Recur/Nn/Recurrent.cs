using System.Numerics.Tensors;
using Recur.Kernels;

namespace Recur.Nn;

/// <summary>Which recurrence a <see cref="Recurrent"/> layer runs.</summary>
public enum CellKind
{
    /// <summary>Elman RNN: <c>h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)</c>.</summary>
    RnnTanh,
    /// <summary>Elman RNN with ReLU: <c>h_t = max(0, W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)</c>.</summary>
    RnnRelu,
    /// <summary>
    /// LSTM, gates (i, f, g, o) as PyTorch: <c>i,f,o = sigmoid(.)</c>, <c>g = tanh(.)</c>,
    /// <c>c_t = f*c_{t-1} + i*g</c>, <c>h_t = o*tanh(c_t)</c>.
    /// </summary>
    Lstm,
    /// <summary>
    /// GRU with the reset gate applied after the recurrent product (PyTorch, cuDNN):
    /// <c>r,z = sigmoid(W_i x + b_i + W_h h + b_h)</c>, <c>n = tanh(W_in x + b_in + r*(W_hn h + b_hn))</c>,
    /// <c>h_t = (1-z)*n + z*h_{t-1}</c>.
    /// </summary>
    Gru,
    /// <summary>
    /// GRU as Cho et al. 2014 and the lectures write it, reset applied before the recurrent product:
    /// <c>n = tanh(W_in x + b_in + W_hn (r*h_{t-1}) + b_hn)</c>; r, z and h_t as in <see cref="Gru"/>.
    /// Same parameters and shapes as <see cref="Gru"/>.
    /// </summary>
    GruResetBefore,
}

/// <summary>Output of <see cref="Recurrent.Forward"/>: every step's top-layer hidden state and the final states.</summary>
/// <param name="Output">Top layer's <c>h_t</c> for every step: <c>(T, B, H)</c>, or <c>(B, T, H)</c> with batchFirst.</param>
/// <param name="HN">Final hidden state of every layer, <c>(L, B, H)</c>.</param>
/// <param name="CN">Final LSTM cell state of every layer, <c>(L, B, H)</c>; null for other cells.</param>
public sealed record RecurrentOutput(Tensor Output, Tensor HN, Tensor? CN);

/// <summary>Gradients returned by <see cref="Recurrent.Backward"/>.</summary>
/// <param name="DInput">dL/dx, the input's shape.</param>
/// <param name="DH0">dL/dh_0, <c>(L, B, H)</c>.</param>
/// <param name="DC0">dL/dc_0 for LSTM, <c>(L, B, H)</c>; null for other cells.</param>
public sealed record RecurrentGrads(Tensor DInput, Tensor DH0, Tensor? DC0);

/// <summary>
/// A stack of recurrent layers run over a whole sequence chunk, with PyTorch's vocabulary and
/// state-dict names (<c>weight_ih_l{k}</c> <c>(G*H, in)</c>, <c>weight_hh_l{k}</c> <c>(G*H, H)</c>,
/// <c>bias_ih_l{k}</c>, <c>bias_hh_l{k}</c> <c>(G*H)</c>, with G = 1, 4, 3 for RNN, LSTM, GRU and
/// PyTorch's gate order), so a state dict maps one to one.
/// <para>
/// Structure (torch-rnn's): for each layer the input projection of all T steps is one GEMM
/// <c>(T*B, in) x (in, G*H)</c> before the time loop; only the recurrent product
/// <c>(B, H) x (H, G*H)</c> runs per step; in backward the weight gradients are one GEMM each
/// after the reverse time loop. Dropout (inverted) is applied to the outputs of every layer but
/// the last, in training only, as PyTorch does.
/// </para>
/// <para>
/// Memory per layer for one chunk (floats): pre-activations/gates <c>T*B*G*H</c>, outputs
/// <c>T*B*H</c>, LSTM cell and tanh(cell) <c>2*T*B*H</c>, GRU <c>n</c>-branch <c>T*B*H</c>, dropout masks
/// <c>T*B*H</c>; backward adds <c>T*B*G*H</c> for gate gradients and <c>T*B*H</c> for dx.
/// </para>
/// <para>
/// Truncated BPTT: pass the previous chunk's <see cref="RecurrentOutput.HN"/> (and CN) as the
/// next chunk's h0 (c0). The layer copies the initial state in, so the gradient stops at the chunk edge;
/// <see cref="RecurrentGrads.DH0"/> is still returned for callers that need it.
/// Returned tensors are owned by the layer and valid until the next call.
/// </para>
/// </summary>
public class Recurrent
{
    private readonly LayerState[] _layers;
    private int _t, _b;
    private Tensor? _out, _hn, _cn, _dx, _dh0, _dc0;
    private float[]? _xTimeMajor; // batch-first input transposed
    private float[]? _dyTimeMajor;
    private int[]? _ids;            // token input of the last forward, or null
    private Parameter? _embedding;  // its embedding table

    /// <summary>Creates the stack and registers its parameters in <paramref name="store"/> under <paramref name="prefix"/>.</summary>
    public Recurrent(ParameterStore store, string prefix, CellKind kind, int inputSize, int hiddenSize,
        int numLayers = 1, bool bias = true, bool batchFirst = false, float dropout = 0f)
    {
        ArgumentNullException.ThrowIfNull(store);
        Guard.Positive(inputSize, nameof(inputSize));
        Guard.Positive(hiddenSize, nameof(hiddenSize));
        Guard.Positive(numLayers, nameof(numLayers));
        if (!(dropout >= 0f && dropout < 1f)) throw new ArgumentOutOfRangeException(nameof(dropout), dropout, $"dropout must be in [0, 1), got {dropout}.");
        Kind = kind;
        InputSize = inputSize;
        HiddenSize = hiddenSize;
        NumLayers = numLayers;
        HasBias = bias;
        BatchFirst = batchFirst;
        DropoutP = dropout;
        Gates = kind switch { CellKind.Lstm => 4, CellKind.Gru or CellKind.GruResetBefore => 3, _ => 1 };
        _layers = new LayerState[numLayers];
        for (int l = 0; l < numLayers; l++)
        {
            int inl = l == 0 ? inputSize : hiddenSize;
            var st = new LayerState
            {
                In = inl,
                Wih = store.Add(Naming.Join(prefix, $"weight_ih_l{l}"), Gates * hiddenSize, inl),
                Whh = store.Add(Naming.Join(prefix, $"weight_hh_l{l}"), Gates * hiddenSize, hiddenSize),
            };
            if (bias)
            {
                st.Bih = store.Add(Naming.Join(prefix, $"bias_ih_l{l}"), Gates * hiddenSize);
                st.Bhh = store.Add(Naming.Join(prefix, $"bias_hh_l{l}"), Gates * hiddenSize);
            }
            _layers[l] = st;
        }
    }

    public CellKind Kind { get; }
    public int InputSize { get; }
    public int HiddenSize { get; }
    public int NumLayers { get; }
    public bool HasBias { get; }
    public bool BatchFirst { get; }
    public float DropoutP { get; }

    /// <summary>
    /// DropConnect on the recurrent weights (AWD-LSTM's <c>WeightDrop</c>, Wan et al. 2013; Merity et al.
    /// 2017): in training, each forward draws one mask over every layer's <c>weight_hh</c>, keeps each
    /// weight with probability <c>1 - p</c> scaled by <c>1/(1 - p)</c>, and uses the same masked weights at
    /// every time step of the chunk and in the backward pass; <c>dW_hh</c> gets the mask too. In
    /// evaluation the weights are used as they are. 0 (the default) turns it off.
    /// </summary>
    public float WeightDrop
    {
        get => _weightDrop;
        set
        {
            if (!(value >= 0f && value < 1f)) throw new ArgumentOutOfRangeException(nameof(value), value, $"weight drop must be in [0, 1), got {value}.");
            _weightDrop = value;
        }
    }

    private float _weightDrop;

    /// <summary>Gate blocks per layer: 1 (RNN), 4 (LSTM), 3 (GRU).</summary>
    public int Gates { get; }

    /// <summary>Threads used by the GEMMs (results are identical for any value).</summary>
    public int Threads { get; set; } = 1;

    /// <summary>Layer <paramref name="l"/>'s parameters (weight_ih, weight_hh, bias_ih, bias_hh).</summary>
    public (Parameter WeightIh, Parameter WeightHh, Parameter? BiasIh, Parameter? BiasHh) LayerParameters(int l)
        => (_layers[l].Wih, _layers[l].Whh, _layers[l].Bih, _layers[l].Bhh);

    /// <summary>
    /// PyTorch's initialisation: every weight and bias ~ U(-1/sqrt(H), 1/sqrt(H)); with
    /// <paramref name="forgetBias"/> (LSTM only) the forget-gate slices of both biases are set so
    /// they sum to it (torch-rnn starts the forget gate at 1).
    /// </summary>
    public void Reset(Rng rng, float? forgetBias = null)
    {
        ArgumentNullException.ThrowIfNull(rng);
        float bound = 1f / MathF.Sqrt(HiddenSize);
        foreach (var st in _layers)
        {
            rng.FillUniform(st.Wih.Value, -bound, bound);
            rng.FillUniform(st.Whh.Value, -bound, bound);
            if (st.Bih is not null) rng.FillUniform(st.Bih.Value, -bound, bound);
            if (st.Bhh is not null) rng.FillUniform(st.Bhh.Value, -bound, bound);
            if (forgetBias is float fb && Kind == CellKind.Lstm && st.Bih is not null && st.Bhh is not null)
            {
                st.Bih.Value.Slice(HiddenSize, HiddenSize).Fill(fb);
                st.Bhh.Value.Slice(HiddenSize, HiddenSize).Clear();
            }
        }
    }

    /// <summary>
    /// Runs the stack over <paramref name="x"/> <c>(T, B, input)</c> (or <c>(B, T, input)</c> with batchFirst)
    /// from initial states <paramref name="h0"/>, <paramref name="c0"/> <c>(L, B, H)</c> (null: zeros).
    /// In training with dropout &gt; 0 the masks are drawn from <paramref name="rng"/>.
    /// </summary>
    public RecurrentOutput Forward(Tensor x, Tensor? h0 = null, Tensor? c0 = null, bool training = false, Rng? rng = null)
    {
        Guard.Rank(x, nameof(x), 3, BatchFirst ? "(batch, time, input_size)" : "(time, batch, input_size)");
        int T = BatchFirst ? x.Shape[1] : x.Shape[0];
        int B = BatchFirst ? x.Shape[0] : x.Shape[1];
        if (T == 0) throw new ArgumentException($"x has shape {x.ShapeString}: the sequence length is zero.", nameof(x));
        if (B == 0) throw new ArgumentException($"x has shape {x.ShapeString}: the batch size is zero.", nameof(x));
        if (x.Shape[2] != InputSize)
            throw new ArgumentException($"x has shape {x.ShapeString}, expected last dimension {InputSize} (input_size).", nameof(x));
        float[] input = x.Data;
        if (BatchFirst)
        {
            _xTimeMajor = Buffers.Ensure(_xTimeMajor, x.Length);
            SwapBatchTime(x.Data, _xTimeMajor, B, T, InputSize);
            input = _xTimeMajor;
        }
        _ids = null; _embedding = null;
        return ForwardCore(input, T, B, h0, c0, training, rng);
    }

    /// <summary>
    /// Runs the stack on token ids <paramref name="ids"/> <c>(T, B)</c> (time-major, whatever
    /// batchFirst says) looked up in <paramref name="embedding"/> <c>(V, input_size)</c>: the same
    /// function as <c>Forward(embedding[ids])</c>, computed faster when <c>V</c> is small against
    /// <c>T*B</c>. The first layer's input projection is computed once per token type,
    /// <c>P = E W_ih^T + b</c> <c>(V, G*H)</c>, and gathered by id; in
    /// <see cref="BackwardTokens"/> the gate gradients are first summed per token type,
    /// <c>S (V, G*H)</c>, so <c>dW_ih += S^T E</c> and <c>dE += S W_ih</c> replace two GEMMs over
    /// <c>T*B</c> rows with two over <c>V</c> rows. The embedding's gradient is accumulated into its arena.
    /// </summary>
    public RecurrentOutput ForwardTokens(int[] ids, int T, int B, Parameter embedding, Tensor? h0 = null, Tensor? c0 = null, bool training = false, Rng? rng = null)
    {
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentNullException.ThrowIfNull(embedding);
        Guard.Positive(T, nameof(T));
        Guard.Positive(B, nameof(B));
        Guard.Length(ids.Length, T * B, nameof(ids));
        if (embedding.Shape.Length != 2 || embedding.Shape[1] != InputSize)
            throw new ArgumentException($"embedding has shape {Tensor.FormatShape(embedding.Shape)}, expected (V, {InputSize}).", nameof(embedding));
        int v = embedding.Shape[0];
        for (int i = 0; i < ids.Length; i++)
            if ((uint)ids[i] >= (uint)v) throw new ArgumentOutOfRangeException(nameof(ids), ids[i], $"ids[{i}] = {ids[i]} is outside the vocabulary [0, {v}).");
        _ids = ids; _embedding = embedding;
        return ForwardCore(null, T, B, h0, c0, training, rng);
    }

    private RecurrentOutput ForwardCore(float[]? input, int T, int B, Tensor? h0, Tensor? c0, bool training, Rng? rng)
    {
        int L = NumLayers, H = HiddenSize;
        if (h0 is not null) Guard.Shape(h0, nameof(h0), L, B, H);
        if (c0 is not null)
        {
            if (Kind != CellKind.Lstm) throw new ArgumentException($"c0 is only used by LSTM; this layer is {Kind}.", nameof(c0));
            Guard.Shape(c0, nameof(c0), L, B, H);
        }
        if (training && (DropoutP > 0f && L > 1 || WeightDrop > 0f)) ArgumentNullException.ThrowIfNull(rng, nameof(rng));

        _t = T; _b = B;
        _hn = Buffers.Ensure(_hn, L, B, H);
        _cn = Kind == CellKind.Lstm ? Buffers.Ensure(_cn, L, B, H) : null;

        for (int l = 0; l < L; l++)
        {
            var st = _layers[l];
            st.Allocate(Kind, T, B, H, Gates, l < L - 1 && training && DropoutP > 0f);
            var h0l = st.H0.AsSpan();
            if (h0 is null) h0l.Clear(); else h0.Data.AsSpan(l * B * H, B * H).CopyTo(h0l);
            if (Kind == CellKind.Lstm)
            {
                if (c0 is null) st.C0.AsSpan().Clear(); else c0.Data.AsSpan(l * B * H, B * H).CopyTo(st.C0);
            }
            st.X = l == 0 ? input : _layers[l - 1].NextInput;
            st.WeightDropped = training && WeightDrop > 0f;
            if (st.WeightDropped)
            {
                int n = st.Whh.Length;
                st.WhhMask = Buffers.Ensure(st.WhhMask, n);
                st.WhhDropped = Buffers.Ensure(st.WhhDropped, n);
                Dropout.MakeMask(rng!, WeightDrop, st.WhhMask);
                TensorPrimitives.Multiply(st.Whh.Value, st.WhhMask, st.WhhDropped);
            }
            if (st.X is null) ProjectTokens(st, T * B);
            ForwardLayer(st, st.X, T, B);
            st.Y.AsSpan((T - 1) * B * H, B * H).CopyTo(_hn.Data.AsSpan(l * B * H, B * H));
            if (_cn is not null) st.C.AsSpan((T - 1) * B * H, B * H).CopyTo(_cn.Data.AsSpan(l * B * H, B * H));
            if (st.Mask is not null)
            {
                Dropout.MakeMask(rng!, DropoutP, st.Mask);
                TensorPrimitives.Multiply(st.Y, st.Mask, st.Dropped!);
            }
        }

        var top = _layers[L - 1].Y;
        int[] outShape = BatchFirst ? [B, T, H] : [T, B, H];
        _out = Buffers.Ensure(_out, outShape);
        if (BatchFirst) SwapBatchTime(top, _out.Data, T, B, H);
        else top.AsSpan(0, T * B * H).CopyTo(_out.Data);
        return new RecurrentOutput(_out, _hn, _cn);
    }

    /// <summary>
    /// Backpropagates through the last <see cref="Forward"/>: <paramref name="dOutput"/> is dL/dOutput
    /// (the output's shape), <paramref name="dHN"/>/<paramref name="dCN"/> the gradients on the final
    /// states (null: zero). Parameter gradients are accumulated (+=) into the store's gradient arena.
    /// </summary>
    public RecurrentGrads Backward(Tensor dOutput, Tensor? dHN = null, Tensor? dCN = null)
    {
        if (_out is null) throw new InvalidOperationException("Backward called before Forward.");
        if (_ids is not null) throw new InvalidOperationException("the last forward took token ids: call BackwardTokens.");
        BackwardCore(dOutput, dHN, dCN);
        int T = _t, B = _b;
        var dx0 = _layers[0].Dx;
        int[] inShape = BatchFirst ? [B, T, InputSize] : [T, B, InputSize];
        _dx = Buffers.Ensure(_dx, inShape);
        if (BatchFirst) SwapBatchTime(dx0, _dx.Data, T, B, InputSize);
        else dx0.AsSpan(0, T * B * InputSize).CopyTo(_dx.Data);
        return new RecurrentGrads(_dx, _dh0!, _dc0);
    }

    /// <summary>
    /// Backward for <see cref="ForwardTokens"/>: like <see cref="Backward"/>, and the embedding's
    /// gradient is accumulated into its arena instead of returning dL/dx.
    /// </summary>
    public (Tensor DH0, Tensor? DC0) BackwardTokens(Tensor dOutput, Tensor? dHN = null, Tensor? dCN = null)
    {
        if (_out is null) throw new InvalidOperationException("BackwardTokens called before ForwardTokens.");
        if (_ids is null) throw new InvalidOperationException("the last forward took a tensor: call Backward.");
        BackwardCore(dOutput, dHN, dCN);
        return (_dh0!, _dc0);
    }

    private void BackwardCore(Tensor dOutput, Tensor? dHN, Tensor? dCN)
    {
        Guard.Shape(dOutput, nameof(dOutput), _out!.Shape);
        int T = _t, B = _b, L = NumLayers, H = HiddenSize;
        if (dHN is not null) Guard.Shape(dHN, nameof(dHN), L, B, H);
        if (dCN is not null)
        {
            if (Kind != CellKind.Lstm) throw new ArgumentException($"dCN is only used by LSTM; this layer is {Kind}.", nameof(dCN));
            Guard.Shape(dCN, nameof(dCN), L, B, H);
        }
        float[] dy = dOutput.Data;
        if (BatchFirst)
        {
            _dyTimeMajor = Buffers.Ensure(_dyTimeMajor, dOutput.Length);
            SwapBatchTime(dOutput.Data, _dyTimeMajor, B, T, H);
            dy = _dyTimeMajor;
        }
        _dh0 = Buffers.Ensure(_dh0, L, B, H);
        _dc0 = Kind == CellKind.Lstm ? Buffers.Ensure(_dc0, L, B, H) : null;

        float[] dyl = dy;
        for (int l = L - 1; l >= 0; l--)
        {
            var st = _layers[l];
            st.DhCarry.AsSpan().Clear();
            if (dHN is not null) dHN.Data.AsSpan(l * B * H, B * H).CopyTo(st.DhCarry);
            if (Kind == CellKind.Lstm)
            {
                st.DcCarry.AsSpan().Clear();
                if (dCN is not null) dCN.Data.AsSpan(l * B * H, B * H).CopyTo(st.DcCarry);
            }
            BackwardLayer(st, dyl, T, B);
            st.DhCarry.CopyTo(_dh0.Data.AsSpan(l * B * H, B * H));
            if (_dc0 is not null) st.DcCarry.CopyTo(_dc0.Data.AsSpan(l * B * H, B * H));
            if (l > 0)
            {
                // dX of this layer is dL/d(dropped output of layer l-1).
                var prev = _layers[l - 1];
                if (prev.Mask is not null) TensorPrimitives.Multiply(st.Dx, prev.Mask, st.Dx);
                dyl = st.Dx;
            }
        }
    }

    // ---------------------------------------------------------------- forward

    /// <summary>
    /// The bias added to the input projection, or null without biases: b_ih plus the part of b_hh
    /// that folds. GRU (reset after) adds all of b_hh inside the recurrent branch; GRU (reset
    /// before) folds b_hr, b_hz and adds b_hn to the n branch; RNN and LSTM fold all of b_hh.
    /// </summary>
    private float[]? FoldBias(LayerState st)
    {
        if (st.Bih is null) return null;
        int H = HiddenSize, GH = Gates * H;
        var bias = st.BiasFold.AsSpan(0, GH);
        st.Bih.Value.CopyTo(bias);
        if (Kind == CellKind.GruResetBefore)
            TensorPrimitives.Add(bias[..(2 * H)], st.Bhh!.Value[..(2 * H)], bias[..(2 * H)]);
        else if (Kind != CellKind.Gru)
            TensorPrimitives.Add(bias, st.Bhh!.Value, bias);
        return st.BiasFold;
    }

    /// <summary>Token input: <c>P = E W_ih^T + b</c> for the V token types, then <c>A[r] = P[ids[r]]</c>.</summary>
    private void ProjectTokens(LayerState st, int n)
    {
        var emb = _embedding!;
        int v = emb.Shape[0], GH = Gates * HiddenSize;
        st.Table = Buffers.Ensure(st.Table, v * GH);
        var p = st.Table.AsSpan();
        var bias = FoldBias(st);
        for (int r = 0; r < v; r++)
            if (bias is null) p.Slice(r * GH, GH).Clear(); else bias.AsSpan(0, GH).CopyTo(p.Slice(r * GH, GH));
        Gemm.Sgemm(false, true, v, GH, st.In, 1f, emb.Value, st.In, st.Wih.Value, st.In, 1f, p, GH, Threads);
        var a = st.A.AsSpan();
        var ids = _ids!;
        for (int r = 0; r < n; r++) p.Slice(ids[r] * GH, GH).CopyTo(a.Slice(r * GH, GH));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // no slow tier-0 code in hot loops
    private void ForwardLayer(LayerState st, ReadOnlySpan<float> x, int T, int B)
    {
        int H = HiddenSize, G = Gates, GH = G * H, n = T * B;
        ReadOnlySpan<float> whh = st.WeightDropped ? st.WhhDropped : st.Whh.Value;
        // Input projection for all steps: A(T*B, G*H) = X W_ih^T + b_ih (+ b_hh where it folds).
        // With token input ProjectTokens has already gathered it.
        var a = st.A.AsSpan(0, n * GH);
        if (st.X is not null)
        {
            if (FoldBias(st) is { } bias)
                for (int r = 0; r < n; r++) bias.CopyTo(a.Slice(r * GH, GH));
            Gemm.Sgemm(false, true, n, GH, st.In, 1f, x, st.In, st.Wih.Value, st.In, st.Bih is null ? 0f : 1f, a, GH, Threads);
        }

        // W_hh is constant over the chunk: pack it once for the per-step products h W_hh^T.
        if (Kind == CellKind.GruResetBefore)
        {
            Gemm.PackB(true, H, 2 * H, whh, H, st.P1);
            Gemm.PackB(true, H, H, whh.Slice(2 * H * H), H, st.P2);
        }
        else Gemm.PackB(true, H, GH, whh, H, st.P1);

        var y = st.Y.AsSpan();
        for (int t = 0; t < T; t++)
        {
            ReadOnlySpan<float> hprev = t == 0 ? st.H0 : y.Slice((t - 1) * B * H, B * H);
            var at = a.Slice(t * B * GH, B * GH);
            switch (Kind)
            {
                case CellKind.RnnTanh:
                case CellKind.RnnRelu:
                case CellKind.Lstm:
                    Gemm.Sgemm(false, B, 1f, hprev, H, st.P1, 1f, at, GH, Threads);
                    RunCells(st, t, B, 0, forward: true);
                    break;
                case CellKind.Gru:
                    // hh = W_hh h + b_hh (B, 3H) into scratch.
                    var hh = st.Scratch.AsSpan(0, B * GH);
                    FillRows(hh, st.Bhh is null ? default : st.Bhh.Value, B, GH);
                    Gemm.Sgemm(false, B, 1f, hprev, H, st.P1, st.Bhh is null ? 0f : 1f, hh, GH, Threads);
                    RunCells(st, t, B, 0, forward: true);
                    break;
                case CellKind.GruResetBefore:
                    // r, z: A[:, :2H] += h W_h{r,z}^T (b_h{r,z} folded already); then r*h; then n.
                    Gemm.Sgemm(false, B, 1f, hprev, H, st.P1, 1f, at, GH, Threads);
                    RunCells(st, t, B, 0, forward: true);
                    Gemm.Sgemm(false, B, 1f, st.N.AsSpan(t * B * H, B * H), H, st.P2, 1f, at.Slice(2 * H), GH, Threads);
                    RunCells(st, t, B, 1, forward: true);
                    break;
            }
        }
    }

    /// <summary>
    /// Runs the elementwise part of step <paramref name="t"/> over the batch rows, split across the
    /// kernel worker pool when there are several threads and enough work. Rows are independent, so
    /// the split does not change any result.
    /// </summary>
    private void RunCells(LayerState st, int t, int B, int phase, bool forward)
    {
        int parts = Math.Min(Threads <= 0 ? Environment.ProcessorCount : Threads, B);
        if (parts > 1 && (long)B * HiddenSize * Gates >= 8192)
        {
            st.Job.Set(this, st, t, B, phase, forward, parts);
            GemmWorkerPool.Shared.Run(parts, st.Job);
        }
        else if (forward) ForwardRows(st, t, B, phase, 0, B);
        else BackwardRows(st, t, B, phase, 0, B);
    }

    private sealed class CellJob : IParallelPart
    {
        private Recurrent? _owner;
        private LayerState? _st;
        private int _t, _b, _phase, _parts;
        private bool _forward;

        public void Set(Recurrent owner, LayerState st, int t, int b, int phase, bool forward, int parts)
            => (_owner, _st, _t, _b, _phase, _forward, _parts) = (owner, st, t, b, phase, forward, parts);

        public void Execute(int part)
        {
            int b0 = (int)((long)_b * part / _parts), b1 = (int)((long)_b * (part + 1) / _parts);
            if (_forward) _owner!.ForwardRows(_st!, _t, _b, _phase, b0, b1);
            else _owner!.BackwardRows(_st!, _t, _b, _phase, b0, b1);
        }
    }

    /// <summary>Cell nonlinearities of step t for batch rows [b0, b1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ForwardRows(LayerState st, int t, int B, int phase, int b0, int b1)
    {
        int H = HiddenSize, GH = Gates * H;
        var at = st.A.AsSpan(t * B * GH, B * GH);
        var ht = st.Y.AsSpan(t * B * H, B * H);
        ReadOnlySpan<float> hprev = t == 0 ? st.H0 : st.Y.AsSpan((t - 1) * B * H, B * H);
        switch (Kind)
        {
            case CellKind.RnnTanh:
                TensorPrimitives.Tanh(at[(b0 * H)..(b1 * H)], ht[(b0 * H)..(b1 * H)]);
                break;
            case CellKind.RnnRelu:
                TensorPrimitives.Max(at[(b0 * H)..(b1 * H)], 0f, ht[(b0 * H)..(b1 * H)]);
                break;
            case CellKind.Lstm:
            {
                ReadOnlySpan<float> cprev = t == 0 ? st.C0 : st.C.AsSpan((t - 1) * B * H, B * H);
                var ct = st.C.AsSpan(t * B * H, B * H);
                var tct = st.TanhC.AsSpan(t * B * H, B * H);
                for (int b = b0; b < b1; b++)
                    LstmCellKernels.Forward(at.Slice(b * GH, GH), cprev.Slice(b * H, H), ct.Slice(b * H, H), tct.Slice(b * H, H), ht.Slice(b * H, H), H);
                break;
            }
            case CellKind.Gru:
            {
                var hh = st.Scratch.AsSpan(0, B * GH);
                var hn = st.N.AsSpan(t * B * H, B * H); // W_hn h + b_hn, kept for backward
                for (int b = b0; b < b1; b++)
                {
                    var g = at.Slice(b * GH, GH);
                    var hb = hh.Slice(b * GH, GH);
                    var rz = g[..(2 * H)];
                    TensorPrimitives.Add(rz, hb[..(2 * H)], rz);
                    TensorPrimitives.Sigmoid(rz, rz);
                    var r = g[..H]; var z = g.Slice(H, H); var nn = g.Slice(2 * H, H);
                    var hnb = hn.Slice(b * H, H);
                    hb.Slice(2 * H, H).CopyTo(hnb);
                    TensorPrimitives.FusedMultiplyAdd(r, hnb, nn, nn);
                    TensorPrimitives.Tanh(nn, nn);
                    // h = n + z * (hprev - n)
                    var hb2 = ht.Slice(b * H, H);
                    TensorPrimitives.Subtract(hprev.Slice(b * H, H), nn, hb2);
                    TensorPrimitives.FusedMultiplyAdd(z, hb2, nn, hb2);
                }
                break;
            }
            case CellKind.GruResetBefore when phase == 0:
            {
                var rh = st.N.AsSpan(t * B * H, B * H); // r * hprev, kept for backward
                var bhn = st.Bhh is null ? default : st.Bhh.Value.Slice(2 * H, H);
                for (int b = b0; b < b1; b++)
                {
                    var g = at.Slice(b * GH, GH);
                    TensorPrimitives.Sigmoid(g[..(2 * H)], g[..(2 * H)]);
                    TensorPrimitives.Multiply(g[..H], hprev.Slice(b * H, H), rh.Slice(b * H, H));
                    if (!bhn.IsEmpty) { var nn = g.Slice(2 * H, H); TensorPrimitives.Add(nn, bhn, nn); }
                }
                break;
            }
            case CellKind.GruResetBefore:
                for (int b = b0; b < b1; b++)
                {
                    var g = at.Slice(b * GH, GH);
                    var z = g.Slice(H, H); var nn = g.Slice(2 * H, H);
                    TensorPrimitives.Tanh(nn, nn);
                    var hb2 = ht.Slice(b * H, H);
                    TensorPrimitives.Subtract(hprev.Slice(b * H, H), nn, hb2);
                    TensorPrimitives.FusedMultiplyAdd(z, hb2, nn, hb2);
                }
                break;
        }
    }

    // --------------------------------------------------------------- backward

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // no slow tier-0 code in hot loops
    private void BackwardLayer(LayerState st, float[] dy, int T, int B)
    {
        int H = HiddenSize, G = Gates, GH = G * H, n = T * B;
        ReadOnlySpan<float> whh = st.WeightDropped ? st.WhhDropped : st.Whh.Value;
        var dA = st.DA.AsSpan(0, n * GH);   // gradients wrt gate pre-activations
        var y = st.Y.AsSpan();
        var dh = st.DhCarry.AsSpan();
        var tmp = st.Scratch.AsSpan(0, B * H);
        // Pack W_hh once for the per-step products dA W_hh.
        if (Kind == CellKind.GruResetBefore)
        {
            Gemm.PackB(false, 2 * H, H, whh, H, st.Q1);
            Gemm.PackB(false, H, H, whh.Slice(2 * H * H), H, st.Q2);
        }
        else Gemm.PackB(false, GH, H, whh, H, st.Q1);
        st.Dy = dy;
        for (int t = T - 1; t >= 0; t--)
        {
            var dat = dA.Slice(t * B * GH, B * GH);
            switch (Kind)
            {
                case CellKind.RnnTanh:
                case CellKind.RnnRelu:
                case CellKind.Lstm:
                    RunCells(st, t, B, 0, forward: false);
                    Gemm.Sgemm(false, B, 1f, dat, GH, st.Q1, 0f, dh, H, Threads);
                    break;
                case CellKind.Gru:
                    // Hidden-side pre-activation grads (dar, daz, dan*r) go to DHid for dW_hh.
                    RunCells(st, t, B, 0, forward: false);
                    tmp.CopyTo(dh);
                    Gemm.Sgemm(false, B, 1f, st.DHid.AsSpan(t * B * GH, B * GH), GH, st.Q1, 1f, dh, H, Threads);
                    break;
                case CellKind.GruResetBefore:
                    RunCells(st, t, B, 0, forward: false);
                    // d(r*h) = dan W_hn
                    Gemm.Sgemm(false, B, 1f, dat.Slice(2 * H), GH, st.Q2, 0f, st.Scratch.AsSpan(B * H, B * H), H, Threads);
                    RunCells(st, t, B, 1, forward: false);
                    tmp.CopyTo(dh);
                    Gemm.Sgemm(false, B, 1f, dat, GH, st.Q1, 1f, dh, H, Threads);
                    break;
            }
        }
        st.Dy = null;

        // Weight gradients, one GEMM each over all steps.
        // dW_hh += dA_h^T Hprev, with Hprev = [h0; y_0 .. y_{T-2}] split into two GEMMs.
        // With weight drop, dL/dW_hh = mask * dL/d(masked W_hh): computed apart, then masked into the arena.
        Span<float> dwhh = st.Whh.Grad;
        if (st.WeightDropped)
        {
            st.DWhhScratch = Buffers.Ensure(st.DWhhScratch, st.Whh.Length);
            dwhh = st.DWhhScratch;
            dwhh.Clear();
        }
        ReadOnlySpan<float> dHid = Kind == CellKind.Gru ? st.DHid.AsSpan(0, n * GH) : dA;
        switch (Kind)
        {
            case CellKind.GruResetBefore:
                // rows [0, 2H) of W_hh see hprev; rows [2H, 3H) see r*hprev.
                AccumulateHiddenGrad(dA, GH, 2 * H, st.H0, y, T, B, dwhh);
                Gemm.Sgemm(true, false, H, H, n, 1f, dA.Slice(2 * H), GH, st.N, H, 1f, dwhh.Slice(2 * H * H), H, Threads);
                break;
            default:
                AccumulateHiddenGrad(dHid, GH, GH, st.H0, y, T, B, dwhh);
                break;
        }
        if (st.WeightDropped)
        {
            TensorPrimitives.FusedMultiplyAdd(dwhh, st.WhhMask, st.Whh.Grad, st.Whh.Grad);
        }
        if (st.Bih is not null)
        {
            Reduce.SumRows(dA, n, GH, st.Bih.Grad);
            Reduce.SumRows(dHid, n, GH, st.Bhh!.Grad);
        }
        if (st.X is null)
        {
            // Token input: S[v] = sum of dA rows whose id is v; dW_ih += S^T E; dE += S W_ih.
            var emb = _embedding!;
            int v = emb.Shape[0];
            var sum = st.Table.AsSpan(0, v * GH);
            sum.Clear();
            var ids = _ids!;
            for (int r = 0; r < n; r++)
            {
                var row = sum.Slice(ids[r] * GH, GH);
                TensorPrimitives.Add(row, dA.Slice(r * GH, GH), row);
            }
            Gemm.Sgemm(true, false, GH, st.In, v, 1f, sum, GH, emb.Value, st.In, 1f, st.Wih.Grad, st.In, Threads);
            Gemm.Sgemm(false, false, v, st.In, GH, 1f, sum, GH, st.Wih.Value, st.In, 1f, emb.Grad, st.In, Threads);
            return;
        }
        Gemm.Sgemm(true, false, GH, st.In, n, 1f, dA, GH, st.X, st.In, 1f, st.Wih.Grad, st.In, Threads);
        // dX = dA W_ih
        Gemm.Sgemm(false, false, n, st.In, GH, 1f, dA, GH, st.Wih.Value, st.In, 0f, st.Dx, st.In, Threads);
    }

    /// <summary>
    /// Backward elementwise part of step t for batch rows [b0, b1): adds dL/dy_t to the carried dh,
    /// writes the pre-activation gradients dA_t, updates the carried dc (LSTM), and for GRU writes
    /// the direct part of dh_{t-1} to scratch.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void BackwardRows(LayerState st, int t, int B, int phase, int b0, int b1)
    {
        int H = HiddenSize, GH = Gates * H;
        var at = st.A.AsSpan(t * B * GH, B * GH);
        var dat = st.DA.AsSpan(t * B * GH, B * GH);
        var ht = st.Y.AsSpan(t * B * H, B * H);
        ReadOnlySpan<float> hprev = t == 0 ? st.H0 : st.Y.AsSpan((t - 1) * B * H, B * H);
        var dh = st.DhCarry.AsSpan();
        var tmp = st.Scratch.AsSpan(0, B * H);
        int r0 = b0 * H, r1 = b1 * H;
        if (phase == 0)
        {
            var dyt = st.Dy.AsSpan(t * B * H, B * H);
            TensorPrimitives.Add(dh[r0..r1], dyt[r0..r1], dh[r0..r1]);
        }
        switch (Kind)
        {
            case CellKind.RnnTanh:
            {
                // da = dh * (1 - h^2)
                var d = dat[r0..r1];
                TensorPrimitives.Multiply(ht[r0..r1], ht[r0..r1], d);
                TensorPrimitives.Subtract(1f, d, d);
                TensorPrimitives.Multiply(d, dh[r0..r1], d);
                break;
            }
            case CellKind.RnnRelu:
                for (int i = r0; i < r1; i++) dat[i] = ht[i] > 0f ? dh[i] : 0f;
                break;
            case CellKind.Lstm:
            {
                var dc = st.DcCarry.AsSpan();
                ReadOnlySpan<float> cprev = t == 0 ? st.C0 : st.C.AsSpan((t - 1) * B * H, B * H);
                var tct = st.TanhC.AsSpan(t * B * H, B * H);
                for (int b = b0; b < b1; b++)
                    LstmCellKernels.Backward(at.Slice(b * GH, GH), tct.Slice(b * H, H), cprev.Slice(b * H, H),
                        dh.Slice(b * H, H), dc.Slice(b * H, H), dat.Slice(b * GH, GH), H);
                break;
            }
            case CellKind.Gru:
            {
                var hn = st.N.AsSpan(t * B * H, B * H);
                var dht = st.DHid.AsSpan(t * B * GH, B * GH);
                for (int b = b0; b < b1; b++)
                {
                    var g = at.Slice(b * GH, GH);
                    var d = dat.Slice(b * GH, GH);
                    var e = dht.Slice(b * GH, GH);
                    var dhb = dh.Slice(b * H, H); var hp = hprev.Slice(b * H, H); var hnb = hn.Slice(b * H, H);
                    var dhp = tmp.Slice(b * H, H);
                    for (int j = 0; j < H; j++)
                    {
                        float r = g[j], z = g[H + j], nn = g[2 * H + j], dhj = dhb[j];
                        float dan = dhj * (1f - z) * (1f - nn * nn);
                        float daz = dhj * (hp[j] - nn) * z * (1f - z);
                        float dar = dan * hnb[j] * r * (1f - r);
                        d[j] = dar; d[H + j] = daz; d[2 * H + j] = dan;
                        e[j] = dar; e[H + j] = daz; e[2 * H + j] = dan * r;
                        dhp[j] = dhj * z;
                    }
                }
                break;
            }
            case CellKind.GruResetBefore when phase == 0:
                for (int b = b0; b < b1; b++)
                {
                    var g = at.Slice(b * GH, GH);
                    var d = dat.Slice(b * GH, GH);
                    var dhb = dh.Slice(b * H, H); var hp = hprev.Slice(b * H, H);
                    for (int j = 0; j < H; j++)
                    {
                        float z = g[H + j], nn = g[2 * H + j], dhj = dhb[j];
                        d[2 * H + j] = dhj * (1f - z) * (1f - nn * nn);
                        d[H + j] = dhj * (hp[j] - nn) * z * (1f - z);
                    }
                }
                break;
            case CellKind.GruResetBefore:
            {
                var drh = st.Scratch.AsSpan(B * H, B * H);
                for (int b = b0; b < b1; b++)
                {
                    var g = at.Slice(b * GH, GH);
                    var d = dat.Slice(b * GH, GH);
                    var dhb = dh.Slice(b * H, H); var hp = hprev.Slice(b * H, H);
                    var dhp = tmp.Slice(b * H, H); var drhb = drh.Slice(b * H, H);
                    for (int j = 0; j < H; j++)
                    {
                        float r = g[j], z = g[H + j];
                        d[j] = drhb[j] * hp[j] * r * (1f - r);
                        dhp[j] = dhb[j] * z + drhb[j] * r;
                    }
                }
                break;
            }
        }
    }

    /// <summary>dW[0:rows] += dA[:, 0:rows]^T [h0; y_0..y_{T-2}].</summary>
    private void AccumulateHiddenGrad(ReadOnlySpan<float> dA, int ld, int rows, ReadOnlySpan<float> h0, ReadOnlySpan<float> y, int T, int B, Span<float> dW)
    {
        int H = HiddenSize;
        Gemm.Sgemm(true, false, rows, H, B, 1f, dA, ld, h0, H, 1f, dW, H, Threads);
        if (T > 1)
            Gemm.Sgemm(true, false, rows, H, (T - 1) * B, 1f, dA.Slice(B * ld), ld, y, H, 1f, dW, H, Threads);
    }

    private static void FillRows(Span<float> dst, ReadOnlySpan<float> row, int rows, int width)
    {
        if (row.IsEmpty) { dst.Clear(); return; }
        for (int r = 0; r < rows; r++) row.CopyTo(dst.Slice(r * width, width));
    }

    /// <summary>(d0, d1, C) to (d1, d0, C).</summary>
    internal static void SwapBatchTime(ReadOnlySpan<float> src, Span<float> dst, int d0, int d1, int c)
    {
        for (int i = 0; i < d0; i++)
            for (int j = 0; j < d1; j++)
                src.Slice((i * d1 + j) * c, c).CopyTo(dst.Slice((j * d0 + i) * c, c));
    }

    private sealed class LayerState
    {
        public int In;
        public required Parameter Wih, Whh;
        public Parameter? Bih, Bhh;
        public float[] A = [], DA = [], DHid = [], Y = [], C = [], TanhC = [], N = [], Scratch = [], BiasFold = [];
        public float[] H0 = [], C0 = [], DhCarry = [], DcCarry = [], Dx = [];
        public float[]? Mask, Dropped;
        public float[] WhhMask = [], WhhDropped = [], DWhhScratch = []; // weight drop: mask, masked W_hh, dW scratch
        public bool WeightDropped;
        public float[]? X;
        public readonly PackedMatrix P1 = new(), P2 = new(), Q1 = new(), Q2 = new();
        public readonly CellJob Job = new();
        public float[]? Dy; // upstream gradient during BackwardLayer
        public float[] Table = []; // token input: per-type projection, then per-type gradient sums

        /// <summary>What the next layer reads: the dropped-out output in training, else the output.</summary>
        public float[] NextInput => Dropped is not null && Mask is not null ? Dropped : Y;

        public void Allocate(CellKind kind, int T, int B, int H, int G, bool dropout)
        {
            int n = T * B;
            A = Buffers.Ensure(A, n * G * H);
            DA = Buffers.Ensure(DA, n * G * H);
            Y = Buffers.Ensure(Y, n * H);
            H0 = Buffers.Ensure(H0, B * H);
            DhCarry = Buffers.Ensure(DhCarry, B * H);
            Dx = Buffers.Ensure(Dx, n * In);
            Scratch = Buffers.Ensure(Scratch, B * G * H);
            BiasFold = Buffers.Ensure(BiasFold, G * H);
            if (kind == CellKind.Lstm)
            {
                C = Buffers.Ensure(C, n * H);
                TanhC = Buffers.Ensure(TanhC, n * H);
                C0 = Buffers.Ensure(C0, B * H);
                DcCarry = Buffers.Ensure(DcCarry, B * H);
            }
            if (kind is CellKind.Gru or CellKind.GruResetBefore) N = Buffers.Ensure(N, n * H);
            if (kind == CellKind.Gru) DHid = Buffers.Ensure(DHid, n * G * H);
            if (dropout)
            {
                Mask = Buffers.Ensure(Mask, n * H);
                Dropped = Buffers.Ensure(Dropped, n * H);
            }
            else { Mask = null; Dropped = null; }
        }
    }
}

/// <summary>Long short-term memory stack, PyTorch's <c>nn.LSTM</c>. See <see cref="CellKind.Lstm"/>.</summary>
public sealed class Lstm(ParameterStore store, string prefix, int inputSize, int hiddenSize,
    int numLayers = 1, bool bias = true, bool batchFirst = false, float dropout = 0f)
    : Recurrent(store, prefix, CellKind.Lstm, inputSize, hiddenSize, numLayers, bias, batchFirst, dropout);

/// <summary>
/// Gated recurrent unit stack, PyTorch's <c>nn.GRU</c>; with <paramref name="resetAfter"/> false the
/// reset gate is applied before the recurrent product (Cho et al. 2014). See <see cref="CellKind.Gru"/>.
/// </summary>
public sealed class Gru(ParameterStore store, string prefix, int inputSize, int hiddenSize,
    int numLayers = 1, bool bias = true, bool batchFirst = false, float dropout = 0f, bool resetAfter = true)
    : Recurrent(store, prefix, resetAfter ? CellKind.Gru : CellKind.GruResetBefore, inputSize, hiddenSize, numLayers, bias, batchFirst, dropout);

/// <summary>Elman RNN stack, PyTorch's <c>nn.RNN</c>; <paramref name="nonlinearity"/> is "tanh" or "relu".</summary>
public sealed class Rnn(ParameterStore store, string prefix, int inputSize, int hiddenSize,
    int numLayers = 1, string nonlinearity = "tanh", bool bias = true, bool batchFirst = false, float dropout = 0f)
    : Recurrent(store, prefix, ParseNonlinearity(nonlinearity), inputSize, hiddenSize, numLayers, bias, batchFirst, dropout)
{
    private static CellKind ParseNonlinearity(string s) => s switch
    {
        "tanh" => CellKind.RnnTanh,
        "relu" => CellKind.RnnRelu,
        _ => throw new ArgumentException($"nonlinearity must be \"tanh\" or \"relu\", got \"{s}\".", nameof(nonlinearity)),
    };
}
