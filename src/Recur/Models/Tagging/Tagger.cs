using Recur.Nn;

namespace Recur.Models.Tagging;

/// <summary>A batch of sentences as ids: word ids <c>(T, B)</c> time-major (0 on padding), each sentence's length, and each token's character ids.</summary>
/// <param name="Words">Word ids, time-major <c>(T, B)</c>.</param>
/// <param name="Lengths">Tokens of each sentence <c>(B)</c>, at least 1.</param>
/// <param name="Chars">Per real token, in time-major order (step by step, sentence by sentence), its character ids.</param>
/// <param name="Targets">Tag ids <c>(T, B)</c>, the ignore index on padding (null when decoding).</param>
public sealed record TagBatch(int[] Words, int[] Lengths, IReadOnlyList<int[]> Chars, int[]? Targets)
{
    /// <summary>Sentences <c>B</c>.</summary>
    public int Batch => Lengths.Length;

    /// <summary>Steps <c>T</c> (the longest sentence).</summary>
    public int Steps => Words.Length / Math.Max(1, Lengths.Length);
}

/// <summary>
/// Many-to-many tagging (the lectures' taxonomy): each token is its word vector (<c>word_embed</c>) joined to a vector
/// made by a character BiLSTM over its letters (<c>char_embed</c>, <c>char_rnn</c>; the final states of both directions,
/// so that a word never seen in training still gets a vector from its spelling), a bidirectional LSTM (<c>rnn</c>) reads
/// the sentence, and a linear layer (<c>head</c>) scores the tags at every step. Both BiLSTMs run packed: each word's
/// characters and each sentence's tokens to their own length. The loss is the mean cross-entropy over the real tokens.
/// </summary>
public sealed class Tagger
{
    private readonly Embedding _word, _char;
    private readonly BiRecurrent _charRnn, _rnn;
    private readonly Linear _head;
    private readonly Dropout _dropIn, _dropOut;
    private int[] _tokenRow = [];                  // each real token's row in (T*B)
    private Tensor? _charX, _x, _xDropped, _outDropped, _logits, _dOut;
    private int[] _charIds = [], _charLens = [];

    public Tagger(TaggerConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Config = config;
        Store = new ParameterStore();
        _word = new Embedding(Store, "word_embed", config.Words, config.WordEmbed);
        _char = new Embedding(Store, "char_embed", config.Chars, config.CharEmbed);
        _charRnn = new BiRecurrent(Store, "char_rnn", "lstm", config.CharEmbed, config.CharHidden);
        _rnn = new BiRecurrent(Store, "rnn", "lstm", InputWidth, config.Hidden, config.Layers, dropout: config.Dropout);
        _head = new Linear(Store, "head", 2 * config.Hidden, config.Tags);
        _dropIn = new Dropout(config.Dropout);
        _dropOut = new Dropout(config.Dropout);
    }

    public TaggerConfig Config { get; }
    public ParameterStore Store { get; }

    /// <summary>Width of a token's vector: word vector and character vector.</summary>
    public int InputWidth => Config.WordEmbed + 2 * Config.CharHidden;

    /// <summary>Threads for the products.</summary>
    public int Threads
    {
        get => _head.Threads;
        set { _charRnn.Threads = value; _rnn.Threads = value; _head.Threads = value; }
    }

    /// <summary>PyTorch's default initialisation.</summary>
    public void Reset(Rng rng)
    {
        _word.Reset(rng);
        _char.Reset(rng);
        _charRnn.Reset(rng);
        _rnn.Reset(rng);
        _head.Reset(rng);
    }

