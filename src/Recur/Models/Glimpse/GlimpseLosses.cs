namespace Recur.Models.Glimpse;

/// <summary>
/// The hybrid loss of a batch (batch means), the three terms of <see cref="RecurrentAttentionModel"/>'s objective:
/// <c>L = L_CE + L_b + L_R</c>.
/// </summary>
/// <param name="Classification"><c>L_CE</c>: cross-entropy of the last step's logits.</param>
/// <param name="Baseline"><c>L_b = mean_{b,t} (b_t - R)²</c>.</param>
/// <param name="Reinforce"><c>L_R = -mean_{b,t} A_t log π(l_{t+1} | μ_t)</c>, the advantage <c>A_t = R - b_t</c> held constant.</param>
/// <param name="Reward">The mean reward <c>R</c>: the fraction of images classified correctly.</param>
public readonly record struct GlimpseLoss(double Classification, double Baseline, double Reinforce, double Reward)
{
    /// <summary><c>L_CE + L_b + L_R</c>.</summary>
    public double Total => Classification + Baseline + Reinforce;
}

/// <summary>
/// The pieces of the REINFORCE objective (Williams 1992), span in, span out: the Gaussian policy's log-density and its score,
/// and the 0/1 reward. For a policy <c>l ~ N(μ, σ²)</c> per coordinate,
/// <c>log π(l | μ) = -(l - μ)² / (2σ²) - log σ - ½ log 2π</c> and <c>∂/∂μ log π = (l - μ) / σ²</c>; then
/// <c>∇_μ E[R] = E[(R - b) ∂/∂μ log π]</c> for any baseline <c>b</c> that does not depend on <c>l</c>.
/// </summary>
public static class GlimpseLosses
{
    private static readonly double HalfLogTwoPi = 0.5 * Math.Log(2 * Math.PI);

    /// <summary><c>log N(l; μ, σ²) = -(l - μ)² / (2σ²) - log σ - ½ log 2π</c>, in double.</summary>
    public static double LogProb(double l, double mu, double sigma)
    {
        double z = (l - mu) / sigma;
        return -0.5 * z * z - Math.Log(sigma) - HalfLogTwoPi;
    }

    /// <summary>The score <c>∂/∂μ log N(l; μ, σ²) = (l - μ) / σ²</c>.</summary>
    public static double Score(double l, double mu, double sigma) => (l - mu) / (sigma * sigma);

    /// <summary>The REINFORCE estimate of <c>∂/∂μ E[f(l)]</c> from one draw: <c>(f(l) - b) (l - μ) / σ²</c>.</summary>
    public static double Estimate(double reward, double baseline, double l, double mu, double sigma)
        => (reward - baseline) * Score(l, mu, sigma);

    /// <summary>The index of the largest logit (the first on ties), as <c>torch.argmax</c>.</summary>
    public static int Argmax(ReadOnlySpan<float> logits)
    {
        int best = 0;
        for (int k = 1; k < logits.Length; k++) if (logits[k] > logits[best]) best = k;
        return best;
    }

    /// <summary>
    /// The rewards <c>R (B)</c>: 1 where the argmax of the row of <paramref name="logits"/> <c>(B, K)</c> is the label, else 0.
    /// </summary>
    public static void Rewards(ReadOnlySpan<float> logits, int classes, ReadOnlySpan<int> labels, Span<float> rewards)
    {
        for (int b = 0; b < labels.Length; b++) rewards[b] = Argmax(logits.Slice(b * classes, classes)) == labels[b] ? 1f : 0f;
    }
}
