using Recur.Nn;
using Recur.Nn.Blocks;

namespace Recur.Models;

/// <summary>
/// A character-level language model (char-rnn): token ids → embedding (or one-hot) → a stack of
/// recurrent layers → linear head over the vocabulary → softmax cross-entropy.
/// Parameter names match a PyTorch module with attributes <c>embedding</c> (<c>nn.Embedding</c>),
/// <c>rnn</c> (<c>nn.LSTM</c>/<c>nn.GRU</c>/<c>nn.RNN</c>) and <c>head</c> (<c>nn.Linear</c>),
/// so <c>load_state_dict</c> takes the weights unchanged.
/// <para>
/// With a sequence block as <see cref="CharModelConfig.Cell"/> (<see cref="CharModelConfig.IsBlockModel"/>: the modern
/// recurrences and the Transformer) the body is a <see cref="BlockStack"/> instead: embedding (width <c>D</c> = hidden)
/// → <c>L</c> pre-norm residual blocks (<c>blocks.{l}.*</c>) → layer norm (<c>norm</c>) → dropout → head.
/// </para>
/// <para>
/// Training is truncated BPTT: <see cref="TrainStep"/> consumes a chunk of <c>T</c> steps for
/// <c>B</c> parallel streams, carries the final hidden state into the next chunk (no gradient
/// across the edge) and leaves the gradients in <see cref="Store"/>. Token arrays are time-major <c>(T, B)</c>.
/// </para>
/// </summary>
public sealed class CharModel
{
    private readonly Embedding? _embedding;
    private readonly Recurrent? _rnn;
    private readonly BlockStack? _blocks;
    private readonly Linear _head;
    private readonly Dropout _headDropout;
    private Tensor? _h, _c;           // carried state (L, B, H)
    private Tensor? _x;               // recurrent input (T, B, E or V)
    private Tensor? _dropped;         // dropped top output (T*B, H)
    private Tensor? _dlogits, _dTop;
    private int _stateBatch;
    private bool _tokens;             // the last forward used the token-input path

    /// <summary>Builds the model with zero weights; call <see cref="Reset"/> to initialise.</summary>
    public CharModel(CharModelConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Config = config;
        Store = new ParameterStore();
        int inputWidth = config.Embed > 0 ? config.Embed : config.VocabSize;
        if (config.Embed > 0) _embedding = new Embedding(Store, "embedding", config.VocabSize, config.Embed);
        if (config.IsBlockModel)
            _blocks = new BlockStack(Store, "blocks", "norm", config.Cell, config.Hidden, config.Layers, config.BlockOptions);
        else
            _rnn = new Recurrent(Store, "rnn", config.RecurrentCell, inputWidth, config.Hidden, config.Layers, dropout: config.Dropout, highway: config.Highway)
            {
                WeightDrop = config.WeightDrop,
            };
        _head = new Linear(Store, "head", config.Hidden, config.VocabSize);
        _headDropout = new Dropout(config.Dropout);
    }

    public CharModelConfig Config { get; }

    /// <summary>All parameters and gradients.</summary>
    public ParameterStore Store { get; }

    /// <summary>The recurrent stack; a block model has none (analyses of cells refuse it with this message).</summary>
    public Recurrent Rnn => _rnn ?? throw new InvalidOperationException($"a {Config.Cell} model is a stack of sequence blocks, not of recurrent cells.");

    /// <summary>The block stack of a block model, else null.</summary>
    public BlockStack? Blocks => _blocks;

    /// <summary>The embedding, or null for one-hot input.</summary>
    public Embedding? EmbeddingLayer => _embedding;

    /// <summary>The output layer.</summary>
    public Linear Head => _head;

    /// <summary>GEMM threads (results do not depend on it).</summary>
    public int Threads
    {
        get => _rnn?.Threads ?? _blocks!.Threads;
        set
        {
            if (_rnn is not null) _rnn.Threads = value;
            if (_blocks is not null) _blocks.Threads = value;
            _head.Threads = value;
        }
    }

    /// <summary>
    /// PyTorch's default initialisation (every recurrent weight and bias ~ U(-1/sqrt(H), 1/sqrt(H)), embedding
    /// N(0, 1), head U(-1/sqrt(H), 1/sqrt(H))). <paramref name="forgetBias"/> opts into torch-rnn's start for
    /// cells with a forget gate: the forget slices of <c>b_ih</c> and <c>b_hh</c> set to sum to it. Recur used
    /// 1 by default until the parity study (docs/PARITY.md) showed it learns measurably slower than PyTorch's draw.
    /// </summary>
    public void Reset(Rng rng, float? forgetBias = null)
    {
        _embedding?.Reset(rng);
        _rnn?.Reset(rng, forgetBias);
        _blocks?.Reset(rng);
        _head.Reset(rng);
        ResetState();
    }

    /// <summary>Forgets the carried hidden state (start of an epoch).</summary>
    public void ResetState() { _h = null; _c = null; _blocks?.ResetState(); }

    /// <summary>A copy of everything the model carries between chunks (recurrent states or block states).</summary>
    public CarriedState SaveCarried()
        => new(_h?.Clone(), _c?.Clone(), _blocks?.States?.Select(st =>
        {
            var c = new BlockState(st.Batch, [.. st.Buffers.Select(b => (b.Key, b.Value.Length))]);
            c.CopyFrom(st);
            return c;
        }).ToArray());

    /// <summary>Restores what <see cref="SaveCarried"/> returned.</summary>
    public void RestoreCarried(CarriedState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        SetState(state.H, state.C);
        _blocks?.SetStates(state.Blocks);
    }

    /// <summary>The carried hidden state <c>(L, B, H)</c>, or null (zeros); for checkpoints.</summary>
    public Tensor? HiddenState => _h;

