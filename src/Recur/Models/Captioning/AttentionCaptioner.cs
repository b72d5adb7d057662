using System.Numerics.Tensors;
using Recur.Kernels;
using Recur.Models.Decoding;
using Recur.Nn;

namespace Recur.Models.Captioning;

/// <summary>
/// Show, Attend and Tell (Xu et al. 2015) over the feature grid <c>a (B, L, D)</c>: an LSTM whose state starts from the
/// mean annotation, <c>h_0 = W_h ā + b_h</c>, <c>c_0 = W_c ā + b_c</c> (<c>init_h</c>, <c>init_c</c>), and at each word
/// <list type="number">
/// <item>attends from <c>h_{t-1}</c> (<see cref="AdditiveAttention"/> <c>att</c>): weights <c>α_t (L)</c>, context <c>ẑ_t</c>;</item>
/// <item>gates the context with the scalar <c>β_t = σ(w_β · h_{t-1} + b_β)</c> (<c>gate</c>): <c>z_t = β_t ẑ_t</c> (in training
/// with <see cref="CaptionerConfig.ContextDropout"/>, times a dropout mask);</item>
/// <item>steps the LSTM (<c>lstm</c>, an <c>nn.LSTMCell</c>: <c>weight_ih (4H, E+D)</c>, <c>weight_hh</c>, <c>bias_ih</c>,
/// <c>bias_hh</c>; gates i, f, g, o) on <c>[E y_{t-1} ; z_t]</c>;</item>
/// <item>predicts the next word from <c>[h_t ; z_t]</c> (<c>head</c>, <c>nn.Linear(H + D, V)</c>).</item>
/// </list>
/// The loss is the mean cross-entropy per word plus the doubly stochastic regulariser
/// <c>λ/B Σ_b Σ_i (1 - Σ_t α_bti)²</c> and the attention entropy <c>γ/B Σ_b Σ_t H(α_bt)</c> (<see cref="CaptionerConfig.AttentionEntropy"/>),
/// both over each caption's steps up to its <c>&lt;END&gt;</c>. With <see cref="CaptionerConfig.Attention"/> <c>hard</c>, the
/// context is one sampled location's features in training, trained by REINFORCE (<see cref="HardAttention"/>).
/// </summary>
public sealed class AttentionCaptioner : ICaptioner
{
    private readonly Embedding _embed;
    private readonly Linear _initH, _initC, _gate, _head;
    private readonly AdditiveAttention _att;
    private readonly VisualWords? _visual;  // the factored output of the class words (CaptionerConfig.SingularWords)
    private readonly HardAttention? _hard;  // the sampled locations and REINFORCE terms (CaptionerConfig.Attention hard)
    private float[] _features = [];         // (B, L, D) the annotations of the last forward (by reference)
    private readonly Parameter _wih, _whh, _bih, _bhh;
    private int[] _inputs = [], _targets = [];
    private int _t, _bsz;
    private bool _dropping;                // this forward drops the context (training with ContextDropout > 0)
    private float[] _zmask = [];           // (T, B, D) the context dropout mask: 0 or 1/(1-p)
    // Per-step caches, time-major: h and c (T+1, B, H) with step 0 the initial state; gates after their nonlinearity
    // (T, B, 4H); tanh(c_t) (T, B, H); ẑ, z (T, B, D); β (T, B); the LSTM input x (T, B, E+D); the head input [h; z] (T, B, H+D).
    private float[] _h = [], _c = [], _gates = [], _tanhC = [], _zhat = [], _z = [], _beta = [], _x = [], _hz = [];
    private float[] _mean = [], _logits = [], _dhz = [], _dh = [], _dc = [], _dgates = [], _dx = [], _dz = [], _dhPrev = [],
        _colsum = [], _dalpha = [], _pre = [];

