using Recur.IO;
using Recur.Tasks.Caption;

namespace Recur.Cli.Commands;

/// <summary><c>recur caption train</c>: trains a captioner on the scenes over a frozen CNN encoder.</summary>
internal static class CaptionTrain
{
    public static string Usage { get; } = """
        recur caption train [FASHION_DIR] [--encoder CNN_RUN] [--model rnn|lstm|attention] [options]
        recur caption train --resume RUN [--minutes M] [...]
          Trains a captioner on the scenes (see caption data) over the feature grid of a frozen CNN encoder: the
          convolutional stages of CNN_RUN (a run of recur classify --model cnn), then --grid-pool max pooling (an
          84x84 scene gives 21x21 and, pooled by 3, 7x7 locations). --model rnn: the vanilla RNN with the image in
          its recurrence; lstm: the image as the LSTM's initial state; attention: Show, Attend and Tell. Every one of
          the --scenes training scenes trains; validation (the loss that chooses best/) is over --val-frac x --scenes
          more, half of seen compositions and half of the held-out pairs, drawn from the last 1/12 of the training
          images, which no training scene uses (nor, by default, the classify run of the encoder). At the end the
          best checkpoint captions both validation splits (greedy) and the scores are printed (see caption eval;
          --split test scores the test splits). Without --eval-every, a run evaluates once an epoch. --attention
          hard trains Show, Attend and Tell's stochastic hard attention (one sampled location per word, REINFORCE with a
          moving-average baseline and an entropy bonus) in place of the soft one; everything else is the same.
        """ + "\n" + SceneCli.EncoderUsage;

    public static string OptionsUsage => TaskCli.OptionsUsage(CaptionDefinition.Instance);

    private static CaptionSettings ForModel(CaptionSettings settings, string model, Args args)
    {
        var s = settings.ForModel(model, args.Has);
        try { s.Validate(model, args.Has); }
        catch (ArgumentException e) { throw new CliException(e.Message); }
        return s;
    }

    public static int Run(Args args)
    {
        string model = args.String("model") ?? CaptionDefinition.Instance.Defaults.Model;
        var hooks = SceneCli.Encoder<CaptionSettings>(args, "caption train", (s, cnn) => s with { Encoder = cnn }, encoderInBudget: true);
        var withEncoder = hooks.Settings!;
        // Refused here, before any encoder trains: the library's NewRun can tell a given --visual-words from its default only by value.
        hooks = hooks with { Settings = s => withEncoder(ForModel(s, model, args)) };
        var (exit, run, dataDir) = TaskCli.Train(args, CaptionDefinition.Instance, hooks);
        if (exit is int code) return code;
        var best = CaptionCheckpoint.Instance.Load(run, CheckpointKind.Best);
        best.Model.Threads = best.Training?.EffectiveThreads ?? 1;
        if (!SceneCli.HasValidation(best.Scenes, CaptionEval.ValFrac(best)))
        {
            Console.WriteLine($"no validation scenes to score (--val-frac 0); recur caption eval {run} --split test scores the test splits.");
            return 0;
        }
        CaptionEval.Report(best, best.Model, dataDir, "validation", beam: 1, alpha: 1.0, folder: run);
        return 0;
    }
}