    /// <summary>The carried LSTM cell state, or null.</summary>
    public Tensor? CellState => _c;

    /// <summary>Sets the carried state (from a checkpoint).</summary>
    public void SetState(Tensor? h, Tensor? c)
    {
        _h = h?.Clone();
        _c = c?.Clone();
        _stateBatch = h?.Shape[1] ?? 0;
    }

    /// <summary>
    /// One truncated-BPTT chunk: forward over <paramref name="inputs"/> <c>(T, B)</c>, mean
    /// cross-entropy against <paramref name="targets"/>, backward into the gradient arena
    /// (zeroed first). Returns the loss in nats per character.
    /// </summary>
    public double TrainStep(int[] inputs, int[] targets, int T, int B, Rng rng)
    {
        Store.ZeroGrad();
        var logits = Forward(inputs, T, B, training: true, rng);
        int n = T * B, V = Config.VocabSize, H = Config.Hidden;
        _dlogits = Buffers.Ensure(_dlogits, n, V);
        double loss = SoftmaxCrossEntropy.LossAndGradient<float>(logits.Data, n, V, targets, _dlogits.Data);
        // head backward: dW, db and d(dropped top)
        _dTop = Buffers.Ensure(_dTop, T, B, H);
        _head.Backward(_dropped!.Data, _dlogits.Data, n, _dTop.Data);
        _headDropout.Backward(_dTop.Data, _dTop.Data);
        if (_blocks is not null) _embedding!.Backward(inputs, _blocks.Backward(_dTop.Data));
        else if (_tokens) _rnn!.BackwardTokens(_dTop);
        else
        {
            var g = _rnn!.Backward(_dTop);
            _embedding?.Backward(inputs, g.DInput.Data);
        }
        return loss;
    }

    /// <summary>Forward only, mean cross-entropy; carries state like <see cref="TrainStep"/>.</summary>
    public double EvalStep(int[] inputs, int[] targets, int T, int B)
    {
        var logits = Forward(inputs, T, B, training: false, null);
        return SoftmaxCrossEntropy.Loss<float>(logits.Data, T * B, Config.VocabSize, targets);
    }

    /// <summary>
    /// Forward over <c>(T, B)</c> tokens from the carried state; returns logits <c>(T*B, V)</c>
    /// (owned by the model) and updates the carried state.
    /// </summary>
    public Tensor Forward(int[] inputs, int T, int B, bool training, Rng? rng)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        Guard.Positive(T, nameof(T));
        Guard.Positive(B, nameof(B));
        Guard.Length(inputs.Length, T * B, nameof(inputs));
        int H = Config.Hidden, V = Config.VocabSize;
        _dropped = Buffers.Ensure(_dropped, T, B, H);
        if (_blocks is not null)
        {
            var top = _blocks.Forward(_embedding!.Forward(inputs, T, B).Data, T, B, training, rng);
            _headDropout.Forward(top.AsSpan(0, T * B * H), _dropped.Data, training, rng);
            return _head.Forward(_dropped.Reshape(T * B, H));
        }
        var rnn = _rnn!;
        if (_h is not null && _stateBatch != B) ResetState();
        // A small vocabulary against T*B rows: project each token type once (Recurrent.ForwardTokens).
        _tokens = _embedding is not null && 2L * V <= (long)T * B;
        RecurrentOutput? o = null;
        if (_tokens)
        {
            o = rnn.ForwardTokens(inputs, T, B, _embedding!.Weight, _h, _c, training, rng);
        }
        else if (_embedding is not null)
        {
            _x = _embedding.Forward(inputs, T, B);
        }
        else
        {
            _x = Buffers.Ensure(_x, T, B, V);
            _x.Span.Clear();
            for (int i = 0; i < inputs.Length; i++)
            {
                int id = inputs[i];
                if ((uint)id >= (uint)V) throw new ArgumentOutOfRangeException(nameof(inputs), id, $"inputs[{i}] = {id} is outside the vocabulary [0, {V}).");
                _x.Data[i * V + id] = 1f;
            }
        }
        o ??= rnn.Forward(_x!, _h, _c, training, rng);
        _h = Keep(_h, o.HN);
        _c = o.CN is null ? null : Keep(_c, o.CN);
        _stateBatch = B;
        _headDropout.Forward(o.Output.Data, _dropped.Data, training, rng);
        return _head.Forward(_dropped.Reshape(T * B, H));
    }

    private static Tensor Keep(Tensor? dst, Tensor src)
    {
        dst = Buffers.Ensure(dst, src.Shape);
        src.Data.CopyTo(dst.Data);
        return dst;
    }

    /// <summary>Number of floating-point operations of one training step over <c>T*B</c> tokens (forward + backward, GEMMs only).</summary>
    public double TrainFlopsPerToken()
    {
        if (_blocks is not null) return 6.0 * (Store.Count - _embedding!.Weight.Length); // the usual 6N estimate: every weight once forward, twice backward
        int G = _rnn!.Gates, R = _rnn.Cell.RecurrentGates, H = Config.Hidden, V = Config.VocabSize;
        int inW = Config.Embed > 0 ? Config.Embed : V;
        double f = 0;
        for (int l = 0; l < Config.Layers; l++)
        {
            f += 2.0 * H * (G * (l == 0 ? inW : H) + R * H);
            if (_rnn.HighwayParameters(l) is not null) f += 2.0 * H * H;
        }
        f += 2.0 * H * V;
        return 3 * f; // forward, and backward's two products (data and weights)
    }
}

/// <summary>What a <see cref="CharModel"/> carries between chunks: recurrent states <c>(L, B, H)</c> or block states.</summary>
public sealed record CarriedState(Tensor? H, Tensor? C, BlockState[]? Blocks);
