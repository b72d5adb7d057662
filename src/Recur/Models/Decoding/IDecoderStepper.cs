namespace Recur.Models.Decoding;

/// <summary>
/// A decoder running one step at a time over a batch of rows (captioners, the pronunciation model): each
/// <see cref="Step"/> feeds one token per row and returns the next token's logits. What every decoding strategy
/// (<see cref="BeamSearch"/>, greedy, sampling) drives.
/// </summary>
public interface IDecoderStepper
{
    /// <summary>Rows <c>B</c>.</summary>
    int Batch { get; }

    /// <summary>
    /// Feeds <paramref name="previous"/> <c>(B)</c> (the first call: the start token) and returns logits <c>(B,
    /// V)</c>, valid until the next call.
    /// </summary>
    ReadOnlySpan<float> Step(ReadOnlySpan<int> previous);

    /// <summary>The attention weights <c>(B, L)</c> of the last step; empty for decoders without attention.</summary>
    ReadOnlySpan<float> Attention { get; }

    /// <summary>Makes row <c>b</c>'s state a copy of row <c>rows[b]</c>'s (beam search's reordering).</summary>
    void Select(ReadOnlySpan<int> rows);
}
