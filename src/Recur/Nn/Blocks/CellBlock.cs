using System.Numerics.Tensors;
using Recur.Kernels;
using Recur.Nn.Cells;

namespace Recur.Nn.Blocks;

/// <summary>
/// A recurrent cell as a residual block, the way Feng et al. 2024 stack minGRU and minLSTM (and Mamba's and
/// the Transformer's blocks are stacked): a pre-norm recurrent sub-block and a pre-norm MLP sub-block,
/// <c>x' = x + cell(LN_1(x))</c>, <c>y = x' + W_2 GELU(W_1 LN_2(x') + b_1) + b_2</c>, with the cell one layer of
/// width <c>D</c> (<see cref="Recurrent"/>) and the MLP <c>D → E·D → D</c> (<c>E</c> = <see cref="BlockOptions.Expand"/>).
/// GELU is the tanh approximation (PyTorch's <c>F.gelu(approximate='tanh')</c>). In training, dropout
/// (<see cref="BlockOptions.Dropout"/>) acts on each sub-block's output before it joins the residual stream. The state is the cell's
/// <c>h</c> <c>(B, D)</c> (and <c>c</c> for cells with a cell state). Parameters: <c>ln_1.*</c>, <c>cell.*</c>
/// (PyTorch's RNN names), <c>ln_2.*</c>, <c>mlp.fc.*</c>, <c>mlp.proj.*</c>.
/// </summary>
public sealed class CellBlock : SequenceBlock
{
    private readonly RecurrentCell _cell;
    private readonly LayerNorm _ln1, _ln2;
    private readonly Recurrent _rnn;
    private readonly Linear _fc, _proj;
    private readonly Dropout _dropCell, _dropMlp;  // residual dropout on each sub-block's output (GPT-2's placement)
    private readonly int _inner;
    private Tensor? _u1, _h0, _c0;          // (T, B, D), (1, B, D)
    private float[] _x1 = [], _u2 = [], _a = [], _g = [], _y = [];   // (n, D), (n, D), (n, ED), (n, ED), (n, D)
    private float[] _dx1 = [], _dg = [], _du = [], _dx = [], _dDrop = [];
    private Tensor? _dOut;
    private int _t, _b;

    /// <summary>A block of width <paramref name="width"/> around <paramref name="cell"/>.</summary>
    public CellBlock(RecurrentCell cell, ParameterStore store, string path, int width, BlockOptions options) : base(path, width)
    {
        ArgumentNullException.ThrowIfNull(cell);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        _cell = cell;
        _inner = options.Expand * width;
        _ln1 = new LayerNorm(store, Naming.Join(path, "ln_1"), width);
        _rnn = new Recurrent(store, Naming.Join(path, "cell"), cell, width, width);
        _ln2 = new LayerNorm(store, Naming.Join(path, "ln_2"), width);
        _fc = new Linear(store, Naming.Join(path, "mlp.fc"), width, _inner);
        _proj = new Linear(store, Naming.Join(path, "mlp.proj"), _inner, width);
        _dropCell = new Dropout(options.Dropout);
        _dropMlp = new Dropout(options.Dropout);
    }

    /// <inheritdoc/>
    public override string Kind => _cell.Name + "-res";

    /// <inheritdoc/>
    public override IReadOnlyList<Parameter> Parameters => [.. _ln1.Parameters, .. _rnn.Parameters, .. _ln2.Parameters, .. _fc.Parameters, .. _proj.Parameters];

    /// <inheritdoc/>
    public override void Reset(Rng rng)
    {
        _ln1.Reset();
        _rnn.Reset(rng);
        _ln2.Reset();
        _fc.Reset(rng);
        _proj.Reset(rng);
    }

    /// <inheritdoc/>
    public override BlockState NewState(int batch)
        => _cell.HasCellState ? new BlockState(batch, ("h", batch * Width), ("c", batch * Width)) : new BlockState(batch, ("h", batch * Width));

