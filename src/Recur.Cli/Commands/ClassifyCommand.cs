using System.Globalization;
using Recur.Data;
using Recur.IO;
using Recur.Tasks;
using Recur.Training;

namespace Recur.Cli.Commands;

/// <summary><c>recur classify [DIR]</c>: many-to-one classification of Fashion-MNIST images read row by row.</summary>
internal sealed class ClassifyCommand : ICommand
{
    /// <summary>The defaults of <c>recur classify</c>.</summary>
    internal static TrainOptions Defaults { get; } = new()
    {
        // The model of the 0.91 figure (docs/CLASSIFY.md), annealed over 12 epochs instead of a time budget.
        Model = "gru", Hidden = 256, Layers = 2, Dropout = 0.3, BatchSize = 128, Optimizer = "adam", LearningRate = 2e-3,
        LrSchedule = "cosine", LrMin = 1e-5, Ema = 0.999, GradClip = 5, MaxEpochs = 12, ValFrac = 1.0 / 12, EvalEvery = 1000,
    };

    /// <summary>The training options that apply to this task.</summary>
    internal static IReadOnlyList<OptionSpec> Specs { get; } = TrainOptionSpecs.All
        .Where(s => s.Flag is not ("embed" or "weight-drop" or "highway" or "seq-length" or "test-frac" or "sample-every")).ToArray();

    public string Name => "classify";
    public string Summary => "classify Fashion-MNIST images: read as sequences of rows (many-to-one), or by a CNN (--model cnn)";
    public string Usage => UsageText.Replace("{{OPTIONS}}", TrainingOptionsCli.Usage(Defaults, Specs,
        new Dictionary<string, string> { ["eval-every"] = "or once per epoch when not given", ["val-frac"] = "the last 5,000 of 60,000 training images" }));

    private const string UsageText = """
        usage: recur classify [DIR] [options]

        Trains a recurrent classifier on Fashion-MNIST read as sequences (the lectures' sequential processing
        of non-sequence data): each 28x28 image is 28 time steps of 28-pixel rows, and the last hidden state
        goes through a linear layer to the 10 classes. At the end the best checkpoint is scored on the test
        images: accuracy, the confusion matrix, and misclassified.png in the run folder.
        --model cnn trains a convolutional network instead (the encoder image captioning starts from):
        --layers stages of 3x3 convolutions (32, 64, 128, ... channels) each with ReLU and 2x2 max pooling,
        then a fully connected layer of --hidden units with ReLU, dropout before and after it, and the head.
        DIR holds the IDX files train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte and
        t10k-labels-idx1-ubyte (each may be .gz); default /usr/share/datasets/fashion-mnist, installed by
        apt-get install dataset-fashion-mnist.

        {{OPTIONS}}augmentation (--model cnn; training images only, kept by the run's checkpoints)
          --flip                    mirror each training image left to right with probability 1/2
          --shift N                 move each training image by up to N pixels each way, zero filled (default 0)

        progress and run folder
          --print-every N           when output is not a terminal: a progress line every N iterations (default 100)
          --out DIR                 where checkpoints go (default runs/YYYYMMDD-HHMMSS-classify)
          --resume DIR              continue a run exactly from DIR's latest/ (same images)

        Ctrl-C saves latest/ and exits (code 130); resume with --resume DIR.
        """;

