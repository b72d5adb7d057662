using System.Numerics.Tensors;
using Recur.Nn;

namespace Recur.Models.Sentiment;

/// <summary>
/// Many-to-one sentiment classification (the lectures' taxonomy): word vectors (<c>embed</c>), a bidirectional LSTM
/// (<c>rnn</c>, packed to each review's own length), the outputs pooled over the review's steps (the largest value of each
/// feature, or their mean), and a linear layer (<c>head</c>) scoring negative and positive. The loss is the mean
/// cross-entropy over the reviews.
/// </summary>
public sealed class SentimentClassifier
{
    private readonly Embedding _embed;
    private readonly BiRecurrent _rnn;
    private readonly Linear _head;
    private readonly Dropout _dropIn, _dropOut;
    private Tensor? _xDropped, _pooled, _pooledDropped, _logits, _dPooled, _dOut;
    private int[] _argMax = [];                    // (B, 2H): the step each max-pooled feature came from

    public SentimentClassifier(SentimentConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Config = config;
        Store = new ParameterStore();
        _embed = new Embedding(Store, "embed", config.Words, config.Embed);
        _rnn = new BiRecurrent(Store, "rnn", "lstm", config.Embed, config.Hidden, config.Layers, dropout: config.Dropout);
        _head = new Linear(Store, "head", 2 * config.Hidden, SentimentConfig.Classes);
        _dropIn = new Dropout(config.Dropout);
        _dropOut = new Dropout(config.Dropout);
    }

    public SentimentConfig Config { get; }
    public ParameterStore Store { get; }

    /// <summary>Threads for the products.</summary>
    public int Threads
    {
        get => _head.Threads;
        set { _rnn.Threads = value; _head.Threads = value; }
    }

    /// <summary>PyTorch's default initialisation.</summary>
    public void Reset(Rng rng)
    {
        _embed.Reset(rng);
        _rnn.Reset(rng);
        _head.Reset(rng);
    }

    /// <summary>Class scores <c>(B, 2)</c> (owned by the model until the next call).</summary>
    public Tensor Forward(SentimentBatch batch, bool training = false, Rng? rng = null)
    {
        ArgumentNullException.ThrowIfNull(batch);
        int B = batch.Batch, T = batch.Steps, F = 2 * Config.Hidden;
        if (batch.Words.Length != T * B) throw new ArgumentException($"{batch.Words.Length} word ids for {B} reviews.");
        foreach (int n in batch.Lengths)
            if (n < 1 || n > T) throw new ArgumentException($"a review's length must be in [1, {T}], got {n}.");
        var x = _embed.Forward(batch.Words, T, B);                   // (T, B, E)
        _xDropped = Buffers.Ensure(_xDropped, T, B, Config.Embed);
        _dropIn.Forward(x.Span, _xDropped.Span, training, rng);
        var o = _rnn.Forward(_xDropped, training: training, rng: rng, lengths: batch.Lengths).Output.Data; // (T, B, 2H)
        _pooled = Buffers.Ensure(_pooled, B, F);                     // (B, 2H)
        if (_argMax.Length != B * F) _argMax = new int[B * F];
        var pooled = _pooled.Data;
        for (int b = 0; b < B; b++)
        {
            var row = pooled.AsSpan(b * F, F);
            o.AsSpan(b * F, F).CopyTo(row);
            _argMax.AsSpan(b * F, F).Clear();
            for (int t = 1; t < batch.Lengths[b]; t++)
            {
                var step = o.AsSpan((t * B + b) * F, F);
                if (Config.Pooling == "mean") { TensorPrimitives.Add(row, step, row); continue; }
                for (int j = 0; j < F; j++)
                    if (step[j] > row[j]) { row[j] = step[j]; _argMax[b * F + j] = t; }
            }
            if (Config.Pooling == "mean") TensorPrimitives.Multiply(row, 1f / batch.Lengths[b], row);
        }
        _pooledDropped = Buffers.Ensure(_pooledDropped, B, F);
        _dropOut.Forward(_pooled.Span, _pooledDropped.Span, training, rng);
        _logits = Buffers.Ensure(_logits, B, SentimentConfig.Classes);
        _head.Forward(_pooledDropped.Data, B, _logits.Data);
        return _logits;
    }

    /// <summary>Zeroes the gradients, runs forward and backward on <paramref name="batch"/> (its labels), returns the mean cross-entropy per review.</summary>
    public double TrainStep(SentimentBatch batch, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.Labels is null) throw new ArgumentException("a training batch needs labels.");
        Store.ZeroGrad();
        var logits = Forward(batch, training: true, rng);
        int B = batch.Batch, T = batch.Steps, F = 2 * Config.Hidden;
        double loss = SoftmaxCrossEntropy.LossAndGradient<float>(logits.Data, B, SentimentConfig.Classes, batch.Labels, logits.Data);
        _dPooled = Buffers.Ensure(_dPooled, B, F);
        _head.Backward(_pooledDropped!.Data, logits.Data, B, _dPooled.Data);
        _dropOut.Backward(_dPooled.Span, _dPooled.Span);
        _dOut = Buffers.Ensure(_dOut, T, B, F);                      // (T, B, 2H): the pooling's gradient, 0 on padding
        _dOut.Span.Clear();
        var dOut = _dOut.Data;
        var dPooled = _dPooled.Data;
        for (int b = 0; b < B; b++)
        {
            if (Config.Pooling == "mean")
            {
                float scale = 1f / batch.Lengths[b];
                for (int t = 0; t < batch.Lengths[b]; t++)
                    TensorPrimitives.Multiply(dPooled.AsSpan(b * F, F), scale, dOut.AsSpan((t * B + b) * F, F));
                continue;
            }
            for (int j = 0; j < F; j++) dOut[(_argMax[b * F + j] * B + b) * F + j] = dPooled[b * F + j];
        }
        var dx = _rnn.Backward(_dOut).DInput;                        // (T, B, E)
        _dropIn.Backward(dx.Span, dx.Span);
        _embed.Backward(batch.Words, dx.Data);
        return loss;
    }

    /// <summary>The probability that each review of <paramref name="batch"/> is positive <c>(B)</c>.</summary>
    public float[] PositiveProbability(SentimentBatch batch)
    {
        var logits = Forward(batch).Data;                             // (B, 2)
        var p = new float[batch.Batch];
        for (int b = 0; b < p.Length; b++) p[b] = 1f / (1f + MathF.Exp(logits[2 * b] - logits[2 * b + 1]));
        return p;
    }
}
