using Recur.Models;
using Recur.Nn;

namespace Recur.Tasks.Glimpse;

/// <summary>
/// The baseline that reads every pixel: a <see cref="ConvNet"/> over the whole <c>S x S</c> canvas (one grey channel), trained by
/// cross-entropy alone, without dropout or augmentation (as the attention model).
/// </summary>
public sealed class CnnClassifier : IClutterClassifier
{
    /// <summary>The <c>--model</c> word.</summary>
    public const string Name = "cnn";

    /// <summary>Wraps <paramref name="net"/> (one channel, square).</summary>
    public CnnClassifier(ConvNet net)
    {
        ArgumentNullException.ThrowIfNull(net);
        if (net.Config.InChannels != 1 || net.Config.Rows != net.Config.Cols)
            throw new ArgumentException(
                $"the glimpse task's CNN reads one square grey channel, not {net.Config.InChannels} of {net.Config.Rows}x{net.Config.Cols}.");
        Net = net;
    }

    /// <summary>The network.</summary>
    public ConvNet Net { get; }

    /// <inheritdoc/>
    public string Architecture => Name;

    /// <inheritdoc/>
    public ParameterStore Store => Net.Store;

    /// <inheritdoc/>
    public int Threads { get => Net.Threads; set => Net.Threads = value; }

    /// <inheritdoc/>
    public int Side => Net.Config.Rows;

    /// <inheritdoc/>
    public object Config => Net.Config;

    /// <inheritdoc/>
    public long ValuesRead => (long)Side * Side;

    /// <inheritdoc/>
    public string Summary => "CNN over the whole image: " + Net.Summary;

    /// <inheritdoc/>
    public void Reset(Rng rng) => Net.Reset(rng);

    /// <summary><paramref name="images"/> <c>(B, S S)</c> seen as <c>(B, 1, S, S)</c> (the same data).</summary>
    private Tensor AsGrid(Tensor images)
    {
        ArgumentNullException.ThrowIfNull(images);
        int S = Side, B = images.Shape[0];
        if (images.Length != B * S * S) throw new ArgumentException($"images have shape {images.ShapeString}, expected (B, {S * S}).", nameof(images));
        return new Tensor(images.Data, B, 1, S, S);
    }

    /// <inheritdoc/>
    public double TrainStep(Tensor images, ReadOnlySpan<int> labels, Rng rng) => Net.TrainStep(AsGrid(images), labels, rng);

    /// <inheritdoc/>
    public Tensor Classify(Tensor images)
    {
        var logits = Net.Forward(AsGrid(images));
        return new Tensor(logits.Data.AsSpan(0, logits.Length).ToArray(), [.. logits.Shape]);
    }
}
