using Recur.Models.Decoding;
using Recur.Nn;

namespace Recur.Models.Captioning;

/// <summary>
/// What decoding a caption needs: the architecture's sizes (vocabulary, longest caption, feature grid) and a
/// <see cref="IDecoderStepper"/> over a batch of images. A trained <see cref="ICaptioner"/> is one; an
/// <see cref="CaptionEnsemble"/> of several is another.
/// </summary>
public interface ICaptionDecoder
{
    /// <summary>The architecture (of the first member, for an ensemble).</summary>
    CaptionerConfig Config { get; }

    /// <summary>Starts decoding a batch of images, <c>features (B, L, D)</c>.</summary>
    IDecoderStepper Begin(Tensor features);
}

/// <summary>
/// A captioner: given the feature grids of a batch of images, <c>features (B, L, D)</c>, and their captions as ids
/// <c>(B, MaxWords + 2)</c> (<see cref="CaptionVocabulary.Encode"/>), it is trained by teacher forcing on
/// <c>&lt;START&gt; w1 .. wn</c> to predict <c>w1 .. wn &lt;END&gt;</c>; it decodes one word at a time through a
/// <see cref="IDecoderStepper"/>.
/// </summary>
public interface ICaptioner : ICaptionDecoder
{
    /// <summary>All parameters and gradients.</summary>
    ParameterStore Store { get; }

    /// <summary>Threads for the products (results do not depend on it).</summary>
    int Threads { get; set; }

    /// <summary>PyTorch's default initialisation of every layer, from <paramref name="rng"/>.</summary>
    void Reset(Rng rng);

    /// <summary>Zeroes the gradients, runs forward and backward, returns the loss (gradients left in <see cref="Store"/>).</summary>
    CaptionLoss TrainStep(Tensor features, int[] captions, Rng rng);

    /// <summary>The loss without gradients.</summary>
    CaptionLoss Loss(Tensor features, int[] captions);
}

/// <summary>A loss: mean cross-entropy per word over <see cref="Words"/> predicted words, and the regulariser (0 when none).</summary>
public readonly record struct CaptionLoss(double CrossEntropy, double Regulariser, int Words)
{
    /// <summary>What is minimised.</summary>
    public double Total => CrossEntropy + Regulariser;
}

/// <summary>Builds the captioner a config describes.</summary>
public static class Captioners
{
    /// <summary>
    /// A <see cref="RecurrentCaptioner"/> for <c>rnn</c> and <c>lstm</c>, an <see cref="AttentionCaptioner"/> for
    /// <c>attention</c> (zero weights).
    /// </summary>
    public static ICaptioner Create(CaptionerConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        return config.Kind == "attention" ? new AttentionCaptioner(config) : new RecurrentCaptioner(config);
    }
}
