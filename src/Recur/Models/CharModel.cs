using System.Numerics.Tensors;
using System.Text.Json.Serialization;
using Recur.Nn;
using Recur.Nn.Cells;

namespace Recur.Models;

/// <summary>Architecture of a <see cref="CharModel"/>; stored in a run's <c>config.json</c>.</summary>
public sealed record CharModelConfig
{
    /// <summary>A cell name of <see cref="CellRegistry"/> ("lstm", "gru", "gru-cho", "rnn", ...); "rnn" takes <see cref="Nonlinearity"/>.</summary>
    public string Cell { get; init; } = "lstm";

    /// <summary>For "rnn": "tanh" or "relu".</summary>
    public string Nonlinearity { get; init; } = "tanh";

    /// <summary>Vocabulary size V.</summary>
    public int VocabSize { get; init; }

    /// <summary>Embedding width E; 0 feeds one-hot vectors of width V (min-char-rnn).</summary>
    public int Embed { get; init; } = 64;

    /// <summary>Hidden width H of every recurrent layer.</summary>
    public int Hidden { get; init; } = 256;

    /// <summary>Number of stacked recurrent layers L.</summary>
    public int Layers { get; init; } = 2;

    /// <summary>Dropout between recurrent layers and before the output layer (char-rnn's placement).</summary>
    public float Dropout { get; init; }

    /// <summary>DropConnect on every layer's recurrent weights in training (<see cref="Recurrent.WeightDrop"/>); 0 = off.</summary>
    public float WeightDrop { get; init; }

    /// <summary>
    /// Highway connections between stacked layers (<see cref="Recurrent.Highway"/>): every layer whose input is
    /// <see cref="Hidden"/> wide (layers after the first, and the first when the embedding, or the one-hot
    /// input, is as wide) passes on <c>g ⊙ h + (1 - g) ⊙ x</c>, <c>g = σ(W_g x + b_g)</c>. Off by default.
    /// </summary>
    public bool Highway { get; init; }

    /// <summary>
    /// The cell this configuration names (<see cref="CellRegistry"/>); <c>"rnn"</c> with nonlinearity
    /// <c>"relu"</c> is the ReLU RNN. Throws with the accepted names otherwise.
    /// </summary>
    [JsonIgnore]
    public RecurrentCell RecurrentCell => Cell switch
    {
        "rnn" => Nonlinearity switch
        {
            "tanh" => CellRegistry.RnnTanh,
            "relu" => CellRegistry.RnnRelu,
            _ => throw new ArgumentException($"nonlinearity must be tanh or relu, got '{Nonlinearity}'."),
        },
        _ => CellRegistry.Find(Cell) ?? throw new ArgumentException($"model must be one of {CellRegistry.NamesText}, got '{Cell}'."),
    };

    /// <summary>Checks every field; the message names the field, the value and the accepted range.</summary>
    public void Validate()
    {
        var cell = RecurrentCell;
        if (VocabSize < 1) throw new ArgumentException($"vocabulary size must be at least 1, got {VocabSize}.");
        if (Embed < 0) throw new ArgumentException($"embed must be 0 (one-hot) or positive, got {Embed}.");
        if (Hidden < 1) throw new ArgumentException($"hidden must be positive, got {Hidden}.");
        if (cell.RequiresInputEqualsHidden && (Embed > 0 ? Embed : VocabSize) != Hidden)
            throw new ArgumentException(Embed > 0
                ? $"the {Cell} cell adds its input to the hidden state, so embed must equal hidden {Hidden}, got embed {Embed}."
                : $"the {Cell} cell adds its input to the hidden state, so one-hot input (width = vocabulary size {VocabSize}) needs hidden {VocabSize}, got hidden {Hidden}; or use embed = hidden.");
        if (Layers < 1) throw new ArgumentException($"layers must be positive, got {Layers}.");
        if (!(Dropout >= 0f && Dropout < 1f)) throw new ArgumentException($"dropout must be in [0, 1), got {Dropout}.");
        if (!(WeightDrop >= 0f && WeightDrop < 1f)) throw new ArgumentException($"weight drop must be in [0, 1), got {WeightDrop}.");
        if (Highway && Layers == 1 && (Embed > 0 ? Embed : VocabSize) != Hidden)
            throw new ArgumentException($"highway connects a layer's input to its output, so it needs a layer whose input is as wide as hidden {Hidden}: use 2 or more layers, or embed = hidden (one layer with input width {(Embed > 0 ? Embed : VocabSize)} has none).");
    }
}

/// <summary>
/// A character-level language model (char-rnn): token ids → embedding (or one-hot) → a stack of
/// recurrent layers → linear head over the vocabulary → softmax cross-entropy.
/// Parameter names match a PyTorch module with attributes <c>embedding</c> (<c>nn.Embedding</c>),
/// <c>rnn</c> (<c>nn.LSTM</c>/<c>nn.GRU</c>/<c>nn.RNN</c>) and <c>head</c> (<c>nn.Linear</c>),
/// so <c>load_state_dict</c> takes the weights unchanged.
/// <para>
/// Training is truncated BPTT: <see cref="TrainStep"/> consumes a chunk of <c>T</c> steps for
/// <c>B</c> parallel streams, carries the final hidden state into the next chunk (no gradient
/// across the edge) and leaves the gradients in <see cref="Store"/>. Token arrays are time-major <c>(T, B)</c>.
/// </para>
/// </summary>
public sealed class CharModel
{
    private readonly Embedding? _embedding;
    private readonly Recurrent _rnn;
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

    /// <summary>The recurrent stack.</summary>
    public Recurrent Rnn => _rnn;

    /// <summary>The embedding, or null for one-hot input.</summary>
    public Embedding? EmbeddingLayer => _embedding;

    /// <summary>The output layer.</summary>
    public Linear Head => _head;

    /// <summary>GEMM threads (results do not depend on it).</summary>
    public int Threads
    {
        get => _rnn.Threads;
        set { _rnn.Threads = value; _head.Threads = value; }
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
        _rnn.Reset(rng, forgetBias);
        _head.Reset(rng);
        ResetState();
    }

    /// <summary>Forgets the carried hidden state (start of an epoch).</summary>
    public void ResetState() { _h = null; _c = null; }

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
        if (_tokens) _rnn.BackwardTokens(_dTop);
        else
        {
            var g = _rnn.Backward(_dTop);
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
        int H = Config.Hidden, L = Config.Layers, V = Config.VocabSize;
        if (_h is not null && _stateBatch != B) ResetState();
        // A small vocabulary against T*B rows: project each token type once (Recurrent.ForwardTokens).
        _tokens = _embedding is not null && 2L * V <= (long)T * B;
        RecurrentOutput? o = null;
        if (_tokens)
        {
            o = _rnn.ForwardTokens(inputs, T, B, _embedding!.Weight, _h, _c, training, rng);
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
        o ??= _rnn.Forward(_x!, _h, _c, training, rng);
        _h = Keep(_h, o.HN);
        _c = o.CN is null ? null : Keep(_c, o.CN);
        _stateBatch = B;
        _dropped = Buffers.Ensure(_dropped, T, B, H);
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
        int G = _rnn.Gates, R = _rnn.Cell.RecurrentGates, H = Config.Hidden, V = Config.VocabSize;
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
