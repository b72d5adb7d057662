using System.Globalization;
using Recur.Data;
using Recur.Data.Scenes;
using Recur.IO;
using Recur.Models;
using Recur.Training;

namespace Recur.Cli.Commands;

/// <summary><c>recur caption train</c>: trains a captioner on the scenes over a frozen CNN encoder.</summary>
internal static class CaptionTrain
{
    /// <summary>The defaults of <c>recur caption train</c>.</summary>
    internal static TrainOptions Defaults { get; } = new()
    {
        Model = "attention", Hidden = 256, Embed = 64, BatchSize = 64, Optimizer = "adam", LearningRate = 2e-3,
        LrSchedule = "cosine", LrMin = 2e-5, GradClip = 5, MaxEpochs = 10, ValFrac = 0.05, EvalEvery = 1000,
    };

    /// <summary>The training options that apply.</summary>
    internal static IReadOnlyList<OptionSpec> Specs { get; } = TrainOptionSpecs.All
        .Where(s => s.Flag is not ("layers" or "dropout" or "nonlinearity" or "state-size" or "expand" or "conv-width" or "heads" or "context"
            or "weight-drop" or "highway" or "seq-length" or "test-frac" or "sample-every")).ToArray();

    public static string Usage { get; } = """
        recur caption train [FASHION_DIR] --encoder CNN_RUN [--model rnn|lstm|attention] [options]
        recur caption train --resume RUN [--minutes M] [...]
          Trains a captioner on the scenes (see caption data) over the feature grid of a frozen CNN encoder: the
          convolutional stages of CNN_RUN (a run of recur classify --model cnn), then --grid-pool max pooling (an
          84x84 scene gives 21x21 and, pooled by 3, 7x7 locations). --model rnn: the vanilla RNN with the image in
          its recurrence; lstm: the image as the LSTM's initial state; attention: Show, Attend and Tell. At the end
          the best checkpoint captions both test splits (greedy) and the scores are printed (see caption eval).
            --attention-dim K       attention MLP width (default 128)
            --doubly-stochastic L   weight of the doubly stochastic attention regulariser (default 0.001)
            --attention-entropy G   attention: weight of a penalty on each word's attention entropy, which asks
                                    every word to look at few locations (default 0)
            --attention-entropy-on S  all steps, or objects: only the steps that write a class word (needs
                                    --visual-words) (default all)
            --label-smoothing E     label smoothing of the training loss, as PyTorch's (default 0)
            --feature-dropout P     dropout on the image features in training (not the coordinates), as the encoder's
                                    classifier had on its fc features (default 0)
            --context-dropout P     attention: dropout on the attended context z in training; the attention itself
                                    scores the clean features (default 0)
            --initial-state S       attention: image (a map of the mean annotation, as Show, Attend and Tell) or zero
                                    (the decoder sees the image only through its attention) (default image)
            --visual-words          attention: the class words' scores read the attended image only; the state adds
                                    one shared offset (singular, plural): it says that a class word comes, not which
        """ + "\n" + SceneCli.EncoderUsage;

    public static string OptionsUsage => TrainingOptionsCli.Usage(Defaults, Specs, new Dictionary<string, string>
    {
        ["model"] = "rnn, lstm or attention", ["hidden"] = "the recurrent width", ["embed"] = "word vector width",
        ["eval-every"] = "or once per epoch when not given",
    });

    public static int Run(Args args)
    {
        var o = TrainingOptionsCli.Read(args, Defaults, Specs);
        bool evalGiven = args.Has("eval-every");
        string? outDir = args.String("out");
        string? resume = args.String("resume");
        string? encoderRun = args.String("encoder");
        var d = new CaptionSettings();
        var settings = d with
        {
            AttentionDim = args.Int("attention-dim", d.AttentionDim, min: 1, max: 16384),
            DoublyStochastic = (float)args.Double("doubly-stochastic", d.DoublyStochastic, min: 0, max: 1e6),
            AttentionEntropy = (float)args.Double("attention-entropy", d.AttentionEntropy, min: 0, max: 1e6),
            AttentionEntropyOn = args.Choice("attention-entropy-on", d.AttentionEntropyOn, "all", "objects"),
            GridPool = args.Int("grid-pool", d.GridPool, min: 1, max: 16),
            LabelSmoothing = (float)args.Double("label-smoothing", d.LabelSmoothing, min: 0, max: 0.999),
            ContextDropout = (float)args.Double("context-dropout", d.ContextDropout, min: 0, max: 0.99),
            FeatureDropout = (float)args.Double("feature-dropout", d.FeatureDropout, min: 0, max: 0.99),
            InitialState = args.Choice("initial-state", d.InitialState, "image", "zero"),
            Coordinates = args.Flag("coordinates"),
            Features = args.Choice("features", d.Features, "conv", "fc"),
            VisualWords = args.Flag("visual-words"),
            Scenes = SceneCli.Scenes(args),
        };
        int printEvery = args.Int("print-every", 100, min: 1);
        args.ThrowOnUnused(2);
        if (resume is null && settings.AttentionEntropyOn == "objects" && !settings.VisualWords)
            throw new CliException("--attention-entropy-on objects needs --visual-words, which name the object words.");
        if (resume is null && (settings.AttentionEntropy > 0 || settings.ContextDropout > 0 || settings.VisualWords) && o.Model != "attention")
            throw new CliException($"--attention-entropy, --context-dropout and --visual-words need --model attention, not {o.Model}.");

        if (!evalGiven) o = o with { EvalEvery = SceneCli.EvalEveryEpoch(settings.Scenes.Train, o.ValFrac, o.BatchSize) };
        var (exit, run, dataDir) = TaskCli.Train(args, "caption train", "caption", Specs, resume, outDir, printEvery, "nats/word", FashionMnist.DefaultDirectory,
            dir =>
            {
                var ck = CaptionCheckpoint.Load(dir, CheckpointKind.Latest);
                return new TaskCli.Resumable(ck.Directory, ck.Training, ck.Data?.Source, (data, merged) => { Console.WriteLine("encoding the scenes ..."); return CaptionTrainer.Resume(ck, ClassifyCommand.LoadData(data).Train, merged); });
            },
            data =>
            {
                var cnn = SceneCli.Encoder(encoderRun, "caption train");
                Console.WriteLine($"encoding the scenes with {cnn.Summary} from {encoderRun} ...");
                return CaptionTrainer.Create(o, settings, cnn, ClassifyCommand.LoadData(data).Train, Path.GetFullPath(data));
            });
        if (exit is int code) return code;
        var best = CaptionCheckpoint.Load(run, CheckpointKind.Best);
        best.Model.Threads = o.EffectiveThreads;
        CaptionEval.Report(best, best.Model, dataDir, beam: 1, alpha: 1.0, folder: run);
        return 0;
    }
}
