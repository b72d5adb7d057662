using System.Globalization;
using System.Text;
using Recur.Data;
using Recur.IO;
using Recur.Models;
using Recur.Training;

namespace Recur.Cli.Commands;

/// <summary><c>recur train [FILE]</c>: a character-level language model, char-rnn style.</summary>
internal sealed class TrainCommand : ICommand
{
    /// <summary>
    /// The configuration of <c>recur train</c> without a file: a character LSTM on the bundled
    /// tiny-shakespeare, sized to reach a validation loss of at most 1.75 nats/char within the
    /// <see cref="DefaultMinutes"/> budget on a 2-core machine (see docs/TRAINING.md).
    /// </summary>
    internal static TrainOptions ShakespeareDefaults { get; } = new()
    {
        Model = "lstm", Hidden = 256, Layers = 2, Embed = 32, Dropout = 0,
        SeqLength = 64, BatchSize = 32, Optimizer = "adam", LearningRate = 3e-3,
        LrDecay = 1, LrDecayEvery = 1, GradClip = 5, ClipMode = "norm",
        MaxEpochs = 50, Minutes = DefaultMinutes, EvalEvery = 400,
    };

    /// <summary>Wall-clock budget of <c>recur train</c> without a file.</summary>
    internal const double DefaultMinutes = 5;

    public string Name => "train";
    public string Summary => "train a character-level language model (LSTM/GRU/RNN, truncated BPTT), char-rnn style";
    public string Usage => """
        usage: recur train [FILE] [options]

        Trains a character-level language model on FILE (UTF-8 text; characters are Unicode scalar values).
        Without FILE: a character LSTM on the bundled tiny-shakespeare for 5 minutes, then a sample.
        The text's first part is the training split, then validation (--val-frac), then test (--test-frac).
        The training split is cut into --batch-size streams; each iteration takes the next --seq-length
        characters of every stream; the hidden state carries over (truncated BPTT) and resets each epoch.

        model
          --model lstm|gru|rnn      recurrent cell (default lstm; gru-cho = GRU with the reset before W_hh)
          --nonlinearity tanh|relu  for --model rnn (default tanh)
          --hidden H                units per layer (default 256)
          --layers L                stacked layers (default 2)
          --embed E                 embedding width; 0 = one-hot input as in min-char-rnn (default 64; 32 without FILE)
          --dropout P               between layers and before the output layer (default 0)
          --weight-drop P           DropConnect on the recurrent weights W_hh, one mask per
                                    iteration (AWD-LSTM's weight drop) (default 0)
        optimisation
          --seq-length T            BPTT length (default 64)
          --batch-size B            parallel streams (default 32)
          --optimizer NAME          adam|adamw|rmsprop|adagrad|sgd (default adam; rmsprop uses char-rnn's alpha 0.95)
          --lr RATE                 learning rate (default 2e-3; 3e-3 without FILE)
          --lr-decay F              multiply the learning rate by F ... (default 1 = constant)
          --lr-decay-every N        ... every N epochs (default 1; may be fractional)
          --lr-schedule step|cosine step: --lr-decay every --lr-decay-every epochs; cosine: anneal from
                                    --lr to --lr-min over the run (iterations or --minutes, whichever
                                    ends first) (default step)
          --lr-min RATE             the cosine schedule's final rate (default 0)
          --weight-decay W          L2 (decoupled for adamw) (default 0)
          --grad-clip C             clipping threshold, 0 = off (default 5)
          --ema D                   evaluate, sample and save an exponential moving average of the
                                    weights with decay D (e.g. 0.999), 0 = off (default 0)
          --clip-mode norm|value    global L2 norm (PyTorch clip_grad_norm_) or each element (default norm)
        stopping
          --max-epochs N            (default 50)
          --max-iters N             total iterations, 0 = no limit (default 0)
          --minutes M               wall-clock budget of this invocation, 0 = none (default 0; 5 without FILE)
        data and evaluation
          --val-frac F              validation fraction (default 0.1, nanoGPT's split)
          --test-frac F             test fraction carved from the end (default 0)
          --eval-every N            full validation pass + checkpoint every N iterations (default 1000; 400 without FILE)
          --sample-every N          print a sample every N iterations, 0 = never (default 0)
          --sample-length N         length of those samples and of the final one, 0 = none (default 500)
          --temperature T           sampling temperature (default 0.8)
          --print-every N           when output is not a terminal: a progress line every N iterations (default 100)
        run folder
          --out DIR                 where checkpoints go (default runs/YYYYMMDD-HHMMSS-NAME); holds best/ and
                                    latest/ (model.safetensors, config.json, state.safetensors), metrics.jsonl, loss.png
          --resume DIR              continue a run exactly from DIR's latest/ (same text; stopping options may change)
          --init-from CKPT          start from the weights of a run or checkpoint folder (same architecture)
          --seed S                  initialisation and dropout (default 1234)
          --threads N               GEMM threads, 0 = all cores (default 0); results do not depend on it

        Ctrl-C saves latest/ and exits (code 130); resume with --resume DIR. A NaN/infinite loss stops the
        run without saving over the last good checkpoint (exit code 3).
        """;

