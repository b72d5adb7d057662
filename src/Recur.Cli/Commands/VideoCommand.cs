using System.Globalization;
using System.Text.Json;
using Recur.Data;
using Recur.Data.Video;
using Recur.IO;
using Recur.Tasks.Video;
using Recur.Training;

namespace Recur.Cli.Commands;

/// <summary><c>recur video data|train|eval|RUN CLIP.png</c>: video of moving Fashion-MNIST objects, read frame by frame.</summary>
internal sealed class VideoCommand : ICommand
{
    public string Name => "video";
    public string Summary => VideoDefinition.Instance.Summary;
    public string Usage => """
        usage: recur video data [FASHION_DIR] --out DIR [--clips N] [--test-clips N] [--frames T] [--seed S] [--png N]
               recur video train [FASHION_DIR] [--encoder CNN_RUN] [--model lstm|gru|rnn|average|middle] [options]
               recur video train --resume RUN [--minutes M]
               recur video eval RUN [FASHION_DIR] [--split validation|test] [--threads N]
               recur video RUN CLIP.png...

        Clips of 1 to 3 Fashion-MNIST objects moving in a 64x64 frame (Moving MNIST with clothes), 16 frames each
        (--frames), drawn from --clip-seed; the actors move along one half of the frame, a distractor bounces about
        the other half. Each clip shows one of six actions: an object enters from the left,
        leaves to the left, enters from the right, leaves to the right; two objects approach, or separate. Each pair
        is the other played backwards, so only the order of the frames tells them apart. A frozen CNN encoder reads
        every frame (by default its class scores for 28x28 windows 8 pixels apart, 5x5 of them), a projection and a
        recurrent layer read the frames in order; every frame's output says which classes are visible in it (at least half of an object's ink
        inside the frame), the last state says the clip's action. --model average (the frames' mean) and middle (the
        middle frame alone) are the baselines without recurrence. Training clips use the first 11/12 of the training
        images, validation clips (the loss that chooses best/) the last 1/12, test clips the test images. At the end
        the best checkpoint scores the validation clips (eval --split test: the test clips; score them once, for the
        figure that is published): action accuracy (and per action), per-frame visibility F1; RUN/eval.json records
        the split, and RUN/clips.jsonl the clips (the first 500, then the wrong ones: action and prediction, per frame the
        classes visible and predicted, a strip under RUN/examples/). RUN CLIP.png classifies a strip of 64x64 frames side by side (as video data writes them).
        """ + "\n" + SceneCli.EncoderUsage + "\n" + TaskCli.OptionsUsage(VideoDefinition.Instance);

    public int Run(Args args)
    {
        string? sub = args.Positional.Count > 0 ? args.Positional[0] : null;
        return sub switch
        {
            "data" => VideoFiles.Data(args),
            "train" => Train(args),
            "eval" => Eval(args),
            null => throw new CliException("name what to do: recur video data|train|eval, or recur video RUN CLIP.png..."),
            _ when Directory.Exists(sub) => VideoFiles.Classify(args),
            _ => throw new CliException($"unknown video command '{sub}': the commands are data, train and eval, or a run folder followed by clips."),
        };
    }

    private static int Train(Args args)
    {
        var hooks = SceneCli.Encoder<VideoSettings>(args, "video train", (s, cnn) => s with { Encoder = cnn }, encoderInBudget: false, what: "clips");
        var (exit, run, dataDir) = TaskCli.Train(args, VideoDefinition.Instance, hooks);
        if (exit is int code) return code;
        var best = VideoCheckpoint.Instance.Load(run, CheckpointKind.Best);
        best.Model.Threads = best.Training?.EffectiveThreads ?? 1;
        if (Math.Round(best.Clips.Train * ValFrac(best)) < 1)
        {
            Console.WriteLine($"no validation clips to score (--val-frac 0); recur video eval {run} --split test scores the test clips.");
            return 0;
        }
        Report(best, dataDir, Path.Combine(run, "eval.json"), "validation");
        return 0;
    }

    private static int Eval(Args args)
        => SceneCli.Eval(args, VideoCheckpoint.Instance, "video", (ck, threads) => ck.Model.Threads = threads, Report);

    /// <summary>Scores the clips of <paramref name="split"/>, prints the figures, writes <paramref name="jsonPath"/>.</summary>
    internal static void Report(LoadedVideo ck, string dataDir, string jsonPath, string split)
    {
        var (train, test) = ClassifyCommand.LoadData(dataDir);
        ClipSplit clips;
        try { clips = VideoDefinition.EvalSplit(train, test, ck.Clips, ValFrac(ck), split); }
        catch (ArgumentException e) { throw new CliException(e.Message); }
        if (clips.Clips.Count == 0) throw new CliException($"the {split} split holds no clips.");
        ck.Encoder.Network.Threads = ck.Model.Threads;
        var set = VideoDataset.Encode(ck.Encoder, clips);
        var (actionLogits, visibleLogits) = VideoScore.Logits(ck.Model, set);
        var s = VideoScore.FromLogits(actionLogits, set.Actions, visibleLogits, set.Visible, set.Frames, ck.Model.Config.Actions);
        var inv = CultureInfo.InvariantCulture;
        Console.WriteLine($"{split}: video, {ck.Model.Summary}, {ck.RunDirectory ?? ck.Directory}");
        Console.WriteLine(string.Create(inv, $"{clips.Clips.Count:N0} clips: action accuracy {s.ActionAccuracy:F4}, per-frame visibility F1 {s.VisibleF1:F4} "
            + $"(precision {s.VisiblePrecision:F4}, recall {s.VisibleRecall:F4}), loss {s.Loss:F4} nats"));
        Console.WriteLine(string.Join(", ", VideoActions.All.Select(a => string.Create(inv, $"{VideoActions.Name(a)} {s.AccuracyOf(a):F3}"))));
        using (var stream = File.Create(jsonPath))
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("split", split);
            w.WriteString("model", ck.Model.Config.Model);
            w.WriteNumber("clips", s.Clips);
            w.WriteNumber("action_accuracy", s.ActionAccuracy);
            w.WriteNumber("visible_f1", s.VisibleF1);
            w.WriteNumber("visible_precision", s.VisiblePrecision);
            w.WriteNumber("visible_recall", s.VisibleRecall);
            w.WriteNumber("loss", s.Loss);
            w.WriteStartObject("action_accuracy_by_action");
            foreach (var a in VideoActions.All) if (double.IsFinite(s.AccuracyOf(a))) w.WriteNumber(VideoActions.Name(a), s.AccuracyOf(a));
            w.WriteEndObject();
            w.WriteEndObject();
        }
        var examples = VideoExamples.Write(jsonPath, clips, set, actionLogits, visibleLogits);
        Console.WriteLine($"wrote {jsonPath}, {examples.FilePath} ({examples.Count:N0} clips, their strips in {ExampleLines.PictureFolder}/)");
    }

    /// <summary>The validation fraction <paramref name="ck"/> was trained with (the recipe's when it records none).</summary>
    private static double ValFrac(LoadedVideo ck) => VideoDefinition.Instance.RecordedOptions(ck).ValFrac;
}
