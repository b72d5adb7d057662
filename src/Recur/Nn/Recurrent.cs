using System.Numerics.Tensors;
using Recur.Kernels;
using Recur.Nn.Cells;

namespace Recur.Nn;

/// <summary>Output of <see cref="Recurrent.Forward"/>: every step's top-layer hidden state and the final states.</summary>
/// <param name="Output">Top layer's <c>h_t</c> for every step: <c>(T, B, H)</c>, or <c>(B, T, H)</c> with batchFirst.</param>
/// <param name="HN">Final hidden state of every layer, <c>(L, B, H)</c>.</param>
/// <param name="CN">Final cell state of every layer, <c>(L, B, H)</c>, for cells that have one (LSTM); else null.</param>
public sealed record RecurrentOutput(Tensor Output, Tensor HN, Tensor? CN);

/// <summary>Gradients returned by <see cref="Recurrent.Backward"/>.</summary>
/// <param name="DInput">dL/dx, the input's shape.</param>
/// <param name="DH0">dL/dh_0, <c>(L, B, H)</c>.</param>
/// <param name="DC0">dL/dc_0 <c>(L, B, H)</c> for cells with a cell state; else null.</param>
public sealed record RecurrentGrads(Tensor DInput, Tensor DH0, Tensor? DC0);

/// <summary>
/// A stack of recurrent layers run over a whole sequence chunk: the sequence driver. It names no cell:
/// each layer's step arithmetic is its <see cref="RecurrentCell"/>'s (see <see cref="CellRegistry"/>).
/// PyTorch's vocabulary and state-dict names (<c>weight_ih_l{k}</c> <c>(G*H, in)</c>, <c>weight_hh_l{k}</c>
/// <c>(G*H, H)</c>, <c>bias_ih_l{k}</c>, <c>bias_hh_l{k}</c> <c>(G*H)</c>, the cell's gate order), so a state
/// dict maps one to one.
/// <para>
/// Structure (torch-rnn's): for each layer the input projection of all T steps is one GEMM
/// <c>(T*B, in) x (in, G*H)</c> before the time loop; only the cell's recurrent products run per step; in
/// backward the weight gradients are one GEMM each after the reverse time loop. Dropout (inverted) is
/// applied to the outputs of every layer but the last, in training only, as PyTorch does.
/// </para>
/// <para>
/// Memory per layer for one chunk (floats): pre-activations/gates <c>T*B*G*H</c>, outputs <c>T*B*H</c>,
/// the cell's own buffers (LSTM: cell and tanh(cell) <c>2*T*B*H</c>; GRU: <c>T*B*H</c>, plus <c>T*B*3H</c>
/// for reset-after), dropout masks <c>T*B*H</c>; backward adds <c>T*B*G*H</c> for gate gradients and
/// <c>T*B*in</c> for dx.
/// </para>
/// <para>
/// Truncated BPTT: pass the previous chunk's <see cref="RecurrentOutput.HN"/> (and CN) as the next chunk's
/// h0 (c0). The layer copies the initial state in, so the gradient stops at the chunk edge;
/// <see cref="RecurrentGrads.DH0"/> is still returned for callers that need it. Returned tensors are owned
/// by the layer and valid until the next call.
/// </para>
/// <para>
/// Highway (the <c>highway</c> option, off by default): every layer whose input is as wide as its hidden state
/// (layers 1..L-1, and layer 0 when <c>input_size = H</c>, fed a tensor or token ids alike) passes on
/// <c>y = g ⊙ h + (1 - g) ⊙ x</c>, <c>g = σ(W_g x + b_g)</c>, instead of <c>h</c> (<see cref="LayerHighway"/>;
/// parameters <c>highway_weight_l{k}</c> <c>(H, H)</c> and <c>highway_bias_l{k}</c> <c>(H)</c> after the layer's
/// cell parameters). <c>y</c> is what the next layer and the output see, and what dropout applies to; the
/// final states <c>h_n</c> stay the cells' recurrent states <c>h</c>.
/// </para>
/// </summary>
public partial class Recurrent : IModule
{
    private readonly LayerRun[] _layers;
    private int _t, _b;
    private Tensor? _out, _hn, _cn, _dx, _dh0, _dc0;
    private float[]? _xTimeMajor; // batch-first input transposed
    private float[]? _dyTimeMajor;
    private int[]? _ids;            // token input of the last forward, or null
    private Parameter? _embedding;  // its embedding table
    private float _weightDrop;
    private int _threads = 1;

