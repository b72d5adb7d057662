using System.Numerics.Tensors;
using Recur.Nn;

namespace Recur.Models.Glimpse;

/// <summary>
/// The loss and backward pass of <see cref="DeepRecurrentAttentionModel"/>. For targets <c>y (B, S)</c>
/// (<see cref="DramTargets"/>: the classes in reading order, the end symbol, then slots not scored), with <c>n_b</c> objects in
/// scene <c>b</c> and <c>c_{b,s} = [argmax logits_{b,s} = y_{b,s}]</c> on the active slots <c>s ≤ n_b</c>:
/// <c>L = (1/B) Σ_{b, s ≤ n_b} CE(logits_{b,s}, y_{b,s}) + (1/(B T)) Σ_{b, t active} [(b_t - R_t)² - A_t Σ_j log N(s_tj; μ_tj, σ²)]</c>,
/// with the return <c>R_t</c> the reward to go (<see cref="DramTargets.Returns"/>: the correct slots from the one glimpse
/// <c>t</c> serves on; the paper's cumulative reward, per object) and <c>A_t = R_t - b_t</c> held constant. A glimpse is active
/// while its slot is. Gradients: the cross-entropy into the classifier, <c>r1</c> and the glimpse network; the squared error
/// into <c>baseline</c> only; the REINFORCE term into <c>emission</c>, <c>r2</c>, <c>context</c> (and through <c>r2</c>'s
/// input into <c>r1</c> and the glimpse network with <see cref="DramConfig.ReinforceIntoLower"/>).
/// </summary>
public sealed partial class DeepRecurrentAttentionModel
{
    private bool _lossReady;
    private int[] _targets = [], _counts = [];  // (S, B) slot-major targets; (B) objects per scene
    private float[] _correct = [], _returns = []; // c (S, B); R_t (T, B)
    private bool[] _active = [];                  // (T, B)
    // Loss gradients: dlogits (S, B, K+1), db (T, B), dμ (T, B, 2); backward scratch: dh1, dh1_prev, dh1 of a head or of r2's
    // input (B, H1); dh2, dh2_prev, a head's dh2 (B, H2); the emission's dpre (B, 2); dg (T, B, G).
    private float[] _dLogits = [], _dBaselines = [], _dMu = [], _dh1 = [], _dh1Prev = [], _dh1Add = [], _dh2 = [], _dh2Prev = [], _dh2Head = [];
    private float[] _dPre = [], _dG = [];

    /// <summary>
    /// The hybrid loss of the last forward for <paramref name="targets"/> <c>(B, S)</c> (<see cref="DramTargets.Fill"/>), with the
    /// returns the reward to go of the slots classified right; prepares <see cref="Backward"/>. The reward reported is the
    /// fraction of the active slots classified right.
    /// </summary>
    public GlimpseLoss Loss(ReadOnlySpan<int> targets)
    {
        int B = Prepare(targets), S = Config.Slots, K1 = Config.Outputs, T = Config.Steps;
        for (int i = 0; i < S * B; i++)
            _correct[i] = _targets[i] != DramTargets.Ignore && GlimpseLosses.Argmax(_logits.AsSpan(i * K1, K1)) == _targets[i] ? 1f : 0f;
        _returns = Buffers.Ensure(_returns, T * B);
        DramTargets.Returns(_correct.AsSpan(0, S * B), _counts.AsSpan(0, B), S, Config.GlimpsesPerObject, _returns, _active);
        return Terms(_returns);
    }

    /// <summary>
    /// The hybrid loss with the returns <paramref name="returns"/> <c>(T, B)</c> given, so that (with <see cref="Replay"/>) the loss
    /// is a smooth function of the weights. Its gradients, kept for <see cref="Backward"/>:
    /// <c>∂L/∂logits = (softmax - onehot(y)) / B</c> on active slots, <c>∂L/∂b_t = 2 (b_t - R_t) / (B T)</c>,
    /// <c>∂L/∂μ_t = -A_t (s_t - μ_t) / (σ² B T)</c> on active glimpses.
    /// </summary>
    public GlimpseLoss Loss(ReadOnlySpan<int> targets, ReadOnlySpan<float> returns)
    {
        int B = Prepare(targets), S = Config.Slots, T = Config.Steps;
        Guard.Length(returns.Length, T * B, nameof(returns));
        for (int i = 0; i < S * B; i++) _correct[i] = 0f;
        DramTargets.Returns(_correct.AsSpan(0, S * B), _counts.AsSpan(0, B), S, Config.GlimpsesPerObject, new float[T * B], _active);
        return Terms(returns);
    }

    private int Prepare(ReadOnlySpan<int> targets)
    {
        RequireForward();
        int B = _batch, S = Config.Slots, T = Config.Steps;
        Guard.Length(targets.Length, B * S, nameof(targets));
        _targets = Buffers.Ensure(_targets, S * B);
        _counts = Buffers.Ensure(_counts, B);
        _correct = Buffers.Ensure(_correct, S * B);
        _active = Buffers.Ensure(_active, T * B);
        for (int b = 0; b < B; b++)
        {
            _counts[b] = DramTargets.Count(targets.Slice(b * S, S), Config.End);
            for (int s = 0; s < S; s++) _targets[s * B + b] = targets[b * S + s];
        }
        return B;
    }

