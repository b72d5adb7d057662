namespace Recur.Nn.Transformer;

/// <summary>
/// The fixed sinusoidal position encodings of Vaswani et al. 2017, §3.5: <c>PE(p, 2i) = sin(p / 10000^(2i/D))</c>,
/// <c>PE(p, 2i+1) = cos(p / 10000^(2i/D))</c>, computed in double and rounded to float.
/// </summary>
public static class SinusoidalPositions
{
    /// <summary>The encodings of positions <c>0..positions-1</c> for width <paramref name="width"/> (even): <c>(positions, D)</c>.</summary>
    public static float[] Table(int positions, int width)
    {
        Guard.Positive(positions, nameof(positions));
        Guard.Positive(width, nameof(width));
        if (width % 2 != 0) throw new ArgumentException($"width must be even, got {width}.", nameof(width));
        var table = new float[positions * width];
        for (int i = 0; i < width / 2; i++)
        {
            double rate = Math.Pow(10000.0, -2.0 * i / width);
            for (int p = 0; p < positions; p++)
            {
                table[p * width + 2 * i] = (float)Math.Sin(p * rate);
                table[p * width + 2 * i + 1] = (float)Math.Cos(p * rate);
            }
        }
        return table;
    }
}
