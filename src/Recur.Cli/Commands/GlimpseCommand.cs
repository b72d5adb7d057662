using System.Globalization;
using System.Text.Json;
using Recur.Data.Glimpse;
using Recur.IO;
using Recur.Plotting;
using Recur.Tasks.Glimpse;

namespace Recur.Cli.Commands;

/// <summary><c>recur glimpse data|train|eval|RUN IMAGE.png</c>: the recurrent attention model on cluttered Fashion-MNIST.</summary>
internal sealed class GlimpseCommand : ICommand
{
    /// <summary>Canvases in the path picture and the HTML page eval writes, unless --paths says.</summary>
    private const int DefaultPaths = 16;

    /// <summary>Path pictures per row of paths-SPLIT.png.</summary>
    private const int PathColumns = 4;

    public string Name => "glimpse";
    public IEnumerable<string> Tasks => [Name, DramDefinition.Instance.Name];
    public string Summary => GlimpseDefinition.Instance.Summary;
    public string Usage => UsageText + "\n" + TaskCli.OptionsUsage(GlimpseDefinition.Instance) + "\n" + DramText + "\n"
        + TaskCli.OptionsUsage(DramDefinition.Instance);

    private const string UsageText = """
        usage: recur glimpse data [FASHION_DIR] --out DIR [--size S] [--clutter K] [--data-seed S] [--count N]
               recur glimpse train [FASHION_DIR] [--model ram|cnn|dram] [options]
               recur glimpse train --resume RUN [--minutes M]
               recur glimpse eval RUN [FASHION_DIR] [--split validation|test] [--paths N] [--latest] [--threads N]
               recur glimpse RUN IMAGE.png [--out PATHS.png] [--latest]

        The recurrent attention model (Mnih et al. 2014) on cluttered translated Fashion-MNIST: each canvas (--size,
        100x100 by default) holds one 28x28 object wholly inside it at a random place and --clutter 8x8 crops of other
        images. The model never sees the whole canvas: a retina reads --scales patches of --patch x --patch pixels
        around a location (each twice as wide as the last, pooled to the same size), a glimpse network and an LSTM core
        read them, a Gaussian location policy (trained by REINFORCE with a learned baseline) picks the next location,
        and after --glimpses glimpses the class head (trained by backpropagation) names the class. The first glimpse
        is at the centre; evaluation follows the policy's mean, so scores and paths are the same every time.
        --model cnn trains a convolutional network over every pixel instead, the baseline of the same task.
        Training canvases are made of the first 11/12 of the training images (new places and clutter every epoch),
        validation canvases (the error that chooses best/) of the last 1/12, test canvases of the test images, each
        split's clutter from its own images. Pixels read: the values the model takes in per image (the retina's
        outputs, glimpses x scales x patch^2; every pixel for the CNN) over the canvas's pixels.
        eval prints the error, accuracy, loss, pixels read and parameters on the split, writes RUN/eval.json (naming
        the split) and, for the attention model, paths-SPLIT.png and paths-SPLIT.html (the first --paths canvases:
        each glimpse's scales as squares, numbered in order, joined by a line; the page adds what the retina saw), and
        RUN/glimpses.jsonl (the first 500 canvases, then the wrong ones: class, prediction, path, a picture under RUN/examples/).
        RUN IMAGE.png classifies a grey or RGB PNG of the run's canvas size and writes its path picture (default
        IMAGE.paths.png). data writes the first --count canvases of each split as PNGs and DIR/canvases.jsonl.
        FASHION_DIR holds the Fashion-MNIST IDX files (default /usr/share/datasets/fashion-mnist).

        Ctrl-C saves latest/ and exits (code 130); resume with --resume RUN.
        """;