    public AttentionCaptioner(CaptionerConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        if (config.Kind != "attention") throw new ArgumentException($"an attention captioner has kind attention, not {config.Kind}.");
        Config = config;
        Store = new ParameterStore();
        int V = config.Vocab, E = config.Embed, H = config.Hidden, D = config.FeatureDim;
        _embed = new Embedding(Store, "embed", V, E);
        _initH = new Linear(Store, "init_h", D, H);
        _initC = new Linear(Store, "init_c", D, H);
        _att = new AdditiveAttention(Store, "att", D, H, config.AttentionDim);
        _gate = new Linear(Store, "gate", H, 1);
        _wih = Store.Add("lstm.weight_ih", 4 * H, E + D);
        _whh = Store.Add("lstm.weight_hh", 4 * H, H);
        _bih = Store.Add("lstm.bias_ih", 4 * H);
        _bhh = Store.Add("lstm.bias_hh", 4 * H);
        _head = new Linear(Store, "head", H + D, V);
        if (config.SingularWords.Length > 0) _visual = new VisualWords(Store, H, config.SingularWords, config.PluralWords);
        if (config.Attention == "hard") _hard = new HardAttention(config, _att);
    }

    /// <summary>
    /// Hard attention's moving-average baseline (training state: <see cref="ReinforceBaseline.Updates"/> 0 until the first
    /// sampled batch); soft attention has none and refuses to be given one.
    /// </summary>
    public ReinforceBaseline Baseline
    {
        get => _hard?.Baseline ?? default;
        set
        {
            if (_hard is null) throw new InvalidOperationException("soft attention has no REINFORCE baseline.");
            if (!float.IsFinite(value.Value) || value.Updates < 0) throw new ArgumentException($"a baseline must be finite with updates >= 0, got {value}.");
            _hard.Baseline = value;
        }
    }

    /// <summary>
    /// Hard attention: the location step <paramref name="t"/> of caption <paramref name="b"/> read in the last forward
    /// (-1: the expected context).
    /// </summary>
    public int HardLocation(int t, int b) => _hard?.Location(t, b) ?? -1;

    /// <summary>Hard attention: the per-caption rewards <c>log p(y | s, a)</c> <c>(B)</c> of the last training step.</summary>
    public ReadOnlySpan<double> HardRewards => _hard is null ? [] : _hard.Rewards;

    /// <inheritdoc/>
    public CaptionerConfig Config { get; }

    /// <inheritdoc/>
    public ParameterStore Store { get; }

    /// <inheritdoc/>
    public int Threads
    {
        get => _head.Threads;
        set
        {
            _head.Threads = value; _initH.Threads = value; _initC.Threads = value; _att.Threads = value; _threads = value;
            if (_visual is not null) _visual.Threads = value;
        }
    }

    private int _threads = 1;

    /// <inheritdoc/>
    public void Reset(Rng rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        _embed.Reset(rng);
        _initH.Reset(rng);
        _initC.Reset(rng);
        _att.Reset(rng);
        _gate.Reset(rng);
        float bound = 1f / MathF.Sqrt(Config.Hidden); // nn.LSTMCell's default
        foreach (var p in new[] { _wih, _whh, _bih, _bhh }) rng.FillUniform(p.Value, -bound, bound);
        _head.Reset(rng);
        _visual?.Reset(rng, _head);
    }

    /// <summary>The attention weights <c>(B, L)</c> of step <paramref name="t"/> of the last forward.</summary>
    public ReadOnlySpan<float> AttentionWeights(int t) => _att.Weights(t);

    private void CheckFeatures(Tensor features)
    {
        ArgumentNullException.ThrowIfNull(features);
        if (features.Rank != 3 || features.Shape[1] != Config.Locations || features.Shape[2] != Config.FeatureDim)
            throw new ArgumentException($"features have shape {features.ShapeString}, expected (B, {Config.Locations}, {Config.FeatureDim}).");
    }