    /// <summary>Creates the stack and registers its parameters in <paramref name="store"/> under <paramref name="prefix"/>.</summary>
    public Recurrent(ParameterStore store, string prefix, RecurrentCell cell, int inputSize, int hiddenSize,
        int numLayers = 1, bool bias = true, bool batchFirst = false, float dropout = 0f, bool highway = false,
        int firstLayer = 0, string nameSuffix = "")
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(cell);
        Guard.Positive(inputSize, nameof(inputSize));
        Guard.Positive(hiddenSize, nameof(hiddenSize));
        Guard.Positive(numLayers, nameof(numLayers));
        if (!(dropout >= 0f && dropout < 1f)) throw new ArgumentOutOfRangeException(nameof(dropout), dropout, $"dropout must be in [0, 1), got {dropout}.");
        if (cell.RequiresInputEqualsHidden && inputSize != hiddenSize)
            throw new ArgumentException(
                $"the {cell.Name} cell adds its input to hidden-sized quantities, so its input width must equal the hidden width {hiddenSize}; " +
                $"got {inputSize}.", nameof(inputSize));
        if (highway && numLayers == 1 && inputSize != hiddenSize)
            throw new ArgumentException(
                "a highway connects a layer's input to its output, so it needs an input as wide as the hidden state: " +
                $"one layer of input width {inputSize} and hidden width {hiddenSize} has none.", nameof(highway));
        Path = prefix;
        Cell = cell;
        InputSize = inputSize;
        HiddenSize = hiddenSize;
        NumLayers = numLayers;
        HasBias = bias;
        BatchFirst = batchFirst;
        DropoutP = dropout;
        Highway = highway;
        int GH = cell.Gates * hiddenSize, RH = cell.RecurrentGates * hiddenSize;
        _layers = new LayerRun[numLayers];
        for (int l = 0; l < numLayers; l++)
        {
            int inl = l == 0 ? inputSize : hiddenSize;
            string k = $"{firstLayer + l}{nameSuffix}"; // PyTorch's layer index, and "_reverse" for a reverse direction
            var wih = store.Add(Naming.Join(prefix, $"weight_ih_l{k}"), GH, inl);
            var whh = RH > 0 ? store.Add(Naming.Join(prefix, $"weight_hh_l{k}"), RH, hiddenSize) : null;
            var bih = bias ? store.Add(Naming.Join(prefix, $"bias_ih_l{k}"), GH) : null;
            var bhh = bias && RH > 0 ? store.Add(Naming.Join(prefix, $"bias_hh_l{k}"), RH) : null;
            var extra = cell.ExtraParameters.Select(e => store.Add(Naming.Join(prefix, $"{e.Name}_l{k}"), e.Shape(inl, hiddenSize))).ToArray();
            _layers[l] = new LayerRun(cell, new LayerParameters(wih, whh, bih, bhh) { Extra = extra }, inl, hiddenSize);
            if (highway && HighwayApplies(l, inputSize, hiddenSize))
            {
                var hw = new HighwayParameters(store.Add(Naming.Join(prefix, $"highway_weight_l{k}"), hiddenSize, hiddenSize),
                    bias ? store.Add(Naming.Join(prefix, $"highway_bias_l{k}"), hiddenSize) : null);
                _layers[l].Highway = new LayerHighway(hw, hiddenSize);
            }
        }
    }

    /// <summary>As the main constructor, with the cell given by its registry name (<see cref="CellRegistry"/>: "lstm", "gru", ...).</summary>
    public Recurrent(ParameterStore store, string prefix, string cell, int inputSize, int hiddenSize,
        int numLayers = 1, bool bias = true, bool batchFirst = false, float dropout = 0f, bool highway = false,
        int firstLayer = 0, string nameSuffix = "")
        : this(store, prefix, CellRegistry.Get(cell), inputSize, hiddenSize, numLayers, bias, batchFirst, dropout, highway, firstLayer, nameSuffix)
    {
    }

    /// <inheritdoc/>
    public string Path { get; }

    /// <inheritdoc/>
    public IReadOnlyList<Parameter> Parameters
        => _layers.SelectMany(l => l.Highway is null ? l.Parameters.All : l.Parameters.All.Concat(l.Highway.Parameters.All)).ToArray();

    /// <summary>Training mode: the mode of forwards that do not pass <c>training</c> (dropout and weight drop act only in training).</summary>
    public bool Training { get; set; }

    /// <summary>The cell every layer runs.</summary>
    public RecurrentCell Cell { get; }

    public int InputSize { get; }
    public int HiddenSize { get; }
    public int NumLayers { get; }
    public bool HasBias { get; }
    public bool BatchFirst { get; }
    public float DropoutP { get; }

    /// <summary>True when the stack was built with highway connections (see the class remarks).</summary>
    public bool Highway { get; }

    /// <summary>True when layer <paramref name="layer"/> of a highway stack has a highway: its input is <c>H</c> wide.</summary>
    public static bool HighwayApplies(int layer, int inputSize, int hiddenSize) => layer > 0 || inputSize == hiddenSize;

    /// <summary>Layer <paramref name="l"/>'s highway parameters, or null when it has no highway.</summary>
    public HighwayParameters? HighwayParameters(int l) => _layers[l].Highway?.Parameters;

    /// <summary>Gate blocks per layer (the cell's <see cref="RecurrentCell.Gates"/>).</summary>
    public int Gates => Cell.Gates;

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

    /// <summary>Threads used by the GEMMs and the cells' rows (results are identical for any value).</summary>
    public int Threads
    {
        get => _threads;
        set { _threads = value; foreach (var l in _layers) l.Threads = value; }
    }

    /// <summary>Layer <paramref name="l"/>'s parameters (weight_ih, weight_hh, bias_ih, bias_hh).</summary>
    public LayerParameters LayerParameters(int l) => _layers[l].Parameters;

    /// <summary>Layer <paramref name="l"/>'s buffers of the last chunk (states, gates), for analyses.</summary>
    public LayerRun Layer(int l) => _layers[l];

    /// <summary>
    /// PyTorch's initialisation (<see cref="RecurrentCell.Initialize"/>): every weight and bias ~
    /// U(-1/sqrt(H), 1/sqrt(H)); with <paramref name="forgetBias"/> (cells with a forget gate) the
    /// forget-gate slices of both biases are set so they sum to it (torch-rnn starts it at 1). A highway's
    /// <c>W_g</c> is drawn the same way after its layer's cell parameters, and <c>b_g</c> starts at
    /// <see cref="LayerHighway.InitialBias"/> (-1: mostly carry the input at first).
    /// </summary>
    public void Reset(Rng rng, float? forgetBias = null)
    {
        ArgumentNullException.ThrowIfNull(rng);
        foreach (var st in _layers)
        {
            Cell.Initialize(st.Parameters, HiddenSize, rng, forgetBias);
            st.Highway?.Initialize(rng);
        }
    }

    /// <summary>
    /// Runs the stack over <paramref name="x"/> <c>(T, B, input)</c> (or <c>(B, T, input)</c> with batchFirst)
    /// from initial states <paramref name="h0"/>, <paramref name="c0"/> <c>(L, B, H)</c> (null: zeros).
    /// In training with dropout &gt; 0 the masks are drawn from <paramref name="rng"/>.
    /// <paramref name="lengths"/> <c>(B)</c>, each in <c>[1, T]</c>, makes the batch a packed one (PyTorch's
    /// <c>pack_padded_sequence</c>): row <c>b</c> runs its first <c>lengths[b]</c> steps, its outputs after them are 0,
    /// its final states are those of its own last step, and nothing after it reaches the state or the gradients.
    /// </summary>
    public RecurrentOutput Forward(Tensor x, Tensor? h0 = null, Tensor? c0 = null, bool? training = null, Rng? rng = null, int[]? lengths = null)
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
        return ForwardCore(input, T, B, h0, c0, training ?? Training, rng, lengths);
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
    public RecurrentOutput ForwardTokens(int[] ids, int T, int B, Parameter embedding, Tensor? h0 = null, Tensor? c0 = null,
        bool? training = null, Rng? rng = null, int[]? lengths = null)
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
        return ForwardCore(null, T, B, h0, c0, training ?? Training, rng, lengths);
    }

    private RecurrentOutput ForwardCore(float[]? input, int T, int B, Tensor? h0, Tensor? c0, bool training, Rng? rng, int[]? lengths)
    {
        CheckLengths(lengths, T, B);
        _lengths = lengths;
        int L = NumLayers, H = HiddenSize;
        bool hasC = Cell.HasCellState;
        if (h0 is not null) Guard.Shape(h0, nameof(h0), L, B, H);
        if (c0 is not null)
        {
            if (!hasC) throw new ArgumentException($"c0 is only used by cells with a cell state; this layer is {Cell.Name}.", nameof(c0));
            Guard.Shape(c0, nameof(c0), L, B, H);
        }
        if (training && (DropoutP > 0f && L > 1 || WeightDrop > 0f)) ArgumentNullException.ThrowIfNull(rng, nameof(rng));

        _t = T; _b = B;
        _hn = Buffers.Ensure(_hn, L, B, H);
        _cn = hasC ? Buffers.Ensure(_cn, L, B, H) : null;

        for (int l = 0; l < L; l++)
        {
            var st = _layers[l];
            st.Allocate(T, B, l < L - 1 && training && DropoutP > 0f);
            var h0l = st.H0.AsSpan();
            if (h0 is null) h0l.Clear(); else h0.Data.AsSpan(l * B * H, B * H).CopyTo(h0l);
            if (hasC)
            {
                if (c0 is null) st.C0.AsSpan().Clear(); else c0.Data.AsSpan(l * B * H, B * H).CopyTo(st.C0);
            }
            st.X = l == 0 ? input : _layers[l - 1].NextInput;
            st.Lengths = lengths;
            st.WeightDropped = training && WeightDrop > 0f && st.Parameters.WeightHh is not null;
            if (st.WeightDropped)
            {
                var whh = st.Parameters.WeightHh!;
                st.WhhMask = Buffers.Ensure(st.WhhMask, whh.Length);
                st.WhhUsed = Buffers.Ensure(st.WhhUsed, whh.Length);
                Dropout.MakeMask(rng!, WeightDrop, st.WhhMask);
                TensorPrimitives.Multiply(whh.Value, st.WhhMask, st.WhhUsed);
            }
            if (st.X is null) ProjectTokens(st, T * B);
            ForwardLayer(st, T, B);
            st.Highway?.Forward(LayerInput(st), st.Y, T * B, Threads);
            st.Y.AsSpan((T - 1) * B * H, B * H).CopyTo(_hn.Data.AsSpan(l * B * H, B * H));
            if (_cn is not null) st.C.AsSpan((T - 1) * B * H, B * H).CopyTo(_cn.Data.AsSpan(l * B * H, B * H));
            if (st.Mask is not null)
            {
                Dropout.MakeMask(rng!, DropoutP, st.Mask);
                TensorPrimitives.Multiply(st.Output, st.Mask, st.Dropped!);
            }
        }

        var top = _layers[L - 1].Output;
        int[] outShape = BatchFirst ? [B, T, H] : [T, B, H];
        _out = Buffers.Ensure(_out, outShape);
        if (BatchFirst) SwapBatchTime(top, _out.Data, T, B, H);
        else top.AsSpan(0, T * B * H).CopyTo(_out.Data);
        if (lengths is not null) ZeroPadding(_out.Data, lengths, T, B, H, BatchFirst);
        return new RecurrentOutput(_out, _hn, _cn);
    }

    private int[]? _lengths;

    private void CheckLengths(int[]? lengths, int T, int B)
    {
        if (lengths is null) return;
        if (lengths.Length != B) throw new ArgumentException($"lengths has {lengths.Length} entries for a batch of {B}.", nameof(lengths));
        for (int b = 0; b < B; b++)
        {
            if (lengths[b] < 1 || lengths[b] > T)
                throw new ArgumentOutOfRangeException(nameof(lengths), lengths[b], $"lengths[{b}] = {lengths[b]} is outside [1, {T}].");
        }
        if (!Cell.SupportsLengths)
            throw new NotSupportedException(
                $"the {Cell.Name} cell runs as a scan over the whole sequence, so it takes no per-row lengths; pad with a step-form cell instead.");
        if (Highway) throw new NotSupportedException("per-row lengths are not supported with highway connections.");
    }

    /// <summary>Sets the rows of padded steps (<c>t &gt;= lengths[b]</c>) of <paramref name="y"/> <c>(T, B, H)</c> (or <c>(B, T, H)</c>) to 0.</summary>
    internal static void ZeroPadding(Span<float> y, int[] lengths, int T, int B, int H, bool batchFirst)
    {
        for (int b = 0; b < B; b++)
            for (int t = lengths[b]; t < T; t++)
                y.Slice(((batchFirst ? b * T + t : t * B + b)) * H, H).Clear();
    }

    // ---------------------------------------------------------------- forward

    /// <summary>The bias added to the input projection (the cell's fold of b_ih and b_hh), or null without biases.</summary>
    private float[]? FoldBias(LayerRun st)
    {
        var p = st.Parameters;
        if (p.BiasIh is null) return null;
        Cell.FoldBias(p.BiasIh.Value, p.BiasHh is null ? default : p.BiasHh.Value, st.BiasFold.AsSpan(0, Cell.Gates * HiddenSize));
        return st.BiasFold;
    }

    /// <summary>Token input: <c>P = E W_ih^T + b</c> for the V token types, then <c>A[r] = P[ids[r]]</c>.</summary>
    private void ProjectTokens(LayerRun st, int n)
    {
        var emb = _embedding!;
        int v = emb.Shape[0], GH = Gates * HiddenSize;
        st.Table = Buffers.Ensure(st.Table, v * GH);
        var p = st.Table.AsSpan();
        var bias = FoldBias(st);
        for (int r = 0; r < v; r++)
            if (bias is null) p.Slice(r * GH, GH).Clear(); else bias.AsSpan(0, GH).CopyTo(p.Slice(r * GH, GH));
        Gemm.Sgemm(false, true, v, GH, st.In, 1f, emb.Value, st.In, st.Parameters.WeightIh.Value, st.In, 1f, p, GH, Threads);
        var a = st.A.AsSpan();
        var ids = _ids!;
        for (int r = 0; r < n; r++) p.Slice(ids[r] * GH, GH).CopyTo(a.Slice(r * GH, GH));
        if (!Cell.RequiresInputEqualsHidden && st.Highway is null) return;
        // The cell (or the highway) reads the raw input: the embedded tokens (T*B, in).
        int w = st.In;
        st.TokenInput = Buffers.Ensure(st.TokenInput, n * w);
        for (int r = 0; r < n; r++) emb.Value.Slice(ids[r] * w, w).CopyTo(st.TokenInput.AsSpan(r * w, w));
    }

    /// <summary>The layer's whole input <c>(T*B, in)</c>: the tensor, or the embedded tokens gathered by <see cref="ProjectTokens"/>.</summary>
    private static ReadOnlySpan<float> LayerInput(LayerRun st) => (st.X ?? st.TokenInput).AsSpan(0, st.T * st.B * st.In);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // no slow tier-0 code in hot loops
    private void ForwardLayer(LayerRun st, int T, int B)
    {
        int GH = Gates * HiddenSize, n = T * B;
        // Input projection for all steps: A(T*B, G*H) = X W_ih^T + fold(b).
        // With token input ProjectTokens has already gathered it.
        var a = st.A.AsSpan(0, n * GH);
        if (st.X is not null)
        {
            if (FoldBias(st) is { } bias)
                for (int r = 0; r < n; r++) bias.AsSpan(0, GH).CopyTo(a.Slice(r * GH, GH));
            Gemm.Sgemm(false, true, n, GH, st.In, 1f, st.X, st.In, st.Parameters.WeightIh.Value, st.In, st.Parameters.BiasIh is null ? 0f : 1f, a, GH, Threads);
        }
        // W_hh is constant over the chunk: the cell packs it once for its per-step products.
        Cell.ForwardSequence(st);
    }

    /// <summary>(d0, d1, C) to (d1, d0, C).</summary>
    internal static void SwapBatchTime(ReadOnlySpan<float> src, Span<float> dst, int d0, int d1, int c)
    {
        for (int i = 0; i < d0; i++)
            for (int j = 0; j < d1; j++)
                src.Slice((i * d1 + j) * c, c).CopyTo(dst.Slice((j * d0 + i) * c, c));
    }
}
