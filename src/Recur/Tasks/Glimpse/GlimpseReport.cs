using System.Globalization;
using System.Net;
using System.Text;
using Recur.Data;
using Recur.Data.Glimpse;
using Recur.Imaging;
using Recur.Plotting;

namespace Recur.Tasks.Glimpse;

/// <summary>One canvas of a glimpse report: its path picture, what the model said, and what the retina saw at each glimpse.</summary>
/// <param name="Title">The canvas's name (split and index).</param>
/// <param name="Verdict">The class, the prediction and whether it was right.</param>
/// <param name="Correct">Whether the prediction was the class.</param>
/// <param name="Path">The path picture (<see cref="GlimpsePaths.Render"/>).</param>
/// <param name="Retinas">Per glimpse, its scales side by side (<see cref="GlimpsePaths.Retina"/>).</param>
/// <param name="Places">Per glimpse, where it looked, in words.</param>
public sealed record GlimpseFigure(string Title, string Verdict, bool Correct, PixelImage Path, IReadOnlyList<PixelImage> Retinas,
    IReadOnlyList<string> Places);

/// <summary>
/// A self-contained HTML page of glimpse paths, in the style of the captioner's attention report: per canvas, the path picture
/// and one panel per glimpse with the retina's scales as the model received them. Images are inline PNG data, so the page needs
/// nothing else.
/// </summary>
public static class GlimpseReport
{
    /// <summary>
    /// The figures of the first <paramref name="count"/> canvases of <paramref name="split"/> (all, if fewer), on the deterministic
    /// path <paramref name="model"/> takes (<see cref="RamClassifier.Trace"/>); the path pictures are enlarged <paramref name="zoom"/> times.
    /// </summary>
    public static IReadOnlyList<GlimpseFigure> Figures(RamClassifier model, ClutteredSplit split, int count, int zoom = 3)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(split);
        Guard.Positive(count, nameof(count));
        GlimpseTask.CheckSize(model, split);
        int n = Math.Min(count, split.Count), P = split.Pixels;
        if (n == 0) throw new ArgumentException($"the {split.Name} split has no canvases to draw.", nameof(split));
        var x = new Tensor(n, P);
        var labels = new int[n];
        split.Fill(Enumerable.Range(0, n).ToArray(), 0, x.Data, labels);
        return Figures(model, x, labels, [.. Enumerable.Range(0, n).Select(i => $"{split.Name} {i}")], zoom);
    }

    /// <summary>
    /// The figures of the canvases <paramref name="images"/> <c>(B, S S)</c> named <paramref name="titles"/>; <paramref name="labels"/>
    /// holds their classes, or -1 where unknown.
    /// </summary>
    public static IReadOnlyList<GlimpseFigure> Figures(RamClassifier model, Tensor images, IReadOnlyList<int> labels, IReadOnlyList<string> titles,
        int zoom = 3)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(titles);
        var trace = model.Trace(images);
        var c = model.Model.Config;
        int B = images.Shape[0], T = c.Steps, S = c.Width, P = S * S, k = c.Scales, g = c.Patch, R = k * g * g;
        var names = FashionMnist.ClassNames;
        var figures = new List<GlimpseFigure>(B);
        for (int b = 0; b < B; b++)
        {
            var loc = new float[2 * T];
            for (int t = 0; t < T; t++) trace.Locations.Data.AsSpan((t * B + b) * 2, 2).CopyTo(loc.AsSpan(2 * t));
            var path = GlimpsePaths.Render(images.Data.AsSpan(b * P, P), S, loc, g, k, zoom);
            var retinas = new PixelImage[T];
            var places = new string[T];
            for (int t = 0; t < T; t++)
            {
                retinas[t] = GlimpsePaths.Retina(trace.Glimpses.Data.AsSpan((t * B + b) * R, R), k, g);
                places[t] = string.Create(CultureInfo.InvariantCulture, $"glimpse {t + 1} at ({loc[2 * t]:F2}, {loc[2 * t + 1]:F2})");
            }
            int predicted = trace.Classes[b], label = labels[b];
            bool right = predicted == label;
            string verdict = label < 0 ? $"predicted {names[predicted]}"
                : $"{names[label]}, predicted {names[predicted]} ({(right ? "right" : "wrong")})";
            figures.Add(new GlimpseFigure(titles[b], verdict, right, path, retinas, places));
        }
        return figures;
    }

    /// <summary>The page of <paramref name="figures"/> under <paramref name="title"/>, with <paramref name="intro"/> as its first paragraph.</summary>
    public static string Build(string title, string intro, IReadOnlyList<GlimpseFigure> figures)
    {
        ArgumentNullException.ThrowIfNull(figures);
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>").Append(WebUtility.HtmlEncode(title)).Append("</title>\n");
        sb.Append("<style>body{font-family:sans-serif;margin:20px;background:#fafafa;color:#222}"
            + ".figure{margin:0 0 28px;padding:12px;background:#fff;border:1px solid #ddd;border-radius:6px}")
          .Append(".glimpses{display:flex;flex-wrap:wrap;gap:10px;margin-top:8px;align-items:flex-start}.glimpse{text-align:center;font-size:13px}"
            + ".glimpse img{display:block;image-rendering:pixelated;border:1px solid #ccc;margin:0 auto 4px}")
          .Append("h2{font-size:16px;margin:0 0 6px}.verdict{font-size:18px;margin:4px 0}.right{color:#1a7f37}.wrong{color:#c62828}"
            + ".intro{color:#555;max-width:60em}</style></head><body>\n");
        sb.Append("<h1>").Append(WebUtility.HtmlEncode(title)).Append("</h1>\n");
        sb.Append("<p class=\"intro\">").Append(WebUtility.HtmlEncode(intro)).Append("</p>\n");
        foreach (var f in figures)
        {
            sb.Append("<div class=\"figure\"><h2>").Append(WebUtility.HtmlEncode(f.Title)).Append("</h2>");
            sb.Append("<div class=\"verdict ").Append(f.Correct ? "right" : "wrong").Append("\">").Append(WebUtility.HtmlEncode(f.Verdict)).Append("</div>");
            sb.Append("<div class=\"glimpses\"><div class=\"glimpse path\">").Append(Img(f.Path, "glimpse path")).Append("path</div>");
            for (int t = 0; t < f.Retinas.Count; t++)
            {
                var (r, g, b) = GlimpsePaths.Colour(t);
                sb.Append("<div class=\"glimpse\">").Append(Img(f.Retinas[t], $"retina of glimpse {t + 1}"))
                  .Append(string.Create(CultureInfo.InvariantCulture, $"<span style=\"color:rgb({r},{g},{b});font-weight:bold\">■</span> "))
                  .Append(WebUtility.HtmlEncode(f.Places[t])).Append("</div>");
            }
            sb.Append("</div></div>\n");
        }
        sb.Append("</body></html>\n");
        return sb.ToString();
    }

    private static string Img(PixelImage image, string alt)
        => string.Create(CultureInfo.InvariantCulture,
            $"<img alt=\"{WebUtility.HtmlEncode(alt)}\" width=\"{image.Width}\" height=\"{image.Height}\" " +
            $"src=\"data:image/png;base64,{Convert.ToBase64String(Png.Encode(image))}\">");
}