    /// <summary>Sizes the caches for <paramref name="T"/> steps of <paramref name="B"/> rows, computes the initial state and begins the attention.</summary>
    private void Begin(Tensor features, int T, int B)
    {
        int H = Config.Hidden, D = Config.FeatureDim, E = Config.Embed, L = Config.Locations, V = Config.Vocab;
        _t = T; _bsz = B;
        _dropping = false; // Forward turns it on for a training step
        _h = Buffers.Ensure(_h, (T + 1) * B * H); _c = Buffers.Ensure(_c, (T + 1) * B * H);
        _gates = Buffers.Ensure(_gates, T * B * 4 * H); _tanhC = Buffers.Ensure(_tanhC, T * B * H);
        _zhat = Buffers.Ensure(_zhat, T * B * D); _z = Buffers.Ensure(_z, T * B * D); _beta = Buffers.Ensure(_beta, T * B);
        _x = Buffers.Ensure(_x, T * B * (E + D)); _hz = Buffers.Ensure(_hz, T * B * (H + D));
        _logits = Buffers.Ensure(_logits, T * B * V);
        _pre = Buffers.Ensure(_pre, B * 4 * H);
        _mean = Buffers.Ensure(_mean, B * D);
        var a = features.Data;
        _features = a;
        for (int b = 0; b < B; b++)
        {
            var m = _mean.AsSpan(b * D, D);
            m.Clear();
            for (int i = 0; i < L; i++) TensorPrimitives.Add(m, a.AsSpan((b * L + i) * D, D), m);
            TensorPrimitives.Divide(m, L, m);
        }
        if (Config.InitialState == "zero")
        {
            _h.AsSpan(0, B * H).Clear();
            _c.AsSpan(0, B * H).Clear();
        }
        else
        {
            _initH.Forward(_mean, B, _h.AsSpan(0, B * H));
            _initC.Forward(_mean, B, _c.AsSpan(0, B * H));
        }
        _att.Begin(a, B, L, T);
        _hard?.Begin(T, B, null); // evaluation unless Forward hands it training's draws
    }

    /// <summary>
    /// Step <paramref name="t"/> on input tokens <paramref name="ids"/> <c>(B)</c>: attention, gate, LSTM; fills the
    /// caches and the head input.
    /// </summary>
    private void StepForward(int t, ReadOnlySpan<int> ids)
    {
        int B = _bsz, H = Config.Hidden, D = Config.FeatureDim, E = Config.Embed, G = 4 * H, X = E + D;
        var hPrev = _h.AsSpan(t * B * H, B * H);
        var cPrev = _c.AsSpan(t * B * H, B * H);
        var zhat = _zhat.AsSpan(t * B * D, B * D);
        _att.Forward(t, hPrev, zhat);
        _hard?.Choose(t, _features, zhat);
        var beta = _beta.AsSpan(t * B, B);
        _gate.Forward(hPrev, B, beta);
        var x = _x.AsSpan(t * B * X, B * X);
        var z = _z.AsSpan(t * B * D, B * D);
        for (int b = 0; b < B; b++)
        {
            beta[b] = FastMath.Sigmoid(beta[b]);
            TensorPrimitives.Multiply(zhat.Slice(b * D, D), beta[b], z.Slice(b * D, D));
            if (_dropping) TensorPrimitives.Multiply(z.Slice(b * D, D), _zmask.AsSpan((t * B + b) * D, D), z.Slice(b * D, D));
            _embed.Forward(ids.Slice(b, 1), x.Slice(b * X, E));
            z.Slice(b * D, D).CopyTo(x.Slice(b * X + E, D));
        }
        var pre = _pre.AsSpan(0, B * G);
        for (int b = 0; b < B; b++)
        {
            var row = pre.Slice(b * G, G);
            TensorPrimitives.Add(_bih.Value, _bhh.Value, row);
        }
        Gemm.Sgemm(false, true, B, G, X, 1f, x, X, _wih.Value, X, 1f, pre, G, _threads);
        Gemm.Sgemm(false, true, B, G, H, 1f, hPrev, H, _whh.Value, H, 1f, pre, G, _threads);
        var gates = _gates.AsSpan(t * B * G, B * G);
        var h = _h.AsSpan((t + 1) * B * H, B * H);
        var c = _c.AsSpan((t + 1) * B * H, B * H);
        var tc = _tanhC.AsSpan(t * B * H, B * H);
        LstmStep.Forward(pre, cPrev, gates, c, tc, h, B, H);
        for (int b = 0; b < B; b++)
        {
            var hz = _hz.AsSpan((t * B + b) * (H + D), H + D);
            h.Slice(b * H, H).CopyTo(hz[..H]);
            z.Slice(b * D, D).CopyTo(hz[H..]);
        }
    }

