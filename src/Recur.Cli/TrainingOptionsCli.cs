using System.Globalization;
using System.Text;
using Recur.Training;

namespace Recur.Cli;

/// <summary>
/// The training options on the command line, built from their declarations (<see cref="TrainOptionSpecs"/>):
/// parsing, merging on resume and usage text. A command names which declarations it takes.
/// </summary>
internal static class TrainingOptionsCli
{
    /// <summary>Reads the options of <paramref name="specs"/> from <paramref name="args"/> over <paramref name="defaults"/>, then validates.</summary>
    public static TrainOptions Read(Args args, TrainOptions defaults, IEnumerable<OptionSpec> specs)
    {
        var o = BudgetByTime(Apply(defaults, args, specs), args);
        Validate(o);
        return o;
    }

    /// <summary>
    /// <c>--minutes M</c> trains for M minutes: without <c>--max-epochs</c> and <c>--max-iters</c> on the same command line, the
    /// defaults' caps on epochs and iterations are lifted, so that a default cap never stops a run silently long before its budget.
    /// </summary>
    public static TrainOptions BudgetByTime(TrainOptions o, Args args)
    {
        ArgumentNullException.ThrowIfNull(o);
        ArgumentNullException.ThrowIfNull(args);
        if (!args.Has("minutes") || o.Minutes <= 0 || args.Has("max-epochs") || args.Has("max-iters")) return o;
        return o with { MaxEpochs = 0, MaxIters = 0 };
    }

    /// <summary>On resume: <paramref name="saved"/> with the options given on this command line (the resume check names forbidden changes).</summary>
    public static TrainOptions Merge(TrainOptions saved, Args args, IEnumerable<OptionSpec> specs)
    {
        var o = BudgetByTime(Apply(saved, args, specs), args);
        Validate(o);
        return o;
    }

    /// <summary>The options of <paramref name="specs"/> that <paramref name="args"/> gives, laid over <paramref name="o"/>.</summary>
    public static T Apply<T>(T o, Args args, IEnumerable<OptionSpec<T>> specs)
    {
        foreach (var s in specs)
        {
            if (!args.Has(s.Flag)) continue;
            o = s.With(o, Parse(args, s));
        }
        return o;
    }

    private static object Parse<T>(Args args, OptionSpec<T> s)
    {
        if (s.Kind == OptionKind.Flag) return args.Flag(s.Flag);
        string text = args.String(s.Flag) ?? "";
        object v;
        switch (s.Kind)
        {
            case OptionKind.Choice:
                v = text;
                break;
            case OptionKind.Int:
                if (!long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out long l))
                    throw new CliException($"--{s.Flag} must be a whole number, got '{text}'.");
                if (l >= int.MinValue && l <= int.MaxValue) v = (int)l; else v = l;
                break;
            default:
                if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) || double.IsNaN(d))
                    throw new CliException($"--{s.Flag} must be a number, got '{text}'.");
                v = d;
                break;
        }
        if (!s.Accepts(v)) throw new CliException($"--{s.Flag} must be {s.RangeText}, got {text}.");
        return v;
    }

    private static void Validate(TrainOptions o)
    {
        if (o.ValFrac + o.TestFrac >= 1)
            throw new CliException($"--val-frac {OptionSpec.Num(o.ValFrac)} + --test-frac {OptionSpec.Num(o.TestFrac)} must be below 1 to "
                + "leave training data.");
        try { o.Validate(); }
        catch (ArgumentException e) { throw new CliException(e.Message); }
    }

    /// <summary>
    /// Usage lines for <paramref name="specs"/>, grouped as declared, each with its default from
    /// <paramref name="defaults"/> (and an extra note from <paramref name="notes"/>, keyed by flag).
    /// </summary>
    public static string Usage<T>(T defaults, IEnumerable<OptionSpec<T>> specs, IReadOnlyDictionary<string, string>? notes = null)
    {
        var sb = new StringBuilder();
        string? group = null;
        foreach (var s in specs)
        {
            if (s.Group != group) { group = s.Group; sb.Append(group).Append('\n'); }
            string head = s.Value.Length > 0 ? $"  --{s.Flag} {s.Value}" : $"  --{s.Flag}";
            string value = OptionSpec.Num(s.Get(defaults!));
            string zero = s.ZeroMeans is not null && value == "0" ? $" = {s.ZeroMeans}" : "";
            string note = notes is not null && notes.TryGetValue(s.Flag, out var n) ? "; " + n : "";
            string help = $"{s.Help} (default {value}{zero}{note})";
            if (head.Length > 27) sb.Append(head).Append('\n').Append(new string(' ', 28)).Append(help).Append('\n');
            else sb.Append(head.PadRight(28)).Append(help).Append('\n');
        }
        return sb.ToString();
    }
}