    /// <inheritdoc/>
    public override float[] Forward(float[] x, int T, int B, BlockState? state, bool training, Rng? rng)
    {
        ArgumentNullException.ThrowIfNull(x);
        int D = Width, n = T * B;
        _t = T; _b = B;
        _rnn.Threads = _fc.Threads = _proj.Threads = Threads;
        _u1 = Buffers.Ensure(_u1, T, B, D);
        _ln1.Forward(x.AsSpan(0, n * D), n, _u1.Data);
        _h0 = Buffers.Ensure(_h0, 1, B, D);
        if (state is null) _h0.Span.Clear(); else state["h"].AsSpan(0, B * D).CopyTo(_h0.Data);
        if (_cell.HasCellState)
        {
            _c0 = Buffers.Ensure(_c0, 1, B, D);
            if (state is null) _c0.Span.Clear(); else state["c"].AsSpan(0, B * D).CopyTo(_c0.Data);
        }
        var o = _rnn.Forward(_u1, _h0, _cell.HasCellState ? _c0 : null, training, rng);
        if (state is not null)
        {
            o.HN.Data.AsSpan(0, B * D).CopyTo(state["h"]);
            if (o.CN is not null) o.CN.Data.AsSpan(0, B * D).CopyTo(state["c"]);
            state.Position += T;
        }
        _x1 = Buffers.Ensure(_x1, n * D);
        _dropCell.Forward(o.Output.Data.AsSpan(0, n * D), _x1.AsSpan(0, n * D), training, rng);
        TensorPrimitives.Add(x.AsSpan(0, n * D), _x1.AsSpan(0, n * D), _x1.AsSpan(0, n * D));
        _u2 = Buffers.Ensure(_u2, n * D);
        _ln2.Forward(_x1.AsSpan(0, n * D), n, _u2);
        _a = Buffers.Ensure(_a, n * _inner);
        _g = Buffers.Ensure(_g, n * _inner);
        _fc.Forward(_u2.AsSpan(0, n * D), n, _a);
        GeluTanh.Forward(_a.AsSpan(0, n * _inner), _g);
        _y = Buffers.Ensure(_y, n * D);
        _proj.Forward(_g.AsSpan(0, n * _inner), n, _y);
        _dropMlp.Forward(_y.AsSpan(0, n * D), _y.AsSpan(0, n * D), training, rng);
        TensorPrimitives.Add(_y.AsSpan(0, n * D), _x1.AsSpan(0, n * D), _y.AsSpan(0, n * D));
        return _y;
    }

    /// <inheritdoc/>
    public override float[] Backward(float[] dy)
    {
        ArgumentNullException.ThrowIfNull(dy);
        int D = Width, n = _t * _b;
        _dg = Buffers.Ensure(_dg, n * _inner);
        _dDrop = Buffers.Ensure(_dDrop, n * D);
        _dropMlp.Backward(dy.AsSpan(0, n * D), _dDrop.AsSpan(0, n * D));
        _proj.Backward(_g.AsSpan(0, n * _inner), _dDrop.AsSpan(0, n * D), n, _dg);
        GeluTanh.Backward(_a.AsSpan(0, n * _inner), _dg.AsSpan(0, n * _inner));
        _du = Buffers.Ensure(_du, n * D);
        _fc.Backward(_u2.AsSpan(0, n * D), _dg.AsSpan(0, n * _inner), n, _du);
        _dx1 = Buffers.Ensure(_dx1, n * D);
        _ln2.Backward(_du.AsSpan(0, n * D), n, _dx1);
        TensorPrimitives.Add(_dx1.AsSpan(0, n * D), dy.AsSpan(0, n * D), _dx1.AsSpan(0, n * D));   // dL/dx'
        _dOut = Buffers.Ensure(_dOut, _t, _b, D);
        _dropCell.Backward(_dx1.AsSpan(0, n * D), _dOut.Data);
        var g = _rnn.Backward(_dOut);
        _dx = Buffers.Ensure(_dx, n * D);
        _ln1.Backward(g.DInput.Data.AsSpan(0, n * D), n, _dx);
        TensorPrimitives.Add(_dx.AsSpan(0, n * D), _dx1.AsSpan(0, n * D), _dx.AsSpan(0, n * D));
        return _dx;
    }

    /// <inheritdoc/>
    public override void Step(ReadOnlySpan<float> x, Span<float> y, BlockState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        int n = state.Batch * Width;
        var xs = x[..n].ToArray();
        Forward(xs, 1, state.Batch, state, training: false, rng: null).AsSpan(0, n).CopyTo(y);
    }
}
