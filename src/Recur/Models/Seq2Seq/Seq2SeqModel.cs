using System.Numerics.Tensors;
using Recur.Kernels;
using Recur.Models.Decoding;
using Recur.Nn;

namespace Recur.Models.Seq2Seq;

/// <summary>
/// A batch for a <see cref="Seq2SeqModel"/>: source ids <c>(Ts, B)</c> time-major (0 on padding), each source's
/// length, and the targets <c>(B, MaxTarget + 2)</c> as <c>&lt;START&gt; y1 .. yn &lt;END&gt; &lt;NULL&gt;...</c>
/// (null when decoding).
/// </summary>
public sealed record Seq2SeqBatch(int[] Source, int[] SourceLengths, int[]? Targets)
{
    public int Batch => SourceLengths.Length;
    public int SourceSteps => Source.Length / Math.Max(1, SourceLengths.Length);
}

/// <summary>
/// Sequence to sequence with attention (Bahdanau et al. 2015; Luong et al. 2015): an encoder reads the whole input
/// (<c>src_embed</c>, a packed bidirectional LSTM <c>encoder</c>), its final states start the decoder
/// (<c>h_0 = tanh(W [h_fwd ; h_bwd] + b)</c>, <c>bridge</c>; <c>c_0 = 0</c>), and the decoder writes the output one symbol at a
/// time: from <c>h_{t-1}</c> it attends over the encoder's steps (<c>att</c>: additive or multiplicative, softmax masked to
/// each input's length), steps an LSTM cell (<c>decoder</c>, <c>nn.LSTMCell</c> names) on <c>[E y_{t-1} ; z_t]</c>
/// (<c>tgt_embed</c>) and scores the next symbol from <c>[h_t ; z_t]</c> (<c>head</c>). Without attention the cell reads
/// <c>E y_{t-1}</c> and the head <c>h_t</c>. Trained by teacher forcing; the loss is the mean cross-entropy per output symbol.
/// With <see cref="Seq2SeqConfig.Dropout"/>, training drops units of the source embeddings, of each encoder layer's
/// input above the first, and of the head's input (Zaremba et al.'s non-recurrent connections).
/// </summary>
public sealed class Seq2SeqModel : ISeq2SeqModel
{
    public const int Pad = 0, Start = 1, End = 2;
    private readonly Embedding _src, _tgt;
    private readonly BiRecurrent _enc;
    private readonly Linear _bridge, _head;
    private readonly IDecoderAttention? _att;
    private readonly Parameter _wih, _whh, _bih, _bhh;
    private readonly Dropout _dropSrc, _dropHead;
    private Rng? _rng;
    private int _t, _b, _ts, _threads = 1;
    private int[] _inputs = [], _targets = [], _srcLens = [], _srcIds = [];
    // Caches (time-major): h, c (T+1, B, H) with slot 0 the initial state; gates (T, B, 4H); tanh(c) (T, B, H); z (T, B, D);
    // x = [E y ; z] (T, B, E+D); hz = [h ; z] (T, B, H+D); the annotations (B, Ts, D); the encoder's final states (B, 2He).
    private float[] _h = [], _c = [], _gates = [], _tanhC = [], _z = [], _x = [], _hz = [], _ann = [], _final = [], _logits = [], _pre = [];
    // The head's input (T, B, H+D) with dropout applied, in training.
    private float[] _hzDropped = [];
    // The decoder's gate gradients of every step (T, B, 4H), for its weight gradients after the backward loop.
    private float[] _dgates = [];