    /// <summary>
    /// Teacher-forced forward over every step; with <paramref name="dropout"/>, training's context dropout and, for hard attention,
    /// its draws from the same stream after the mask (or the <paramref name="forced"/> ones).
    /// </summary>
    private (int T, int B, int Words) Forward(Tensor features, int[] captions, Rng? dropout = null, HardAttentionDraws? forced = null)
    {
        CheckFeatures(features);
        int B = features.Shape[0], W = Config.MaxWords + 2;
        int T = CaptionSteps.Steps(captions, B, W);
        if (_inputs.Length != T * B) { _inputs = new int[T * B]; _targets = new int[T * B]; }
        int words = CaptionSteps.Split(captions, B, W, T, _inputs, _targets);
        Begin(features, T, B);
        _dropping = dropout is not null && Config.ContextDropout > 0f;
        if (_dropping)
        {
            _zmask = Buffers.Ensure(_zmask, T * B * Config.FeatureDim);
            Dropout.MakeMask(dropout!, Config.ContextDropout, _zmask.AsSpan(0, T * B * Config.FeatureDim));
        }
        _hard?.Begin(T, B, forced ?? (dropout is null ? null : HardAttentionDraws.Draw(dropout, T, B, Config.ExpectedProbability)));
        for (int t = 0; t < T; t++) StepForward(t, _inputs.AsSpan(t * B, B));
        _visual?.Hold(_head);
        _head.Forward(_hz.AsSpan(0, T * B * (Config.Hidden + Config.FeatureDim)), T * B, _logits.AsSpan(0, T * B * Config.Vocab));
        _visual?.AddOffsets(_h.AsSpan(B * Config.Hidden, T * B * Config.Hidden), T * B, _logits.AsSpan(0, T * B * Config.Vocab), Config.Vocab);
        return (T, B, words);
    }

    /// <summary>
    /// The regularisers: the doubly stochastic one and the attention entropy <c>γ/B Σ_b Σ_t H(α_bt)</c>, both over each
    /// caption's steps up to its <c>&lt;END&gt;</c>; keeps, per caption, each location's attention summed over those steps <c>(B, L)</c>.
    /// </summary>
    private double Regulariser(int T, int B)
    {
        int L = Config.Locations;
        _colsum = Buffers.Ensure(_colsum, B * L);
        Array.Clear(_colsum);
        double entropy = 0;
        for (int t = 0; t < T; t++)
        {
            var alpha = _att.Weights(t);
            for (int b = 0; b < B; b++)
            {
                if (_targets[t * B + b] == SoftmaxCrossEntropy.DefaultIgnoreIndex) continue;
                var a = alpha.Slice(b * L, L);
                if (Config.DoublyStochastic != 0f) TensorPrimitives.Add(_colsum.AsSpan(b * L, L), a, _colsum.AsSpan(b * L, L));
                if (Config.AttentionEntropy != 0f && EntropyCounts(_targets[t * B + b]))
                    foreach (float w in a) if (w > 0f) entropy -= w * Math.Log(w);
            }
        }
        double r = 0;
        if (Config.DoublyStochastic != 0f)
            foreach (float s in _colsum.AsSpan(0, B * L)) r += (1.0 - s) * (1.0 - s);
        return (Config.DoublyStochastic * r + Config.AttentionEntropy * entropy) / B;
    }

    /// <summary>Whether the entropy penalty counts a step that writes <paramref name="target"/> (<see cref="CaptionerConfig.AttentionEntropyOn"/>).</summary>
    private bool EntropyCounts(int target)
        => Config.AttentionEntropyOn == "all" || Config.SingularWords.Contains(target) || Config.PluralWords.Contains(target);

