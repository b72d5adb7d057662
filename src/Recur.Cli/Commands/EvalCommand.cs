using System.Globalization;
using Recur.Data;
using Recur.IO;
using Recur.Tasks.CharLm;
using Recur.Tasks.Classify;
using Recur.Tasks.Tag;
using Recur.Training;

namespace Recur.Cli.Commands;

/// <summary>
/// <c>recur eval RUN_OR_CKPT [FILE] [--split validation|test]</c>: a character model's loss in nats and bits per character on its
/// validation split (or test split, or a file); a tag, g2p or classify run goes to its task's eval.
/// </summary>
internal sealed class EvalCommand : ICommand
{
    public string Name => "eval";
    public string Summary => "score a trained model on its validation split (--split test: its test split): bits per character, accuracy, WER";
    public string Usage => """
        usage: recur eval RUN_OR_CKPT [FILE] [--split validation|test] [--latest] [--train-weights] [--batch-size B] [--seq-length T] [--threads N]

        Scores every next-character prediction of a text and prints the mean cross-entropy in nats per
        character and in bits per character (nats / ln 2). RUN_OR_CKPT is a 'recur train' run folder
        (its best/ checkpoint, or latest/ with --latest) or a checkpoint folder.

        Without FILE: the run's own validation split (the default, what chooses checkpoints and settings;
        --split val is the same) or --split test (scored once, for the published figure), cut from the text
        it was trained on exactly as in training. With FILE: the whole file (UTF-8; every character must be
        in the model's vocabulary).

        The text's predictions are cut into --batch-size contiguous streams read --seq-length characters
        at a time with the hidden state carried, from a zero state (defaults: the run's batch size and
        sequence length).

        --train-weights: for a run trained with --ema, score the optimizer's own weights (kept in the
        checkpoint's state.safetensors) instead of their average (model.safetensors).

        A 'recur tag' run: its validation documents, or with --split test its test documents (as recur tag
        eval). A 'recur g2p' run: its validation words, or its test words (as recur g2p eval; --beam K adds
        beam search).

        A run of any other task (caption, vqa, draw, video, glimpse, ...) is scored as its own command's eval
        scores it (recur TASK eval RUN ...), with the same arguments.

        A 'recur classify' run (as recur classify eval): its validation images (the last --val-frac of the
        training images, as the run held them out) or with --split test the test images, of the data folder
        it was trained on (or of FILE, a folder holding the IDX files): accuracy, loss, the confusion
        matrix, misclassified.png and eval.json (naming the split) in the run folder.
        """;