    public Seq2SeqModel(Seq2SeqConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Config = config;
        Store = new ParameterStore();
        int E = config.Embed, He = config.Hidden, H = config.DecoderHidden, D = config.ContextDim;
        _src = new Embedding(Store, "src_embed", config.SourceVocab, E);
        _enc = new BiRecurrent(Store, "encoder", "lstm", E, He, config.Layers, dropout: config.Dropout);
        _dropSrc = new Dropout(config.Dropout);
        _dropHead = new Dropout(config.Dropout);
        _bridge = new Linear(Store, "bridge", 2 * He, H);
        _tgt = new Embedding(Store, "tgt_embed", config.TargetVocab, E);
        _att = config.Attention switch
        {
            "bahdanau" => new AdditiveAttention(Store, "att", 2 * He, H, config.AttentionDim),
            "luong" => new MultiplicativeAttention(Store, "att", 2 * He, H),
            _ => null,
        };
        _wih = Store.Add("decoder.weight_ih", 4 * H, E + D);
        _whh = Store.Add("decoder.weight_hh", 4 * H, H);
        _bih = Store.Add("decoder.bias_ih", 4 * H);
        _bhh = Store.Add("decoder.bias_hh", 4 * H);
        _head = new Linear(Store, "head", H + D, config.TargetVocab);
    }

    public Seq2SeqConfig Config { get; }
    public ParameterStore Store { get; }
    public int SourceVocab => Config.SourceVocab;
    public int TargetVocab => Config.TargetVocab;
    public int MaxTarget => Config.MaxTarget;
    public int MaxSource => Config.MaxSource;
    public bool Attends => Config.Attends;

    public int Threads
    {
        get => _threads;
        set { _threads = value; _enc.Threads = value; _bridge.Threads = value; _head.Threads = value; if (_att is not null) _att.Threads = value; }
    }

    public void Reset(Rng rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        _src.Reset(rng);
        _enc.Reset(rng);
        _bridge.Reset(rng);
        _tgt.Reset(rng);
        _att?.Reset(rng);
        float bound = 1f / MathF.Sqrt(Config.DecoderHidden);
        foreach (var p in new[] { _wih, _whh, _bih, _bhh }) rng.FillUniform(p.Value, -bound, bound);
        _head.Reset(rng);
    }

    /// <summary>Encodes the batch, sets the initial state and begins the attention for <paramref name="steps"/> decoder steps.</summary>
    private void Encode(Seq2SeqBatch batch, int steps, bool training)
    {
        int B = batch.Batch, Ts = batch.SourceSteps, E = Config.Embed, He = Config.Hidden, H = Config.DecoderHidden, D = Config.ContextDim, W = 2 * He;
        if (batch.Source.Length != Ts * B) throw new ArgumentException($"{batch.Source.Length} source ids for {B} inputs.");
        if (Ts > Config.MaxSource) throw new ArgumentException($"an input of {Ts} symbols is longer than the {Config.MaxSource} this model reads.");
        _b = B; _ts = Ts; _t = steps;
        _srcLens = batch.SourceLengths;
        _srcIds = batch.Source;
        var x = _src.Forward(batch.Source, Ts, B);
        if (training && Config.Dropout > 0f) _dropSrc.Forward(x.Data, x.Data, training: true, _rng); // in place: the embedding's backward needs only the ids
        var o = _enc.Forward(x, training: training, rng: _rng, lengths: batch.SourceLengths);
        _ann = Buffers.Ensure(_ann, B * Ts * W);
        for (int t = 0; t < Ts; t++)
            for (int b = 0; b < B; b++) o.Output.Data.AsSpan((t * B + b) * W, W).CopyTo(_ann.AsSpan((b * Ts + t) * W, W));
        _final = Buffers.Ensure(_final, B * W);
        int top = 2 * (Config.Layers - 1);
        for (int b = 0; b < B; b++)
        {
            o.HN.Data.AsSpan((top * B + b) * He, He).CopyTo(_final.AsSpan(b * W, He));
            o.HN.Data.AsSpan(((top + 1) * B + b) * He, He).CopyTo(_final.AsSpan(b * W + He, He));
        }
        _h = Buffers.Ensure(_h, (steps + 1) * B * H); _c = Buffers.Ensure(_c, (steps + 1) * B * H);
        _gates = Buffers.Ensure(_gates, steps * B * 4 * H); _tanhC = Buffers.Ensure(_tanhC, steps * B * H);
        _z = Buffers.Ensure(_z, steps * B * Math.Max(D, 1)); _x = Buffers.Ensure(_x, steps * B * (E + D)); _hz = Buffers.Ensure(_hz, steps * B * (H + D));
        _pre = Buffers.Ensure(_pre, B * 4 * H);
        _bridge.Forward(_final, B, _h.AsSpan(0, B * H));
        TensorPrimitives.Tanh(_h.AsSpan(0, B * H), _h.AsSpan(0, B * H));
        _c.AsSpan(0, B * H).Clear();
        _att?.Begin(_ann, B, Ts, steps, batch.SourceLengths, annotationGradients: training);
    }

