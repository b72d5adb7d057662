using Recur.Data;
using Recur.Nn;

namespace Recur.Models;

/// <summary>
/// What <c>recur classify</c>'s task needs from a model of labelled images, whatever reads them: the recurrent
/// <see cref="SequenceClassifier"/> (rows as time steps) or the convolutional <see cref="ConvNet"/> (the whole grid).
/// Each model lays its input out its own way (<see cref="NewInput"/>, <see cref="FillInput"/>) and returns logits
/// <c>(B, K)</c>.
/// </summary>
public interface IImageClassifier
{
    /// <summary>All parameters and gradients.</summary>
    ParameterStore Store { get; }

    /// <summary>Threads for the products (results do not depend on it).</summary>
    int Threads { get; set; }

    /// <summary>Number of classes <c>K</c>.</summary>
    int Classes { get; }

    /// <summary>The architecture record stored in <c>config.json</c> under <c>"model"</c>.</summary>
    object ConfigRecord { get; }

    /// <summary>The model in a few words for the start of a run (<c>cnn 32-64 + fc 128</c>, <c>gru hidden 256 x 2 layer(s)</c>).</summary>
    string Summary { get; }

    /// <summary>Throws <see cref="ArgumentException"/> when images of <paramref name="rows"/> x <paramref name="cols"/> pixels do not fit the model.</summary>
    void CheckImageSize(int rows, int cols);

    /// <summary>PyTorch's default initialisation from <paramref name="rng"/>; <paramref name="forgetBias"/> for recurrent models that take it.</summary>
    void Reset(Rng rng, float? forgetBias = null);

    /// <summary>An input tensor for <paramref name="batch"/> images of the size of <paramref name="set"/>.</summary>
    Tensor NewInput(LabeledImages set, int batch);

    /// <summary>Writes the images of <paramref name="set"/> at <paramref name="indices"/> into <paramref name="x"/> (from <see cref="NewInput"/>).</summary>
    void FillInput(LabeledImages set, ReadOnlySpan<int> indices, Tensor x);

    /// <summary>Logits <c>(B, K)</c> of the batch <paramref name="x"/> (owned by the model until the next call).</summary>
    Tensor Forward(Tensor x, bool training = false, Rng? rng = null);

    /// <summary>
    /// Zeroes the gradients, runs forward and backward on <paramref name="x"/> with <paramref name="labels"/>,
    /// returns the mean cross-entropy.
    /// </summary>
    double TrainStep(Tensor x, ReadOnlySpan<int> labels, Rng rng);
}
