namespace Recur.Nn.Blocks;

/// <summary>
/// <c>L</c> sequence blocks of one kind and width <c>D</c>, applied in order, with the final layer norm of a
/// pre-norm stack (GPT's <c>ln_f</c>): <c>y = LN(block_{L-1}(... block_0(x)))</c>. Parameters are
/// <c>{prefix}.{l}.*</c> for the blocks and <c>norm.weight</c>, <c>norm.bias</c>. Carries every block's state
/// from one chunk to the next (truncated BPTT) while the batch size stays the same.
/// </summary>
public sealed class BlockStack : IModule
{
    private readonly SequenceBlock[] _blocks;
    private readonly LayerNorm _norm;
    private BlockState[]? _states;
    private float[]? _y, _dNorm;
    private int _t, _b;

    /// <summary>Builds <paramref name="layers"/> blocks named <paramref name="kind"/> (<see cref="BlockRegistry"/>).</summary>
    public BlockStack(ParameterStore store, string prefix, string normPath, string kind, int width, int layers, BlockOptions options)
    {
        ArgumentNullException.ThrowIfNull(store);
        Guard.Positive(layers, nameof(layers));
        Path = prefix;
        Kind = kind;
        Width = width;
        _blocks = new SequenceBlock[layers];
        for (int l = 0; l < layers; l++)
        {
            string path = Naming.Join(prefix, l.ToString(System.Globalization.CultureInfo.InvariantCulture));
            _blocks[l] = BlockRegistry.Create(kind, store, path, width, options);
        }
        _norm = new LayerNorm(store, normPath, width);
    }

    /// <inheritdoc/>
    public string Path { get; }

    /// <summary>The blocks' registry name.</summary>
    public string Kind { get; }

    /// <summary>Width <c>D</c>.</summary>
    public int Width { get; }

    /// <summary>The blocks, bottom first.</summary>
    public IReadOnlyList<SequenceBlock> Blocks => _blocks;

    /// <summary>The final layer norm.</summary>
    public LayerNorm Norm => _norm;

    /// <inheritdoc/>
    public IReadOnlyList<Parameter> Parameters => [.. _blocks.SelectMany(b => b.Parameters), .. _norm.Parameters];

    /// <inheritdoc/>
    public bool Training { get; set; }

    /// <summary>Threads of every block (results do not depend on it).</summary>
    public int Threads
    {
        get => _blocks[0].Threads;
        set { foreach (var b in _blocks) b.Threads = value; }
    }

    /// <summary>Each block's initialisation; the final norm starts at gain 1, shift 0.</summary>
    public void Reset(Rng rng)
    {
        foreach (var b in _blocks) b.Reset(rng);
        _norm.Reset();
        ResetState();
    }

    /// <summary>The carried states (one per block), or null (zero state).</summary>
    public IReadOnlyList<BlockState>? States => _states;

    /// <summary>Forgets the carried states.</summary>
    public void ResetState() => _states = null;

    /// <summary>Sets the carried states (copies; a checkpoint's or an evaluation's saved ones); null forgets them.</summary>
    public void SetStates(IReadOnlyList<BlockState>? states)
    {
        if (states is null) { _states = null; return; }
        if (states.Count != _blocks.Length) throw new ArgumentException($"{states.Count} states for {_blocks.Length} blocks.", nameof(states));
        _states = new BlockState[_blocks.Length];
        for (int l = 0; l < _blocks.Length; l++)
        {
            _states[l] = _blocks[l].NewState(states[l].Batch);
            _states[l].CopyFrom(states[l]);
        }
    }

    /// <summary>Fresh zero states for <paramref name="batch"/> rows, one per block.</summary>
    public BlockState[] NewStates(int batch) => _blocks.Select(b => b.NewState(batch)).ToArray();

    /// <summary>
    /// Runs the stack over <paramref name="x"/> <c>(T, B, D)</c> from the carried states (new ones when the
    /// batch size changed) and carries the states on; returns the normalised top output <c>(T, B, D)</c> (owned).
    /// </summary>
    public float[] Forward(float[] x, int T, int B, bool training, Rng? rng)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (_states is null || _states[0].Batch != B) _states = NewStates(B);
        _t = T; _b = B;
        var h = x;
        for (int l = 0; l < _blocks.Length; l++) h = _blocks[l].Forward(h, T, B, _states[l], training, rng);
        _y = Buffers.Ensure(_y, T * B * Width);
        _norm.Forward(h.AsSpan(0, T * B * Width), T * B, _y);
        return _y;
    }

    /// <summary>Backward through the last forward: <paramref name="dy"/> <c>(T, B, D)</c>; returns <c>dL/dx</c> (owned by the bottom block).</summary>
    public float[] Backward(ReadOnlySpan<float> dy)
    {
        int n = _t * _b;
        _dNorm = Buffers.Ensure(_dNorm, n * Width);
        _norm.Backward(dy[..(n * Width)], n, _dNorm);
        var d = _dNorm;
        for (int l = _blocks.Length - 1; l >= 0; l--) d = _blocks[l].Backward(d);
        return d;
    }
}
