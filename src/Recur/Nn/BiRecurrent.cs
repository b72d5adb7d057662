using System.Numerics.Tensors;
using Recur.Nn.Cells;

namespace Recur.Nn;

/// <summary>
/// A bidirectional stack, PyTorch's <c>nn.LSTM(..., bidirectional=True)</c> (or GRU, RNN, any cell with a step form):
/// each layer runs a forward direction over <c>t = 0..T-1</c> and a reverse direction over <c>t = T-1..0</c>, and passes
/// on the concatenation <c>[forward ; reverse]</c> <c>(T, B, 2H)</c> (dropout between layers in training, as PyTorch).
/// Parameters carry PyTorch's names and order: <c>weight_ih_l{k}</c>, ..., then <c>weight_ih_l{k}_reverse</c>, ..., layer
/// by layer; initial and final states are <c>(2L, B, H)</c> ordered layer by layer, forward before reverse.
/// <para>
/// With <c>lengths</c> the batch is packed: the reverse direction of row <c>b</c> starts at its own last step
/// <c>lengths[b] - 1</c> (its steps are reversed within its length), padding reaches neither direction's state, and the
/// outputs on padding are 0, as with <c>pack_padded_sequence</c> and <c>pad_packed_sequence</c>.
/// </para>
/// </summary>
public sealed class BiRecurrent : IModule
{
    private readonly Recurrent[] _fwd, _bwd;
    private readonly Dropout[] _drop;
    private Tensor[] _inputs = [];   // per layer: its input (T, B, in)
    private Tensor?[] _outputs = []; // per layer: [forward ; reverse] (T, B, 2H)
    private int[]? _lengths;
    private int _t, _b;

