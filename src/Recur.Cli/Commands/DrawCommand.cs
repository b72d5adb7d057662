using System.Globalization;
using System.Text.Json;
using Recur.Data;
using Recur.IO;
using Recur.Plotting;
using Recur.Tasks.Draw;

namespace Recur.Cli.Commands;

/// <summary><c>recur draw train|eval|sample</c>: DRAW, a recurrent variational auto-encoder, on binarised Fashion-MNIST.</summary>
internal sealed class DrawCommand : ICommand
{
    /// <summary>Images in the reconstruction strip eval writes.</summary>
    private const int StripImages = 8;

    public string Name => "draw";
    public string Summary => DrawDefinition.Instance.Summary;
    public string Usage => UsageText + "\n" + TaskCli.OptionsUsage(DrawDefinition.Instance, new Dictionary<string, string>
    {
        ["hidden"] = "the encoder LSTM's width", ["eval-every"] = "or once per epoch when not given",
        ["val-frac"] = "the last 5,000 of 60,000 training images",
    });

    private const string UsageText = """
        usage: recur draw train [FASHION_DIR] [options]
               recur draw train --resume RUN [--minutes M]
               recur draw eval RUN [FASHION_DIR] [--split validation|test] [--latest] [--threads N]
               recur draw sample RUN [--count N] [--seed S] [--out FILE.png] [--latest] [--threads N]

        DRAW (Gregor et al. 2015): an LSTM encoder reads the image and the error of the canvas so far (with attention,
        an N x N Gaussian-filterbank glimpse of each), a latent z_t ~ N(mu_t, sigma_t^2) per step, an LSTM decoder
        writes onto the canvas (with attention, an N x N patch); after --steps steps the canvas sigma(c_T) is the
        Bernoulli mean of every pixel. The loss is the negative variational bound L = L^x + L^z in nats per image: the
        reconstruction's negative log-likelihood plus the KL of each step's posterior from N(0, I). Images are
        Fashion-MNIST binarised at a fixed threshold (pixel >= 128 of 255 is 1). The last --val-frac of the training
        images validate and choose best/; the 10,000 test images are scored once, by eval --split test.
        eval prints the bound on the split (one sample of z per image, fixed noise), writes eval.json (naming the
        split) and reconstructions-SPLIT.png (a row per image: the canvas after each step, then the image) into the
        run folder, and draws.jsonl (the first 500 images: each one's bound, its canvases step by step under RUN/examples/,
        with attention the read and write windows). sample draws --count images from the prior (z_t ~ N(0, I)) and writes their canvases step by step
        as a PNG strip (default RUN/samples.png).
        FASHION_DIR holds the Fashion-MNIST IDX files (default /usr/share/datasets/fashion-mnist, from
        apt-get install dataset-fashion-mnist).

        Ctrl-C saves latest/ and exits (code 130); resume with --resume RUN.
        """;

    public int Run(Args args)
    {
        string? sub = args.Positional.Count > 0 ? args.Positional[0] : null;
        return sub switch
        {
            "train" => Train(args),
            "eval" => Eval(args, 1),
            "sample" => Sample(args),
            null => throw new CliException("name what to do: recur draw train, recur draw eval RUN, or recur draw sample RUN."),
            _ => throw new CliException($"unknown draw command '{sub}': the commands are train, eval and sample."),
        };
    }

    private static int Train(Args args)
    {
        var (exit, run, dir) = TaskCli.Train(args, DrawDefinition.Instance);
        if (exit is int code) return code;
        var best = DrawCheckpoint.Instance.Load(run, CheckpointKind.Best);
        best.Model.Threads = best.Training?.EffectiveThreads ?? 1;
        Report(best, dir, "validation");
        return 0;
    }

    /// <summary><c>recur draw eval RUN [DIR]</c> (positional offset 1).</summary>
    internal static int Eval(Args args, int offset)
    {
        int threads = args.Int("threads", 0, min: 0, max: 1024);
        bool latest = args.Flag("latest");
        string split = TaskCli.Split(args);
        args.ThrowOnUnused(offset + 2);
        if (args.Positional.Count < offset + 1) throw new CliException("name a run: recur draw eval RUN [FASHION_DIR].");
        var ck = DrawCheckpoint.Instance.Load(args.Positional[offset], latest ? CheckpointKind.Latest : CheckpointKind.Best);
        ck.Model.Threads = threads > 0 ? threads : Environment.ProcessorCount;
        string dir = args.Positional.Count > offset + 1 ? args.Positional[offset + 1] : ck.Data?.Source ?? FashionMnist.DefaultDirectory;
        Report(ck, dir, split);
        return 0;
    }

