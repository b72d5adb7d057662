using Recur.Imaging;
using Recur.Models.Draw;
using Recur.Tasks.Draw;

namespace Recur.Cli.Commands;

/// <summary>
/// What <c>recur draw eval</c> writes beside eval.json, <c>draws.jsonl</c>: one line for each of the first 500 images of the split
/// (there is no right or wrong to keep more of): its split, index, <c>bound</c> (nats, <c>L^x + L^z</c> with the eval's own noise;
/// the file's mean is eval.json's loss when it holds every image), <c>reconstruction</c> and <c>kl</c>, and <c>picture</c>: the
/// canvas after each step, then the image (<see cref="DrawStrips"/>, under <c>examples/</c>). With attention, per step the read
/// and write windows (<c>read_windows</c>, <c>write_windows</c>: the grid's centre <c>g_X, g_Y</c> in pixels, 1 the first, and its
/// side <c>N δ</c>), drawn on each step's canvas as squares (clamped to it), read red and write green.
/// </summary>
internal sealed class DrawExamples(string jsonPath, string split)
{
    public const string FileName = "draws.jsonl";

    /// <summary>How many times a picture enlarges the canvases.</summary>
    private const int Scale = 2;

    private readonly ExampleSelection _selection = ExampleLines.Selection();

    /// <summary>The file, written by <see cref="Save"/>.</summary>
    public ExampleLines Lines { get; } = ExampleLines.Beside(jsonPath, FileName);

    /// <summary>Adds the kept images of one chunk (the arguments <see cref="DrawBound.Of"/> gives it).</summary>
    public void Add(int start, Tensor images, DrawModel model)
    {
        int b = images.Shape[0], P = images.Shape[1], T = model.Config.Steps, H = model.Config.Height, W = model.Config.Width;
        Tensor? canvases = null; // (T, b, H, W), made when the first image of the chunk is kept
        for (int i = 0; i < b; i++)
        {
            if (!_selection.Keep(true)) continue;
            canvases ??= model.Canvases();
            var (lx, lz) = model.ImageBound(i);
            var own = new Tensor(T, 1, H, W); // (T, 1, H, W) this image's canvases
            for (int t = 0; t < T; t++) canvases.Data.AsSpan((t * b + i) * P, P).CopyTo(own.Data.AsSpan(t * P, P));
            var target = new Tensor(images.Data.AsSpan(i * P, P).ToArray(), 1, P);
            var read = new (float X, float Y, float Side)[model.Config.Attention ? T : 0];
            var write = new (float X, float Y, float Side)[read.Length];
            for (int t = 0; t < read.Length; t++)
            {
                var r = model.ReadWindow(t, i);
                var w = model.WriteWindow(t, i);
                read[t] = (r.CenterX, r.CenterY, r.Stride * model.Config.ReadN);
                write[t] = (w.CenterX, w.CenterY, w.Stride * model.Config.WriteN);
            }
            var strip = DrawStrips.Render(own, target, Scale);
            for (int t = 0; t < read.Length; t++)
            {
                Square(strip, t, W, H, read[t], (230, 40, 40));
                Square(strip, t, W, H, write[t], (40, 200, 60));
            }
            int index = start + i;
            string picture = Lines.Picture(split, index, strip);
            Lines.Add(w =>
            {
                w.WriteString("split", split);
                w.WriteNumber("index", index);
                w.WriteNumber("bound", Math.Round(lx + lz, 4));
                w.WriteNumber("reconstruction", Math.Round(lx, 4));
                w.WriteNumber("kl", Math.Round(lz, 4));
                w.WriteNumber("steps", T);
                if (read.Length > 0)
                {
                    Windows(w, "read_windows", read);
                    Windows(w, "write_windows", write);
                }
                w.WriteString("picture", picture);
            });
        }
    }

    /// <summary>Writes the file.</summary>
    public void Save() => Lines.Save();

    private static void Windows(System.Text.Json.Utf8JsonWriter w, string name, (float X, float Y, float Side)[] windows)
    {
        w.WriteStartArray(name);
        foreach (var (x, y, side) in windows) ExampleLines.Weights(w, null, [x, y, side]);
        w.WriteEndArray();
    }

    /// <summary>
    /// A window's square on the canvas of step <paramref name="t"/> of a strip, its sides clamped to the canvas (a window wider
    /// than the canvas is drawn along its edges).
    /// </summary>
    private static void Square(PixelImage strip, int t, int W, int H, (float X, float Y, float Side) window, (byte R, byte G, byte B) c)
    {
        int x0 = DrawStrips.Gap + t * (W * Scale + DrawStrips.Gap), y0 = DrawStrips.Gap;
        int Edge(float at, int size) => Math.Clamp((int)MathF.Round(at * Scale), 0, size * Scale - 1);
        int left = Edge(window.X - 1 - window.Side / 2, W), right = Edge(window.X - 1 + window.Side / 2, W);
        int top = Edge(window.Y - 1 - window.Side / 2, H), bottom = Edge(window.Y - 1 + window.Side / 2, H);
        void Plot(int x, int y)
        {
            int at = 3 * ((y0 + y) * strip.Width + x0 + x);
            (strip.Pixels[at], strip.Pixels[at + 1], strip.Pixels[at + 2]) = c;
        }
        for (int x = left; x <= right; x++) { Plot(x, top); Plot(x, bottom); }
        for (int y = top; y <= bottom; y++) { Plot(left, y); Plot(right, y); }
    }
}
