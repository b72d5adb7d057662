using System.Numerics.Tensors;
using Recur.Nn;

namespace Recur.Models.Glimpse;

/// <summary>
/// The deep recurrent attention model (DRAM; Ba, Mnih and Kavukcuoglu 2015, "Multiple Object Recognition with Visual
/// Attention") for grey images <c>x (H, W)</c> in [0, 1] holding up to <c>N</c> objects, read in order: <c>S = N + 1</c>
/// slots of <c>G</c> glimpses each, <c>T = S G</c> glimpses in all; after the last glimpse of slot <c>s</c> the classifier
/// names object <c>s</c>, and at the slot after the last object the end symbol (so the model says how many there are).
/// <list type="number">
/// <item>the context network: <c>h2_0 = tanh(W_ctx pool_f(x) + b_ctx)</c> (<c>context</c>), the upper LSTM's first state
/// (<c>c2_0 = 0</c>), from the image average-pooled by <c>f</c>; <c>h1_0 = c1_0 = 0</c>;</item>
/// <item>for <c>t = 0..T-1</c>: <c>μ_t = tanh(W_e h2_t + b_e)</c> (<c>emission</c>), the draw <c>s_t = μ_t + σ ε_t</c>
/// (<c>ε_t</c> given by the caller), the location <c>l_t = clamp(s_t, -1, 1)</c>, the baseline <c>b_t = W_b h2_t + b_b</c>
/// (<c>baseline</c>, reading <c>h2_t</c> detached);</item>
/// <item><c>g_t</c> = the glimpse network of <see cref="RecurrentAttentionModel"/> (<c>glimpse.*</c>) on <c>ρ(x, l_t)</c>
/// and <c>l_t</c>; <c>h1_{t+1} = LSTM_r1(g_t, h1_t)</c> (<c>r1.*</c>);</item>
/// <item>for <c>t &lt; T-1</c>: <c>h2_{t+1} = LSTM_r2(h1_{t+1}, h2_t)</c> (<c>r2.*</c>; it reads <c>h1</c> detached unless
/// <see cref="DramConfig.ReinforceIntoLower"/>);</item>
/// <item>when <c>t = (s+1) G - 1</c>: <c>logits_s = W_c h1_{t+1} + b_c</c> (<c>classifier</c>, <c>K + 1</c> values).</item>
/// </list>
/// The paper's glimpse network multiplies its "what" and "where" features; this one adds them (the glimpse network of the
/// single-object model, reused). The loss and its backward are in the other half of this class (DeepRecurrentAttentionModel.Loss.cs).
/// Buffers for <c>B</c> images: images <c>(B, H W)</c>, coarse images <c>(B, C)</c>, locations, draws and means
/// <c>(T, B, 2)</c>, baselines <c>(T, B)</c>, logits <c>(S, B, K+1)</c>; the LSTMs and the glimpse network keep their own.
/// </summary>
public sealed partial class DeepRecurrentAttentionModel
{
    private readonly GlimpseNetwork _glimpse;
    private readonly UnrolledLstmCell _r1, _r2;
    private readonly Linear _context, _emission, _baseline, _classifier;
    private int _batch;
    private bool _forwardReady;
    private float[] _images = [];    // (B, H W)
    private float[] _coarse = [];    // (B, C) block means
    private float[] _locations = []; // (T, B, 2) l_t, clamped
    private float[] _draws = [];     // (T, B, 2) s_t, unclamped
    private float[] _mu = [];        // (T, B, 2) μ_t
    private float[] _baselines = []; // (T, B) b_t
    private float[] _logits = [];    // (S, B, K+1)

    /// <summary>A model of <paramref name="config"/>'s architecture, its weights zero until <see cref="Reset"/> or loaded.</summary>
    public DeepRecurrentAttentionModel(DramConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Config = config;
        Store = new ParameterStore();
        _glimpse = new GlimpseNetwork(Store, config.GlimpseSize, config.GlimpseHidden, config.LocationHidden, config.GlimpseOut);
        _r1 = new UnrolledLstmCell(Store, "r1", config.GlimpseOut, config.LowerHidden);
        _r2 = new UnrolledLstmCell(Store, "r2", config.LowerHidden, config.UpperHidden);
        _context = new Linear(Store, "context", config.ContextSize, config.UpperHidden);
        _emission = new Linear(Store, "emission", config.UpperHidden, 2);
        _baseline = new Linear(Store, "baseline", config.UpperHidden, 1);
        _classifier = new Linear(Store, "classifier", config.LowerHidden, config.Outputs);
    }

    /// <summary>The architecture.</summary>
    public DramConfig Config { get; }

    /// <summary>Every parameter and its gradient, under PyTorch-style names (<c>glimpse.fc_g.weight</c>, <c>r1.weight_ih</c>, ...).</summary>
    public ParameterStore Store { get; }

