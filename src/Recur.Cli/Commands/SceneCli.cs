using System.Globalization;
using Recur.Data.Scenes;
using Recur.Data;
using Recur.IO;
using Recur.Models;
using Recur.Models.Captioning;
using Recur.Tasks.Classify;
using Recur.Tasks.Scenes;
using Recur.Training;

namespace Recur.Cli.Commands;

/// <summary>
/// What <c>recur caption</c> and <c>recur vqa</c> share: the frozen encoder, <c>--encoder CNN_RUN</c>, and the two scene
/// splits an eval scores (<c>--split validation|test</c>).
/// </summary>
internal static class SceneCli
{
    public const string EncoderUsage = """
        encoder
          --encoder DIR             the CNN run (recur classify --model cnn), copied into the checkpoints; without it a new run
                                    trains the default encoder first (recur classify --model cnn --flip --shift 2
                                    --max-epochs 30; about 17 minutes on 2 cores) into encoders/ beside the run folder, or
                                    reuses the one already there for the same images; caption train counts its time in
                                    --minutes, vqa train trains for its whole --minutes after it
        """;

    /// <summary>
    /// The start hooks of <see cref="TaskCli.Train"/> for a run on scenes: a new run's settings get the convolutional
    /// classifier of <c>--encoder</c> (<paramref name="with"/> sets it); a resumed run keeps its own. When the default encoder
    /// is trained by this command and <paramref name="encoderInBudget"/> (captioning: its figure is "45 minutes, encoder
    /// included"), its time counts in <c>--minutes</c>: the run trains for what is left of the budget; otherwise (VQA) the
    /// budget is the model's own, after the encoder.
    /// </summary>
    public static TaskCli.StartHooks<T> Encoder<T>(Args args, string command, Func<T, ConvNet, T> with, bool encoderInBudget, string what = "scenes")
    {
        string? run = args.String("encoder");
        bool resume = args.Has("resume");
        string dataDir = args.Positional.Count > 1 ? args.Positional[1] : FashionMnist.DefaultDirectory;
        string encoders = Path.Combine(args.String("out") is { } o ? Path.GetDirectoryName(Path.GetFullPath(o)) ?? "." : "runs", "encoders");
        int threads = args.Int("threads", 0, min: 0, max: 1024);
        double encoderSeconds = 0;
        return new TaskCli.StartHooks<T>
        {
            Settings = settings =>
            {
                if (resume) { Console.WriteLine($"encoding the {what} ..."); return settings; }
                var (cnn, from, seconds) = run is null ? DefaultEncoder.Get(dataDir, encoders, threads) : (Encoder(run, command), run, 0);
                encoderSeconds = seconds;
                Console.WriteLine($"encoding the {what} with {cnn.Summary} from {from} ...");
                return with(settings, cnn);
            },
            Options = options => encoderInBudget ? LeftAfterEncoder(options, encoderSeconds) : options,
        };
    }

