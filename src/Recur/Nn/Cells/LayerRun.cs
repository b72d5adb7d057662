using Recur.Kernels;

namespace Recur.Nn.Cells;

/// <summary>
/// One layer of a <see cref="Recurrent"/> stack during one chunk of <c>T</c> steps over <c>B</c> rows: its
/// parameters, the buffers every cell shares and the buffers its cell adds, and the per-step services
/// (parallel rows, packed <c>W_hh</c>) a cell's step uses. Row-major, time-major: step <c>t</c>'s rows start at
/// <c>t*B*width</c>.
/// </summary>
public sealed class LayerRun
{
    internal LayerRun(RecurrentCell cell, LayerParameters p, int inputSize, int hiddenSize)
    {
        Cell = cell; Parameters = p; In = inputSize; H = hiddenSize;
        _own = cell.CreateBuffers();
        _job = new RowsJob(this);
    }

    /// <summary>The layer's cell.</summary>
    public RecurrentCell Cell { get; }

    /// <summary>The layer's parameters.</summary>
    public LayerParameters Parameters { get; }

    /// <summary>Input width of this layer.</summary>
    public int In { get; }

    /// <summary>Hidden width <c>H</c>.</summary>
    public int H { get; }

    /// <summary>Steps <c>T</c> and rows <c>B</c> of the current chunk.</summary>
    public int T { get; private set; }

    /// <inheritdoc cref="T"/>
    public int B { get; private set; }

    /// <summary>Threads for the products and the rows (results do not depend on it).</summary>
    public int Threads { get; internal set; } = 1;

    /// <summary>
    /// The gates, <c>(T, B, G*H)</c> with <c>G</c> = <see cref="RecurrentCell.Gates"/>, blocks in
    /// <see cref="RecurrentCell.GateNames"/>' order. The driver fills it with the input projection
    /// <c>X W_ih^T + fold(b)</c> of every step; a cell's forward step adds its recurrent products and then
    /// (most cells) replaces the pre-activations by the gates' activations, which backward reads
    /// (<see cref="RecurrentCell.RecordsGateActivations"/> says which it keeps).
    /// </summary>
    public float[] A = [];

    /// <summary>
    /// <c>dL/d(X W_ih^T + fold(b))</c>, <c>(T, B, G*H)</c>: the gradients of the input projection's rows,
    /// written by the cell's backward steps; the driver turns them into <c>dW_ih</c>, <c>db_ih</c> and <c>dX</c>.
    /// </summary>
    public float[] DA = [];

    /// <summary>
    /// Each row's own length (packed sequences), or null when every row runs all <c>T</c> steps. A row's state is
    /// frozen after its last step (the default sequence loops copy it forward and let its gradient pass straight back),
    /// so the final state is the state at the row's own last step, as PyTorch's <c>pack_padded_sequence</c> gives.
    /// </summary>
    public int[]? Lengths;

    /// <summary>Outputs <c>h_t</c>: <c>(T, B, H)</c>.</summary>
    public float[] Y = [];

    /// <summary>Cell state <c>c_t</c> for cells that have one: <c>(T, B, H)</c>.</summary>
    public float[] C = [];

    /// <summary>Initial states <c>h_{-1}</c>, <c>c_{-1}</c>: <c>(B, H)</c>.</summary>
    public float[] H0 = [], C0 = [];

    /// <summary>Carried gradients <c>dL/dh</c>, <c>dL/dc</c> during the reverse loop: <c>(B, H)</c>.</summary>
    public float[] DhCarry = [], DcCarry = [];

    /// <summary>Scratch of <c>(B, max(G, R)*H)</c> for a step's recurrent branch or gradient parts.</summary>
    public float[] Scratch = [];

    /// <summary>Gradient of the input <c>(T, B, in)</c>.</summary>
    public float[] Dx = [];

    /// <summary>
    /// For cells that read their raw input (<see cref="RecurrentCell.RequiresInputEqualsHidden"/>): the gradient
    /// through those raw-input terms, <c>(T, B, in)</c>, every element written by the cell's backward rows; the
    /// driver adds it to <c>dX = dA W_ih</c> (or to the embedding rows with token input).
    /// </summary>
    public float[] DInput = [];

