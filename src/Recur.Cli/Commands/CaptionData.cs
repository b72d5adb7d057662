using System.Globalization;
using System.Text.Json;
using Recur.Data;
using Recur.Data.Scenes;
using Recur.Imaging;
using Recur.IO;
using Recur.Plotting;

namespace Recur.Cli.Commands;

/// <summary><c>recur caption data</c>: draws the captioned scenes and writes them for a person to look at.</summary>
internal static class CaptionData
{
    public const string Usage = """
        Draws the captioned scenes (SceneGenerator, from --seed): 1 to 4 Fashion-MNIST images at random cells of a
        3x3 grid of 28-pixel cells (84x84 pixels), captioned by a small grammar ("two shirts and a coat", "a sneaker
        above a bag", "a dress to the left of a sandal"). Training scenes use the first 11/12 of the training images
        (a run's validation scenes use the rest; see caption train), both test splits the test images;
        --heldout-pairs pairs of classes never appear together in training, and the held-out test split shows
        exactly those pairs. Writes DIR/captions.json (every scene: split, file, objects with cell and
        class, reference captions, the canonical one first) and the first --png scenes of each split as
        DIR/SPLIT/NNNNN.png.
        FASHION_DIR holds Fashion-MNIST's IDX files (default /usr/share/datasets/fashion-mnist, installed by
        apt-get install dataset-fashion-mnist).

          --out DIR             where to write (required)
          --train N             training scenes (default 20000)
          --test-seen N         test scenes of seen compositions (default 1000)
          --test-heldout N      test scenes of held-out compositions (default 1000)
          --heldout-pairs K     class pairs held out of training (default 8)
          --seed S              the draw (default 1)
          --png N               scenes per split written as PNG (default 200)
        """;

    public static int Run(Args args)
    {
        string outDir = args.String("out") ?? throw new CliException("caption data needs --out DIR.");
        var d = new SceneOptions();
        var o = new SceneOptions
        {
            Train = args.Int("train", d.Train, min: 0, max: 10_000_000),
            TestSeen = args.Int("test-seen", d.TestSeen, min: 0, max: 10_000_000),
            TestHeldOut = args.Int("test-heldout", d.TestHeldOut, min: 0, max: 10_000_000),
            HeldOutPairs = args.Int("heldout-pairs", d.HeldOutPairs, min: 1, max: 20),
            Seed = (ulong)args.Int("seed", 1, min: 0),
        };
        int png = args.Int("png", 200, min: 0);
        args.ThrowOnUnused(2);
        string dataDir = args.Positional.Count > 1 ? args.Positional[1] : FashionMnist.DefaultDirectory;
        var (train, test) = ClassifyCommand.LoadData(dataDir);
        var (tr, seen, held, pairs) = SceneGenerator.Build(train, test, o);
        Directory.CreateDirectory(outDir);
        using (var stream = File.Create(Path.Combine(outDir, "captions.json")))
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteNumber("seed", o.Seed);
            w.WriteString("source", Path.GetFullPath(dataDir));
            w.WriteStartArray("classes");
            foreach (var c in CaptionGrammar.Singular) w.WriteStringValue(c);
            w.WriteEndArray();
            w.WriteStartArray("heldout_pairs");
            foreach (var (a, b) in pairs)
            {
                w.WriteStartArray(); w.WriteStringValue(CaptionGrammar.Singular[a]); w.WriteStringValue(CaptionGrammar.Singular[b]); w.WriteEndArray();
            }
            w.WriteEndArray();
            w.WriteStartArray("scenes");
            foreach (var split in new[] { tr, seen, held })
            {
                Directory.CreateDirectory(Path.Combine(outDir, split.Name));
                for (int i = 0; i < split.Scenes.Count; i++)
                {
                    var s = split.Scenes[i];
                    string? file = null;
                    if (i < png)
                    {
                        file = $"{split.Name}/{i:D5}.png";
                        Png.Save(Path.Combine(outDir, file), new PixelImage(s.Side, s.Side, 1, s.Render(split.Images)));
                    }
                    w.WriteStartObject();
                    w.WriteString("split", split.Name);
                    w.WriteNumber("index", i);
                    if (file is not null) w.WriteString("file", file);
                    w.WriteStartArray("objects");
                    foreach (var it in s.Items)
                    {
                        w.WriteStartObject();
                        w.WriteNumber("row", s.RowOf(it.Cell));
                        w.WriteNumber("col", s.ColumnOf(it.Cell));
                        w.WriteString("class", CaptionGrammar.Singular[it.Class]);
                        w.WriteNumber("image", it.Image);
                        w.WriteEndObject();
                    }
                    w.WriteEndArray();
                    w.WriteStartArray("captions");
                    foreach (var c in CaptionGrammar.References(s)) w.WriteStringValue(c);
                    w.WriteEndArray();
                    w.WriteEndObject();
                }
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"wrote {tr.Scenes.Count:N0} training, {seen.Scenes.Count:N0} seen and {held.Scenes.Count:N0} held-out test scenes to "
            + $"{Path.Combine(outDir, "captions.json")}, up to {png} PNGs per split"));
        Console.WriteLine("held-out pairs: " + string.Join(", ", pairs.Select(p => $"{CaptionGrammar.Singular[p.A]}+{CaptionGrammar.Singular[p.B]}")));
        Console.WriteLine("e.g. " + string.Join(" | ", tr.Scenes.Take(3).Select(CaptionGrammar.Canonical)));
        return 0;
    }
}
