using System.Text;
using Recur.Imaging;
using Recur.IO;
using Recur.Models.Captioning;
using Recur.Tasks.Caption;

namespace Recur.Cli.Commands;

/// <summary><c>recur caption RUN IMAGE.png...</c>: captions a person's own images.</summary>
internal static class CaptionImages
{
    public const string Usage = """
        recur caption RUN IMAGE.png... [--beam K] [--alpha A] [--temperature T --seed S] [--attention report.html]
          Captions PNG images with the run's best captioner: each is read (grey, RGB, palette or with alpha, any bit
          depth), turned grey, scaled to the scenes' 84x84 by area averaging, and encoded. Greedy decoding by default;
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
            PixelImage image;
            try { image = PngDecoder.Read(path).ToGrey().Resize(84, 84); }
            catch (PngFormatException e) { throw new CliException(e.Message, 1); }
            catch (FileNotFoundException e) { throw new CliException(e.Message, 1); }
            var features = ck.Encoder.Encode([image.Pixels], 84, 84);
            var caption = beam > 1 ? CaptionDecoder.Beam(ck.Model, features, ck.Vocabulary, beam, alpha)
                : temperature > 0 ? CaptionDecoder.Sample(ck.Model, features, ck.Vocabulary, (float)temperature, rng)[0]
                : CaptionDecoder.Greedy(ck.Model, features, ck.Vocabulary)[0];
            Console.WriteLine($"{path}: {(caption.Text.Length == 0 ? "(an empty caption: <END> came first)" : caption.Text)}");
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
