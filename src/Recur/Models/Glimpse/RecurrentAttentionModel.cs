using System.Numerics.Tensors;
using Recur.Nn;

namespace Recur.Models.Glimpse;

/// <summary>
/// The Recurrent Attention Model (Mnih et al. 2014, "Recurrent Models of Visual Attention") for grey images <c>x</c>
/// <c>(H, W)</c> in [0, 1]. With <c>h_0 = c_0 = 0</c> and the first location <c>l_1</c> given by the caller, for
/// <c>t = 1..T</c>:
/// <list type="number">
/// <item><c>ρ_t = ρ(x, l_t)</c>, the retina (<see cref="GlimpseSensor"/>), <c>k g²</c> values;</item>
/// <item><c>g_t = relu(W_hg relu(W_g ρ_t + b_g) + W_hl relu(W_l l_t + b_l) + b)</c> (<c>glimpse.*</c>);</item>
/// <item><c>h_t = LSTM(g_t, h_{t-1})</c> (<c>core.*</c>, an <c>nn.LSTMCell</c>, gates i, f, g, o);</item>
/// <item>for <c>t &lt; T</c>: <c>μ_t = tanh(W_loc h_t + b_loc)</c> (<c>locator</c>, 2 values; with
/// <see cref="GlimpseConfig.LocatorHidden"/>, <c>tanh(W_loc relu(W_lh h_t + b_lh) + b_loc)</c>, <c>locator_hidden</c> first), the draw
/// <c>s_t = μ_t + σ ε_t</c> with <c>ε_t ~ N(0, I)</c> given by the caller, the next location
/// <c>l_{t+1} = clamp(s_t, -1, 1)</c>, and the baseline <c>b_t = W_b h_t + b_b</c> (<c>baseline</c>, 1 value);</item>
/// <item>after the last glimpse, <c>logits = W_c h_T + b_c</c> (<c>classifier</c>, <c>K</c> values).</item>
/// </list>
/// Only the <c>T - 1</c> sampled locations act on the reward, so the policy and baseline terms run over <c>t = 1..T-1</c>
/// (none when <c>T = 1</c>). The log-density is that of the unclamped draw <c>s_t</c>; clamping is part of the environment.
/// <para>
/// The hybrid loss (<see cref="Loss(ReadOnlySpan{int})"/>), batch means, with the reward <c>R = [argmax logits = y]</c>:
/// <c>L = CE(logits, y) + mean_t (b_t - R)² - mean_t A_t log π(s_t | μ_t)</c>, <c>A_t = R - b_t</c> detached, so
/// minimising <c>L</c> ascends the expected reward by REINFORCE. Where each gradient goes: the cross-entropy into the
/// classifier, the core and the glimpse network (by backpropagation through time); the baseline's squared error into
/// <c>baseline</c> only (it reads <c>h_t</c> detached); the REINFORCE term into <c>locator</c> only, which reads <c>h_t</c>
/// detached, unless <see cref="GlimpseConfig.ReinforceIntoCore"/> lets it flow on through <c>μ_t</c> into the core and the
/// glimpse network. Nothing flows into a location (<c>ρ</c> is not differentiable in <c>l</c>, and <c>l</c> is a sample).
/// </para>
/// Buffers for <c>B</c> images: the images <c>(B, H W)</c>, the locations <c>l (T, B, 2)</c>, the draws <c>s</c> and means
/// <c>μ (T-1, B, 2)</c>, the baselines <c>b (T-1, B)</c>, the logits <c>(B, K)</c>; the glimpse network and the core keep
/// theirs (<see cref="GlimpseNetwork"/>, <see cref="UnrolledLstmCell"/>). Memory, all together: about
/// <c>T B (k g² + H_g + H_l + 3G + 7H + 9) + B H W</c> floats, plus <c>B (8H + G)</c> of scratch.
/// </summary>
public sealed class RecurrentAttentionModel
{
    private readonly GlimpseNetwork _glimpse;
    private readonly UnrolledLstmCell _core;
    private readonly Linear _locator, _baseline, _classifier;
    private readonly Linear? _locatorHidden;
    private int _steps, _batch;
    private bool _forwardReady, _lossReady;
    private float[] _images = [];    // (B, H W)
    private float[] _locations = []; // (T, B, 2) l_t, clamped
    private float[] _draws = [];     // (T-1, B, 2) s_t = μ_t + σ ε_t, unclamped
    private float[] _mu = [];        // (T-1, B, 2) μ_t = tanh(W_loc h_t + b_loc)
    private float[] _locHidden = []; // (T-1, B, L) relu(W_lh h_t + b_lh), with a locator hidden layer of L
    private float[] _baselines = []; // (T-1, B) b_t
    private float[] _logits = [];    // (B, K)
    // Loss gradients: dlogits (B, K), db (T-1, B), dμ (T-1, B, 2); backward scratch: dh, dh_{t-1}, a head's dh (B, H),
    // dpre of the locator (B, 2), dg (T, B, G).
    private float[] _dLogits = [], _dBaselines = [], _dMu = [], _dh = [], _dhPrev = [], _dhHead = [], _dLocPre = [], _dG = [];
    private float[] _dLocHidden = []; // (B, L) the locator hidden layer's gradient
    private float[] _rewardDraft = [], _advantages = []; // R (B) and A_t = R - b_t (T-1, B) of Loss(labels)

