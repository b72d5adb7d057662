using System.Globalization;
using Recur.Tasks.CharLm;
using Recur.Training;

namespace Recur.Cli.Commands;

/// <summary>
/// <c>recur train FILE</c> without <c>--hidden</c>, <c>--layers</c> or <c>--dropout</c>: sizes the model to the text and the
/// budget (<see cref="ModelSizing"/>) from this machine's measured speed at each width, and says what it chose and why.
/// </summary>
internal static class FileSizing
{
    /// <summary>The budget of <c>recur train FILE</c> given no <c>--minutes</c>, <c>--max-epochs</c> or <c>--max-iters</c>.</summary>
    public const double DefaultMinutes = 10;

    /// <summary>The flags that, given, leave the model's size to the user.</summary>
    public static readonly string[] SizeFlags = ["hidden", "layers", "dropout"];

    /// <summary>The share of a timed budget spent training (the rest evaluates and saves).</summary>
    private const double TrainingShare = 0.9;

    /// <summary>Seconds each width is timed for, when the budget is in minutes.</summary>
    private const double ProbeSeconds = 0.6;

    /// <summary>Evaluations a sized run makes over its budget, so that best/ is chosen among enough of them.</summary>
    private const int Evaluations = 16;

    /// <summary>
    /// <paramref name="o"/> with the budget made explicit (<see cref="DefaultMinutes"/> when the command line sets none) and,
    /// unless <paramref name="args"/> gives a size flag, the width, layers, dropout and evaluation interval chosen for
    /// <paramref name="path"/>'s text; the choice and its reasons are printed.
    /// </summary>
    public static TrainOptions Apply(TrainOptions o, Args args, string path)
    {
        if (!args.Has("minutes") && !args.Has("max-epochs") && !args.Has("max-iters"))
        {
            o = o with { Minutes = DefaultMinutes, MaxEpochs = 0, MaxIters = 0 };
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"budget: {DefaultMinutes:0} minutes (--minutes M to change)"));
        }
        // A model that embeds at its width takes --embed as its width.
        if (SizeFlags.Any(args.Has) || args.Has("embed") && Recur.Models.CharModelConfig.EmbedsAtHidden(o.Model)) return o;
        CharText text;
        try { text = CharLmDefinition.Instance.LoadData(path); }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException) { throw new CliException(e.Message, 1); }
        long trainChars = (long)(text.Tokens.Length * (1 - o.ValFrac - o.TestFrac));
        if (trainChars < 2L * o.BatchSize * o.SeqLength) return o;
        bool timed = o.Minutes > 0;
        Console.WriteLine($"sizing the model to {Path.GetFileName(path)} ({trainChars:N0} training characters) and the budget"
            + (timed ? ": timing each width ..." : ""));
        var candidates = new List<SizeCandidate>();
        foreach (int h in ModelSizing.Widths)
        {
            var trial = TrainCommand.FitEmbedToCell(o with { Hidden = h, Layers = ModelSizing.Layers }, args);
            var (cps, parameters) = ThroughputProbe.Measure(trial, text, timed ? ProbeSeconds : 0);
            candidates.Add(new SizeCandidate(h, parameters, CharsInBudget(o, cps, trainChars)));
        }
        var choice = ModelSizing.Choose(candidates, trainChars);
        foreach (string reason in choice.Reasons) Console.WriteLine("  " + reason);
        var sized = o with { Hidden = choice.Hidden, Layers = ModelSizing.Layers, Dropout = choice.Dropout };
        if (!args.Has("eval-every"))
        {
            double iters = choice.Epochs * trainChars / ((double)o.BatchSize * o.SeqLength);
            sized = sized with { EvalEvery = (int)Math.Clamp(iters / Evaluations, 50, 5000) };
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"model: {sized.Layers} x {sized.Hidden} {sized.Model}, dropout {sized.Dropout:0.0#}, evaluating every {sized.EvalEvery} iterations "
            + $"(--hidden, --layers or --dropout to choose yourself)"));
        return sized;
    }

    /// <summary>The characters a run of <paramref name="o"/> trains on at <paramref name="cps"/> characters per second: its tightest limit.</summary>
    internal static double CharsInBudget(TrainOptions o, double cps, long trainChars)
    {
        double chars = double.PositiveInfinity;
        if (o.Minutes > 0) chars = cps * o.Minutes * 60 * TrainingShare;
        if (o.MaxIters > 0) chars = Math.Min(chars, o.MaxIters * (double)o.BatchSize * o.SeqLength);
        if (o.MaxEpochs > 0) chars = Math.Min(chars, o.MaxEpochs * trainChars);
        return double.IsFinite(chars) ? chars : 50.0 * trainChars;
    }
}
