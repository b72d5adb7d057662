using System.Globalization;
using System.Text;
using Recur.Data;
using Recur.IO;
using Recur.Models;
using Recur.Tasks.CharLm;
using Recur.Training;

namespace Recur.Cli.Commands;

/// <summary><c>recur train [FILE]</c>: a character-level language model, char-rnn style.</summary>
internal sealed class TrainCommand : ICommand
{
    /// <summary>
    /// The configuration of <c>recur train</c> without a file: a 2x256 character LSTM on the bundled tiny-shakespeare for
    /// the <see cref="DefaultMinutes"/> budget, with dropout 0.3, a cosine schedule over the budget and a moving average of
    /// the weights: chosen on validation among dropout 0.2, 0.3, 0.4, 0.2 with weight drop 0.2, and lr 3e-3 or 4e-3 at
    /// equal iterations (docs/TRAINING.md), so that the run ends at its best instead of overfitting.
    /// </summary>
    internal static TrainOptions ShakespeareDefaults { get; } = CharLmDefinition.Instance.Defaults with
    {
        Minutes = DefaultMinutes, EvalEvery = 400,
    };

    /// <summary>Wall-clock budget of <c>recur train</c> without a file.</summary>
    internal const double DefaultMinutes = 5;

    public string Name => "train";

    /// <summary>The character LM's task.</summary>
    public IEnumerable<string> Tasks => [CharCheckpoint.TaskName];
    public string Summary => "train a character-level language model (LSTM/GRU/RNN, truncated BPTT), char-rnn style";
    public string Usage => UsageText.Replace("{{OPTIONS}}", TrainingOptionsCli.Usage(CharLmDefinition.Instance.Defaults, TrainOptionSpecs.All, DefaultNotes));

    private static readonly Dictionary<string, string> DefaultNotes = new()
    {
        ["embed"] = "--hidden for block models and "
            + string.Join(", ", Recur.Nn.Cells.CellRegistry.All.Where(c => c.RequiresInputEqualsHidden).Select(c => c.Name)),
        ["minutes"] = "5 without FILE; 10 with FILE unless --max-epochs or --max-iters", ["eval-every"] = "400 without FILE; 16 a run, sized",
        ["hidden"] = "without FILE; sized to FILE", ["dropout"] = "without FILE; sized to FILE",
    };

    private const string UsageText = """
        usage: recur train [FILE] [options]

        Trains a character-level language model on FILE (UTF-8 text; characters are Unicode scalar values).
        Without FILE: a character LSTM on the bundled tiny-shakespeare for 5 minutes, then a sample.
        With FILE and none of --hidden, --layers, --dropout: the model is sized to the text and the budget
        (--minutes, 10 without it, --max-epochs or --max-iters): each width is timed on this machine, the widest
        that sees at least 20 characters per parameter with at most one parameter per training character wins,
        and dropout follows the passes over the text; what was chosen and why is printed.
        The text's first part is the training split, then validation (--val-frac), then test (--test-frac).
        The training split is cut into --batch-size streams; each iteration takes the next --seq-length
        characters of every stream; the hidden state carries over (truncated BPTT) and resets each epoch.

        {{OPTIONS}}sampling and progress
          --sample-length N         length of the --sample-every samples and of the final one, 0 = none (default 500)
          --temperature T           sampling temperature (default 0.8)
          --print-every N           when output is not a terminal: a progress line every N iterations (default 100)
        run folder
          --out DIR                 where checkpoints go (default runs/YYYYMMDD-HHMMSS-NAME); holds best/ and
                                    latest/ (model.safetensors, config.json, state.safetensors), metrics.jsonl, loss.png
          --resume DIR              continue a run exactly from DIR's latest/ (same text; stopping options may change)
          --init-from CKPT          start from the weights of a run or checkpoint folder (same architecture)

        Ctrl-C saves latest/ and exits (code 130); resume with --resume DIR. A NaN/infinite loss stops the
        run without saving over the last good checkpoint (exit code 3).
        """;

    private static readonly string[] ArchitectureOptions = ["model", "nonlinearity", "hidden", "layers", "embed", "highway"];