    public RecurrentAttentionModel(GlimpseConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Config = config;
        Store = new ParameterStore();
        _glimpse = new GlimpseNetwork(Store, config.GlimpseSize, config.GlimpseHidden, config.LocationHidden, config.GlimpseOut);
        _core = new UnrolledLstmCell(Store, "core", config.GlimpseOut, config.CoreHidden);
        if (config.LocatorHidden > 0) _locatorHidden = new Linear(Store, "locator_hidden", config.CoreHidden, config.LocatorHidden);
        _locator = new Linear(Store, "locator", config.LocatorInput, 2);
        _baseline = new Linear(Store, "baseline", config.CoreHidden, 1);
        _classifier = new Linear(Store, "classifier", config.CoreHidden, config.Classes);
    }

    /// <summary>The architecture.</summary>
    public GlimpseConfig Config { get; }

    /// <summary>Every parameter and its gradient, under PyTorch-style names (<c>glimpse.fc_g.weight</c>, <c>core.weight_ih</c>, ...).</summary>
    public ParameterStore Store { get; }

    /// <summary>Threads for the GEMMs (results do not depend on it).</summary>
    public int Threads
    {
        get => _core.Threads;
        set
        {
            _glimpse.Threads = value; _core.Threads = value; _locator.Threads = value; _baseline.Threads = value; _classifier.Threads = value;
            if (_locatorHidden is not null) _locatorHidden.Threads = value;
        }
    }

    /// <summary>PyTorch's default initialisation of every module (<c>nn.Linear</c>, <c>nn.LSTMCell</c>).</summary>
    public void Reset(Rng rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        _glimpse.Reset(rng);
        _core.Reset(rng);
        _locatorHidden?.Reset(rng);
        _locator.Reset(rng);
        _baseline.Reset(rng);
        _classifier.Reset(rng);
    }

    /// <summary>Standard normal noise <c>ε (T-1, B, 2)</c> for the location draws of <paramref name="batch"/> images.</summary>
    public Tensor Noise(Rng rng, int batch)
    {
        ArgumentNullException.ThrowIfNull(rng);
        Guard.Positive(batch, nameof(batch));
        return Tensor.Randn(rng, 1f, Config.Steps - 1, batch, 2);
    }

    /// <summary>First locations <c>l_1 (B, 2)</c> uniform in <c>[-1, 1]²</c>.</summary>
    public static Tensor RandomLocations(Rng rng, int batch)
    {
        Guard.Positive(batch, nameof(batch));
        return Tensor.Uniform(rng, 1f, batch, 2);
    }

    /// <summary>
    /// The forward pass over <paramref name="images"/> <c>(B, H, W)</c> or <c>(B, H W)</c> from the first locations
    /// <paramref name="firstLocation"/> <c>(B, 2)</c> in <c>[-1, 1]²</c>, drawing <c>s_t = μ_t + σ ε_t</c> with
    /// <paramref name="eps"/> <c>(T-1, B, 2)</c>; keeps every step for <see cref="Loss(ReadOnlySpan{int})"/> and
    /// <see cref="Backward"/>. Returns the logits <c>(B, K)</c> (a copy).
    /// </summary>
    public Tensor Forward(Tensor images, Tensor firstLocation, Tensor eps)
    {
        int B = CheckImages(images);
        Guard.Shape(eps, nameof(eps), Config.Steps - 1, B, 2);
        return Run(images, firstLocation, eps.Data, drawsGiven: false);
    }

