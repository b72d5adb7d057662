using System.Text;
using Recur.Data;
using Recur.Data.Scenes;
using Recur.Imaging;
using Recur.IO;
using Recur.Models.Captioning;
using Recur.Tasks.Caption;

namespace Recur.Cli.Commands;

/// <summary><c>recur caption RUN IMAGE.png...</c>: captions a person's own images.</summary>
internal static class CaptionImages
{
    /// <summary>Pixels per side of the training scenes, the only size a captioner reads.</summary>
    private const int Side = Scene.DefaultGridSide * Scene.CellSize;

    public const string Usage = """
        recur caption RUN IMAGE.png... [--beam K] [--alpha A] [--temperature T --seed S] [--attention report.html] [--resize]
          Captions PNG images with the run's best captioner: each is read (grey, RGB, palette or with alpha, any bit
          depth), turned grey and encoded. An image must be 84x84, the scenes' size; --resize scales any other size
          to 84x84 by area averaging (the line of its caption says so). A blank image (every pixel alike) is refused:
          the scenes always hold something. Greedy decoding by default;
          --beam K for beam search, --temperature T to sample. --attention writes an HTML page of each word's
          attention map (attention captioners).
        """;

    public static int Run(Args args)
    {
        int beam = args.Int("beam", 1, min: 1, max: 100);
        double alpha = args.Double("alpha", 1.0, min: 0, max: 10);
        double temperature = args.Double("temperature", 0, min: 0, max: 100);
        int seed = args.Int("seed", 1, min: 0);
        string? html = args.String("attention");
        bool resize = args.Flag("resize");
        args.ThrowOnUnused(int.MaxValue);
        if (args.Positional.Count < 2) throw new CliException("name a run and at least one image: recur caption RUN IMAGE.png...");
        if (beam > 1 && temperature > 0) throw new CliException("--beam and --temperature exclude each other: beam search is deterministic.");
        var ck = CaptionCheckpoint.Instance.Load(args.Positional[0], CheckpointKind.Best);
        if (html is not null && ck.Model.Config.Kind != "attention")
            throw new CliException($"--attention needs an attention captioner; this run is {ck.Model.Config.Kind}.");
        var rng = new Rng((ulong)seed);
        var figures = new List<AttentionFigure>();
        foreach (string path in args.Positional.Skip(1))
        {
            PixelImage read;
            try { read = PngDecoder.Read(path).ToGrey(); }
            catch (PngFormatException e) { throw new CliException(e.Message, 1); }
            catch (FileNotFoundException e) { throw new CliException(e.Message, 1); }
            UnseenInput.CheckImage(path, read, Side, Side, resize, "scenes (1 to 4 Fashion-MNIST objects on black)",
                $"give a {Side}x{Side} PNG, or pass --resize to scale it to {Side}x{Side} by area averaging.");
            var image = read.Resize(Side, Side);
            string scaled = image == read ? ""
                : $" (scaled from {read.Width}x{read.Height} to {Side}x{Side} by area averaging{(read.Width == read.Height ? "" : ", not keeping its shape")})";
            var features = ck.Encoder.Encode([image.Pixels], Side, Side);
            var caption = beam > 1 ? CaptionDecoder.Beam(ck.Model, features, ck.Vocabulary, beam, alpha)
                : temperature > 0 ? CaptionDecoder.Sample(ck.Model, features, ck.Vocabulary, (float)temperature, rng)[0]
                : CaptionDecoder.Greedy(ck.Model, features, ck.Vocabulary)[0];
            Console.WriteLine($"{path}{scaled}: {(caption.Text.Length == 0 ? "(an empty caption: <END> came first)" : caption.Text)}");
            figures.Add(new AttentionFigure(Path.GetFileName(path), image, caption));
        }
        if (html is not null)
        {
            File.WriteAllText(html, AttentionReport.Build("captions", figures, ck.Model.Config.GridRows, ck.Model.Config.GridCols), new UTF8Encoding(false));
            Console.WriteLine($"attention maps: {html}");
        }
        return 0;
    }
}