    public int Run(Args args)
    {
        bool hasFile = args.Positional.Count >= 1;
        string? initFrom = args.String("init-from");
        int printEvery = args.Int("print-every", 100, min: 1);
        int sampleLength = args.Int("sample-length", 500, min: 0, max: 10_000_000);
        double temperature = args.Double("temperature", 0.8, min: 1e-3, max: 100);
        if (args.Has("resume") && initFrom is not null)
            throw new CliException("--resume and --init-from exclude each other: --resume continues a run, --init-from starts a new one from its weights.");
        var init = initFrom is null ? null : CharCheckpoint.Read(initFrom);
        string source = CharLmDefinition.Instance.SourceOf(hasFile ? args.Positional[0] : Corpus.EmbeddedSource);
        var (trainer, _, _) = TaskCli.Start(args, CharLmDefinition.Instance, new TaskCli.StartHooks<CharSettings>
        {
            Defaults = hasFile || args.Has("resume") ? CharLmDefinition.Instance.Defaults : ShakespeareDefaults,
            Options = o => FitEmbedToCell(hasFile && init is null ? FileSizing.Apply(o, args, args.Positional[0]) : FromInit(o, init, initFrom, args), args)
                with { Data = source },
            Settings = s => s with { InitFrom = init?.Model, Vocabulary = init?.Vocabulary },
            RunName = SourceName,
        }, positional: 1, dataArg: 0);

        var progress = new ConsoleProgress(Console.Out, ConsoleProgress.IsTerminal, printEvery, sampleLength, temperature);
        var result = RunFolders.Run(trainer, progress);

        string run = trainer.OutputDirectory!;
        var inv = CultureInfo.InvariantCulture;
        if (RunFolders.AbnormalExit(result, "train", run) is int code) return code;
        string best = double.IsNaN(result.BestValLoss) ? ""
            : string.Create(inv, $"; best val loss {result.BestValLoss:F4} nats/char ({result.BestValLoss / Math.Log(2):F4} bits/char)");
        Console.WriteLine(string.Create(inv, $"done: {result.Message} after {result.Iteration} iterations ({result.Epoch:F2} epochs, "
            + $"{ConsoleProgress.Time(result.Seconds)}){best}"));
        Console.WriteLine($"checkpoints: {Path.Combine(run, "best")}, {Path.Combine(run, "latest")}; metrics: {Path.Combine(run, RunFolder.MetricsFile)}, "
            + $"plot: {Path.Combine(run, RunFolder.PlotFile)}");
        if (result.Hint is not null) Console.WriteLine("hint: " + result.Hint);
        if (sampleLength > 0) PrintSample(run, trainer, sampleLength, temperature, trainer.Options.Seed);
        return 0;
    }

    /// <summary>
    /// With <c>--init-from</c>, the checkpoint's architecture in place of the options' (refusing a given flag that differs);
    /// else the options as they are.
    /// </summary>
    private static TrainOptions FromInit(TrainOptions o, LoadedCheckpoint? init, string? initFrom, Args args)
    {
        if (init is null) return o;
        var c = init.Config;
        var given = ArchitectureOptions.Where(args.Has).ToList();
        var fromCk = o with { Model = c.Cell, Nonlinearity = c.Nonlinearity, Hidden = c.Hidden, Layers = c.Layers, Embed = c.Embed, Highway = c.Highway };
        if (fromCk.Model != o.Model && given.Contains("model") || fromCk.Nonlinearity != o.Nonlinearity && given.Contains("nonlinearity")
            || fromCk.Hidden != o.Hidden && given.Contains("hidden") || fromCk.Layers != o.Layers && given.Contains("layers")
            || fromCk.Embed != o.Embed && given.Contains("embed") || fromCk.Highway != o.Highway && given.Contains("highway"))
            throw new CliException($"--init-from {initFrom}: the checkpoint is a {CharLmDefinition.Describe(c)}; the given "
                + $"--{string.Join("/--", given)} differ. Leave them out to take the checkpoint's.");
        return fromCk;
    }

    private static void PrintSample(string run, Trainer trainer, int length, double temperature, ulong seed)
    {
        // From the best weights when there are some, else the last.
        var lm = (CharLmTask)trainer.Task;
        CharModel model = lm.Model;
        try { model = CharCheckpoint.Read(run).Model; }
        catch (Exception e) when (e is CheckpointFormatException or IOException) { }
        var sampler = new CharSampler(model, threads: trainer.Options.EffectiveThreads);
        var vocab = lm.Vocabulary;
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

    /// <summary>
    /// Cells that add their input to the hidden state (<c>RequiresInputEqualsHidden</c>) take an embedding as wide as
    /// the hidden state: <c>--embed</c> defaults to <c>--hidden</c> for them, and a different <c>--embed</c> is refused.
    /// </summary>
    internal static TrainOptions FitEmbedToCell(TrainOptions o, Args args)
    {
        bool block = Recur.Nn.Blocks.BlockRegistry.Contains(o.Model);
        if (!CharModelConfig.EmbedsAtHidden(o.Model)) return o;
        if (!args.Has("embed")) return o with { Embed = o.Hidden };
        if (o.Embed != o.Hidden)
            throw new CliException(block
                ? $"--model {o.Model} is a block model that embeds its tokens at its width, so --embed must equal --hidden {o.Hidden}, "
                    + $"got --embed {o.Embed}; leave --embed out to use {o.Hidden}."
                : $"--model {o.Model} adds its input to the hidden state, so --embed must equal --hidden {o.Hidden}, "
                    + $"got --embed {o.Embed}; leave --embed out to use {o.Hidden}.");
        return o;
    }

    private static string SourceName(string source)
        => Path.GetFileNameWithoutExtension(source == Corpus.EmbeddedSource ? source["embedded:".Length..] : Path.GetFileName(source));

    internal static int[] Encode(Vocabulary vocab, Corpus corpus)
    {
        try { return vocab.Encode(corpus.Text); }
        catch (UnknownCharactersException)
        {
            throw new CliException(UnseenInput.Message(corpus.Source, corpus.Text, vocab.Contains, $"the model's vocabulary of {vocab.Count} characters")!, 1);
        }
        catch (ArgumentException e) { throw new CliException($"{corpus.Source}: {e.Message}", 1); }
    }

}
