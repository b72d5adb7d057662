using Recur.Nn;

namespace Recur.Tasks.Glimpse;

/// <summary>
/// What the glimpse task needs of a classifier of cluttered <c>S x S</c> canvases, whatever reads them: the recurrent attention
/// model (<see cref="RamClassifier"/>, a few glimpses) or the convolutional baseline (<see cref="CnnClassifier"/>, every pixel).
/// Images come as <c>(B, S S)</c> row-major grey levels in [0, 1].
/// </summary>
public interface IClutterClassifier
{
    /// <summary><c>ram</c> or <c>cnn</c>: the <c>--model</c> word and config.json's <c>"architecture"</c>.</summary>
    string Architecture { get; }

    /// <summary>All parameters and gradients.</summary>
    ParameterStore Store { get; }

    /// <summary>Threads for the products (results do not depend on it).</summary>
    int Threads { get; set; }

    /// <summary>The canvas side <c>S</c> the model reads.</summary>
    int Side { get; }

    /// <summary>The architecture record config.json stores under <c>"model"</c>.</summary>
    object Config { get; }

    /// <summary>The model in a few words for the start of a run.</summary>
    string Summary { get; }

    /// <summary>
    /// Image values the model takes in per image: for the attention model the retina's outputs, <c>T k g²</c> (every glimpse's
    /// pooled patches); for the CNN every pixel, <c>S²</c>. Divided by <c>S²</c> it is the fraction of the pixels read.
    /// </summary>
    long ValuesRead { get; }

    /// <summary>PyTorch's default initialisation from <paramref name="rng"/>.</summary>
    void Reset(Rng rng);

    /// <summary>
    /// Zeroes the gradients, runs forward, the loss and backward on <paramref name="images"/> <c>(B, S S)</c> with
    /// <paramref name="labels"/>; random draws (the location noise) come from <paramref name="rng"/>. Returns the batch's loss.
    /// </summary>
    double TrainStep(Tensor images, ReadOnlySpan<int> labels, Rng rng);

    /// <summary>The logits <c>(B, K)</c> of <paramref name="images"/> <c>(B, S S)</c>, deterministic (no noise, no dropout); a copy.</summary>
    Tensor Classify(Tensor images);
}