    private const string DramText = """
        usage: recur glimpse train [FASHION_DIR] --model dram [options]

        DRAM (Ba, Mnih and Kavukcuoglu 2015) reads EVERY object of the captioning scenes (84x84, 1 to 4 Fashion-MNIST
        images in a 3x3 grid) in reading order (by cell, row-major), then says "end": a context network over the scene
        pooled by --context-pool starts the upper LSTM r2, which emits each glimpse's location (a Gaussian policy,
        REINFORCE with a learned baseline, the return of a glimpse the objects read right from its slot on); the lower
        LSTM r1 reads the glimpses (the retina and glimpse network of --model ram) and, after --glimpses-per-object of
        them, names the next object or the end. Training scenes use the first 11/12 of the training images, validation
        scenes (--val-frac of --scenes, seen and held-out compositions together) the rest, test scenes (--split test)
        the test images. eval reports sequence accuracy (every object and the count right: the error that chooses
        best/), object accuracy (objects named right in their place) and count accuracy, writes eval.json, glimpses.jsonl
        (a scene's classes, the reading, the path) and paths-SPLIT.png/.html. The first glimpse is emitted from the
        context; eval follows the policy's mean. RUN IMAGE.png does not take a DRAM run.
        """;

    public int Run(Args args)
    {
        string? sub = args.Positional.Count > 0 ? args.Positional[0] : null;
        return sub switch
        {
            "data" => GlimpseFiles.Data(args),
            "train" => DramCli.Trains(args) ? DramCli.Train(args, DefaultPaths, PathColumns) : Train(args),
            "eval" => Eval(args),
            null => throw new CliException("name what to do: recur glimpse data|train|eval, or recur glimpse RUN IMAGE.png."),
            _ when Directory.Exists(sub) && DramCli.IsDram(sub)
                => throw new CliException($"{sub} is a DRAM run: it reads scenes; score it with recur glimpse eval."),
            _ when Directory.Exists(sub) => GlimpseFiles.Classify(args),
            _ => throw new CliException($"unknown glimpse command '{sub}': the commands are data, train and eval, or a run folder followed by an image."),
        };
    }

    private static int Train(Args args)
    {
        var (exit, run, dataDir) = TaskCli.Train(args, GlimpseDefinition.Instance);
        if (exit is int code) return code;
        var best = GlimpseCheckpoint.Instance.Load(run, CheckpointKind.Best);
        best.Model.Threads = best.Training?.EffectiveThreads ?? 1;
        Report(best, dataDir, "validation", DefaultPaths);
        return 0;
    }

    private static int Eval(Args args)
    {
        int threads = args.Int("threads", 0, min: 0, max: 1024);
        int paths = args.Int("paths", DefaultPaths, min: 0, max: 1000);
        bool latest = args.Flag("latest");
        string split = TaskCli.Split(args);
        args.ThrowOnUnused(3);
        if (args.Positional.Count < 2) throw new CliException("name a run: recur glimpse eval RUN [FASHION_DIR].");
        if (DramCli.IsDram(args.Positional[1], latest ? CheckpointKind.Latest : CheckpointKind.Best))
            return DramCli.Eval(args.Positional[1], args.Positional.Count > 2 ? args.Positional[2] : null, split, paths, PathColumns, threads, latest);
        var ck = GlimpseCheckpoint.Instance.Load(args.Positional[1], latest ? CheckpointKind.Latest : CheckpointKind.Best);
        ck.Model.Threads = threads > 0 ? threads : Environment.ProcessorCount;
        string dir = args.Positional.Count > 2 ? args.Positional[2] : ck.Data?.Source ?? GlimpseDefinition.Instance.DefaultData;
        Report(ck, dir, split, paths);
        return 0;
    }