    private GlimpseLoss Terms(ReadOnlySpan<float> returns)
    {
        int B = _batch, S = Config.Slots, K1 = Config.Outputs, T = Config.Steps, n = T * B;
        _dLogits = Buffers.Ensure(_dLogits, S * B * K1);
        _dBaselines = Buffers.Ensure(_dBaselines, n);
        _dMu = Buffers.Ensure(_dMu, n * 2);
        double ce = SoftmaxCrossEntropy.LossAndGradient<float>(_logits.AsSpan(0, S * B * K1), S * B, K1, _targets.AsSpan(0, S * B),
            _dLogits.AsSpan(0, S * B * K1), LossReduction.Sum, DramTargets.Ignore) / B;
        TensorPrimitives.Multiply(_dLogits.AsSpan(0, S * B * K1), 1f / B, _dLogits.AsSpan(0, S * B * K1));
        double baseline = 0, reinforce = 0, sigma = Config.Sigma;
        float scale = 1f / n, inv = scale / (Config.Sigma * Config.Sigma);
        for (int i = 0; i < n; i++)
        {
            if (!_active[i])
            {
                _dBaselines[i] = 0f;
                _dMu[2 * i] = _dMu[2 * i + 1] = 0f;
                continue;
            }
            double diff = _baselines[i] - (double)returns[i];
            baseline += diff * diff;
            _dBaselines[i] = 2f * scale * (float)diff;
            float advantage = returns[i] - _baselines[i];
            for (int j = 0; j < 2; j++)
            {
                int k = 2 * i + j;
                reinforce -= advantage * GlimpseLosses.LogProb(_draws[k], _mu[k], sigma);
                _dMu[k] = -advantage * (_draws[k] - _mu[k]) * inv;
            }
        }
        double right = 0, scored = 0;
        for (int i = 0; i < S * B; i++)
            if (_targets[i] != DramTargets.Ignore) { scored++; right += _correct[i]; }
        _lossReady = true;
        return new GlimpseLoss(ce, baseline * scale, reinforce * scale, scored == 0 ? 0 : right / scored);
    }

    /// <summary>
    /// Backpropagation through time of the last loss: adds every parameter's gradient to <see cref="Store"/> (call
    /// <c>Store.ZeroGrad()</c> first for a fresh one). From the last glimpse back, per step <c>t</c>: the emission and baseline
    /// heads on <c>h2_{t+1}</c> and <c>r2</c>'s step <c>t</c>; the classifier on <c>h1_{t+1}</c> at a slot's last glimpse, and
    /// <c>r1</c>'s step <c>t</c>; then the heads on <c>h2_0</c> into the context network, and once over every step, the
    /// glimpse network.
    /// </summary>
    public void Backward()
    {
        if (!_lossReady) throw new InvalidOperationException("Backward needs a Forward and then a Loss first.");
        int B = _batch, T = Config.Steps, G = Config.GlimpsesPerObject, H1 = Config.LowerHidden, H2 = Config.UpperHidden, F = Config.GlimpseOut;
        int K1 = Config.Outputs;
        _dh1 = Buffers.Ensure(_dh1, B * H1);
        _dh1Prev = Buffers.Ensure(_dh1Prev, B * H1);
        _dh1Add = Buffers.Ensure(_dh1Add, B * H1);
        _dh2 = Buffers.Ensure(_dh2, B * H2);
        _dh2Prev = Buffers.Ensure(_dh2Prev, B * H2);
        _dh2Head = Buffers.Ensure(_dh2Head, B * H2);
        _dPre = Buffers.Ensure(_dPre, B * 2);
        _dG = Buffers.Ensure(_dG, T * B * F);
        Array.Clear(_dh1, 0, B * H1);
        Array.Clear(_dh2, 0, B * H2);
        _r1.BeginBackward();
        _r2.BeginBackward();
        for (int t = T - 1; t >= 0; t--)
        {
            if (t < T - 1)
            {
                Heads(t + 1);
                _r2.StepBackward(t, _dh2, _dh1Add, _dh2Prev);
                (_dh2, _dh2Prev) = (_dh2Prev, _dh2);
                if (Config.ReinforceIntoLower) TensorPrimitives.Add(_dh1, _dh1Add, _dh1);
            }
            if (t % G == G - 1)
            {
                _classifier.Backward(_r1.State(t + 1), Slice(_dLogits, t / G, K1), B, _dh1Add);
                TensorPrimitives.Add(_dh1, _dh1Add, _dh1);
            }
            _r1.StepBackward(t, _dh1, _dG.AsSpan(t * B * F, B * F), _dh1Prev);
            (_dh1, _dh1Prev) = (_dh1Prev, _dh1);
        }
        _r1.EndBackward();                                               // the weight gradients, one product over the steps each
        _r2.EndBackward();
        Heads(0);
        var h2 = _r2.State(0);
        for (int i = 0; i < B * H2; i++) _dh2[i] *= 1f - h2[i] * h2[i];
        _context.Backward(_coarse, _dh2, B, []);
        _glimpse.Backward(T, _dG);
    }

    /// <summary>The baseline (weights only) and the emission through <c>∂μ/∂pre = 1 - μ²</c> on <c>h2_t</c>, the latter added to <c>dh2</c>.</summary>
    private void Heads(int t)
    {
        var h2 = _r2.State(t);
        _baseline.Backward(h2, Slice(_dBaselines, t, 1), _batch, []);
        var mu = Slice(_mu, t, 2);
        var dMu = Slice(_dMu, t, 2);
        for (int i = 0; i < _batch * 2; i++) _dPre[i] = dMu[i] * (1f - mu[i] * mu[i]);
        _emission.Backward(h2, _dPre.AsSpan(0, _batch * 2), _batch, _dh2Head);
        TensorPrimitives.Add(_dh2, _dh2Head, _dh2);
    }
}