    /// <summary>Tag scores <c>(T*B, K)</c> time-major, 0 rows on padding (owned by the model until the next call).</summary>
    public Tensor Forward(TagBatch batch, bool training = false, Rng? rng = null)
    {
        ArgumentNullException.ThrowIfNull(batch);
        int B = batch.Batch, T = batch.Steps, E = Config.WordEmbed, W = InputWidth, N = batch.Chars.Count;
        if (batch.Words.Length != T * B) throw new ArgumentException($"{batch.Words.Length} word ids for {B} sentences.");
        if (N != batch.Lengths.Sum()) throw new ArgumentException($"{N} character lists for {batch.Lengths.Sum()} tokens.");
        // Characters of every real token: (Tc, N) padded, packed by their lengths.
        int Tc = Math.Max(1, batch.Chars.Max(c => c.Length));
        if (_charIds.Length != Tc * N) _charIds = new int[Tc * N];
        Array.Clear(_charIds);
        if (_charLens.Length != N) _charLens = new int[N];
        for (int n = 0; n < N; n++)
        {
            var c = batch.Chars[n];
            if (c.Length == 0) throw new ArgumentException($"token {n} has no characters.");
            _charLens[n] = c.Length;
            for (int t = 0; t < c.Length; t++) _charIds[t * N + n] = c[t];
        }
        _charX = _char.Forward(_charIds, Tc, N);
        var charOut = _charRnn.Forward(_charX, training: training, rng: rng, lengths: _charLens);
        // Token vectors (T, B, W): [word vector ; forward final state ; reverse final state]; padding stays 0.
        _x = Buffers.Ensure(_x, T, B, W);
        _x.Span.Clear();
        if (_tokenRow.Length != N) _tokenRow = new int[N];
        int k = 0;
        var hn = charOut.HN.Data; // (2, N, Hc)
        int Hc = Config.CharHidden;
        for (int t = 0; t < T; t++)
            for (int b = 0; b < B; b++)
            {
                if (t >= batch.Lengths[b]) continue;
                int row = t * B + b;
                _tokenRow[k] = row;
                var dst = _x.Data.AsSpan(row * W, W);
                _word.Forward(batch.Words.AsSpan(row, 1), dst[..E]);
                hn.AsSpan(k * Hc, Hc).CopyTo(dst.Slice(E, Hc));
                hn.AsSpan((N + k) * Hc, Hc).CopyTo(dst.Slice(E + Hc, Hc));
                k++;
            }
        _xDropped = Buffers.Ensure(_xDropped, T, B, W);
        _dropIn.Forward(_x.Span, _xDropped.Span, training, rng);
        var o = _rnn.Forward(_xDropped, training: training, rng: rng, lengths: batch.Lengths);
        _outDropped = Buffers.Ensure(_outDropped, T, B, 2 * Config.Hidden);
        _dropOut.Forward(o.Output.Span, _outDropped.Span, training, rng);
        _logits = Buffers.Ensure(_logits, T * B, Config.Tags);
        _head.Forward(_outDropped.Data, T * B, _logits.Data);
        return _logits;
    }

    /// <summary>Zeroes the gradients, runs forward and backward on <paramref name="batch"/> (its targets), returns the mean cross-entropy per token.</summary>
    public double TrainStep(TagBatch batch, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.Targets is null) throw new ArgumentException("a training batch needs targets.");
        Store.ZeroGrad();
        var logits = Forward(batch, training: true, rng);
        int B = batch.Batch, T = batch.Steps, E = Config.WordEmbed, W = InputWidth, Hc = Config.CharHidden, N = batch.Chars.Count;
        double loss = SoftmaxCrossEntropy.LossAndGradient<float>(logits.Data, T * B, Config.Tags, batch.Targets, logits.Data);
        _dOut = Buffers.Ensure(_dOut, T, B, 2 * Config.Hidden);
        _head.Backward(_outDropped!.Data, logits.Data, T * B, _dOut.Data);
        _dropOut.Backward(_dOut.Span, _dOut.Span);
        var dx = _rnn.Backward(_dOut).DInput; // (T, B, W)
        _dropIn.Backward(dx.Span, dx.Span);
        var dhn = new Tensor(2, N, Hc);
        for (int n = 0; n < N; n++)
        {
            var src = dx.Data.AsSpan(_tokenRow[n] * W, W);
            _word.Backward(batch.Words.AsSpan(_tokenRow[n], 1), src[..E]);
            src.Slice(E, Hc).CopyTo(dhn.Data.AsSpan(n * Hc, Hc));
            src.Slice(E + Hc, Hc).CopyTo(dhn.Data.AsSpan((N + n) * Hc, Hc));
        }
        var dChars = _charRnn.Backward(new Tensor(_charX!.Shape[0], N, 2 * Hc), dhn).DInput;
        _char.Backward(_charIds, dChars.Data);
        return loss;
    }

    /// <summary>The most probable tag of every real token, in time-major order (as <see cref="TagBatch.Chars"/>).</summary>
    public int[] Predict(TagBatch batch)
    {
        var logits = Forward(batch);
        int B = batch.Batch, T = batch.Steps, K = Config.Tags;
        var tags = new int[batch.Chars.Count];
        int k = 0;
        for (int t = 0; t < T; t++)
            for (int b = 0; b < B; b++)
                if (t < batch.Lengths[b]) tags[k++] = System.Numerics.Tensors.TensorPrimitives.IndexOfMax(logits.Data.AsSpan((t * B + b) * K, K));
        return tags;
    }
}