    private static readonly string[] ArchitectureOptions = ["model", "nonlinearity", "hidden", "layers", "embed"];

    public int Run(Args args)
    {
        bool hasFile = args.Positional.Count >= 1;
        var defaults = hasFile || args.Has("resume") ? new TrainOptions() : ShakespeareDefaults;
        var o = ReadOptions(args, defaults);
        string? outDir = args.String("out");
        string? resume = args.String("resume");
        string? initFrom = args.String("init-from");
        int printEvery = args.Int("print-every", 100, min: 1);
        int sampleLength = args.Int("sample-length", 500, min: 0, max: 10_000_000);
        double temperature = args.Double("temperature", 0.8, min: 1e-3, max: 100);
        args.ThrowOnUnused(1);
        if (resume is not null && initFrom is not null) throw new CliException("--resume and --init-from exclude each other: --resume continues a run, --init-from starts a new one from its weights.");

        CharTrainer trainer;
        if (resume is not null)
        {
            var ck = Checkpoint.Load(resume, CheckpointKind.Latest);
            var saved = ck.Training ?? throw new CliException($"{ck.Directory}: records no training options; it cannot be resumed (use --init-from).");
            var merged = Merge(saved, o, args);
            string source = hasFile ? args.Positional[0] : saved.Data ?? ck.Data?.Source
                ?? throw new CliException($"{ck.Directory}: does not record its text; give FILE.");
            var corpus = LoadCorpus(source);
            var tokens = Encode(ck.Vocabulary, corpus);
            merged = merged with { Data = corpus.Source };
            trainer = CharTrainer.Resume(ck, tokens, merged);
            if (outDir is not null) trainer.OutputDirectory = outDir;
            trainer.OutputDirectory ??= Path.GetDirectoryName(Path.GetFullPath(ck.Directory));
        }
        else
        {
            var corpus = hasFile ? LoadCorpus(args.Positional[0]) : Corpus.TinyShakespeare();
            o = o with { Data = corpus.Source };
            CharModel? init = null;
            Vocabulary vocab;
            if (initFrom is not null)
            {
                var ck = Checkpoint.Load(initFrom);
                var c = ck.Config;
                var given = ArchitectureOptions.Where(n => args.Has(n)).ToList();
                var fromCk = o with { Model = c.Cell, Nonlinearity = c.Nonlinearity, Hidden = c.Hidden, Layers = c.Layers, Embed = c.Embed };
                if (fromCk.Model != o.Model && given.Contains("model") || fromCk.Nonlinearity != o.Nonlinearity && given.Contains("nonlinearity")
                    || fromCk.Hidden != o.Hidden && given.Contains("hidden") || fromCk.Layers != o.Layers && given.Contains("layers")
                    || fromCk.Embed != o.Embed && given.Contains("embed"))
                    throw new CliException($"--init-from {initFrom}: the checkpoint is a {CharTrainer.Describe(c)}; the given --{string.Join("/--", given)} differ. Leave them out to take the checkpoint's.");
                o = fromCk;
                vocab = ck.Vocabulary;
                init = ck.Model;
            }
            else vocab = Vocabulary.FromText(corpus.Text);
            var tokens = Encode(vocab, corpus);
            trainer = new CharTrainer(o, vocab, tokens, init, corpus.Source)
            {
                OutputDirectory = outDir ?? DefaultRunFolder(corpus.Source),
            };
        }

        var progress = new ConsoleProgress(Console.Out, ConsoleProgress.IsTerminal, printEvery, sampleLength, temperature);
        using var cts = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            if (cts.IsCancellationRequested) return; // a second Ctrl-C ends the process
            e.Cancel = true;
            cts.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        TrainResult result;
        try { result = trainer.Run(progress, cts.Token); }
        finally { Console.CancelKeyPress -= onCancel; }

        string run = trainer.OutputDirectory!;
        var inv = CultureInfo.InvariantCulture;
        switch (result.Reason)
        {
            case StopReason.NonFinite:
                Console.Out.Flush();
                Console.Error.WriteLine($"recur train: {result.Message}.");
                return 3;
            case StopReason.Cancelled:
                Console.WriteLine($"interrupted at iteration {result.Iteration}; saved {Path.Combine(run, "latest")}. Continue with: recur train --resume {run}");
                return 130;
        }
        string best = double.IsNaN(result.BestValLoss) ? "" : string.Create(inv, $"; best val loss {result.BestValLoss:F4} nats/char ({result.BestValLoss / Math.Log(2):F4} bits/char)");
        Console.WriteLine(string.Create(inv, $"done: {result.Message} after {result.Iteration} iterations ({result.Epoch:F2} epochs, {ConsoleProgress.Time(result.Seconds)}){best}"));
        Console.WriteLine($"checkpoints: {Path.Combine(run, "best")}, {Path.Combine(run, "latest")}; metrics: {Path.Combine(run, CharTrainer.MetricsFile)}, plot: {Path.Combine(run, CharTrainer.PlotFile)}");
        if (sampleLength > 0) PrintSample(run, trainer, sampleLength, temperature, o.Seed);
        return 0;
    }

