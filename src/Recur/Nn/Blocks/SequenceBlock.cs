namespace Recur.Nn.Blocks;

/// <summary>
/// One residual block of a sequence model of width <c>D</c>, the unit the 2025 lecture's modern recurrences
/// (S5/LRU, Mamba, RWKV) and the Transformer baseline are stacked in: <c>y = x + f(x)</c>, each block with
/// its own normalisation (pre-norm), run over a time-major chunk <c>x (T, B, D)</c> in training and one
/// token at a time in sampling. A block is the unit the <see cref="Recurrent"/> cells are not: its state is
/// whatever the block carries (a diagonal SSM's state, a convolution's last inputs, RWKV's WKV numerator
/// and denominator, a Transformer's KV cache), not a hidden vector of width <c>D</c>.
/// <para>
/// Contract: the block registers its parameters in the model's arena under <see cref="Path"/> when built
/// (<see cref="BlockRegistry"/> builds them by name); <see cref="Forward"/> reads the carried state, runs
/// the chunk (through a scan, a convolution or attention: whatever is fastest for training) and advances
/// the state to the chunk's end; <see cref="Backward"/> accumulates every parameter's gradient and returns
/// <c>dL/dx</c>; the gradient stops at the chunk's start (truncated BPTT). <see cref="Step"/> is the O(1)
/// (or, for the Transformer, O(context)) per-token form and must compute the same function as
/// <see cref="Forward"/> (tested for every registered block).
/// </para>
/// </summary>
public abstract class SequenceBlock : IModule
{
    /// <summary>A block of width <paramref name="width"/> whose parameters live under <paramref name="path"/>.</summary>
    protected SequenceBlock(string path, int width)
    {
        Guard.Positive(width, nameof(width));
        Path = path;
        Width = width;
    }

    /// <inheritdoc/>
    public string Path { get; }

    /// <summary>Model width <c>D</c>: the block maps <c>(T, B, D)</c> to <c>(T, B, D)</c>.</summary>
    public int Width { get; }

    /// <inheritdoc/>
    public bool Training { get; set; }

    /// <summary>Threads for the block's products (results must not depend on it).</summary>
    public int Threads { get; set; } = 1;

    /// <inheritdoc/>
    public abstract IReadOnlyList<Parameter> Parameters { get; }

    /// <summary>The registry name (<c>--model</c>).</summary>
    public abstract string Kind { get; }

    /// <summary>The paper's initialisation of every parameter, drawn from <paramref name="rng"/>.</summary>
    public abstract void Reset(Rng rng);

    /// <summary>
    /// Runs the block over <paramref name="x"/> <c>(T, B, D)</c> time-major from <paramref name="state"/> (null: the
    /// zero state, which is then not advanced) and advances the state to the end of the chunk. Returns
    /// <c>y (T, B, D)</c>, owned by the block and valid until its next forward. In training, dropout (where the
    /// block has any) draws from <paramref name="rng"/>.
    /// </summary>
    public abstract float[] Forward(float[] x, int T, int B, BlockState? state, bool training, Rng? rng);

    /// <summary>
    /// Backward through the last <see cref="Forward"/>: <paramref name="dy"/> <c>(T, B, D)</c>; accumulates (+=) the
    /// parameters' gradients and returns <c>dL/dx (T, B, D)</c>, owned by the block.
    /// </summary>
    public abstract float[] Backward(float[] dy);

    /// <summary>The zero state for <paramref name="batch"/> rows.</summary>
    public abstract BlockState NewState(int batch);

    /// <summary>
    /// One token for every row: <paramref name="x"/> <c>(B, D)</c> to <paramref name="y"/> <c>(B, D)</c>, advancing
    /// <paramref name="state"/>.
    /// </summary>
    public abstract void Step(ReadOnlySpan<float> x, Span<float> y, BlockState state);

    /// <inheritdoc/>
    public override string ToString() => $"{Kind}({Width}) at {Path}";
}

/// <summary>
/// What a block carries from one chunk (or token) to the next, for <see cref="Batch"/> rows: named float
/// buffers (saved in checkpoints for exact resume) and a position counter (tokens seen, for blocks whose
/// step depends on it, such as the Transformer's learned positions).
/// </summary>
public sealed class BlockState
{
    private readonly Dictionary<string, float[]> _buffers = new(StringComparer.Ordinal);

    /// <summary>A state for <paramref name="batch"/> rows with the named buffers, zeroed.</summary>
    public BlockState(int batch, params (string Name, int Length)[] buffers)
    {
        Guard.Positive(batch, nameof(batch));
        Batch = batch;
        foreach (var (name, length) in buffers) _buffers.Add(name, new float[length]);
    }

    /// <summary>Rows.</summary>
    public int Batch { get; }

    /// <summary>Tokens seen since the last <see cref="Clear"/> (per row; all rows advance together).</summary>
    public int Position { get; set; }

    /// <summary>The buffer named <paramref name="name"/>.</summary>
    public float[] this[string name] => _buffers.TryGetValue(name, out var b) ? b
        : throw new KeyNotFoundException($"block state has no buffer '{name}' (has: {string.Join(", ", _buffers.Keys)}).");

    /// <summary>Every buffer by name, in creation order.</summary>
    public IReadOnlyDictionary<string, float[]> Buffers => _buffers;

    /// <summary>Bytes the state holds (what sampling keeps per stream).</summary>
    public long Bytes => _buffers.Values.Sum(b => 4L * b.Length);

    /// <summary>Zeroes every buffer and the position.</summary>
    public void Clear()
    {
        foreach (var b in _buffers.Values) Array.Clear(b);
        Position = 0;
    }

    /// <summary>Copies <paramref name="other"/> (same layout) into this state.</summary>
    public void CopyFrom(BlockState other)
    {
        ArgumentNullException.ThrowIfNull(other);
        foreach (var (name, b) in _buffers) other[name].AsSpan(0, b.Length).CopyTo(b);
        Position = other.Position;
    }
}
