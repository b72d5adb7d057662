using Recur.Imaging;

namespace Recur.Plotting;

/// <summary>
/// An attention alignment as a picture (the letter-to-phoneme figure of <c>recur g2p --attention</c>): one row per output
/// symbol, one column per input symbol, each cell as dark as its weight (white 0, black 1), with the input symbols
/// along the top and the output symbols down the left.
/// </summary>
public static class AlignmentPlot
{
    /// <summary>The picture of <paramref name="weights"/> (one array of input-length weights per output symbol).</summary>
    public static PixelImage Render(IReadOnlyList<string> inputs, IReadOnlyList<string> outputs, IReadOnlyList<float[]> weights, int cell = 22)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(outputs);
        ArgumentNullException.ThrowIfNull(weights);
        if (weights.Count != outputs.Count || weights.Any(w => w.Length < inputs.Count))
            throw new ArgumentException("one row of weights per output symbol, each as long as the input.");
        int left = Math.Max(1, outputs.Count == 0 ? 1 : outputs.Max(o => PlotFont.Measure(o, 1))) + 8, top = PlotFont.GlyphHeight + 10;
        int w = left + Math.Max(1, inputs.Count) * cell + 4, h = top + Math.Max(1, outputs.Count) * cell + 4;
        var px = new byte[w * h * 3];
        Array.Fill(px, (byte)255);
        for (int r = 0; r < outputs.Count; r++)
        {
            Text(px, w, h, outputs[r], 4, top + r * cell + (cell - PlotFont.GlyphHeight) / 2);
            for (int c = 0; c < inputs.Count; c++)
            {
                byte v = (byte)Math.Clamp(255 - 255 * weights[r][c], 0, 255);
                for (int y = 1; y < cell - 1; y++)
                    for (int x = 1; x < cell - 1; x++)
                    {
                        int i = ((top + r * cell + y) * w + left + c * cell + x) * 3;
                        px[i] = px[i + 1] = px[i + 2] = v;
                    }
            }
        }
        for (int c = 0; c < inputs.Count; c++) Text(px, w, h, inputs[c], left + c * cell + (cell - PlotFont.Measure(inputs[c], 1)) / 2, 4);
        return new PixelImage(w, h, 3, px);
    }

    private static void Text(byte[] rgb, int w, int h, string s, int x, int y)
        => PlotFont.Draw(s, x, y, (px, py) =>
        {
            if ((uint)px < (uint)w && (uint)py < (uint)h) rgb[(py * w + px) * 3] = rgb[(py * w + px) * 3 + 1] = rgb[(py * w + px) * 3 + 2] = 0;
        });
}
