using System.Globalization;
using System.Text.Json;
using Recur.Data;
using Recur.Data.Glimpse;
using Recur.Imaging;
using Recur.IO;
using Recur.Plotting;
using Recur.Tasks.Glimpse;
using Recur.Training;

namespace Recur.Cli.Commands;

/// <summary><c>recur glimpse data</c> (canvases written for a person to look at) and <c>recur glimpse RUN IMAGE.png</c> (a person's own image read).</summary>
internal static class GlimpseFiles
{
    /// <summary>Draws the canvases of each split and writes the first --count of each as PNGs, with DIR/canvases.jsonl.</summary>
    public static int Data(Args args)
    {
        string outDir = args.String("out") ?? throw new CliException("glimpse data needs --out DIR.");
        var d = new GlimpseSettings();
        int size = args.Int("size", d.Size, min: ClutterOptions.ObjectSide, max: 400);
        var settings = d with
        {
            Size = size, Clutter = args.Int("clutter", d.Clutter, min: -1, max: 256), DataSeed = args.Int("data-seed", d.DataSeed, min: 0),
        };
        int count = args.Int("count", 20, min: 0, max: 1_000_000);
        args.ThrowOnUnused(2);
        string dataDir = args.Positional.Count > 1 ? args.Positional[1] : FashionMnist.DefaultDirectory;
        var (train, test) = ClassifyCommand.LoadData(dataDir);
        var o = settings.ToClutter();
        var splits = new[] { ClutteredSplit.Training(train, o), ClutteredSplit.Validation(train, o), ClutteredSplit.Test(test, o) };
        Directory.CreateDirectory(outDir);
        string jsonl = Path.Combine(outDir, "canvases.jsonl");
        var canvas = new float[o.Size * o.Size];
        using (var writer = new StreamWriter(jsonl))
        {
            foreach (var split in splits)
            {
                Directory.CreateDirectory(Path.Combine(outDir, split.Name));
                for (int i = 0; i < Math.Min(count, split.Count); i++)
                {
                    var e = split.Example(i);
                    ClutterGenerator.Render(e, split.Images, o.Size, canvas);
                    string file = Path.Combine(split.Name, $"{i:D5}.png");
                    var grey = new byte[canvas.Length];
                    for (int p = 0; p < grey.Length; p++) grey[p] = (byte)MathF.Round(canvas[p] * 255f);
                    Png.Save(Path.Combine(outDir, file), new PixelImage(o.Size, o.Size, 1, grey));
                    writer.WriteLine(Line(split.Name, i, e, file));
                }
            }
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{o.Size}x{o.Size} canvases with {o.Clutter} clutter pieces (seed {o.Seed}); {string.Join(", ", splits.Select(s => $"{s.Count:N0} {s.Name}"))} "
            + $"objects; the first {count} of each split (training: epoch 0) as PNGs under {outDir}; {jsonl}"));
        return 0;
    }

    private static string Line(string split, int index, ClutteredExample e, string file)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("split", split);
            w.WriteNumber("index", index);
            w.WriteString("file", file.Replace('\\', '/'));
            w.WriteString("class", FashionMnist.ClassNames[e.Label]);
            w.WriteNumber("image", e.Object);
            w.WriteNumber("x", e.X);
            w.WriteNumber("y", e.Y);
            w.WriteStartArray("clutter");
            foreach (var p in e.Clutter)
            {
                w.WriteStartObject();
                w.WriteNumber("image", p.Source);
                w.WriteNumber("crop_x", p.CropX);
                w.WriteNumber("crop_y", p.CropY);
                w.WriteNumber("x", p.X);
                w.WriteNumber("y", p.Y);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary><c>recur glimpse RUN IMAGE.png</c>: the class of a person's own canvas, and its path picture for the attention model.</summary>
    public static int Classify(Args args)
    {
        bool latest = args.Flag("latest");
        string? outPath = args.String("out");
        args.ThrowOnUnused(2);
        if (args.Positional.Count < 2) throw new CliException("name an image: recur glimpse RUN IMAGE.png.");
        if (outPath is not null && !outPath.EndsWith(".png", StringComparison.OrdinalIgnoreCase))
            throw new CliException($"--out names the PNG to write and must end in .png, got '{outPath}'.");
        var ck = GlimpseCheckpoint.Instance.Load(args.Positional[0], latest ? CheckpointKind.Latest : CheckpointKind.Best);
        ck.Model.Threads = 1;
        string image = args.Positional[1];
        float[] canvas;
        try { canvas = GlimpsePrediction.Canvas(PngDecoder.Read(image), ck.Model.Side, image); }
        catch (PngFormatException e) { throw new CliException(e.Message, 1); }
        catch (IOException e) { throw new CliException($"{image}: {e.Message}", 1); }
        catch (ArgumentException e) { throw new CliException(e.Message, 1); }
        var p = GlimpsePrediction.Of(ck.Model, canvas);
        var names = FashionMnist.ClassNames;
        var inv = CultureInfo.InvariantCulture;
        var top = Enumerable.Range(0, p.Probabilities.Count).OrderByDescending(k => p.Probabilities[k]).ThenBy(k => k).Take(3);
        Console.WriteLine(string.Create(inv, $"{image}: {names[p.Class]} ({string.Join(", ", top.Select(k => $"{names[k]} {p.Probabilities[k]:F3}"))})"));
        if (ck.Model is not RamClassifier ram) return 0;
        var figure = GlimpseReport.Figures(ram, new Tensor(canvas, 1, canvas.Length), [-1], [image])[0];
        string path = outPath ?? Path.ChangeExtension(image, null) + ".paths.png";
        Png.Save(path, figure.Path);
        Console.WriteLine(string.Join("; ", figure.Places) + $": {path}");
        return 0;
    }
}
