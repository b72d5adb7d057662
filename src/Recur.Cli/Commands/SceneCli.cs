using System.Globalization;
using Recur.Data;
using Recur.Data.Scenes;
using Recur.IO;
using Recur.Models;
using Recur.Training;

namespace Recur.Cli.Commands;

/// <summary>The options and steps that <c>recur caption train</c> and <c>recur vqa train</c> share.</summary>
internal static class SceneCli
{
    public const string EncoderUsage = """
            --encoder DIR           the CNN run (recur classify --model cnn); required for a new run, copied into the checkpoints
            --grid-pool P           max pooling over the encoder's grid (default 3: 84x84 scenes give 7x7 locations)
            --scenes N              training scenes, the last --val-frac of them for validation (default 20000)
            --test-scenes N         scenes in each test split, seen and held-out compositions (default 1000)
            --heldout-pairs K       class pairs held out of training (default 8)
            --scene-seed S          the scenes' draw (default 1)
            --out DIR               run folder (default runs/YYYYMMDD-HHMMSS-NAME)
            --resume DIR            continue a run exactly from DIR's latest/
            --print-every N         when output is not a terminal: a progress line every N iterations (default 100)
        """;

    /// <summary>The scenes the flags describe.</summary>
    public static SceneOptions Scenes(Args args)
    {
        var d = new SceneOptions();
        int test = args.Int("test-scenes", d.TestSeen, min: 0, max: 10_000_000);
        return d with
        {
            Train = args.Int("scenes", d.Train, min: 1, max: 10_000_000),
            TestSeen = test,
            TestHeldOut = test,
            HeldOutPairs = args.Int("heldout-pairs", d.HeldOutPairs, min: 1, max: 20),
            Seed = (ulong)args.Int("scene-seed", 1, min: 0),
        };
    }

    /// <summary>The convolutional classifier of <paramref name="run"/>, or a one-line error.</summary>
    public static ConvNet Encoder(string? run, string command)
    {
        if (run is null) throw new CliException($"{command} needs --encoder CNN_RUN, a run of recur classify --model cnn (or --resume RUN).");
        LoadedClassifier enc;
        try { enc = ClassifierCheckpoint.Load(run, CheckpointKind.Best); }
        catch (CheckpointFormatException e) { throw new CliException($"--encoder: {e.Message} The encoder is a run of recur classify --model cnn.", 1); }
        return enc.Model as ConvNet ?? throw new CliException($"{enc.Directory}: the encoder must be a convolutional classifier (recur classify --model cnn), not {enc.Model.Summary}.");
    }

    /// <summary>Per-epoch evaluation when <c>--eval-every</c> was not given.</summary>
    public static int EvalEveryEpoch(int examples, double valFrac, int batch) => Math.Max(1, (examples - (int)Math.Round(examples * valFrac)) / batch);

    /// <summary>A checkpoint to resume from, as <see cref="Train"/> needs it.</summary>
    public sealed record Resumable(string Directory, TrainOptions? Training, string? Source, Func<LabeledImages, TrainOptions, Trainer> Resume);

    /// <summary>
    /// Trains a new run (from the encoder of <paramref name="encoderRun"/>, through <paramref name="create"/>) or resumes one
    /// (<paramref name="resume"/>, loaded by <paramref name="load"/>), then prints how it ended. Returns the run folder and
    /// the Fashion-MNIST folder, or the exit code of an abnormal end.
    /// </summary>
    public static (int? Exit, string Run, string DataDir) Train(Args args, string command, string name, IEnumerable<OptionSpec> specs,
        string? resume, string? outDir, string? encoderRun, int printEvery, string lossUnit,
        Func<string, Resumable> load, Func<ConvNet, LabeledImages, string, Trainer> create)
    {
        Trainer trainer;
        string dataDir;
        if (resume is not null)
        {
            var ck = load(resume);
            var saved = ck.Training ?? throw new CliException($"{ck.Directory}: records no training options; it cannot be resumed.");
            var merged = TrainingOptionsCli.Merge(saved, args, specs);
            dataDir = args.Positional.Count > 1 ? args.Positional[1] : ck.Source ?? FashionMnist.DefaultDirectory;
            var (train, _) = ClassifyCommand.LoadData(dataDir);
            Console.WriteLine("encoding the scenes ...");
            try { trainer = ck.Resume(train, merged); }
            catch (ArgumentException e) { throw new CliException(e.Message); }
            if (outDir is not null) trainer.OutputDirectory = outDir;
            trainer.OutputDirectory ??= Path.GetDirectoryName(Path.GetFullPath(ck.Directory));
        }
        else
        {
            var cnn = Encoder(encoderRun, command);
            dataDir = args.Positional.Count > 1 ? args.Positional[1] : FashionMnist.DefaultDirectory;
            var (train, _) = ClassifyCommand.LoadData(dataDir);
            Console.WriteLine($"encoding the scenes with {cnn.Summary} from {encoderRun} ...");
            try { trainer = create(cnn, train, Path.GetFullPath(dataDir)); }
            catch (ArgumentException e) { throw new CliException(e.Message); }
            trainer.OutputDirectory = outDir ?? RunFolders.Default(name);
        }
        var progress = new ConsoleProgress(Console.Out, ConsoleProgress.IsTerminal, printEvery, sampleLength: 0);
        var result = RunFolders.Run(trainer, progress);
        string run = trainer.OutputDirectory!;
        if (RunFolders.AbnormalExit(result, command, run) is int code) return (code, run, dataDir);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"done: {result.Message} after {result.Iteration} iterations ({result.Epoch:F2} epochs, {ConsoleProgress.Time(result.Seconds)}); best val loss {result.BestValLoss:F4} {lossUnit}"));
        return (null, run, dataDir);
    }
}
