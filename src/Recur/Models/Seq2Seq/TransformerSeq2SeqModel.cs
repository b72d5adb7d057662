using System.Numerics.Tensors;
using Recur.Kernels;
using Recur.Models.Decoding;
using Recur.Nn;
using Recur.Nn.Transformer;

namespace Recur.Models.Seq2Seq;

/// <summary>
/// The Transformer encoder-decoder (Vaswani et al. 2017), pre-norm as modern practice trains it (Wang et al. 2019;
/// <c>nn.Transformer(norm_first=True)</c>), with PyTorch's parameter names so weights move between the two:
/// <code>
/// x_src = Dropout(src_embed[ids] · √D + PE)                     PE: fixed sinusoids (SinusoidalPositions)
/// memory = encoder.norm(EncoderLayer_N(... EncoderLayer_1(x_src)))   self-attention masked to each source's length
/// x_tgt = Dropout(tgt_embed[y_&lt;t] · √D + PE)
/// z = decoder.norm(DecoderLayer_N(... DecoderLayer_1(x_tgt, memory)))  causal self-attention, cross-attention to memory
/// logits = z W^T + head.bias                                    W = head.weight, or tgt_embed.weight when tied
/// </code>
/// (<see cref="TransformerEncoderLayer"/>, <see cref="TransformerDecoderLayer"/>). Trained by teacher forcing on the
/// mean cross-entropy per output symbol, label-smoothed with <see cref="TransformerSeq2SeqConfig.LabelSmoothing"/>; dropout
/// is the paper's (on the embedding sums and on each sub-layer's output). Backward is written by hand, layer by layer in
/// reverse; the memory's gradient gathers the cross-attention of every decoder layer. Rows are batch-major inside:
/// <c>(B·Ts, D)</c> for the source, <c>(B·T, D)</c> for the target. <see cref="Begin"/> decodes step by step with the
/// past keys and values cached (<see cref="DecoderLayerCache"/>); its attention is the last decoder layer's cross-attention
/// averaged over the heads.
/// </summary>
public sealed partial class TransformerSeq2SeqModel : ISeq2SeqModel
{
    private readonly Embedding _src, _tgt;
    private readonly TransformerEncoderLayer[] _encoder;
    private readonly TransformerDecoderLayer[] _decoder;
    private readonly LayerNorm _encoderNorm, _decoderNorm;
    private readonly Parameter _headWeight, _headBias;
    private readonly Dropout _dropSource, _dropTarget;
    private readonly float _embedScale;
    private float[] _positions = [];  // (P, D) sinusoids, grown on demand
    private int _b, _ts, _t, _threads = 1;
    private int[] _sourceIds = [], _sourceLengths = [], _inputs = [], _targets = [], _stepInputs = [], _stepTargets = []; // (B·Ts), (B), (B·T) x2, (T·B) x2
    // Forward: source embeddings (B·Ts, D), memory (B·Ts, D), target embeddings (B·T, D), decoder output z (B·T, D), logits (B·T, V).
    private float[] _xs = [], _memory = [], _xt = [], _z = [], _logits = [];
    // Backward: dz (B·T, D), the target embeddings' gradient (B·T, D), dmemory (B·Ts, D), the source embeddings' gradient (B·Ts, D).
    private float[] _dz = [], _dxt = [], _dMemory = [], _dxs = [];
    private float[] _attention = [];  // (B, Ts) one step's head-averaged cross-attention

    public TransformerSeq2SeqModel(TransformerSeq2SeqConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Config = config;
        Store = new ParameterStore();
        int D = config.DModel, H = config.Heads, F = config.FeedForward;
        _embedScale = MathF.Sqrt(D);
        _src = new Embedding(Store, "src_embed", config.SourceVocab, D);
        _tgt = new Embedding(Store, "tgt_embed", config.TargetVocab, D);
        _encoder = [.. Enumerable.Range(0, config.EncoderLayers)
            .Select(l => new TransformerEncoderLayer(Store, $"encoder.layers.{l}", D, H, F, config.Dropout))];
        _encoderNorm = new LayerNorm(Store, "encoder.norm", D);
        _decoder = [.. Enumerable.Range(0, config.DecoderLayers)
            .Select(l => new TransformerDecoderLayer(Store, $"decoder.layers.{l}", D, H, F, config.Dropout))];
        _decoderNorm = new LayerNorm(Store, "decoder.norm", D);
        _headWeight = config.TieEmbeddings ? _tgt.Weight : Store.Add("head.weight", config.TargetVocab, D);
        _headBias = Store.Add("head.bias", config.TargetVocab);
        _dropSource = new Dropout(config.Dropout);
        _dropTarget = new Dropout(config.Dropout);
        _positions = SinusoidalPositions.Table(Math.Max(config.MaxSource, config.MaxTarget + 2), D);
    }

