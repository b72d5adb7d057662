using Recur.Nn;

namespace Recur.Models.Captioning;

/// <summary>
/// Show, Attend and Tell's stochastic hard attention (Xu et al. 2015, section 4.1) for <see cref="AttentionCaptioner"/>.
/// The attention weights <c>α_t (L)</c> of word <c>t</c> are a Multinoulli over the locations; in training each caption
/// either reads the expected context <c>Σ_i α_ti a_i</c> at every step (with probability <see cref="CaptionerConfig.ExpectedProbability"/>,
/// the paper's "set to its expected value", per image) or samples <c>s_t ~ Multinoulli(α_t)</c> and reads <c>a_{s_t}</c>.
/// A sampled caption <c>b</c> of reward <c>r_b = log p(y_b | s_b, a) = -Σ_t CE_bt</c> (the training cross-entropy of its
/// words, label-smoothed when the loss is) adds to the loss, over its steps up to its <c>&lt;END&gt;</c> and divided by the
/// batch's words <c>W</c> as the cross-entropy is,
/// <c>-(λ_r / W) (r_b - b) Σ_t log α_{t s_t}</c> (REINFORCE, the advantage held constant) and
/// <c>-(λ_e / W) Σ_t H(α_t)</c> (the entropy bonus), so that the gradient is the paper's
/// <c>∂ log p(y | s, a) + λ_r (log p(y | s, a) - b) ∂ log p(s | a) + λ_e ∂ H[s]</c>; with <c>λ_r = 1</c> its expectation is
/// the gradient of the bound <c>Σ_s p(s | a) log p(y | s, a)</c>. The baseline is the moving average
/// <c>b ← d b + (1 - d) mean_b r_b</c> over the sampled captions, updated after the step's advantages are taken (so that it
/// does not depend on this step's draws); the first batch starts it at its mean and adds no REINFORCE term.
/// Outside training the context is that of the most probable location (<c>argmax</c>) or the expected one
/// (<see cref="CaptionerConfig.HardDecoding"/>).
/// </summary>
internal sealed class HardAttention
{
    private readonly CaptionerConfig _config;
    private readonly AdditiveAttention _att;
    private HardAttentionDraws? _draws;   // this forward's training choices; null outside training
    private int[] _chosen = [];           // (T, B) the location each step read; -1: the expected context
    private float[] _advantage = [];      // (B) λ_r (r_b - b) / W for the sampled captions, 0 for the others
    private double[] _rewards = [];       // (B) r_b = log p(y_b | s_b, a)
    private int _steps, _batch;
    private float _perWord;               // 1 / W

    public HardAttention(CaptionerConfig config, AdditiveAttention attention)
    {
        _config = config;
        _att = attention;
    }

    /// <summary>The moving-average baseline.</summary>
    public ReinforceBaseline Baseline { get; set; }

    /// <summary>The per-caption rewards <c>r_b (B)</c> of the last training step.</summary>
    public ReadOnlySpan<double> Rewards => _rewards.AsSpan(0, _batch);

    /// <summary>Starts a forward of <paramref name="steps"/> x <paramref name="batch"/>: training with <paramref name="draws"/>, else evaluation.</summary>
    public void Begin(int steps, int batch, HardAttentionDraws? draws)
    {
        if (draws is not null && (draws.Expected.Length != batch || draws.Steps != steps))
            throw new ArgumentException($"draws for {draws.Steps} x {draws.Expected.Length} steps and captions, not {steps} x {batch}.");
        if (draws?.Locations is { } forced && forced.Any(l => l < 0 || l >= _config.Locations))
            throw new ArgumentException($"forced locations must be in [0, {_config.Locations}).");
        _draws = draws;
        _steps = steps; _batch = batch;
        _chosen = Buffers.Ensure(_chosen, steps * batch);
    }

    /// <summary>Whether this forward is a training one (sampled locations).</summary>
    public bool Training => _draws is not null;

    /// <summary>The location step <paramref name="t"/> of caption <paramref name="b"/> read (-1: the expected context).</summary>
    public int Location(int t, int b) => _chosen[t * _batch + b];

    /// <summary>
    /// The first location whose cumulative weight exceeds <paramref name="u"/> in [0, 1), so that location <c>i</c> is drawn with
    /// probability <c>α_i</c>; rounding that leaves the sum below <c>u</c> gives the last location of nonzero weight.
    /// </summary>
    public static int Sample(ReadOnlySpan<float> alpha, double u)
    {
        double acc = 0;
        int last = 0;
        for (int i = 0; i < alpha.Length; i++)
        {
            if (alpha[i] <= 0f) continue;
            last = i;
            acc += alpha[i];
            if (u < acc) return i;
        }
        return last;
    }

    /// <summary>
    /// Step <paramref name="t"/>: chooses each caption's location from <c>α_t (B, L)</c> and, for those that read one,
    /// overwrites their row of the soft context <paramref name="context"/> <c>(B, D)</c> with <c>a_s</c> from
    /// <paramref name="annotations"/> <c>(B, L, D)</c>.
    /// </summary>
    public void Choose(int t, ReadOnlySpan<float> annotations, Span<float> context)
    {
        int B = _batch, L = _config.Locations, D = _config.FeatureDim;
        var alpha = _att.Weights(t);
        for (int b = 0; b < B; b++)
        {
            var row = alpha.Slice(b * L, L);
            int s;
            if (_draws is { } d)
                s = d.Expected[b] ? -1 : d.Locations is { } forced ? forced[t * B + b] : Sample(row, d.Uniforms![t * B + b]);
            else
                s = _config.HardDecoding == "argmax" ? System.Numerics.Tensors.TensorPrimitives.IndexOfMax(row) : -1;
            _chosen[t * B + b] = s;
            if (s >= 0) annotations.Slice((b * L + s) * D, D).CopyTo(context.Slice(b * D, D));
        }
    }

