namespace Recur.Nn.Transformer;

/// <summary>Grow-only buffers: a batch of another shape reuses the array when it is large enough.</summary>
internal static class Capacity
{
    /// <summary>The first <paramref name="length"/> values of <paramref name="buffer"/>, replaced by a larger zero array when too short.</summary>
    public static Span<float> Take(ref float[] buffer, int length)
    {
        if (buffer.Length < length) buffer = new float[length];
        return buffer.AsSpan(0, length);
    }
}
