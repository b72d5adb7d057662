namespace Recur.Models.Draw;

/// <summary>
/// DRAW's loss per image (paper equations 9-12), in nats, averaged over the batch: the reconstruction
/// <c>L^x = -log D(x | c_T)</c> and the latent (KL) cost <c>L^z = Σ_t KL(Q(z_t | h_enc_t) ‖ N(0, I))</c>.
/// </summary>
/// <param name="Reconstruction"><c>L^x</c>, the batch mean.</param>
/// <param name="Latent"><c>L^z</c>, the batch mean.</param>
public readonly record struct DrawLoss(double Reconstruction, double Latent)
{
    /// <summary><c>L = L^x + L^z</c>: the negative variational bound on <c>log p(x)</c>, nats per image.</summary>
    public double Total => Reconstruction + Latent;
}

/// <summary>
/// The two terms of <see cref="DrawLoss"/> and their gradients, span in, span out. Sums are in double.
/// </summary>
public static class DrawLosses
{
    /// <summary>
    /// The Bernoulli negative log-likelihood of binary pixels <paramref name="x"/> under <c>σ(c)</c>, summed over every
    /// element, in the stable form of binary cross-entropy with logits:
    /// <c>-x log σ(c) - (1 - x) log(1 - σ(c)) = max(c, 0) - c x + log(1 + exp(-|c|))</c>.
    /// </summary>
    public static double BernoulliNll(ReadOnlySpan<float> logits, ReadOnlySpan<float> x)
    {
        if (logits.Length != x.Length) throw new ArgumentException($"{logits.Length} logits for {x.Length} pixels.", nameof(x));
        double s = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double c = logits[i];
            s += Math.Max(c, 0) - c * x[i] + Math.Log(1 + Math.Exp(-Math.Abs(c)));
        }
        return s;
    }

    /// <summary><c>d = scale (σ(c) - x)</c>: the gradient of <see cref="BernoulliNll"/> times <paramref name="scale"/>.</summary>
    public static void BernoulliNllGradient(ReadOnlySpan<float> logits, ReadOnlySpan<float> x, float scale, Span<float> d)
    {
        for (int i = 0; i < x.Length; i++) d[i] = scale * (Sigmoid(logits[i]) - x[i]);
    }

    /// <summary>
    /// <c>KL(N(μ, σ²) ‖ N(0, 1))</c> summed over every element, in closed form (paper equation 11):
    /// <c>½ (μ² + σ² - log σ² - 1) = ½ (μ² + exp(2 log σ) - 2 log σ - 1)</c>.
    /// </summary>
    public static double Kl(ReadOnlySpan<float> mu, ReadOnlySpan<float> logSigma)
    {
        if (mu.Length != logSigma.Length) throw new ArgumentException($"{mu.Length} means for {logSigma.Length} log sigmas.", nameof(logSigma));
        double s = 0;
        for (int i = 0; i < mu.Length; i++)
        {
            double m = mu[i], l = logSigma[i];
            s += 0.5 * (m * m + Math.Exp(2 * l) - 2 * l - 1);
        }
        return s;
    }

    /// <summary>
    /// <see cref="Kl(ReadOnlySpan{float}, ReadOnlySpan{float})"/> with <c>σ = exp(log σ)</c> already at hand,
    /// <paramref name="sigma"/>: <c>½ (μ² + σ² - 2 log σ - 1)</c> summed.
    /// </summary>
    public static double Kl(ReadOnlySpan<float> mu, ReadOnlySpan<float> logSigma, ReadOnlySpan<float> sigma)
    {
        if (mu.Length != logSigma.Length || mu.Length != sigma.Length)
            throw new ArgumentException($"{mu.Length} means for {logSigma.Length} log sigmas and {sigma.Length} sigmas.", nameof(sigma));
        double s = 0;
        for (int i = 0; i < mu.Length; i++)
        {
            double m = mu[i], l = logSigma[i], v = sigma[i];
            s += 0.5 * (m * m + v * v - 2 * l - 1);
        }
        return s;
    }

    /// <summary>
    /// Adds <paramref name="scale"/> times the gradient of <see cref="Kl(ReadOnlySpan{float}, ReadOnlySpan{float})"/>:
    /// <c>∂/∂μ = μ</c>, <c>∂/∂log σ = σ² - 1</c>.
    /// </summary>
    public static void KlGradient(ReadOnlySpan<float> mu, ReadOnlySpan<float> logSigma, float scale, Span<float> dMu, Span<float> dLogSigma)
    {
        for (int i = 0; i < mu.Length; i++)
        {
            dMu[i] += scale * mu[i];
            dLogSigma[i] += scale * (MathF.Exp(2f * logSigma[i]) - 1f);
        }
    }

    /// <summary><c>1 / (1 + exp(-c))</c>, written so that neither side overflows.</summary>
    public static float Sigmoid(float c) => c >= 0 ? 1f / (1f + MathF.Exp(-c)) : MathF.Exp(c) / (1f + MathF.Exp(c));
}
