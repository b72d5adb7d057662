using Recur.IO;
using Recur.Tasks.Dialog;
using Recur.Training;

namespace Recur.Cli.Commands;

/// <summary><c>recur dialog train|eval</c>: visual dialog about the captioning scenes.</summary>
internal sealed class DialogCommand : ICommand
{
    public string Name => "dialog";
    public string Summary => "visual dialog on the scenes: rounds of questions that refer back; HRE or memory history, --history none, --blind";
    public string Usage => """
        usage: recur dialog train [FASHION_DIR] [--encoder CNN_RUN] [--history hre|memory|none] [--blind] [options]
               recur dialog train --resume RUN [--minutes M]
               recur dialog eval RUN [FASHION_DIR] [--split validation|test] [--threads N]

        Dialogs of --rounds rounds about the captioning scenes, where later questions refer back: "is there a bag ?"
        "yes" "what is above it ?" "shirt" "and to the left ?" "nothing" "where is it ?" "center". Answers come from a
        closed set (yes, no, nothing, zero to four, the ten classes, the nine cells); each round is marked whether it
        needs the history (its answer cannot be known from the question and the image alone). An LSTM (--hidden) reads
        each question; the history encoder reads the earlier rounds' questions and answers (--history hre: an LSTM over
        them; memory: attention over them from the question; none: each round alone, as VQA); question and history
        attend over the scene's feature grid from the frozen CNN encoder (--hops 2: twice, the second time from what the
        first found), and the joint representation scores every answer. --blind reads no image. Validation (its error
        chooses best/) holds the dialogs about --val-frac x --scenes more scenes, half of seen compositions and half
        of the held-out pairs, drawn from the last 1/12 of the training images, which no training scene uses. At the
        end, and with eval, the best checkpoint answers the dialogs about both validation splits, or with eval --split
        test about both test splits (score them once, for the figure that is published): accuracy overall, on the
        rounds that need the history and on the others, and per round. The first line says which split was scored;
        RUN/eval.json records it ("split": validation or test), and RUN/dialogs.jsonl the dialogs (the first 500 of each
        split, then its wrong ones), each round right or wrong with its attention over the grid (recur board draws them).
        Without --eval-every, a run evaluates once an epoch.
        """ + "\n" + SceneCli.EncoderUsage + "\n" + TaskCli.OptionsUsage(DialogDefinition.Instance);

    public int Run(Args args)
    {
        string? sub = args.Positional.Count > 0 ? args.Positional[0] : null;
        return sub switch
        {
            "train" => Train(args),
            "eval" => Eval(args),
            null => throw new CliException("name what to do: recur dialog train or recur dialog eval RUN."),
            _ => throw new CliException($"unknown dialog command '{sub}': the commands are train and eval."),
        };
    }

    private static int Train(Args args)
    {
        var hooks = SceneCli.Encoder<DialogSettings>(args, "dialog train", (s, cnn) => s with { Encoder = cnn }, encoderInBudget: false);
        string runName = args.Flag("blind") ? "dialog-blind" : args.String("history") is { } h && h != "hre" ? $"dialog-{h}" : "dialog";
        var (exit, run, dataDir) = TaskCli.Train(args, DialogDefinition.Instance, hooks, runName);
        if (exit is int code) return code;
        var best = DialogCheckpoint.Instance.Load(run, CheckpointKind.Best);
        best.Model.Threads = best.Training?.EffectiveThreads ?? 1;
        if (!SceneCli.HasValidation(best.Scenes, ValFrac(best)))
        {
            Console.WriteLine($"no validation scenes to score (--val-frac 0); recur dialog eval {run} --split test scores the test splits.");
            return 0;
        }
        DialogReport.Write(best, dataDir, Path.Combine(run, "eval.json"), "validation", ValFrac(best));
        return 0;
    }

    private static int Eval(Args args)
        => SceneCli.Eval(args, DialogCheckpoint.Instance, "dialog", (ck, threads) => ck.Model.Threads = threads,
            (ck, dataDir, json, split) => DialogReport.Write(ck, dataDir, json, split, ValFrac(ck)));

    /// <summary>The validation fraction <paramref name="ck"/> was trained with (the recipe's when it records none).</summary>
    private static double ValFrac(LoadedDialog ck) => DialogDefinition.Instance.RecordedOptions(ck).ValFrac;
}