    /// <summary>Decoder step <paramref name="t"/> on the previous symbols <paramref name="ids"/> <c>(B)</c>.</summary>
    private void Step(int t, ReadOnlySpan<int> ids)
    {
        int B = _b, H = Config.DecoderHidden, D = Config.ContextDim, E = Config.Embed, G = 4 * H, X = E + D;
        var hPrev = _h.AsSpan(t * B * H, B * H);
        var z = _z.AsSpan(t * B * Math.Max(D, 1), B * Math.Max(D, 1));
        if (_att is not null) _att.Forward(t, hPrev, z);
        var x = _x.AsSpan(t * B * X, B * X);
        for (int b = 0; b < B; b++)
        {
            _tgt.Forward(ids.Slice(b, 1), x.Slice(b * X, E));
            if (D > 0) z.Slice(b * D, D).CopyTo(x.Slice(b * X + E, D));
        }
        var pre = _pre.AsSpan(0, B * G);
        for (int b = 0; b < B; b++) TensorPrimitives.Add(_bih.Value, _bhh.Value, pre.Slice(b * G, G));
        Gemm.Sgemm(false, true, B, G, X, 1f, x, X, _wih.Value, X, 1f, pre, G, _threads);
        Gemm.Sgemm(false, true, B, G, H, 1f, hPrev, H, _whh.Value, H, 1f, pre, G, _threads);
        var h = _h.AsSpan((t + 1) * B * H, B * H);
        LstmStep.Forward(pre, _c.AsSpan(t * B * H, B * H), _gates.AsSpan(t * B * G, B * G), _c.AsSpan((t + 1) * B * H, B * H),
            _tanhC.AsSpan(t * B * H, B * H), h, B, H);
        for (int b = 0; b < B; b++)
        {
            var hz = _hz.AsSpan((t * B + b) * (H + D), H + D);
            h.Slice(b * H, H).CopyTo(hz[..H]);
            if (D > 0) z.Slice(b * D, D).CopyTo(hz[H..]);
        }
    }