    /// <summary>
    /// As <see cref="Forward"/>, with the draws <c>s_t</c> <paramref name="draws"/> <c>(T-1, B, 2)</c> given instead of the
    /// noise: the locations are then held fixed while the weights change (for gradient checks of the differentiable part).
    /// </summary>
    public Tensor Replay(Tensor images, Tensor firstLocation, Tensor draws)
    {
        int B = CheckImages(images);
        Guard.Shape(draws, nameof(draws), Config.Steps - 1, B, 2);
        return Run(images, firstLocation, draws.Data, drawsGiven: true);
    }

    /// <summary>
    /// Inference: the glimpse path and the class of every image. With <paramref name="rng"/> the locations are drawn from the
    /// policy (<c>s_t = μ_t + σ ε_t</c>, as in training); without it each next location is the mean <c>μ_t</c>. Overwrites
    /// what the last <see cref="Forward"/> kept (a <see cref="Backward"/> may still follow a <see cref="Loss(ReadOnlySpan{int})"/>).
    /// </summary>
    public GlimpseTrace Infer(Tensor images, Tensor firstLocation, Rng? rng = null)
    {
        int B = CheckImages(images);
        Forward(images, firstLocation, rng is null ? new Tensor(Config.Steps - 1, B, 2) : Noise(rng, B));
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

    private Tensor Run(Tensor images, Tensor firstLocation, float[] noiseOrDraws, bool drawsGiven)
    {
        int B = images.Shape[0], T = Config.Steps, H = Config.Height, W = Config.Width, P = H * W, S = Config.GlimpseSize;
        int K = Config.Classes;
        Guard.Shape(firstLocation, nameof(firstLocation), B, 2);
        foreach (float v in firstLocation.Data)
            if (!(v >= -1f && v <= 1f)) throw new ArgumentException($"first locations must be in [-1, 1], got {v}.", nameof(firstLocation));
        Begin(T, B);
        images.Data.CopyTo(_images, 0);
        firstLocation.Data.CopyTo(_locations, 0);
        for (int t = 0; t < T; t++)
        {
            var loc = Slice(_locations, t, 2);
            if (t > 0)
            {
                var draw = Slice(_draws, t - 1, 2);
                for (int i = 0; i < loc.Length; i++) loc[i] = Math.Clamp(draw[i], -1f, 1f);
            }
            loc.CopyTo(_glimpse.LocationAt(t));
            var rho = _glimpse.GlimpseAt(t);
            for (int b = 0; b < B; b++)
                GlimpseSensor.Read(_images.AsSpan(b * P, P), H, W, loc[2 * b], loc[2 * b + 1], Config.Patch, Config.Scales, rho.Slice(b * S, S));
            _glimpse.Forward(t).CopyTo(_core.InputAt(t));
            _core.Step(t);
            if (t == T - 1) break;
            var h = _core.State(t + 1);
            var mu = Slice(_mu, t, 2);
            if (_locatorHidden is null) _locator.Forward(h, B, mu);
            else
            {
                var hidden = Slice(_locHidden, t, Config.LocatorHidden);
                _locatorHidden.Forward(h, B, hidden);
                TensorPrimitives.Max(hidden, 0f, hidden);
                _locator.Forward(hidden, B, mu);
            }
            TensorPrimitives.Tanh(mu, mu);
            _baseline.Forward(h, B, Slice(_baselines, t, 1));
            var draws = Slice(_draws, t, 2);
            var given = noiseOrDraws.AsSpan(t * B * 2, B * 2);
            for (int i = 0; i < draws.Length; i++) draws[i] = drawsGiven ? given[i] : mu[i] + Config.Sigma * given[i];
        }
        _classifier.Forward(_core.State(T), B, _logits);
        _forwardReady = true;
        _lossReady = false;
        return new Tensor((float[])_logits.Clone(), B, K);
    }

    private void Begin(int steps, int batch)
    {
        int P = Config.Height * Config.Width, n = (steps - 1) * batch;
        _steps = steps; _batch = batch;
        _glimpse.Begin(steps, batch);
        _core.Begin(steps, batch);
        _images = Buffers.Ensure(_images, batch * P);
        _locations = Buffers.Ensure(_locations, steps * batch * 2);
        _draws = Buffers.Ensure(_draws, n * 2);
        _mu = Buffers.Ensure(_mu, n * 2);
        _locHidden = Buffers.Ensure(_locHidden, n * Config.LocatorHidden);
        _baselines = Buffers.Ensure(_baselines, n);
        _logits = Buffers.Ensure(_logits, batch * Config.Classes);
    }

    /// <summary>
    /// The hybrid loss of the last forward for the labels <paramref name="labels"/> <c>(B)</c>, with the rewards
    /// <c>R = [argmax logits = y]</c> and the advantages <c>A_t = R - b_t</c>; prepares <see cref="Backward"/>.
    /// </summary>
    public GlimpseLoss Loss(ReadOnlySpan<int> labels)
    {
        RequireForward();
        Guard.Length(labels.Length, _batch, nameof(labels));
        int n = (_steps - 1) * _batch;
        _rewardDraft = Buffers.Ensure(_rewardDraft, _batch);
        _advantages = Buffers.Ensure(_advantages, n);
        GlimpseLosses.Rewards(_logits, Config.Classes, labels, _rewardDraft);
        for (int i = 0; i < n; i++) _advantages[i] = _rewardDraft[i % _batch] - _baselines[i];
        return Loss(labels, _rewardDraft, _advantages);
    }

    /// <summary>
    /// The hybrid loss with the rewards <paramref name="rewards"/> <c>(B)</c> and the advantages <paramref name="advantages"/>
    /// <c>(T-1, B)</c> given, so that (with <see cref="Replay"/>) the loss is a smooth function of the weights:
    /// <c>L = CE(logits, y) + (1 / (B (T-1))) Σ_{t,b} [(b_t - R)² - A_t Σ_{j=x,y} log N(s_tj; μ_tj, σ²)]</c>.
    /// Its gradients, kept for <see cref="Backward"/>: <c>∂L/∂logits = (softmax - onehot(y)) / B</c>,
    /// <c>∂L/∂b_t = 2 (b_t - R) / (B (T-1))</c>, <c>∂L/∂μ_t = -A_t (s_t - μ_t) / (σ² B (T-1))</c>.
    /// </summary>
    public GlimpseLoss Loss(ReadOnlySpan<int> labels, ReadOnlySpan<float> rewards, ReadOnlySpan<float> advantages)
    {
        RequireForward();
        int B = _batch, K = Config.Classes, n = (_steps - 1) * B;
        Guard.Length(labels.Length, B, nameof(labels));
        Guard.Length(rewards.Length, B, nameof(rewards));
        Guard.Length(advantages.Length, n, nameof(advantages));
        foreach (int y in labels)
            if ((uint)y >= (uint)K) throw new ArgumentException($"labels must be in [0, {K}), got {y}.", nameof(labels));
        _dLogits = Buffers.Ensure(_dLogits, B * K);
        _dBaselines = Buffers.Ensure(_dBaselines, n);
        _dMu = Buffers.Ensure(_dMu, n * 2);
        double ce = SoftmaxCrossEntropy.LossAndGradient<float>(_logits, B, K, labels, _dLogits);
        double baseline = 0, reinforce = 0, sigma = Config.Sigma;
        float scale = n == 0 ? 0f : 1f / n, inv = scale / (Config.Sigma * Config.Sigma);
        for (int i = 0; i < n; i++)
        {
            int b = i % B;
            double diff = _baselines[i] - (double)rewards[b];
            baseline += diff * diff;
            _dBaselines[i] = 2f * scale * (float)diff;
            for (int j = 0; j < 2; j++)
            {
                int k = 2 * i + j;
                reinforce -= advantages[i] * GlimpseLosses.LogProb(_draws[k], _mu[k], sigma);
                _dMu[k] = -advantages[i] * (_draws[k] - _mu[k]) * inv;
            }
        }
        double mean = 0;
        foreach (float r in rewards) mean += r;
        _lossReady = true;
        return new GlimpseLoss(ce, baseline * scale, reinforce * scale, mean / B);
    }

    /// <summary>
    /// Backpropagation through time of the last <see cref="Loss(ReadOnlySpan{int})"/>: adds every parameter's gradient to
    /// <see cref="Store"/> (call <c>Store.ZeroGrad()</c> first for a fresh one). From the last step back: the classifier
    /// into <c>h_T</c>; per step <c>t &lt; T</c> the baseline (weights only), the locator through
    /// <c>∂μ/∂pre = 1 - μ²</c> (and into <c>h_t</c> with <see cref="GlimpseConfig.ReinforceIntoCore"/>); the core; and once
    /// over every step, the glimpse network from <c>∂L/∂g_t</c>.
    /// </summary>
    public void Backward()
    {
        if (!_lossReady) throw new InvalidOperationException("Backward needs a Forward and then a Loss first.");
        int B = _batch, T = _steps, H = Config.CoreHidden, G = Config.GlimpseOut;
        _dh = Buffers.Ensure(_dh, B * H);
        _dhPrev = Buffers.Ensure(_dhPrev, B * H);
        _dhHead = Buffers.Ensure(_dhHead, B * H);
        _dLocPre = Buffers.Ensure(_dLocPre, B * 2);
        _dG = Buffers.Ensure(_dG, T * B * G);
        _classifier.Backward(_core.State(T), _dLogits, B, _dh);
        _core.BeginBackward();
        for (int t = T - 1; t >= 0; t--)
        {
            var h = _core.State(t + 1);
            if (t < T - 1)
            {
                _baseline.Backward(h, Slice(_dBaselines, t, 1), B, []);
                var mu = Slice(_mu, t, 2);
                var dMu = Slice(_dMu, t, 2);
                for (int i = 0; i < _dLocPre.Length; i++) _dLocPre[i] = dMu[i] * (1f - mu[i] * mu[i]);
                LocatorBackward(t, h);
            }
            _core.StepBackward(t, _dh, _dG.AsSpan(t * B * G, B * G), _dhPrev);
            (_dh, _dhPrev) = (_dhPrev, _dh);
        }
        _core.EndBackward();
        _glimpse.Backward(T, _dG);
    }

    /// <summary>
    /// The location network's backward at step <paramref name="t"/> from <c>∂L/∂pre</c> (<c>_dLocPre</c>): its weights, then, with
    /// <see cref="GlimpseConfig.ReinforceIntoCore"/>, <c>∂L/∂h_t</c> added to <c>_dh</c>.
    /// </summary>
    private void LocatorBackward(int t, ReadOnlySpan<float> h)
    {
        int B = _batch;
        var dInto = Config.ReinforceIntoCore ? _dhHead.AsSpan() : [];
        if (_locatorHidden is null) _locator.Backward(h, _dLocPre, B, dInto);
        else
        {
            int L = Config.LocatorHidden;
            var hidden = Slice(_locHidden, t, L);
            _dLocHidden = Buffers.Ensure(_dLocHidden, B * L);
            _locator.Backward(hidden, _dLocPre, B, _dLocHidden);
            for (int i = 0; i < B * L; i++) if (hidden[i] <= 0f) _dLocHidden[i] = 0f; // relu
            _locatorHidden.Backward(h, _dLocHidden.AsSpan(0, B * L), B, dInto);
        }
        if (Config.ReinforceIntoCore) TensorPrimitives.Add(_dh, _dhHead, _dh);
    }

    private void RequireForward()
    {
        if (!_forwardReady) throw new InvalidOperationException("run Forward, Replay or Infer first.");
    }

    /// <summary>The locations, glimpses, logits and classes of the last forward (copies).</summary>
    public GlimpseTrace Trace()
    {
        RequireForward();
        int T = _steps, B = _batch, K = Config.Classes, g = Config.Patch;
        var classes = new int[B];
        for (int b = 0; b < B; b++) classes[b] = GlimpseLosses.Argmax(_logits.AsSpan(b * K, K));
        return new GlimpseTrace(new Tensor(_locations.AsSpan(0, T * B * 2).ToArray(), T, B, 2),
            new Tensor(_glimpse.Glimpses(T).ToArray(), T, B, Config.Scales, g, g), new Tensor((float[])_logits.Clone(), B, K), classes);
    }

    /// <summary>The policy means <c>μ_t (T-1, B, 2)</c> of the last forward (a copy).</summary>
    public Tensor Means() => Copy(_mu, 2);

    /// <summary>The unclamped draws <c>s_t (T-1, B, 2)</c> of the last forward (a copy): what <see cref="Replay"/> takes.</summary>
    public Tensor Draws() => Copy(_draws, 2);

    /// <summary>The baselines <c>b_t (T-1, B)</c> of the last forward (a copy).</summary>
    public Tensor Baselines() => Copy(_baselines, 1);

    private Tensor Copy(float[] a, int width)
    {
        RequireForward();
        var data = a.AsSpan(0, (_steps - 1) * _batch * width).ToArray();
        return width == 1 ? new Tensor(data, _steps - 1, _batch) : new Tensor(data, _steps - 1, _batch, width);
    }
}
