namespace Recur.Nn;

/// <summary>
/// Attention of a decoder over an encoder's annotations <c>(B, L, D)</c>, one step at a time from a query <c>(B, Q)</c>
/// (the decoder's state): weights <c>α (B, L)</c>, softmax over the locations (masked to each row's length), and the
/// context <c>Σ α_i a_i (B, D)</c>. <see cref="AdditiveAttention"/> (Bahdanau) and <see cref="MultiplicativeAttention"/>
/// (Luong's general score).
/// </summary>
public interface IDecoderAttention
{
    /// <summary>Features per location <c>D</c>.</summary>
    int FeatureDim { get; }

    /// <summary>Threads for the products.</summary>
    int Threads { get; set; }

    /// <summary>PyTorch's default initialisation of its layers.</summary>
    void Reset(Rng rng);

    /// <summary>Starts a sequence (see <see cref="AdditiveAttention.Begin"/>).</summary>
    void Begin(float[] annotations, int batch, int locations, int steps, int[]? lengths = null, bool annotationGradients = false);

    /// <summary>Step <paramref name="t"/>: the context of the query.</summary>
    void Forward(int t, ReadOnlySpan<float> query, Span<float> context);

    /// <summary>Backward of step <paramref name="t"/>; adds the query's gradient into <paramref name="dQuery"/>.</summary>
    void Backward(int t, ReadOnlySpan<float> query, ReadOnlySpan<float> dContext, ReadOnlySpan<float> dWeightsExtra, Span<float> dQuery);

    /// <summary>Ends the backward of the sequence (see <see cref="AdditiveAttention.End"/>).</summary>
    void End(Span<float> dAnnotations = default);

    /// <summary>The weights of step <paramref name="t"/>, <c>(B, L)</c>.</summary>
    ReadOnlySpan<float> Weights(int t);
}
