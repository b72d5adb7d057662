using Recur.Imaging;

namespace Recur.Tasks.Glimpse;

/// <summary>A person's own image classified: the class and every class's probability (the softmax of the logits).</summary>
/// <param name="Class">The highest logit's class (the first on ties).</param>
/// <param name="Probabilities"><c>softmax(logits)</c>, one per class.</param>
public sealed record GlimpsePrediction(int Class, IReadOnlyList<double> Probabilities)
{
    /// <summary>
    /// The canvas of a PNG for a model of <paramref name="side"/> x <paramref name="side"/> canvases: its grey levels
    /// <c>p / 255</c> (RGB averaged as <see cref="PixelImage.ToGrey"/> does), row-major. Throws <see cref="ArgumentException"/>
    /// for another size.
    /// </summary>
    public static float[] Canvas(PixelImage png, int side, string name)
    {
        ArgumentNullException.ThrowIfNull(png);
        if (png.Width != side || png.Height != side)
            throw new ArgumentException($"{name} is {png.Width}x{png.Height} pixels; the model reads {side}x{side} canvases.");
        var grey = png.ToGrey();
        var x = new float[side * side];
        for (int i = 0; i < x.Length; i++) x[i] = grey.Pixels[i] / 255f;
        return x;
    }

    /// <summary>The prediction of <paramref name="model"/> for one canvas <paramref name="canvas"/> <c>(S S)</c>.</summary>
    public static GlimpsePrediction Of(IClutterClassifier model, float[] canvas)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(canvas);
        var logits = model.Classify(new Tensor(canvas, 1, canvas.Length)).Data;
        double max = logits.Max(), sum = 0;
        var p = logits.Select(v => Math.Exp(v - max)).ToArray();
        foreach (double v in p) sum += v;
        for (int k = 0; k < p.Length; k++) p[k] /= sum;
        return new GlimpsePrediction(Models.Glimpse.GlimpseLosses.Argmax(logits), p);
    }
}