    /// <summary>The upstream gradient <c>dL/dy</c> <c>(T, B, H)</c> during the reverse loop.</summary>
    public float[]? Dy;

    /// <summary>
    /// <c>W_hh</c> packed for the forward products <c>h_{t-1} W_hh^T</c> (<c>op(B)</c> of shape <c>(H, G*H)</c>), by
    /// <see cref="RecurrentCell.PackForward"/>'s default. Cells that pack blocks of <c>W_hh</c> separately (their
    /// blocks see different vectors) keep those in their own <see cref="CellBuffers"/> instead.
    /// </summary>
    public readonly PackedMatrix WhhForward = new();

    /// <summary>
    /// <c>W_hh</c> packed for the backward products <c>dA W_hh</c> (<c>op(B)</c> of shape <c>(G*H, H)</c>), by
    /// <see cref="RecurrentCell.PackBackward"/>'s default.
    /// </summary>
    public readonly PackedMatrix WhhBackward = new();

    /// <summary>The cell's own buffers (<see cref="RecurrentCell.CreateBuffers"/>), or null for a cell that has none.</summary>
    private readonly CellBuffers? _own;

    /// <summary>
    /// The cell's own buffers, as the cell's nested <see cref="CellBuffers"/> class that declares them: fetch
    /// once per call, then use its fields.
    /// </summary>
    internal TBuffers Own<TBuffers>() where TBuffers : CellBuffers
        => _own as TBuffers ?? throw new InvalidOperationException($"{Cell.Name} keeps no {typeof(TBuffers).Name} in its layer.");

    /// <summary><c>W_hh</c> as used in this chunk (weight-dropped in training when enabled).</summary>
    public float[] WhhUsed = [];

    // The driver's own buffers.
    internal float[] BiasFold = [], Table = [];
    internal float[]? Mask, Dropped, X;
    internal float[] TokenInput = []; // (T, B, in) the embedded tokens, gathered for cells that read their raw input
    internal float[] WhhMask = [], DWhhScratch = [];
    internal bool WeightDropped;
    internal LayerHighway? Highway; // the highway around this layer, or null (Recurrent's highway option)

    /// <summary><c>W_hh</c> of this chunk: masked in training under weight drop, else the parameter itself.</summary>
    public ReadOnlySpan<float> Whh => WeightDropped ? WhhUsed : Parameters.WeightHh is { } w ? w.Value : default;

    /// <summary>The rows of step <paramref name="t"/> in a <c>(T, B, width)</c> buffer.</summary>
    public Span<float> Step(float[] buffer, int t, int width) => buffer.AsSpan(t * B * width, B * width);

    /// <summary>
    /// The layer's input of step <paramref name="t"/> <c>(B, in)</c> (the embedded tokens for a first layer fed
    /// token ids): for cells that read their raw input (<see cref="RecurrentCell.RequiresInputEqualsHidden"/>).
    /// </summary>
    public ReadOnlySpan<float> Input(int t) => (X ?? TokenInput).AsSpan(t * B * In, B * In);

    /// <summary><c>h_{t-1}</c> <c>(B, H)</c>: the initial state for <c>t = 0</c>.</summary>
    public ReadOnlySpan<float> HPrev(int t) => t == 0 ? H0 : Y.AsSpan((t - 1) * B * H, B * H);

    /// <summary><c>c_{t-1}</c> <c>(B, H)</c>: the initial cell state for <c>t = 0</c>.</summary>
    public ReadOnlySpan<float> CPrev(int t) => t == 0 ? C0 : C.AsSpan((t - 1) * B * H, B * H);

    /// <summary>The layer's output <c>(T, B, H)</c>: the highway's <c>g ⊙ h + (1 - g) ⊙ x</c> when it has one, else <c>h</c> (<see cref="Y"/>).</summary>
    internal float[] Output => Highway?.Out ?? Y;