    /// <summary>Threads for the GEMMs (results do not depend on it).</summary>
    public int Threads
    {
        get => _r1.Threads;
        set
        {
            _glimpse.Threads = value; _r1.Threads = value; _r2.Threads = value;
            _context.Threads = value; _emission.Threads = value; _baseline.Threads = value; _classifier.Threads = value;
        }
    }

    /// <summary>PyTorch's default initialisation of every module (<c>nn.Linear</c>, <c>nn.LSTMCell</c>).</summary>
    public void Reset(Rng rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        _glimpse.Reset(rng);
        _r1.Reset(rng);
        _r2.Reset(rng);
        _context.Reset(rng);
        _emission.Reset(rng);
        _baseline.Reset(rng);
        _classifier.Reset(rng);
    }

    /// <summary>Standard normal noise <c>ε (T, B, 2)</c> for the location draws of <paramref name="batch"/> images.</summary>
    public Tensor Noise(Rng rng, int batch)
    {
        ArgumentNullException.ThrowIfNull(rng);
        Guard.Positive(batch, nameof(batch));
        return Tensor.Randn(rng, 1f, Config.Steps, batch, 2);
    }

    /// <summary>
    /// The forward pass over <paramref name="images"/> <c>(B, H, W)</c> or <c>(B, H W)</c>, drawing <c>s_t = μ_t + σ ε_t</c>
    /// with <paramref name="eps"/> <c>(T, B, 2)</c>; keeps every step for <see cref="Loss(ReadOnlySpan{int})"/> and
    /// <see cref="Backward"/>. Returns the logits <c>(S, B, K+1)</c> (a copy).
    /// </summary>
    public Tensor Forward(Tensor images, Tensor eps)
    {
        int B = CheckImages(images);
        Guard.Shape(eps, nameof(eps), Config.Steps, B, 2);
        return Run(images, eps.Data, drawsGiven: false);
    }

    /// <summary>
    /// As <see cref="Forward"/>, with the draws <c>s_t</c> <paramref name="draws"/> <c>(T, B, 2)</c> given instead of the
    /// noise: the locations are then held fixed while the weights change (for gradient checks of the differentiable part).
    /// </summary>
    public Tensor Replay(Tensor images, Tensor draws)
    {
        int B = CheckImages(images);
        Guard.Shape(draws, nameof(draws), Config.Steps, B, 2);
        return Run(images, draws.Data, drawsGiven: true);
    }

    /// <summary>
    /// Inference: each location is the policy's mean <c>μ_t</c> (no noise), so a path and a reading are the same every time.
    /// Overwrites what the last forward kept.
    /// </summary>
    public DramTrace Infer(Tensor images)
    {
        int B = CheckImages(images);
        Forward(images, new Tensor(Config.Steps, B, 2));
        return Trace();
    }

    private int CheckImages(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        int H = Config.Height, W = Config.Width;
        bool ok = (x.Rank == 2 && x.Shape[1] == H * W) || (x.Rank == 3 && x.Shape[1] == H && x.Shape[2] == W);
        if (!ok || x.Shape[0] == 0)
            throw new ArgumentException($"images have shape {x.ShapeString}, expected (B, {H}, {W}) or (B, {H * W}).", nameof(x));
        return x.Shape[0];
    }

    private Span<float> Slice(float[] a, int t, int width) => a.AsSpan(t * _batch * width, _batch * width);

    private Tensor Run(Tensor images, float[] noiseOrDraws, bool drawsGiven)
    {
        int B = images.Shape[0], T = Config.Steps, G = Config.GlimpsesPerObject, H = Config.Height, W = Config.Width, P = H * W;
        int R = Config.GlimpseSize, H1 = Config.LowerHidden;
        Begin(B);
        images.Data.AsSpan(0, B * P).CopyTo(_images);
        for (int b = 0; b < B; b++) Pool(_images.AsSpan(b * P, P), H, W, Config.ContextPool, _coarse.AsSpan(b * Config.ContextSize, Config.ContextSize));
        var h2 = _r2.State(0);
        _context.Forward(_coarse, B, h2);
        TensorPrimitives.Tanh(h2, h2);
        for (int t = 0; t < T; t++)
        {
            h2 = _r2.State(t);
            var mu = Slice(_mu, t, 2);
            _emission.Forward(h2, B, mu);
            TensorPrimitives.Tanh(mu, mu);
            _baseline.Forward(h2, B, Slice(_baselines, t, 1));
            var draws = Slice(_draws, t, 2);
            var loc = Slice(_locations, t, 2);
            var given = noiseOrDraws.AsSpan(t * B * 2, B * 2);
            for (int i = 0; i < draws.Length; i++)
            {
                draws[i] = drawsGiven ? given[i] : mu[i] + Config.Sigma * given[i];
                loc[i] = Math.Clamp(draws[i], -1f, 1f);
            }
            loc.CopyTo(_glimpse.LocationAt(t));
            var rho = _glimpse.GlimpseAt(t);
            for (int b = 0; b < B; b++)
                GlimpseSensor.Read(_images.AsSpan(b * P, P), H, W, loc[2 * b], loc[2 * b + 1], Config.Patch, Config.Scales, rho.Slice(b * R, R));
            _glimpse.Forward(t).CopyTo(_r1.InputAt(t));
            _r1.Step(t);
            var h1 = _r1.State(t + 1);
            if (t % G == G - 1) _classifier.Forward(h1, B, Slice(_logits, t / G, Config.Outputs));
            if (t == T - 1) break;
            h1.CopyTo(_r2.InputAt(t));
            _r2.Step(t);
        }
        _forwardReady = true;
        _lossReady = false;
        return new Tensor(_logits.AsSpan(0, Config.Slots * B * Config.Outputs).ToArray(), Config.Slots, B, Config.Outputs);
    }