    /// <summary>Scores <paramref name="ck"/> on <paramref name="split"/>; writes eval.json and, for the attention model, the paths.</summary>
    private static void Report(LoadedGlimpse ck, string dir, string split, int paths)
    {
        var canvases = Canvases(ck, dir, split);
        string folder = ck.RunDirectory ?? ck.Directory;
        var examples = new GlimpseExamples(Path.Combine(folder, "eval.json"), split, ck.Model);
        var s = GlimpseScore.Of(ck.Model, canvases, examples.Add);
        examples.Save();
        var inv = CultureInfo.InvariantCulture;
        var o = ck.Clutter;
        Console.WriteLine(string.Create(inv, $"{split}: {ck.Model.Summary}; {ck.Model.Store.Count:N0} parameters ({ck.Directory})"));
        Console.WriteLine(string.Create(inv, $"{s.Images:N0} canvases {o.Size}x{o.Size} with {o.Clutter} clutter pieces: error {s.Error:F4} "
            + $"(accuracy {s.Accuracy:F4}), loss {s.Loss:F4} nats; pixels read {100 * s.PixelsRead:F2} % ({s.ValuesRead:N0} values of {s.Pixels:N0})"));
        string json = Path.Combine(folder, "eval.json");
        using (var stream = File.Create(json))
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("split", split);
            w.WriteString("checkpoint", Path.GetFileName(Path.TrimEndingDirectorySeparator(ck.Directory)));
            w.WriteString("architecture", ck.Model.Architecture);
            w.WriteNumber("parameters", ck.Model.Store.Count);
            w.WriteNumber("size", o.Size);
            w.WriteNumber("clutter", o.Clutter);
            w.WriteNumber("images", s.Images);
            w.WriteNumber("error", s.Error);
            w.WriteNumber("accuracy", s.Accuracy);
            w.WriteNumber("loss", s.Loss);
            w.WriteNumber("values_read", s.ValuesRead);
            w.WriteNumber("pixels", s.Pixels);
            w.WriteNumber("pixels_read", s.PixelsRead);
            w.WriteEndObject();
        }
        Console.WriteLine($"wrote {json}, {examples.Lines.FilePath} ({examples.Lines.Count:N0} canvases, their pictures in {ExampleLines.PictureFolder}/)");
        if (paths == 0) return;
        if (ck.Model is not RamClassifier ram)
        {
            Console.WriteLine("the CNN reads every pixel: it has no glimpse paths to draw.");
            return;
        }
        var figures = GlimpseReport.Figures(ram, canvases, paths);
        string png = Path.Combine(folder, $"paths-{split}.png");
        Png.Save(png, GlimpsePaths.Grid([.. figures.Select(f => f.Path)], PathColumns));
        string html = Path.Combine(folder, $"paths-{split}.html");
        string intro = $"The first {figures.Count} {split} canvases of {folder}: {ram.Summary}. Each glimpse's scales are "
            + "squares in its colour, numbered in order and joined by a line; the panels show what the retina passed on.";
        AtomicFile.WriteAllBytes(html, System.Text.Encoding.UTF8.GetBytes(GlimpseReport.Build($"glimpse paths, {split}", intro, figures)));
        Console.WriteLine($"glimpse paths of the first {figures.Count} {split} canvases: {png}, {html}");
    }

    /// <summary>
    /// The canvases of <paramref name="split"/>: the test canvases of <paramref name="dir"/>'s test images, or the validation canvases
    /// of its training images, refused when those are not the images the run was trained on.
    /// </summary>
    private static ClutteredSplit Canvases(LoadedGlimpse ck, string dir, string split)
    {
        var (train, test) = ClassifyCommand.LoadData(dir);
        if (split == "validation")
        {
            var now = GlimpseDefinition.Instance.DataOf(new GlimpseData(train, test), dir);
            if (ck.Data is { } d && (now.Characters != d.Characters || now.Checksum != d.Checksum))
                throw new CliException($"the training images in {dir} ({now.Characters:N0}) are not the ones {ck.Directory} was trained on "
                    + $"({d.Source}, {d.Characters:N0}), so its validation canvases are unknown; give the run's data, or --split test.", 1);
        }
        var canvases = ClutteredSplit.Scored(split, train, test, ck.Clutter);
        if (canvases.Count == 0) throw new CliException($"the {split} split holds no canvases.", 1);
        return canvases;
    }
}