    public TransformerSeq2SeqConfig Config { get; }
    public ParameterStore Store { get; }
    public int SourceVocab => Config.SourceVocab;
    public int TargetVocab => Config.TargetVocab;
    public int MaxTarget => Config.MaxTarget;
    public int MaxSource => Config.MaxSource;

    /// <summary>Always: every decoder layer attends over the input.</summary>
    public bool Attends => true;

    public int Threads
    {
        get => _threads;
        set
        {
            _threads = value;
            foreach (var l in _encoder) l.Threads = value;
            foreach (var l in _decoder) l.Threads = value;
        }
    }

    /// <summary>
    /// Embeddings N(0, 1/D) (so that √D times them is of unit size), Xavier-uniform projections (PyTorch's
    /// <c>nn.Transformer</c> initialisation), zero biases, unit norms.
    /// </summary>
    public void Reset(Rng rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        float std = 1f / _embedScale;
        foreach (var e in new[] { _src, _tgt })
        {
            var w = e.Weight.Value;
            for (int i = 0; i < w.Length; i++) w[i] = std * rng.NextGaussian();
        }
        foreach (var l in _encoder) l.Reset(rng);
        foreach (var l in _decoder) l.Reset(rng);
        _encoderNorm.Reset();
        _decoderNorm.Reset();
        if (!Config.TieEmbeddings)
        {
            float a = MathF.Sqrt(6f / (Config.DModel + Config.TargetVocab));
            rng.FillUniform(_headWeight.Value, -a, a);
        }
        _headBias.Value.Clear();
    }

    /// <summary>The sinusoids of positions <c>0..count-1</c>, <c>(count, D)</c>.</summary>
    private ReadOnlySpan<float> Positions(int count)
    {
        int D = Config.DModel;
        if (_positions.Length < count * D) _positions = SinusoidalPositions.Table(Math.Max(count, 2 * _positions.Length / D), D);
        return _positions.AsSpan(0, count * D);
    }

    /// <summary><c>x (B·T, D)</c>: row <c>b·T + t</c> is <c>E[ids[b·T + t]] · √D + PE[t0 + t]</c>.</summary>
    private void Embed(Embedding table, ReadOnlySpan<int> ids, int B, int T, int t0, Span<float> x)
    {
        int D = Config.DModel;
        var pe = Positions(t0 + T);
        table.Forward(ids[..(B * T)], x);
        for (int b = 0; b < B; b++)
            for (int t = 0; t < T; t++)
            {
                var row = x.Slice((b * T + t) * D, D);
                TensorPrimitives.MultiplyAdd(row, _embedScale, pe.Slice((t0 + t) * D, D), row);
            }
    }

    /// <summary>Encodes the batch's sources into the memory <c>(B·Ts, D)</c>.</summary>
    private void Encode(Seq2SeqBatch batch, bool training, Rng? rng)
    {
        ArgumentNullException.ThrowIfNull(batch);
        int B = batch.Batch, Ts = batch.SourceSteps, D = Config.DModel, N = B * Ts;
        if (batch.Source.Length != Ts * B) throw new ArgumentException($"{batch.Source.Length} source ids for {B} inputs.");
        if (Ts > Config.MaxSource) throw new ArgumentException($"an input of {Ts} symbols is longer than the {Config.MaxSource} this model reads.");
        for (int b = 0; b < B; b++)
            if (batch.SourceLengths[b] < 1 || batch.SourceLengths[b] > Ts)
                throw new ArgumentException($"input {b} has length {batch.SourceLengths[b]}; lengths must be in [1, {Ts}].");
        (_b, _ts) = (B, Ts);
        _sourceLengths = batch.SourceLengths;
        if (_sourceIds.Length < N) _sourceIds = new int[N];
        for (int t = 0; t < Ts; t++)
            for (int b = 0; b < B; b++) _sourceIds[b * Ts + t] = batch.Source[t * B + b];
        var xs = Capacity.Take(ref _xs, N * D);
        Embed(_src, _sourceIds, B, Ts, 0, xs);
        _dropSource.Forward(xs, xs, training, rng);
        ReadOnlySpan<float> h = xs;
        foreach (var layer in _encoder) h = layer.Forward(h, B, Ts, _sourceLengths, training, rng);
        _encoderNorm.Forward(h, N, Capacity.Take(ref _memory, N * D));
    }

    /// <summary>The head: <c>logits (n, V) = z W^T + b</c>.</summary>
    private void Head(ReadOnlySpan<float> z, int n, Span<float> logits)
    {
        int V = Config.TargetVocab, D = Config.DModel;
        for (int r = 0; r < n; r++) _headBias.Value.CopyTo(logits.Slice(r * V, V));
        Gemm.Sgemm(false, true, n, V, D, 1f, z, D, _headWeight.Value, D, 1f, logits, V, _threads);
    }