    public int Run(Args args)
    {
        var o = TrainingOptionsCli.Read(args, Defaults, Specs);
        bool evalGiven = args.Has("eval-every");
        string? outDir = args.String("out");
        string? resume = args.String("resume");
        int printEvery = args.Int("print-every", 100, min: 1);
        bool augmentGiven = args.Has("flip") || args.Has("shift");
        var augmentation = new Recur.Nn.Vision.ImageAugmentation(args.Flag("flip"), args.Int("shift", 0, min: 0, max: 27));
        args.ThrowOnUnused(1);
        if (augmentation.Any && o.Model != Recur.Models.ConvNetConfig.Name && resume is null)
            throw new CliException("--flip and --shift augment the images of --model cnn; a recurrent classifier reads the rows unchanged.");
        if (augmentGiven && resume is not null)
            throw new CliException("--flip and --shift are fixed when a run starts; a resumed run keeps its own (see its config.json).");

        Trainer trainer;
        string dataDir;
        LabeledImages test;
        if (resume is not null)
        {
            var ck = ClassifierCheckpoint.Load(resume, CheckpointKind.Latest);
            var saved = ck.Training ?? throw new CliException($"{ck.Directory}: records no training options; it cannot be resumed.");
            var merged = TrainingOptionsCli.Merge(saved, args, Specs);
            dataDir = args.Positional.Count > 0 ? args.Positional[0] : ck.Data?.Source ?? FashionMnist.DefaultDirectory;
            var (train, t) = LoadData(dataDir);
            test = t;
            trainer = ClassifyTrainer.Resume(ck, train, merged);
            if (outDir is not null) trainer.OutputDirectory = outDir;
            trainer.OutputDirectory ??= Path.GetDirectoryName(Path.GetFullPath(ck.Directory));
        }
        else
        {
            dataDir = args.Positional.Count > 0 ? args.Positional[0] : FashionMnist.DefaultDirectory;
            var (train, t) = LoadData(dataDir);
            test = t;
            if (!evalGiven)
            {
                int perEpoch = Math.Max(1, (train.Count - (int)Math.Round(train.Count * o.ValFrac)) / o.BatchSize);
                o = o with { EvalEvery = perEpoch };
            }
            trainer = ClassifyTrainer.Create(o, train, FashionMnist.ClassNames, Path.GetFullPath(dataDir), augmentation);
            trainer.OutputDirectory = outDir ?? RunFolders.Default("classify");
        }

        var progress = new ConsoleProgress(Console.Out, ConsoleProgress.IsTerminal, printEvery, sampleLength: 0);
        var result = RunFolders.Run(trainer, progress);
        string run = trainer.OutputDirectory!;
        if (RunFolders.AbnormalExit(result, "classify", run) is int code) return code;
        Console.WriteLine(Inv($"done: {result.Message} after {result.Iteration} iterations ({result.Epoch:F2} epochs, {ConsoleProgress.Time(result.Seconds)}); best val loss {result.BestValLoss:F4}"));
        if (result.Hint is not null) Console.WriteLine("hint: " + result.Hint);
        var best = ClassifierCheckpoint.Load(run, CheckpointKind.Best);
        best.Model.Threads = o.EffectiveThreads;
        ClassifierReport.Print(best, test, run);
        return 0;
    }

    internal static (LabeledImages Train, LabeledImages Test) LoadData(string dir)
    {
        try { return FashionMnist.Load(dir); }
        catch (IdxFormatException e) { throw new CliException(e.Message, 1); }
        catch (DirectoryNotFoundException e) { throw new CliException(e.Message, 1); }
        catch (FileNotFoundException e) { throw new CliException(e.Message, 1); }
    }

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}

/// <summary>The test-set report of a classifier: accuracy, the confusion matrix and the misclassified picture.</summary>
internal static class ClassifierReport
{
    public static void Print(LoadedClassifier ck, LabeledImages test, string pictureFolder)
    {
        var s = ClassifyTask.Score(ck.Model, test);
        var names = ck.ClassNames;
        var inv = CultureInfo.InvariantCulture;
        Console.WriteLine(string.Create(inv, $"test: {test.Count:N0} images, accuracy {s.Accuracy:F4}, loss {s.Loss:F4} nats ({ck.Directory})"));
        int K = names.Count, w = names.Max(n => n.Length) + 5;
        Console.WriteLine("confusion matrix (rows: true class, columns: predicted):");
        Console.WriteLine(new string(' ', w) + string.Concat(Enumerable.Range(0, K).Select(k => k.ToString(inv).PadLeft(6))) + "  recall");
        for (int i = 0; i < K; i++)
        {
            long row = 0;
            for (int j = 0; j < K; j++) row += s.Confusion[i, j];
            string recall = row == 0 ? "-" : ((double)s.Confusion[i, i] / row).ToString("F3", inv);
            Console.WriteLine($"{i,2} {names[i]}".PadRight(w) + string.Concat(Enumerable.Range(0, K).Select(j => s.Confusion[i, j].ToString(inv).PadLeft(6))) + "  " + recall);
        }
        var png = Analysis.Misclassified.Png(test, s.Predicted, names);
        if (png is not null)
        {
            string path = Path.Combine(pictureFolder, "misclassified.png");
            AtomicFile.WriteAllBytes(path, png);
            Console.WriteLine($"misclassified examples: {path}");
        }
    }
}