    /// <summary>
    /// The regularisers' gradient on the attention weights <c>α_t (B, L)</c> of step <paramref name="t"/>, written to
    /// <paramref name="dalpha"/>; rows of finished captions get zero.
    /// </summary>
    private void RegulariserGradient(int t, int B, Span<float> dalpha)
    {
        int L = Config.Locations;
        float ds = -2f * Config.DoublyStochastic / B, ent = Config.AttentionEntropy / B;
        var alpha = _att.Weights(t);
        for (int b = 0; b < B; b++)
        {
            var e = dalpha.Slice(b * L, L);
            e.Clear();
            if (_targets[t * B + b] == SoftmaxCrossEntropy.DefaultIgnoreIndex) continue;
            if (Config.DoublyStochastic != 0f)
                for (int l = 0; l < L; l++) e[l] = ds * (1f - _colsum[b * L + l]);
            // dH/dα = -(ln α + 1); an α that underflowed to 0 adds nothing through the softmax
            if (Config.AttentionEntropy != 0f && EntropyCounts(_targets[t * B + b]))
                for (int l = 0; l < L; l++) e[l] -= ent * (MathF.Log(MathF.Max(alpha[b * L + l], 1e-30f)) + 1f);
        }
    }

    /// <inheritdoc/>
    public CaptionLoss Loss(Tensor features, int[] captions)
    {
        var (T, B, words) = Forward(features, captions);
        double ce = SoftmaxCrossEntropy.Loss<float>(_logits.AsSpan(0, T * B * Config.Vocab), T * B, Config.Vocab, _targets);
        return new CaptionLoss(ce, Regulariser(T, B), words);
    }

    /// <inheritdoc/>
    public CaptionLoss TrainStep(Tensor features, int[] captions, Rng rng) => TrainStep(features, captions, rng, forced: null);

    /// <summary>
    /// Hard attention with given choices (<see cref="HardAttentionDraws.Forced"/>): the training loss of the forward that reads
    /// them (label-smoothed when training is), without gradients; the regulariser includes the entropy bonus of the sampled captions.
    /// </summary>
    internal CaptionLoss Loss(Tensor features, int[] captions, HardAttentionDraws forced)
    {
        if (_hard is null) throw new InvalidOperationException("soft attention draws no locations.");
        var (T, B, words) = Forward(features, captions, forced: forced);
        var logits = _logits.AsSpan(0, T * B * Config.Vocab);
        var unused = new float[logits.Length]; // the training loss (label-smoothed when it is); its gradient is not needed
        double ce = SoftmaxCrossEntropy.LossAndGradient<float>(logits, T * B, Config.Vocab, _targets, unused, labelSmoothing: Config.LabelSmoothing);
        return new CaptionLoss(ce, Regulariser(T, B) + _hard.EntropyBonus(_targets), words);
    }