    private (int T, int B) Forward(Seq2SeqBatch batch, bool training)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.Targets is null) throw new ArgumentException("teacher forcing needs targets.");
        int B = batch.Batch, W = Config.MaxTarget + 2;
        int T = Captioning.CaptionSteps.Steps(batch.Targets, B, W);
        if (_inputs.Length != T * B) { _inputs = new int[T * B]; _targets = new int[T * B]; }
        Captioning.CaptionSteps.Split(batch.Targets, B, W, T, _inputs, _targets);
        Encode(batch, T, training);
        for (int t = 0; t < T; t++) Step(t, _inputs.AsSpan(t * B, B));
        _logits = Buffers.Ensure(_logits, T * B * Config.TargetVocab);
        _head.Forward(HeadInput(T * B * (Config.DecoderHidden + Config.ContextDim), training), T * B, _logits);
        return (T, B);
    }

    /// <summary><c>[h ; z]</c> of every step, dropped in training.</summary>
    private ReadOnlySpan<float> HeadInput(int n, bool training)
    {
        if (!training || Config.Dropout == 0f) return _hz.AsSpan(0, n);
        _hzDropped = Buffers.Ensure(_hzDropped, n);
        _dropHead.Forward(_hz.AsSpan(0, n), _hzDropped.AsSpan(0, n), training: true, _rng);
        return _hzDropped.AsSpan(0, n);
    }

    private ReadOnlySpan<float> HeadInputSaved(int n) => Config.Dropout > 0f ? _hzDropped.AsSpan(0, n) : _hz.AsSpan(0, n);

    /// <summary>The mean cross-entropy per output symbol, without gradients.</summary>
    public double Loss(Seq2SeqBatch batch)
    {
        var (T, B) = Forward(batch, training: false);
        return SoftmaxCrossEntropy.Loss<float>(_logits.AsSpan(0, T * B * Config.TargetVocab), T * B, Config.TargetVocab, _targets);
    }

    /// <summary>
    /// Zeroes the gradients, runs forward and backward, returns the mean cross-entropy per output symbol
    /// (label-smoothed with <see cref="Seq2SeqConfig.LabelSmoothing"/>).
    /// </summary>
    public double TrainStep(Seq2SeqBatch batch, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        Store.ZeroGrad();
        _rng = rng;
        var (T, B) = Forward(batch, training: true);
        _rng = null;
        int H = Config.DecoderHidden, D = Config.ContextDim, E = Config.Embed, G = 4 * H, X = E + D, V = Config.TargetVocab,
            He = Config.Hidden, Ts = _ts, Wa = 2 * He;
        var logits = _logits.AsSpan(0, T * B * V);
        double loss = SoftmaxCrossEntropy.LossAndGradient<float>(logits, T * B, V, _targets, logits, labelSmoothing: Config.LabelSmoothing);
        var dhz = new float[T * B * (H + D)];
        _head.Backward(HeadInputSaved(T * B * (H + D)), logits, T * B, dhz);
        if (Config.Dropout > 0f) _dropHead.Backward(dhz, dhz);
        var dh = new float[B * H]; var dc = new float[B * H]; var dhPrev = new float[B * H];
        var dx = new float[B * X]; var dz = new float[B * Math.Max(D, 1)];
        _dgates = Buffers.Ensure(_dgates, T * B * G);
        for (int t = T - 1; t >= 0; t--)
        {
            var dgates = _dgates.AsSpan(t * B * G, B * G);
            for (int b = 0; b < B; b++)
            {
                var dhb = dh.AsSpan(b * H, H);
                TensorPrimitives.Add(dhb, dhz.AsSpan((t * B + b) * (H + D), H), dhb);
                if (D > 0) dhz.AsSpan((t * B + b) * (H + D) + H, D).CopyTo(dz.AsSpan(b * D, D));
            }
            var hPrev = _h.AsSpan(t * B * H, B * H);
            LstmStep.Backward(dh, dc, _gates.AsSpan(t * B * G, B * G), _c.AsSpan(t * B * H, B * H), _tanhC.AsSpan(t * B * H, B * H), dgates, B, H);
            Gemm.Sgemm(false, false, B, X, G, 1f, dgates, G, _wih.Value, X, 0f, dx, X, _threads);
            Gemm.Sgemm(false, false, B, H, G, 1f, dgates, G, _whh.Value, H, 0f, dhPrev, H, _threads);
            for (int b = 0; b < B; b++)
            {
                _tgt.Backward(_inputs.AsSpan(t * B + b, 1), dx.AsSpan(b * X, E));
                if (D > 0) TensorPrimitives.Add(dz.AsSpan(b * D, D), dx.AsSpan(b * X + E, D), dz.AsSpan(b * D, D));
            }
            _att?.Backward(t, hPrev, dz, [], dhPrev);
            dhPrev.CopyTo(dh, 0);
        }
        // The decoder's weight gradients, once over all T*B rows (one product each, not T thin ones).
        var dgatesAll = _dgates.AsSpan(0, T * B * G);
        Gemm.Sgemm(true, false, G, X, T * B, 1f, dgatesAll, G, _x.AsSpan(0, T * B * X), X, 1f, _wih.Grad, X, _threads);
        Gemm.Sgemm(true, false, G, H, T * B, 1f, dgatesAll, G, _h.AsSpan(0, T * B * H), H, 1f, _whh.Grad, H, _threads);
        Reduce.SumRows(dgatesAll, T * B, G, _bih.Grad);
        Reduce.SumRows(dgatesAll, T * B, G, _bhh.Grad);
        // h_0 = tanh(bridge(final)): into the encoder's final states; the annotations' gradient into its outputs.
        var h0 = _h.AsSpan(0, B * H);
        for (int i = 0; i < B * H; i++) dh[i] *= 1f - h0[i] * h0[i];
        var dFinal = new float[B * Wa];
        _bridge.Backward(_final, dh, B, dFinal);
        var dOut = new Tensor(Ts, B, Wa);
        if (_att is not null)
        {
            var dAnn = new float[B * Ts * Wa];
            _att.End(dAnn);
            for (int t = 0; t < Ts; t++)
                for (int b = 0; b < B; b++) dAnn.AsSpan((b * Ts + t) * Wa, Wa).CopyTo(dOut.Data.AsSpan((t * B + b) * Wa, Wa));
        }
        int L = Config.Layers, top = 2 * (L - 1);
        var dHN = new Tensor(2 * L, B, He);
        for (int b = 0; b < B; b++)
        {
            dFinal.AsSpan(b * Wa, He).CopyTo(dHN.Data.AsSpan((top * B + b) * He, He));
            dFinal.AsSpan(b * Wa + He, He).CopyTo(dHN.Data.AsSpan(((top + 1) * B + b) * He, He));
        }
        var dSrc = _enc.Backward(dOut, dHN).DInput;
        if (Config.Dropout > 0f) _dropSrc.Backward(dSrc.Data, dSrc.Data);
        _src.Backward(_srcIds, dSrc.Data);
        return loss;
    }

    /// <summary>Starts decoding the inputs of <paramref name="batch"/> (its targets, if any, are ignored).</summary>
    public IDecoderStepper Begin(Seq2SeqBatch batch) => new Stepper(this, batch);

    /// <summary>The attention weights of decoder step <paramref name="t"/> of the last forward, <c>(B, Ts)</c> (empty without attention).</summary>
    public ReadOnlySpan<float> AttentionWeights(int t) => _att is null ? [] : _att.Weights(t);

    private sealed class Stepper : IDecoderStepper
    {
        private readonly Seq2SeqModel _m;
        private readonly float[] _logits;
        private bool _started;

        public Stepper(Seq2SeqModel m, Seq2SeqBatch batch)
        {
            _m = m;
            Batch = batch.Batch;
            m.Encode(batch, 1, training: false);
            _logits = new float[Batch * m.Config.TargetVocab];
        }

        public int Batch { get; }

        public ReadOnlySpan<float> Attention => _m._att is null ? [] : _m._att.Weights(0);

        public ReadOnlySpan<float> Step(ReadOnlySpan<int> previous)
        {
            if (previous.Length != Batch) throw new ArgumentException($"{previous.Length} symbols for a batch of {Batch}.");
            int BH = Batch * _m.Config.DecoderHidden;
            if (_started)
            {
                _m._h.AsSpan(BH, BH).CopyTo(_m._h.AsSpan(0, BH));
                _m._c.AsSpan(BH, BH).CopyTo(_m._c.AsSpan(0, BH));
            }
            _started = true;
            _m.Step(0, previous);
            _m._head.Forward(_m._hz.AsSpan(0, Batch * (_m.Config.DecoderHidden + _m.Config.ContextDim)), Batch, _logits);
            return _logits;
        }

        public void Select(ReadOnlySpan<int> rows)
        {
            int H = _m.Config.DecoderHidden, BH = Batch * H, from = _started ? BH : 0;
            var h = _m._h.AsSpan(from, BH).ToArray();
            var c = _m._c.AsSpan(from, BH).ToArray();
            Captioning.StateRows.Select(rows, H, h, c);
            h.CopyTo(_m._h.AsSpan(from, BH));
            c.CopyTo(_m._c.AsSpan(from, BH));
        }
    }
}