    public int Run(Args args)
    {
        if (args.Positional.Count > 0 && Directory.Exists(args.Positional[0]))
        {
            string? task = TaskOf(args.Positional[0]);
            if (task == Recur.Tasks.Tag.TagTask.TaskName) return TagCommand.Eval(args, 0);
            if (task == Recur.Tasks.G2p.G2pTask.TaskName) return G2pCommand.Eval(args, 0);
            if (task == ClassifyTask.TaskName) return ClassifyEval.Eval(args, 0);
            // Any other task's run goes to its own command's eval (recur TASK eval RUN ...), with the same arguments.
            if (task is not null && task != CharCheckpoint.TaskName
                && Program.All().FirstOrDefault(c => c.Name == task) is { } own)
                return own.Run(new Args(["eval", .. args.Raw]));
        }
        string? split = args.Has("split") ? args.Choice("split", "validation", "validation", "val", "test") : null;
        if (split == "val") split = "validation";
        bool latest = args.Flag("latest");
        bool trainWeights = args.Flag("train-weights");
        int? batch = args.Has("batch-size") ? args.Int("batch-size", 32, min: 1, max: 100_000) : null;
        int? seq = args.Has("seq-length") ? args.Int("seq-length", 64, min: 1, max: 100_000) : null;
        int threads = args.Int("threads", 0, min: 0, max: 1024);
        args.ThrowOnUnused(2);
        if (args.Positional.Count == 0) throw new CliException("name a run or checkpoint folder: recur eval RUN_OR_CKPT [FILE]");
        if (args.Positional.Count == 2 && split is not null)
            throw new CliException("--split applies to the run's own text; with FILE the whole file is scored.");

        var ck = CharCheckpoint.Read(args.Positional[0], latest ? CheckpointKind.Latest : CheckpointKind.Best);
        var model = ck.Model;
        if (trainWeights)
        {
            var state = TrainingState.Read(ck.StatePath, model.Store.Count);
            if (state.TrainWeights is null)
                throw new CliException($"{ck.Directory}: the run did not average its weights (--ema), so model.safetensors already holds "
                    + "the optimizer's weights; drop --train-weights.");
            state.TrainWeights.CopyTo(model.Store.Values.AsSpan());
        }
        model.Threads = threads > 0 ? threads : Environment.ProcessorCount;
        int b = batch ?? ck.Training?.BatchSize ?? 32;
        int t = seq ?? ck.Training?.SeqLength ?? 64;

        ReadOnlyMemory<int> tokens;
        string what;
        if (args.Positional.Count == 2)
        {
            var corpus = Corpus.Load(args.Positional[1]);
            tokens = TrainCommand.Encode(ck.Vocabulary, corpus);
            what = corpus.Source;
        }
        else
        {
            var tr = ck.Training;
            string? source = tr?.Data ?? ck.Data?.Source;
            if (tr is null || source is null)
                throw new CliException($"{ck.Directory}: does not record the text it was trained on; give FILE.");
            Corpus corpus;
            try { corpus = Corpus.FromSource(source); }
            catch (CorpusException e) { throw new CliException($"the run's text is not available ({e.Message}); give FILE.", 1); }
            var all = TrainCommand.Encode(ck.Vocabulary, corpus);
            if (ck.Data is { } d && (d.Characters != all.Length || d.Checksum != CheckpointFiles.TokenChecksum(all)))
                throw new CliException($"{corpus.Source} has changed since the run was trained ({all.Length} characters now, {d.Characters} then); "
                    + "give FILE to score it anyway.", 1);
            var splits = DataSplits.Create(all, tr.ValFrac, tr.TestFrac);
            string name = split ?? "validation";
            tokens = name == "test" ? splits.Test : splits.Val;
            if (tokens.Length < 2)
                throw new CliException(name == "test"
                    ? $"the run has no test split (it was trained with --test-frac {tr.TestFrac.ToString(CultureInfo.InvariantCulture)}); "
                        + "give FILE, or train with --test-frac."
                    : "the run has no validation split (--val-frac 0); give FILE.");
            what = $"{name} split of {corpus.Source}";
        }
        if (tokens.Length < 2) throw new CliException($"{what}: has {tokens.Length} character(s); scoring needs at least 2.");

        var clock = System.Diagnostics.Stopwatch.StartNew();
        double loss = CharLmTask.Evaluate(model, tokens, b, t);
        long scored = (long)Math.Min(b, tokens.Length - 1) * ((tokens.Length - 1) / Math.Min(b, tokens.Length - 1));
        var inv = CultureInfo.InvariantCulture;
        string iter = ck.Progress is { } p ? string.Create(inv, $", iteration {p.Iteration}") : "";
        Console.WriteLine(string.Create(inv, $"{what}: {loss:F4} nats/char, {loss / Math.Log(2):F4} bits/char over {scored:N0} predictions"));
        Console.WriteLine(string.Create(inv, $"model: {ck.Directory}{iter}{(trainWeights ? " (the optimizer's weights, not the average)" : "")}; "
            + $"{b} streams x {t} steps; {clock.Elapsed.TotalSeconds:F1} s"));
        return 0;
    }

    /// <summary>The task a run or checkpoint folder was trained for, or null when it has no readable config.</summary>
    private static string? TaskOf(string dir)
    {
        try { return CheckpointFiles.TaskOf(dir, CheckpointKind.Best); }
        catch (CheckpointFormatException) { return null; }
        catch (IOException) { return null; }
    }
}