    /// <summary>
    /// <see cref="TrainStep(Tensor, int[], Rng)"/>; for hard attention, with <paramref name="forced"/> choices instead of drawn
    /// ones (tests: PyTorch's fixtures, the estimator's expectation by enumeration).
    /// </summary>
    internal CaptionLoss TrainStep(Tensor features, int[] captions, Rng rng, HardAttentionDraws? forced)
    {
        ArgumentNullException.ThrowIfNull(rng);
        if (forced is not null && _hard is null) throw new InvalidOperationException("soft attention draws no locations.");
        Store.ZeroGrad();
        var (T, B, words) = Forward(features, captions, rng, forced);
        int H = Config.Hidden, D = Config.FeatureDim, E = Config.Embed, L = Config.Locations, G = 4 * H, X = E + D, V = Config.Vocab;
        var logits = _logits.AsSpan(0, T * B * V);
        _hard?.Score(logits, V, _targets.AsSpan(0, T * B), words); // before the cross-entropy's gradient overwrites the logits
        double ce = SoftmaxCrossEntropy.LossAndGradient<float>(logits, T * B, V, _targets, logits, labelSmoothing: Config.LabelSmoothing);
        double reg = Regulariser(T, B) + (_hard?.EntropyBonus(_targets) ?? 0);
        _dhz = Buffers.Ensure(_dhz, T * B * (H + D));
        _head.Backward(_hz.AsSpan(0, T * B * (H + D)), logits, T * B, _dhz);
        _visual?.Backward(_h.AsSpan(B * H, T * B * H), logits, T * B, V, _dhz, H + D, _head);
        _dh = Buffers.Ensure(_dh, B * H); _dc = Buffers.Ensure(_dc, B * H); _dhPrev = Buffers.Ensure(_dhPrev, B * H);
        _dgates = Buffers.Ensure(_dgates, B * G); _dx = Buffers.Ensure(_dx, B * X); _dz = Buffers.Ensure(_dz, B * D);
        _dalpha = Buffers.Ensure(_dalpha, B * L);
        Array.Clear(_dh); Array.Clear(_dc);
        for (int t = T - 1; t >= 0; t--)
        {
            var hPrev = _h.AsSpan(t * B * H, B * H);
            var cPrev = _c.AsSpan(t * B * H, B * H);
            var gates = _gates.AsSpan(t * B * G, B * G);
            var tc = _tanhC.AsSpan(t * B * H, B * H);
            for (int b = 0; b < B; b++)
            {
                var dh = _dh.AsSpan(b * H, H);
                TensorPrimitives.Add(dh, _dhz.AsSpan((t * B + b) * (H + D), H), dh);
                _dhz.AsSpan((t * B + b) * (H + D) + H, D).CopyTo(_dz.AsSpan(b * D, D));
            }
            LstmStep.Backward(_dh, _dc, gates, cPrev, tc, _dgates, B, H);
            var x = _x.AsSpan(t * B * X, B * X);
            Gemm.Sgemm(true, false, G, X, B, 1f, _dgates, G, x, X, 1f, _wih.Grad, X, _threads);
            Gemm.Sgemm(true, false, G, H, B, 1f, _dgates, G, hPrev, H, 1f, _whh.Grad, H, _threads);
            Reduce.SumRows(_dgates, B, G, _bih.Grad);
            Reduce.SumRows(_dgates, B, G, _bhh.Grad);
            Gemm.Sgemm(false, false, B, X, G, 1f, _dgates, G, _wih.Value, X, 0f, _dx, X, _threads);
            Gemm.Sgemm(false, false, B, H, G, 1f, _dgates, G, _whh.Value, H, 0f, _dhPrev, H, _threads);
            // x = [E y ; z]: the embedding's share, and dz gathers the LSTM's and the head's.
            _embed.Backward(_inputs.AsSpan(t * B, B), Rows(_dx, B, X, 0, E));
            var zhat = _zhat.AsSpan(t * B * D, B * D);
            var beta = _beta.AsSpan(t * B, B);
            var dbetaPre = _dgateScratch = Buffers.Ensure(_dgateScratch, B);
            for (int b = 0; b < B; b++)
            {
                var dz = _dz.AsSpan(b * D, D);
                TensorPrimitives.Add(dz, _dx.AsSpan(b * X + E, D), dz);
                if (_dropping) TensorPrimitives.Multiply(dz, _zmask.AsSpan((t * B + b) * D, D), dz); // through the mask
                // z = β ẑ: dβ = dz · ẑ, dẑ = β dz (kept in dz)
                float dbeta = TensorPrimitives.Dot(dz, zhat.Slice(b * D, D));
                dbetaPre[b] = dbeta * beta[b] * (1f - beta[b]);
                TensorPrimitives.Multiply(dz, beta[b], dz);
            }
            _gate.Backward(hPrev, dbetaPre, B, _dh); // overwrites _dh with the gate's share of dh_{t-1}
            TensorPrimitives.Add(_dh, _dhPrev, _dh);
            // The regularisers' gradient on α at this step, for captions still running.
            var extra = Span<float>.Empty;
            if (Config.DoublyStochastic != 0f || Config.AttentionEntropy != 0f || _hard is not null)
            {
                extra = _dalpha.AsSpan(0, B * L);
                RegulariserGradient(t, B, extra);
            }
            _hard?.Backward(t, _targets, _dz, extra); // the sampled captions: REINFORCE and the entropy bonus on α, no context gradient
            _att.Backward(t, hPrev, _dz, extra, _dh);
        }
        _att.End();
        if (Config.InitialState != "zero")
        {
            _initH.Backward(_mean, _dh, B, []);
            _initC.Backward(_mean, _dc, B, []);
        }
        return new CaptionLoss(ce, reg, words);
    }