    /// <summary>
    /// Scores <paramref name="ck"/> on <paramref name="split"/> of the images in <paramref name="dir"/>; writes eval.json and the
    /// reconstructions.
    /// </summary>
    private static void Report(LoadedDraw ck, string dir, string split)
    {
        var set = Images(ck, dir, split);
        string folder = ck.RunDirectory ?? ck.Directory;
        var examples = new DrawExamples(Path.Combine(folder, "eval.json"), split);
        var s = DrawBound.Of(ck.Model, set, examples.Add);
        examples.Save();
        var inv = CultureInfo.InvariantCulture;
        Console.WriteLine(string.Create(inv, $"{split}: {s.Images:N0} images, bound {s.Bound:F2} nats per image "
            + $"(reconstruction {s.Reconstruction:F2} + KL {s.Latent:F2}) ({ck.Directory})"));
        var (canvases, images) = DrawStrips.Reconstructions(ck.Model, set, StripImages);
        string png = Path.Combine(folder, $"reconstructions-{split}.png");
        Png.Save(png, DrawStrips.Render(canvases, images));
        Console.WriteLine($"reconstructions of the first {images.Shape[0]} {split} images, step by step: {png}");
        string json = Path.Combine(folder, "eval.json");
        using (var stream = File.Create(json))
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("split", split);
            w.WriteString("checkpoint", Path.GetFileName(Path.TrimEndingDirectorySeparator(ck.Directory)));
            w.WriteNumber("images", s.Images);
            w.WriteNumber("loss", s.Bound);
            w.WriteNumber("reconstruction", s.Reconstruction);
            w.WriteNumber("kl", s.Latent);
            w.WriteNumber("noise_seed", DrawBound.NoiseSeed);
            w.WriteEndObject();
        }
        Console.WriteLine($"wrote {json}, {examples.Lines.FilePath} ({examples.Lines.Count:N0} images, their canvases in {ExampleLines.PictureFolder}/)");
    }

    /// <summary>
    /// The images of <paramref name="split"/>: the test images of <paramref name="dir"/>, or the validation part of its training
    /// images as the run held it out, refused when they are not the images the run was trained on.
    /// </summary>
    private static LabeledImages Images(LoadedDraw ck, string dir, string split)
    {
        var data = DrawDefinition.Instance.LoadData(dir);
        if (split == "test") return data.Test;
        var now = DrawDefinition.Instance.DataOf(data, dir);
        if (ck.Data is { } d && (now.Characters != d.Characters || now.Checksum != d.Checksum))
            throw new CliException($"the training images in {dir} ({now.Characters:N0}) are not the ones {ck.Directory} was trained on ({d.Source}, "
                + $"{d.Characters:N0}), so its validation images are unknown; give the run's data, or --split test.", 1);
        var validation = DrawDefinition.Instance.SplitImages(ck, data, split);
        if (validation.Count == 0)
        {
            double valFrac = DrawDefinition.Instance.RecordedOptions(ck).ValFrac;
            throw new CliException(string.Create(CultureInfo.InvariantCulture,
                $"{ck.Directory}: the run held out no validation images (--val-frac {valFrac}); score --split test."), 1);
        }
        return validation;
    }

    /// <summary><c>recur draw sample RUN</c>: images drawn from the prior, their canvases step by step as a PNG strip.</summary>
    private static int Sample(Args args)
    {
        int count = args.Int("count", 8, min: 1, max: 64);
        int seed = args.Int("seed", 1, min: 0);
        int threads = args.Int("threads", 0, min: 0, max: 1024);
        bool latest = args.Flag("latest");
        string? outPath = args.String("out");
        args.ThrowOnUnused(2);
        if (args.Positional.Count < 2) throw new CliException("name a run: recur draw sample RUN [--count N] [--seed S] [--out FILE.png].");
        if (outPath is not null && !outPath.EndsWith(".png", StringComparison.OrdinalIgnoreCase))
            throw new CliException($"--out names the PNG to write and must end in .png, got '{outPath}'.");
        var ck = DrawCheckpoint.Instance.Load(args.Positional[1], latest ? CheckpointKind.Latest : CheckpointKind.Best);
        ck.Model.Threads = threads > 0 ? threads : Environment.ProcessorCount;
        string path = outPath ?? Path.Combine(ck.RunDirectory ?? ck.Directory, "samples.png");
        var canvases = ck.Model.Sample(new Rng((ulong)seed), count);
        Png.Save(path, DrawStrips.Render(canvases));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{count} sample(s) from the prior (seed {seed}), {ck.Model.Config.Steps} steps each: {path}"));
        return 0;
    }
}
