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
            --coordinates           append each location's row and column in [-1, 1] to its features
            --features conv|fc      conv: the encoder's last convolutional grid, --grid-pool max-pooled (default);
                                    fc: its fully connected layer over each 28x28 cell (3x3 locations of fc features)
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
        Tasks.Classify.LoadedClassifier enc;
        try { enc = Tasks.Classify.ClassifierCheckpoint.Instance.Load(run, CheckpointKind.Best); }
        catch (CheckpointFormatException e) { throw new CliException($"--encoder: {e.Message} The encoder is a run of recur classify --model cnn.", 1); }
        return enc.Model as ConvNet ?? throw new CliException($"{enc.Directory}: the encoder must be a convolutional classifier (recur classify --model cnn), not {enc.Model.Summary}.");
    }

    /// <summary>Per-epoch evaluation when <c>--eval-every</c> was not given.</summary>
    public static int EvalEveryEpoch(int examples, double valFrac, int batch) => Math.Max(1, (examples - (int)Math.Round(examples * valFrac)) / batch);
}