    private float[]? _dgateScratch;

    /// <summary>Columns <c>[from, from + width)</c> of a <c>(rows, stride)</c> matrix, copied into a contiguous scratch.</summary>
    private ReadOnlySpan<float> Rows(float[] m, int rows, int stride, int from, int width)
    {
        _rowsScratch = Buffers.Ensure(_rowsScratch, rows * width);
        for (int r = 0; r < rows; r++) m.AsSpan(r * stride + from, width).CopyTo(_rowsScratch.AsSpan(r * width, width));
        return _rowsScratch;
    }

    private float[]? _rowsScratch;

    /// <inheritdoc/>
    public IDecoderStepper Begin(Tensor features)
    {
        CheckFeatures(features);
        return new Stepper(this, features);
    }

    /// <summary>Decoding: the same step as training with one cache slot; the state moves to slot 0 after each step.</summary>
    private sealed class Stepper : IDecoderStepper
    {
        private readonly AttentionCaptioner _m;
        private readonly float[] _logits;

        public Stepper(AttentionCaptioner m, Tensor features)
        {
            _m = m;
            Batch = features.Shape[0];
            m.Begin(features, 1, Batch);
            _logits = new float[Batch * m.Config.Vocab];
        }

        public int Batch { get; }

        /// <summary>
        /// The step's attention <c>(B, L)</c>: the weights, or for hard attention the map of the location read (<see cref="HardAttention.Map"/>).
        /// </summary>
        public ReadOnlySpan<float> Attention
        {
            get
            {
                if (_m._hard is null) return _m._att.Weights(0);
                _map ??= new float[Batch * _m.Config.Locations];
                _m._hard.Map(0, _map);
                return _map;
            }
        }

        private float[]? _map;

        public ReadOnlySpan<float> Step(ReadOnlySpan<int> previous)
        {
            if (previous.Length != Batch) throw new ArgumentException($"{previous.Length} tokens for a batch of {Batch}.");
            if (_m._bsz != Batch || _m._t != 1) throw new InvalidOperationException("the captioner was used for something else since this decoding began.");
            int BH = Batch * _m.Config.Hidden;
            if (_started)
            {
                _m._h.AsSpan(BH, BH).CopyTo(_m._h.AsSpan(0, BH));
                _m._c.AsSpan(BH, BH).CopyTo(_m._c.AsSpan(0, BH));
            }
            _started = true;
            _m.StepForward(0, previous);
            _m._visual?.Hold(_m._head);
            _m._head.Forward(_m._hz.AsSpan(0, Batch * (_m.Config.Hidden + _m.Config.FeatureDim)), Batch, _logits);
            _m._visual?.AddOffsets(_m._h.AsSpan(BH, BH), Batch, _logits, _m.Config.Vocab);
            return _logits;
        }

        private bool _started;

        public void Select(ReadOnlySpan<int> rows)
        {
            int H = _m.Config.Hidden, BH = Batch * H;
            // The state to continue from is slot 1 after a step, slot 0 before the first.
            int from = _started ? BH : 0;
            var h = _m._h.AsSpan(from, BH).ToArray();
            var c = _m._c.AsSpan(from, BH).ToArray();
            StateRows.Select(rows, H, h, c);
            h.CopyTo(_m._h.AsSpan(from, BH));
            c.CopyTo(_m._c.AsSpan(from, BH));
        }
    }
}