    /// <summary>What the next layer reads: the dropped-out output in training, else the output.</summary>
    internal float[] NextInput => Dropped is not null && Mask is not null ? Dropped : Output;

    internal void Allocate(int T, int B, bool dropout)
    {
        this.T = T; this.B = B;
        int n = T * B, GH = Cell.Gates * H, wide = Math.Max(Cell.Gates, Cell.RecurrentGates) * H;
        A = Buffers.Ensure(A, n * GH);
        DA = Buffers.Ensure(DA, n * GH);
        Y = Buffers.Ensure(Y, n * H);
        H0 = Buffers.Ensure(H0, B * H);
        DhCarry = Buffers.Ensure(DhCarry, B * H);
        Dx = Buffers.Ensure(Dx, n * In);
        Scratch = Buffers.Ensure(Scratch, B * wide);
        BiasFold = Buffers.Ensure(BiasFold, GH);
        if (Cell.RequiresInputEqualsHidden) DInput = Buffers.Ensure(DInput, n * In);
        if (Cell.HasCellState)
        {
            C = Buffers.Ensure(C, n * H);
            C0 = Buffers.Ensure(C0, B * H);
            DcCarry = Buffers.Ensure(DcCarry, B * H);
        }
        _own?.Allocate(T, B, H);
        Highway?.Allocate(n);
        if (dropout)
        {
            Mask = Buffers.Ensure(Mask, n * H);
            Dropped = Buffers.Ensure(Dropped, n * H);
        }
        else { Mask = null; Dropped = null; }
    }

    /// <summary>Adds the upstream <c>dL/dy_t</c> to the carried <c>dL/dh</c> for rows <c>[b0, b1)</c> (a step's first backward phase).</summary>
    public void AddUpstream(int t, int b0, int b1)
    {
        if (Dy is null) return;
        var dh = DhCarry.AsSpan(b0 * H, (b1 - b0) * H);
        System.Numerics.Tensors.TensorPrimitives.Add(dh, Dy.AsSpan((t * B + b0) * H, (b1 - b0) * H), dh);
    }

    /// <summary><c>dW[0:rows] += dA[:, 0:rows]^T [h_{-1}; y_0..y_{T-2}]</c> for a <c>(rows, H)</c> block of <c>dW_hh</c>.</summary>
    public void AccumulateHiddenGrad(ReadOnlySpan<float> dA, int ld, int rows, Span<float> dW)
    {
        Gemm.Sgemm(true, false, rows, H, B, 1f, dA, ld, H0, H, 1f, dW, H, Threads);
        if (T > 1)
            Gemm.Sgemm(true, false, rows, H, (T - 1) * B, 1f, dA.Slice(B * ld), ld, Y, H, 1f, dW, H, Threads);
    }

    /// <summary>
    /// Runs the cell's elementwise rows of step <paramref name="t"/>, split across the kernel worker pool
    /// when there are several threads and enough work. Rows are independent, so the split changes no result.
    /// </summary>
    public void RunRows(int t, int phase, bool forward)
    {
        int parts = Math.Min(Threads <= 0 ? Environment.ProcessorCount : Threads, B);
        if (parts > 1 && (long)B * H * Cell.Gates >= 8192)
        {
            _job.Set(t, phase, forward, parts);
            GemmWorkerPool.Shared.Run(parts, _job);
        }
        else if (forward) Cell.ForwardRows(this, t, phase, 0, B);
        else Cell.BackwardRows(this, t, phase, 0, B);
    }

    private readonly RowsJob _job;

    private sealed class RowsJob(LayerRun owner) : IParallelPart
    {
        private int _t, _phase, _parts;
        private bool _forward;

        public void Set(int t, int phase, bool forward, int parts) => (_t, _phase, _forward, _parts) = (t, phase, forward, parts);

        public void Execute(int part)
        {
            int b0 = (int)((long)owner.B * part / _parts), b1 = (int)((long)owner.B * (part + 1) / _parts);
            if (_forward) owner.Cell.ForwardRows(owner, _t, _phase, b0, b1);
            else owner.Cell.BackwardRows(owner, _t, _phase, b0, b1);
        }
    }
}