    /// <summary>
    /// The attention map of step <paramref name="t"/> <c>(B, L)</c> for reports: one-hot at the location read, or the weights
    /// for a caption that read the expected context.
    /// </summary>
    public void Map(int t, Span<float> map)
    {
        int B = _batch, L = _config.Locations;
        _att.Weights(t).CopyTo(map);
        for (int b = 0; b < B; b++)
        {
            int s = _chosen[t * B + b];
            if (s < 0) continue;
            map.Slice(b * L, L).Clear();
            map[b * L + s] = 1f;
        }
    }

    /// <summary>
    /// After a training forward, from the logits <c>(T, B, V)</c> (before the cross-entropy's gradient overwrites them) and
    /// the targets <c>(T, B)</c>: each caption's reward, the advantages of the sampled ones (against the baseline as it was),
    /// then the baseline's update. <paramref name="words"/> is <c>W</c>.
    /// </summary>
    public void Score(ReadOnlySpan<float> logits, int vocab, ReadOnlySpan<int> targets, int words)
    {
        int T = _steps, B = _batch;
        _rewards = Buffers.Ensure(_rewards, B);
        _advantage = Buffers.Ensure(_advantage, B);
        Array.Clear(_rewards);
        float eps = _config.LabelSmoothing;
        for (int t = 0; t < T; t++)
            for (int b = 0; b < B; b++)
            {
                int y = targets[t * B + b];
                if (y == SoftmaxCrossEntropy.DefaultIgnoreIndex) continue;
                _rewards[b] -= CrossEntropy(logits.Slice((t * B + b) * vocab, vocab), y, eps);
            }
        _perWord = 1f / words;
        var base0 = Baseline;
        double sum = 0;
        int sampled = 0;
        for (int b = 0; b < B; b++)
        {
            _advantage[b] = 0f;
            if (_draws!.Expected[b]) continue;
            sum += _rewards[b];
            sampled++;
            if (base0.Updates > 0) _advantage[b] = (float)(_config.ReinforceWeight * (_rewards[b] - base0.Value) / words);
        }
        if (sampled == 0) return;
        double mean = sum / sampled, decay = _config.BaselineDecay;
        Baseline = new ReinforceBaseline(base0.Updates == 0 ? (float)mean : (float)(decay * base0.Value + (1 - decay) * mean), base0.Updates + 1);
    }

    /// <summary>PyTorch's cross-entropy of one row: <c>(1 - ε)(lse - x_y) + ε (lse - mean_v x_v)</c>, in double.</summary>
    private static double CrossEntropy(ReadOnlySpan<float> x, int y, float eps)
    {
        double max = double.NegativeInfinity, mean = 0;
        foreach (float v in x) { max = Math.Max(max, v); mean += v; }
        mean /= x.Length;
        double sum = 0;
        foreach (float v in x) sum += Math.Exp(v - max);
        double lse = max + Math.Log(sum);
        return (1 - eps) * (lse - x[y]) + eps * (lse - mean);
    }

    /// <summary>The entropy bonus's value, <c>-(λ_e / W) Σ_{b sampled} Σ_t H(α_bt)</c> over the steps up to each <c>&lt;END&gt;</c>.</summary>
    public double EntropyBonus(ReadOnlySpan<int> targets)
    {
        if (_config.HardEntropy == 0f) return 0;
        int B = _batch, L = _config.Locations;
        double h = 0;
        for (int t = 0; t < _steps; t++)
        {
            var alpha = _att.Weights(t);
            for (int b = 0; b < B; b++)
            {
                if (_draws!.Expected[b] || targets[t * B + b] == SoftmaxCrossEntropy.DefaultIgnoreIndex) continue;
                foreach (float w in alpha.Slice(b * L, L)) if (w > 0f) h -= w * Math.Log(w);
            }
        }
        return -_config.HardEntropy * _perWord * h;
    }

    /// <summary>
    /// Backward of step <paramref name="t"/> for the sampled captions: their context <c>a_s</c> does not depend on <c>α_t</c>,
    /// so their row of <paramref name="dContext"/> <c>(B, D)</c> is cleared; the REINFORCE term adds
    /// <c>-(λ_r / W)(r_b - b) / α_s</c> at <c>s</c> and the entropy bonus <c>(λ_e / W)(ln α_i + 1)</c> at every <c>i</c> to
    /// <paramref name="dAlpha"/> <c>(B, L)</c>, on the steps up to each caption's <c>&lt;END&gt;</c>.
    /// </summary>
    public void Backward(int t, ReadOnlySpan<int> targets, Span<float> dContext, Span<float> dAlpha)
    {
        int B = _batch, L = _config.Locations, D = _config.FeatureDim;
        var alpha = _att.Weights(t);
        float ent = _config.HardEntropy * _perWord;
        for (int b = 0; b < B; b++)
        {
            int s = _chosen[t * B + b];
            if (s < 0) continue;
            dContext.Slice(b * D, D).Clear();
            if (targets[t * B + b] == SoftmaxCrossEntropy.DefaultIgnoreIndex) continue;
            dAlpha[b * L + s] -= _advantage[b] / MathF.Max(alpha[b * L + s], 1e-30f);
            if (ent != 0f)
                for (int i = 0; i < L; i++) dAlpha[b * L + i] += ent * (MathF.Log(MathF.Max(alpha[b * L + i], 1e-30f)) + 1f);
        }
    }
}