    /// <summary>Teacher-forced forward over the batch: logits <c>(B·T, V)</c> batch-major; returns <c>(T, B)</c>.</summary>
    private (int T, int B) Forward(Seq2SeqBatch batch, bool training, Rng? rng)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.Targets is null) throw new ArgumentException("teacher forcing needs targets.");
        int B = batch.Batch, W = Config.MaxTarget + 2, D = Config.DModel, V = Config.TargetVocab;
        int T = Captioning.CaptionSteps.Steps(batch.Targets, B, W), N = T * B;
        if (_stepInputs.Length < N) { _stepInputs = new int[N]; _stepTargets = new int[N]; _inputs = new int[N]; _targets = new int[N]; }
        Captioning.CaptionSteps.Split(batch.Targets, B, W, T, _stepInputs, _stepTargets);
        for (int t = 0; t < T; t++)
            for (int b = 0; b < B; b++)
            {
                _inputs[b * T + t] = _stepInputs[t * B + b];
                _targets[b * T + t] = _stepTargets[t * B + b];
            }
        Encode(batch, training, rng);
        _t = T;
        var xt = Capacity.Take(ref _xt, N * D);
        Embed(_tgt, _inputs, B, T, 0, xt);
        _dropTarget.Forward(xt, xt, training, rng);
        ReadOnlySpan<float> h = xt;
        foreach (var layer in _decoder) h = layer.Forward(h, _memory, B, T, _ts, _sourceLengths, training, rng);
        var z = Capacity.Take(ref _z, N * D);
        _decoderNorm.Forward(h, N, z);
        Head(z, N, Capacity.Take(ref _logits, N * V));
        return (T, B);
    }

    /// <summary>The logits <c>(B, T, V)</c> of the batch's teacher-forced forward (evaluation), valid until the next call.</summary>
    public ReadOnlySpan<float> Logits(Seq2SeqBatch batch)
    {
        var (T, B) = Forward(batch, training: false, rng: null);
        return _logits.AsSpan(0, B * T * Config.TargetVocab);
    }

    /// <inheritdoc/>
    public double Loss(Seq2SeqBatch batch)
    {
        var (T, B) = Forward(batch, training: false, rng: null);
        return SoftmaxCrossEntropy.Loss<float>(_logits.AsSpan(0, T * B * Config.TargetVocab), T * B, Config.TargetVocab, _targets.AsSpan(0, T * B));
    }

    /// <inheritdoc/>
    public double TrainStep(Seq2SeqBatch batch, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        Store.ZeroGrad();
        var (T, B) = Forward(batch, training: true, rng);
        int N = T * B, Ns = B * _ts, D = Config.DModel, V = Config.TargetVocab;
        var logits = _logits.AsSpan(0, N * V);
        double loss = SoftmaxCrossEntropy.LossAndGradient<float>(logits, N, V, _targets.AsSpan(0, N), logits, labelSmoothing: Config.LabelSmoothing);

        // logits = z W^T + b: dW += dlogits^T z, db += colsum, dz = dlogits W
        var z = _z.AsSpan(0, N * D);
        Gemm.Sgemm(true, false, V, D, N, 1f, logits, V, z, D, 1f, _headWeight.Grad, D, _threads);
        Reduce.SumRows(logits, N, V, _headBias.Grad);
        var dz = Capacity.Take(ref _dz, N * D);
        Gemm.Sgemm(false, false, N, D, V, 1f, logits, V, _headWeight.Value, D, 0f, dz, D, _threads);

        // decoder, top down; every layer's cross-attention adds into dmemory
        var dxt = Capacity.Take(ref _dxt, N * D);
        _decoderNorm.Backward(dz, N, dxt);
        var dMemory = Capacity.Take(ref _dMemory, Ns * D);
        dMemory.Clear();
        ReadOnlySpan<float> dh = dxt;
        for (int l = _decoder.Length - 1; l >= 0; l--) dh = _decoder[l].Backward(dh, dMemory);
        _dropTarget.Backward(dh, dxt);
        TensorPrimitives.Multiply(dxt, _embedScale, dxt);
        _tgt.Backward(_inputs.AsSpan(0, N), dxt);

        // encoder, top down
        var dxs = Capacity.Take(ref _dxs, Ns * D);
        _encoderNorm.Backward(dMemory, Ns, dxs);
        dh = dxs;
        for (int l = _encoder.Length - 1; l >= 0; l--) dh = _encoder[l].Backward(dh);
        _dropSource.Backward(dh, dxs);
        TensorPrimitives.Multiply(dxs, _embedScale, dxs);
        _src.Backward(_sourceIds.AsSpan(0, Ns), dxs);
        return loss;
    }

    /// <inheritdoc/>
    public ReadOnlySpan<float> AttentionWeights(int t)
    {
        if ((uint)t >= (uint)_t) throw new ArgumentOutOfRangeException(nameof(t), t, $"the last forward had {_t} output steps.");
        var weights = Capacity.Take(ref _attention, _b * _ts);
        _decoder[^1].CrossAttention.Core.MeanOverHeads(t, weights);
        return weights;
    }

    /// <inheritdoc/>
    public IDecoderStepper Begin(Seq2SeqBatch batch) => new Stepper(this, batch);
}
