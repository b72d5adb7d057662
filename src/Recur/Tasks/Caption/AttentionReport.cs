using System.Globalization;
using System.Net;
using System.Text;
using Recur.Imaging;
using Recur.Models.Captioning;
using Recur.Plotting;

namespace Recur.Tasks.Caption;

/// <summary>One image of an attention report: the grey image, its caption and, per word, the attention map.</summary>
public sealed record AttentionFigure(string Title, PixelImage Image, DecodedCaption Caption, string? Reference = null);

/// <summary>
/// A self-contained HTML page of captions and where each word looked (the lectures' "A bird flying over a body of water"
/// figure): per image, the image, the caption, and one panel per word with the word's attention map, upsampled
/// bilinearly to the image and laid over it in red (brighter = more weight, scaled so the largest weight is fully red).
/// Images are inline PNG data, so the page needs nothing else.
/// </summary>
public static class AttentionReport
{
    /// <summary>The page for <paramref name="figures"/> whose maps are <paramref name="rows"/> x <paramref name="cols"/> grids.</summary>
    public static string Build(string title, IReadOnlyList<AttentionFigure> figures, int rows, int cols, int scale = 2)
    {
        ArgumentNullException.ThrowIfNull(figures);
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>").Append(WebUtility.HtmlEncode(title)).Append("</title>\n");
        sb.Append("<style>body{font-family:sans-serif;margin:20px;background:#fafafa;color:#222}"
            + ".figure{margin:0 0 28px;padding:12px;background:#fff;border:1px solid #ddd;border-radius:6px}")
          .Append(".words{display:flex;flex-wrap:wrap;gap:10px;margin-top:8px}.word{text-align:center;font-size:14px}"
            + ".word img,.source img{display:block;image-rendering:pixelated;border:1px solid #ccc}")
          .Append("h2{font-size:16px;margin:0 0 6px}.caption{font-size:18px;margin:4px 0}.ref{color:#666;font-size:13px}</style></head><body>\n");
        sb.Append("<h1>").Append(WebUtility.HtmlEncode(title)).Append("</h1>\n");
        foreach (var f in figures)
        {
            sb.Append("<div class=\"figure\"><h2>").Append(WebUtility.HtmlEncode(f.Title)).Append("</h2>");
            sb.Append("<div class=\"caption\">").Append(WebUtility.HtmlEncode(f.Caption.Text)).Append("</div>");
            if (f.Reference is not null) sb.Append("<div class=\"ref\">reference: ").Append(WebUtility.HtmlEncode(f.Reference)).Append("</div>");
            sb.Append("<div class=\"words\"><div class=\"word source\">")
                .Append(Img(f.Image.Resize(f.Image.Width * scale, f.Image.Height * scale), "image")).Append("image</div>");
            var words = f.Caption.Text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            for (int k = 0; k < words.Length && k < f.Caption.Attention.Count; k++)
            {
                var overlay = Overlay(f.Image, f.Caption.Attention[k], rows, cols);
                sb.Append("<div class=\"word\">").Append(Img(overlay.Resize(overlay.Width * scale, overlay.Height * scale), "attention for " + words[k]))
                  .Append(WebUtility.HtmlEncode(words[k])).Append("</div>");
            }
            sb.Append("</div></div>\n");
        }
        sb.Append("</body></html>\n");
        return sb.ToString();
    }

    /// <summary>The grey <paramref name="image"/> in RGB with <paramref name="map"/> (a grid) upsampled bilinearly and added in red.</summary>
    public static PixelImage Overlay(PixelImage image, ReadOnlySpan<float> map, int rows, int cols)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (map.Length != rows * cols) throw new ArgumentException($"the map has {map.Length} weights, not {rows} x {cols}.");
        var grey = image.ToGrey();
        float max = 0;
        foreach (float v in map) max = Math.Max(max, v);
        if (max <= 0) max = 1;
        int W = grey.Width, H = grey.Height;
        var rgb = new byte[W * H * 3];
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++)
            {
                float a = Bilinear(map, rows, cols, (y + 0.5f) * rows / H - 0.5f, (x + 0.5f) * cols / W - 0.5f) / max;
                float g = grey.Pixels[y * W + x] * (0.35f + 0.65f * (1 - a));
                int i = (y * W + x) * 3;
                rgb[i] = (byte)Math.Clamp(g + 255 * a, 0, 255);
                rgb[i + 1] = (byte)Math.Clamp(g, 0, 255);
                rgb[i + 2] = (byte)Math.Clamp(g, 0, 255);
            }
        return new PixelImage(W, H, 3, rgb);
    }

    private static float Bilinear(ReadOnlySpan<float> map, int rows, int cols, float r, float c)
    {
        r = Math.Clamp(r, 0, rows - 1); c = Math.Clamp(c, 0, cols - 1);
        int r0 = (int)r, c0 = (int)c, r1 = Math.Min(r0 + 1, rows - 1), c1 = Math.Min(c0 + 1, cols - 1);
        float fr = r - r0, fc = c - c0;
        return (1 - fr) * ((1 - fc) * map[r0 * cols + c0] + fc * map[r0 * cols + c1]) + fr * ((1 - fc) * map[r1 * cols + c0] + fc * map[r1 * cols + c1]);
    }

    private static string Img(PixelImage image, string alt)
        => string.Create(CultureInfo.InvariantCulture,
            $"<img alt=\"{WebUtility.HtmlEncode(alt)}\" width=\"{image.Width}\" height=\"{image.Height}\" " +
            $"src=\"data:image/png;base64,{Convert.ToBase64String(Png.Encode(image))}\">");
}