    /// <summary>
    /// <paramref name="options"/> with <c>--minutes</c> less the <paramref name="encoderSeconds"/> the default encoder took,
    /// said on the console; a budget the encoder used up is refused (the encoder is kept, so the next run has all of it).
    /// </summary>
    internal static Training.TrainOptions LeftAfterEncoder(Training.TrainOptions options, double encoderSeconds)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (encoderSeconds <= 0 || options.Minutes <= 0) return options;
        double left = options.Minutes - encoderSeconds / 60;
        if (left < 1)
            throw new CliException(string.Create(CultureInfo.InvariantCulture,
                $"the default encoder took {encoderSeconds / 60:F1} of the --minutes {options.Minutes:0.##} budget, leaving less than a minute; ")
                + "it is kept, so the same command now has its whole budget.");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"the default encoder took {encoderSeconds / 60:F1} minutes of --minutes {options.Minutes:0.##}; training for the {left:F1} left"));
        return options with { Minutes = left };
    }

    /// <summary>
    /// <c>recur COMMAND eval RUN [FASHION_DIR] [--split validation|test] [--threads N]</c> for a run on images: loads
    /// <paramref name="format"/>'s best checkpoint of RUN, gives its model the threads (<paramref name="setThreads"/>; all cores
    /// by default), and hands it to <paramref name="report"/> with the data folder (the run's own unless given), the path of
    /// the run's eval.json and the split.
    /// </summary>
    public static int Eval<T>(Args args, CheckpointFormat<T> format, string command, Action<T, int> setThreads,
        Action<T, string, string, string> report) where T : SavedRun
        => TaskEvalCli.Eval(args, 1, format, $"recur {command} eval RUN [FASHION_DIR]", FashionMnist.DefaultDirectory, setThreads, report);

    /// <summary>The convolutional classifier of <paramref name="run"/>, or a one-line error.</summary>
    public static ConvNet Encoder(string run, string command)
    {
        LoadedClassifier enc;
        try { enc = ClassifierCheckpoint.Instance.Load(run, CheckpointKind.Best); }
        catch (CheckpointFormatException e)
        {
            throw new CliException($"--encoder: {e.Message} The encoder is a run of recur classify --model cnn.", 1);
        }
        return enc.Model as ConvNet
            ?? throw new CliException($"{enc.Directory}: the encoder must be a convolutional classifier (recur classify --model cnn), "
                + $"not {enc.Model.Summary}.");
    }

    /// <summary>
    /// The seen and held-out scenes of <paramref name="split"/> (<see cref="SceneRuns.EvalSplits"/>) for a run of
    /// <paramref name="scenes"/> and validation fraction <paramref name="valFrac"/>, over the Fashion-MNIST images in
    /// <paramref name="dataDir"/>; prints which split is scored, as the output's first line.
    /// </summary>
    public static (SceneSplit Seen, SceneSplit HeldOut) EvalSplits(string dataDir, SceneOptions scenes, double valFrac, string split)
    {
        var (train, test) = ClassifyCommand.LoadData(dataDir);
        SceneSplit seen, held;
        try { (seen, held) = SceneRuns.EvalSplits(train, test, scenes, valFrac, split); }
        catch (ArgumentException e) { throw new CliException(e.Message); }
        string from = split == "test" ? "the test images" : "the training images no training scene uses";
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{split}: {seen.Scenes.Count:N0} scenes of seen compositions ({seen.Name}) and {held.Scenes.Count:N0} of held-out ones "
            + $"({held.Name}), from {from}"));
        return (seen, held);
    }

    /// <summary>Whether a run of <paramref name="scenes"/> and validation fraction <paramref name="valFrac"/> has validation scenes to score.</summary>
    public static bool HasValidation(SceneOptions scenes, double valFrac)
    {
        ArgumentNullException.ThrowIfNull(scenes);
        var (seen, held) = SceneImages.ValidationCounts(scenes.Train, valFrac);
        return seen + held > 0;
    }
    /// <summary>
    /// Refuses <paramref name="run"/> as an ensemble member beside <paramref name="first"/> unless it reads the same encoder's
    /// features (same weights, --features, --coordinates, --grid-pool) of the same scenes (same seed and held-out pairs).
    /// </summary>
    public static void CheckSameScenes(string first, SceneEncoder a, SceneOptions sa, string run, SceneEncoder b, SceneOptions sb)
    {
        if (a.Features != b.Features || a.Coordinates != b.Coordinates || a.GridPool != b.GridPool
            || !a.Network.Store.Values.AsSpan().SequenceEqual(b.Network.Store.Values))
            throw new CliException($"{run} reads another encoder's features than {first}; an ensemble needs the same encoder "
                + "(same weights, --features, --coordinates, --grid-pool).");
        if (sb.Seed != sa.Seed || sb.HeldOutPairs != sa.HeldOutPairs)
            throw new CliException($"{run} was trained on the scenes of --scene-seed {sb.Seed} with {sb.HeldOutPairs} held-out pairs, "
                + $"{first} on {sa.Seed} with {sa.HeldOutPairs}: its held-out compositions would not be held out.");
    }
}
