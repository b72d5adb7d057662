using Recur.Data.Glimpse;
using Recur.Nn;

namespace Recur.Tasks.Glimpse;

/// <summary>
/// What a classifier scored on the canvases of a split: the mean cross-entropy, the error (the fraction whose highest logit, the
/// first on ties, is not the class), and how much of each image it read.
/// </summary>
/// <param name="Loss">Mean cross-entropy of the logits, nats.</param>
/// <param name="Error">Fraction of the canvases classified wrongly.</param>
/// <param name="Images">Canvases scored.</param>
/// <param name="ValuesRead">Image values taken in per canvas (<see cref="IClutterClassifier.ValuesRead"/>).</param>
/// <param name="Pixels">Pixels per canvas, <c>S²</c>.</param>
public sealed record GlimpseScore(double Loss, double Error, int Images, long ValuesRead, int Pixels)
{
    /// <summary>Canvases per forward pass of a score.</summary>
    public const int Chunk = 100;

    /// <summary><c>1 - Error</c>.</summary>
    public double Accuracy => 1 - Error;

    /// <summary>The fraction of the pixels read: values taken in per canvas over its pixels (1 for the CNN).</summary>
    public double PixelsRead => (double)ValuesRead / Pixels;

    /// <summary>
    /// Scores <paramref name="model"/> on every canvas of <paramref name="split"/> (epoch 0), in chunks of <see cref="Chunk"/> in
    /// order, deterministically (<see cref="IClutterClassifier.Classify"/>): the same figures whatever the threads. Each chunk is
    /// shown to <paramref name="chunk"/>, when given: its first canvas's index, the canvases <c>(b, S S)</c>, their classes
    /// <c>(b)</c>, the logits <c>(b, K)</c>, and for the attention model the glimpse locations <c>(T, b, 2)</c> of its path
    /// (<see cref="RamClassifier.Trace"/>; null for the CNN).
    /// </summary>
    public static GlimpseScore Of(IClutterClassifier model, ClutteredSplit split, Action<int, Tensor, int[], Tensor, Tensor?>? chunk = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(split);
        GlimpseTask.CheckSize(model, split);
        int N = split.Count, P = split.Pixels;
        if (N == 0) return new GlimpseScore(double.NaN, double.NaN, 0, model.ValuesRead, P);
        double ce = 0;
        int wrong = 0;
        for (int start = 0; start < N; start += Chunk)
        {
            int b = Math.Min(Chunk, N - start);
            var items = Enumerable.Range(start, b).ToArray();
            var x = new Tensor(b, P);
            var labels = new int[b];
            split.Fill(items, 0, x.Data, labels);
            Tensor logits;
            Tensor? locations = null;
            if (chunk is not null && model is RamClassifier ram)
            {
                var trace = ram.Trace(x);
                (logits, locations) = (trace.Logits, trace.Locations);
            }
            else logits = model.Classify(x);
            chunk?.Invoke(start, x, labels, logits, locations);
            int K = logits.Shape[1];
            ce += SoftmaxCrossEntropy.Loss<float>(logits.Data, b, K, labels) * b;
            for (int i = 0; i < b; i++)
                if (Models.Glimpse.GlimpseLosses.Argmax(logits.Data.AsSpan(i * K, K)) != labels[i]) wrong++;
        }
        return new GlimpseScore(ce / N, (double)wrong / N, N, model.ValuesRead, P);
    }
}