    private void Begin(int batch)
    {
        int T = Config.Steps, P = Config.Height * Config.Width;
        _batch = batch;
        _glimpse.Begin(T, batch);
        _r1.Begin(T, batch);
        _r2.Begin(T - 1, batch);
        _images = Buffers.Ensure(_images, batch * P);
        _coarse = Buffers.Ensure(_coarse, batch * Config.ContextSize);
        _locations = Buffers.Ensure(_locations, T * batch * 2);
        _draws = Buffers.Ensure(_draws, T * batch * 2);
        _mu = Buffers.Ensure(_mu, T * batch * 2);
        _baselines = Buffers.Ensure(_baselines, T * batch);
        _logits = Buffers.Ensure(_logits, Config.Slots * batch * Config.Outputs);
    }

    /// <summary>
    /// The means of the <paramref name="f"/> x <paramref name="f"/> blocks of <paramref name="image"/> <c>(H, W)</c>, row-major into
    /// <paramref name="coarse"/> <c>(H/f, W/f)</c>, as <c>avg_pool2d(x, f)</c>.
    /// </summary>
    public static void Pool(ReadOnlySpan<float> image, int height, int width, int f, Span<float> coarse)
    {
        int h = height / f, w = width / f;
        Guard.Length(coarse.Length, h * w, nameof(coarse));
        float inv = 1f / (f * f);
        for (int r = 0; r < h; r++)
            for (int c = 0; c < w; c++)
            {
                float sum = 0f;
                for (int i = 0; i < f; i++)
                    for (int j = 0; j < f; j++) sum += image[(r * f + i) * width + c * f + j];
                coarse[r * w + c] = sum * inv;
            }
    }

    private void RequireForward()
    {
        if (!_forwardReady) throw new InvalidOperationException("run Forward, Replay or Infer first.");
    }

    /// <summary>The locations, logits, argmaxes and read sequences of the last forward (copies).</summary>
    public DramTrace Trace()
    {
        RequireForward();
        int T = Config.Steps, B = _batch, S = Config.Slots, K1 = Config.Outputs;
        var classes = new int[B * S]; // (B, S)
        for (int b = 0; b < B; b++)
            for (int s = 0; s < S; s++) classes[b * S + s] = GlimpseLosses.Argmax(_logits.AsSpan((s * B + b) * K1, K1));
        var sequences = new int[B][];
        for (int b = 0; b < B; b++) sequences[b] = DramTargets.Sequence(classes.AsSpan(b * S, S), Config.End);
        return new DramTrace(new Tensor(_locations.AsSpan(0, T * B * 2).ToArray(), T, B, 2),
            new Tensor(_glimpse.Glimpses(T).ToArray(), T, B, Config.Scales, Config.Patch, Config.Patch),
            new Tensor(_logits.AsSpan(0, S * B * K1).ToArray(), S, B, K1), classes, sequences);
    }

    /// <summary>The policy means <c>μ_t (T, B, 2)</c> of the last forward (a copy).</summary>
    public Tensor Means() => Copy(_mu, 2);

    /// <summary>The unclamped draws <c>s_t (T, B, 2)</c> of the last forward (a copy): what <see cref="Replay"/> takes.</summary>
    public Tensor Draws() => Copy(_draws, 2);

    /// <summary>The baselines <c>b_t (T, B)</c> of the last forward (a copy).</summary>
    public Tensor Baselines() => Copy(_baselines, 1);

    private Tensor Copy(float[] a, int width)
    {
        RequireForward();
        int T = Config.Steps;
        var data = a.AsSpan(0, T * _batch * width).ToArray();
        return width == 1 ? new Tensor(data, T, _batch) : new Tensor(data, T, _batch, width);
    }
}