    private static void PrintSample(string run, CharTrainer trainer, int length, double temperature, ulong seed)
    {
        // From the best weights when there are some, else the last.
        CharModel model = trainer.Model;
        try { model = Checkpoint.Load(run).Model; }
        catch (Exception e) when (e is CheckpointFormatException or IOException) { }
        var sampler = new CharSampler(model, threads: trainer.Options.EffectiveThreads);
        var vocab = trainer.Vocabulary;
        if (vocab.Contains(new Rune('\n'))) sampler.Prime("\n", vocab);
        var rng = new Rng(seed);
        var stdout = Console.Out;
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"--- sample (temperature {temperature:G3}) ---"));
        var sb = new StringBuilder();
        foreach (var r in sampler.Sample(vocab, length, (float)temperature, 0, false, rng))
        {
            sb.Append(r.ToString());
            if (sb.Length >= 64) { stdout.Write(sb.ToString()); sb.Clear(); }
        }
        stdout.WriteLine(sb.ToString());
        stdout.Flush();
    }

    /// <summary>Reads every training option from <paramref name="args"/>, falling back to <paramref name="d"/>.</summary>
    internal static TrainOptions ReadOptions(Args args, TrainOptions d)
    {
        var o = new TrainOptions
        {
            Model = args.Choice("model", d.Model, "lstm", "gru", "gru-cho", "rnn"),
            Nonlinearity = args.Choice("nonlinearity", d.Nonlinearity, "tanh", "relu"),
            Hidden = args.Int("hidden", d.Hidden, min: 1, max: 16384),
            Layers = args.Int("layers", d.Layers, min: 1, max: 64),
            Embed = args.Int("embed", d.Embed, min: 0, max: 16384),
            Dropout = args.Double("dropout", d.Dropout, min: 0, max: 0.99),
            WeightDrop = args.Double("weight-drop", d.WeightDrop, min: 0, max: 0.99),
            Ema = args.Double("ema", d.Ema, min: 0, max: 0.999999),
            SeqLength = args.Int("seq-length", d.SeqLength, min: 1, max: 100_000),
            BatchSize = args.Int("batch-size", d.BatchSize, min: 1, max: 100_000),
            Optimizer = args.Choice("optimizer", d.Optimizer, "adam", "adamw", "rmsprop", "adagrad", "sgd"),
            LearningRate = args.Double("lr", d.LearningRate, min: 1e-12, max: 100),
            LrDecay = args.Double("lr-decay", d.LrDecay, min: 1e-6, max: 1),
            LrDecayEvery = args.Double("lr-decay-every", d.LrDecayEvery, min: 1e-3, max: 1e6),
            LrSchedule = args.Choice("lr-schedule", d.LrSchedule, "step", "cosine"),
            LrMin = args.Double("lr-min", d.LrMin, min: 0, max: 100),
            WeightDecay = args.Double("weight-decay", d.WeightDecay, min: 0, max: 100),
            GradClip = args.Double("grad-clip", d.GradClip, min: 0, max: 1e9),
            ClipMode = args.Choice("clip-mode", d.ClipMode, "norm", "value"),
            MaxEpochs = args.Double("max-epochs", d.MaxEpochs, min: 0, max: 1e9),
            MaxIters = args.Int("max-iters", (int)Math.Min(int.MaxValue, d.MaxIters), min: 0),
            Minutes = args.Double("minutes", d.Minutes, min: 0, max: 1e7),
            ValFrac = args.Double("val-frac", d.ValFrac, min: 0, max: 0.99),
            TestFrac = args.Double("test-frac", d.TestFrac, min: 0, max: 0.99),
            EvalEvery = args.Int("eval-every", d.EvalEvery, min: 1),
            SampleEvery = args.Int("sample-every", d.SampleEvery, min: 0),
            Seed = (ulong)args.Int("seed", (int)Math.Min(int.MaxValue, d.Seed), min: 0),
            Threads = args.Int("threads", d.Threads, min: 0, max: 1024),
        };
        if (o.ValFrac + o.TestFrac >= 1) throw new CliException($"--val-frac {o.ValFrac} + --test-frac {o.TestFrac} must be below 1 to leave training data.");
        try { o.Validate(); }
        catch (ArgumentException e) { throw new CliException(e.Message); }
        return o;
    }

    /// <summary>On resume: the saved options, with the ones given on this command line.</summary>
    private static TrainOptions Merge(TrainOptions saved, TrainOptions given, Args args)
    {
        // Options whose change breaks the run are checked by CharTrainer.Resume (it names them).
        TrainOptions m = saved;
        if (args.Has("model")) m = m with { Model = given.Model };
        if (args.Has("nonlinearity")) m = m with { Nonlinearity = given.Nonlinearity };
        if (args.Has("hidden")) m = m with { Hidden = given.Hidden };
        if (args.Has("layers")) m = m with { Layers = given.Layers };
        if (args.Has("embed")) m = m with { Embed = given.Embed };
        if (args.Has("dropout")) m = m with { Dropout = given.Dropout };
        if (args.Has("weight-drop")) m = m with { WeightDrop = given.WeightDrop };
        if (args.Has("ema")) m = m with { Ema = given.Ema };
        if (args.Has("seq-length")) m = m with { SeqLength = given.SeqLength };
        if (args.Has("batch-size")) m = m with { BatchSize = given.BatchSize };
        if (args.Has("optimizer")) m = m with { Optimizer = given.Optimizer };
        if (args.Has("lr")) m = m with { LearningRate = given.LearningRate };
        if (args.Has("lr-decay")) m = m with { LrDecay = given.LrDecay };
        if (args.Has("lr-decay-every")) m = m with { LrDecayEvery = given.LrDecayEvery };
        if (args.Has("lr-schedule")) m = m with { LrSchedule = given.LrSchedule };
        if (args.Has("lr-min")) m = m with { LrMin = given.LrMin };
        if (args.Has("weight-decay")) m = m with { WeightDecay = given.WeightDecay };
        if (args.Has("grad-clip")) m = m with { GradClip = given.GradClip };
        if (args.Has("clip-mode")) m = m with { ClipMode = given.ClipMode };
        if (args.Has("max-epochs")) m = m with { MaxEpochs = given.MaxEpochs };
        if (args.Has("max-iters")) m = m with { MaxIters = given.MaxIters };
        if (args.Has("minutes")) m = m with { Minutes = given.Minutes };
        if (args.Has("val-frac")) m = m with { ValFrac = given.ValFrac };
        if (args.Has("test-frac")) m = m with { TestFrac = given.TestFrac };
        if (args.Has("eval-every")) m = m with { EvalEvery = given.EvalEvery };
        if (args.Has("sample-every")) m = m with { SampleEvery = given.SampleEvery };
        if (args.Has("seed") && given.Seed != saved.Seed) throw new CliException($"--seed cannot change on resume (the run used {saved.Seed}); the random stream is in the checkpoint.");
        if (args.Has("threads")) m = m with { Threads = given.Threads };
        return m;
    }

    internal static Corpus LoadCorpus(string source) =>
        source == "embedded:tinyshakespeare.txt" ? Corpus.TinyShakespeare() : Corpus.Load(source);

    internal static int[] Encode(Vocabulary vocab, Corpus corpus)
    {
        try { return vocab.Encode(corpus.Text); }
        catch (UnknownCharactersException e) { throw new CliException($"{corpus.Source}: {e.Message}", 1); }
        catch (ArgumentException e) { throw new CliException($"{corpus.Source}: {e.Message}", 1); }
    }

    private static string DefaultRunFolder(string source)
    {
        string name = source.StartsWith("embedded:", StringComparison.Ordinal) ? source["embedded:".Length..] : Path.GetFileName(source);
        name = Path.GetFileNameWithoutExtension(name);
        var clean = new StringBuilder();
        foreach (char ch in name) clean.Append(char.IsAsciiLetterOrDigit(ch) || ch is '-' or '_' ? ch : '_');
        if (clean.Length == 0) clean.Append("run");
        string stamp = DateTime.Now.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture);
        string dir = Path.Combine("runs", $"{stamp}-{clean}");
        for (int k = 2; Directory.Exists(dir); k++) dir = Path.Combine("runs", $"{stamp}-{clean}-{k}");
        return dir;
    }
}