    public BiRecurrent(ParameterStore store, string prefix, RecurrentCell cell, int inputSize, int hiddenSize, int numLayers = 1,
        bool bias = true, float dropout = 0f)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(cell);
        Guard.Positive(numLayers, nameof(numLayers));
        Path = prefix; Cell = cell; InputSize = inputSize; HiddenSize = hiddenSize; NumLayers = numLayers;
        _fwd = new Recurrent[numLayers];
        _bwd = new Recurrent[numLayers];
        _drop = new Dropout[numLayers];
        for (int l = 0; l < numLayers; l++)
        {
            int inl = l == 0 ? inputSize : 2 * hiddenSize;
            _fwd[l] = new Recurrent(store, prefix, cell, inl, hiddenSize, 1, bias, firstLayer: l);
            _bwd[l] = new Recurrent(store, prefix, cell, inl, hiddenSize, 1, bias, firstLayer: l, nameSuffix: "_reverse");
            _drop[l] = new Dropout(dropout);
        }
    }

    /// <summary>As the main constructor, with the cell's registry name.</summary>
    public BiRecurrent(ParameterStore store, string prefix, string cell, int inputSize, int hiddenSize, int numLayers = 1, bool bias = true, float dropout = 0f)
        : this(store, prefix, CellRegistry.Get(cell), inputSize, hiddenSize, numLayers, bias, dropout)
    {
    }

    public RecurrentCell Cell { get; }
    public int InputSize { get; }
    public int HiddenSize { get; }
    public int NumLayers { get; }

    /// <inheritdoc/>
    public string Path { get; }

    /// <inheritdoc/>
    public IReadOnlyList<Parameter> Parameters => [.. Enumerable.Range(0, NumLayers).SelectMany(l => _fwd[l].Parameters.Concat(_bwd[l].Parameters))];

    /// <inheritdoc/>
    public bool Training { get; set; }

    /// <summary>Threads for the products.</summary>
    public int Threads
    {
        get => _fwd[0].Threads;
        set { foreach (var r in _fwd.Concat(_bwd)) r.Threads = value; }
    }

    /// <summary>PyTorch's initialisation of every direction of every layer, in registration order.</summary>
    public void Reset(Rng rng, float? forgetBias = null)
    {
        for (int l = 0; l < NumLayers; l++) { _fwd[l].Reset(rng, forgetBias); _bwd[l].Reset(rng, forgetBias); }
    }

    /// <summary>
    /// Runs the stack over <paramref name="x"/> <c>(T, B, input)</c> from <paramref name="h0"/>, <paramref name="c0"/>
    /// <c>(2L, B, H)</c> (null: zeros), packed by <paramref name="lengths"/> when given. Returns the top layer's
    /// <c>(T, B, 2H)</c> and the final states <c>(2L, B, H)</c> (owned by the module until the next call).
    /// </summary>
    public RecurrentOutput Forward(Tensor x, Tensor? h0 = null, Tensor? c0 = null, bool? training = null, Rng? rng = null, int[]? lengths = null)
    {
        ArgumentNullException.ThrowIfNull(x);
        Guard.Rank(x, nameof(x), 3, "(time, batch, input_size)");
        int T = x.Shape[0], B = x.Shape[1], H = HiddenSize, L = NumLayers;
        bool train = training ?? Training;
        if (h0 is not null) Guard.Shape(h0, nameof(h0), 2 * L, B, H);
        if (c0 is not null) Guard.Shape(c0, nameof(c0), 2 * L, B, H);
        _t = T; _b = B; _lengths = lengths;
        _inputs = new Tensor[L];
        _outputs = new Tensor?[L];
        var hn = new Tensor(2 * L, B, H);
        var cn = Cell.HasCellState ? new Tensor(2 * L, B, H) : null;
        var input = x;
        for (int l = 0; l < L; l++)
        {
            _inputs[l] = input;
            var f = _fwd[l].Forward(input, State(h0, 2 * l, B), State(c0, 2 * l, B), train, rng, lengths);
            var y = new Tensor(T, B, 2 * H);
            Place(f.Output.Data, y.Data, T * B, H, 0);
            Copy(f.HN, hn, 2 * l, B, H);
            if (cn is not null) Copy(f.CN!, cn, 2 * l, B, H);
            var reversed = Reverse(input, lengths);
            var r = _bwd[l].Forward(reversed, State(h0, 2 * l + 1, B), State(c0, 2 * l + 1, B), train, rng, lengths);
            Place(Reverse(r.Output, lengths).Data, y.Data, T * B, H, H);
            Copy(r.HN, hn, 2 * l + 1, B, H);
            if (cn is not null) Copy(r.CN!, cn, 2 * l + 1, B, H);
            _outputs[l] = y;
            if (l < L - 1)
            {
                var dropped = new Tensor(T, B, 2 * H);
                _drop[l].Forward(y.Span, dropped.Span, train, rng);
                input = dropped;
            }
        }
        return new RecurrentOutput(_outputs[L - 1]!, hn, cn);
    }

    /// <summary>
    /// Backward for the last <see cref="Forward"/> from <paramref name="dOutput"/> <c>(T, B, 2H)</c> and the final states'
    /// gradients <c>(2L, B, H)</c> (null: 0): accumulates every parameter's gradient; returns <c>dx</c>, <c>dh0</c>, <c>dc0</c>.
    /// </summary>
    public RecurrentGrads Backward(Tensor dOutput, Tensor? dHN = null, Tensor? dCN = null)
    {
        ArgumentNullException.ThrowIfNull(dOutput);
        int T = _t, B = _b, H = HiddenSize, L = NumLayers;
        Guard.Shape(dOutput, nameof(dOutput), T, B, 2 * H);
        var dh0 = new Tensor(2 * L, B, H);
        var dc0 = Cell.HasCellState ? new Tensor(2 * L, B, H) : null;
        var d = dOutput;
        Tensor dx = d;
        for (int l = L - 1; l >= 0; l--)
        {
            int inl = _inputs[l].Shape[2];
            var dyf = new Tensor(T, B, H);
            var dyr = new Tensor(T, B, H);
            Take(d.Data, dyf.Data, T * B, H, 0);
            Take(d.Data, dyr.Data, T * B, H, H);
            var gr = _bwd[l].Backward(Reverse(dyr, _lengths), State(dHN, 2 * l + 1, B), Cell.HasCellState ? State(dCN, 2 * l + 1, B) : null);
            var dxr = Reverse(gr.DInput, _lengths);
            Copy(gr.DH0, dh0, 2 * l + 1, B, H);
            if (dc0 is not null) Copy(gr.DC0!, dc0, 2 * l + 1, B, H);
            var gf = _fwd[l].Backward(dyf, State(dHN, 2 * l, B), Cell.HasCellState ? State(dCN, 2 * l, B) : null);
            Copy(gf.DH0, dh0, 2 * l, B, H);
            if (dc0 is not null) Copy(gf.DC0!, dc0, 2 * l, B, H);
            dx = new Tensor(T, B, inl);
            TensorPrimitives.Add(gf.DInput.Span, dxr.Span, dx.Span);
            if (l > 0)
            {
                var prev = new Tensor(T, B, 2 * H);
                _drop[l - 1].Backward(dx.Span, prev.Span);
                d = prev;
            }
        }
        return new RecurrentGrads(dx, dh0, dc0);
    }

    /// <summary>Row <paramref name="index"/> of a <c>(2L, B, H)</c> state as a <c>(1, B, H)</c> tensor, or null.</summary>
    private Tensor? State(Tensor? s, int index, int B)
    {
        if (s is null) return null;
        int n = B * HiddenSize;
        return new Tensor(s.Data.AsSpan(index * n, n).ToArray(), 1, B, HiddenSize);
    }

    private static void Copy(Tensor src, Tensor dst, int index, int B, int H) => src.Data.AsSpan(0, B * H).CopyTo(dst.Data.AsSpan(index * B * H, B * H));

    private static void Place(ReadOnlySpan<float> src, Span<float> dst, int rows, int H, int offset)
    {
        for (int r = 0; r < rows; r++) src.Slice(r * H, H).CopyTo(dst.Slice(r * 2 * H + offset, H));
    }

    private static void Take(ReadOnlySpan<float> src, Span<float> dst, int rows, int H, int offset)
    {
        for (int r = 0; r < rows; r++) src.Slice(r * 2 * H + offset, H).CopyTo(dst.Slice(r * H, H));
    }

    /// <summary>
    /// <paramref name="x"/> <c>(T, B, W)</c> with each row's steps reversed within its length (<c>y[t] = x[n - 1 - t]</c> for
    /// <c>t &lt; n</c>, 0 after); without lengths the whole sequence is reversed. Its own inverse on the valid steps.
    /// </summary>
    public static Tensor Reverse(Tensor x, int[]? lengths)
    {
        ArgumentNullException.ThrowIfNull(x);
        int T = x.Shape[0], B = x.Shape[1], W = x.Shape[2];
        var y = new Tensor(T, B, W);
        for (int b = 0; b < B; b++)
        {
            int n = lengths?[b] ?? T;
            for (int t = 0; t < n; t++) x.Data.AsSpan(((n - 1 - t) * B + b) * W, W).CopyTo(y.Data.AsSpan((t * B + b) * W, W));
        }
        return y;
    }
}
