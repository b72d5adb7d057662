using System.Globalization;

namespace Recur.Tasks.CharLm;

/// <summary>One width <c>recur train FILE</c> considers: its parameters and the characters it trains on in the budget.</summary>
/// <param name="Hidden">The cell's width.</param>
/// <param name="Parameters">The model's parameters at that width.</param>
/// <param name="CharsInBudget">Characters it trains on in the run's budget (measured speed x seconds, or iterations x batch x seq).</param>
public sealed record SizeCandidate(int Hidden, long Parameters, double CharsInBudget);

/// <summary>What <see cref="ModelSizing.Choose"/> picked and why, one reason per line.</summary>
/// <param name="Hidden">The chosen width.</param>
/// <param name="Dropout">The dropout for the epochs the budget gives.</param>
/// <param name="Epochs">Passes over the training split the budget gives the chosen width.</param>
/// <param name="Parameters">The chosen model's parameters.</param>
/// <param name="Reasons">Why, in words.</param>
public sealed record SizeChoice(int Hidden, double Dropout, double Epochs, long Parameters, IReadOnlyList<string> Reasons);

/// <summary>
/// char-rnn's advice on model size against data size, made automatic for <c>recur train FILE</c> (docs/TRAINING.md):
/// <list type="bullet">
/// <item>Compute: a model learns most in a fixed time when it sees at least <see cref="CharsPerParameter"/> characters per
/// parameter; a wider one sees too few. Measured (docs/TRAINING.md): on 2.2 MB of Python source, 8 minutes on one thread,
/// a 2x192 LSTM that saw 25 characters per parameter ended 0.026 nats/char below a 2x256 one that saw 8.8. Twenty is
/// also the ratio Hoffmann et al. (2022) found compute-optimal for language models.</item>
/// <item>Data: at most <see cref="ParametersPerTrainingChar"/> parameters per training character (char-rnn: "the number of
/// parameters should be about the size of the data set"); a bigger model memorises a small text.</item>
/// <item>Dropout grows with the passes over the data the budget gives (<see cref="DropoutFor"/>): none below one epoch,
/// where every character is new, up to 0.4 when the text is seen many times over; 0.3 at tiny-shakespeare's 9 passes
/// (the main job's recipe, chosen on validation over 0.2 and 0.4), 0.2 at the Python source's 6.6 (still improving at
/// its end).</item>
/// </list>
/// The widest candidate that meets both bounds wins; if none does, the narrowest.
/// </summary>
public static class ModelSizing
{
    /// <summary>The widths considered, two layers each.</summary>
    public static IReadOnlyList<int> Widths { get; } = [128, 192, 256, 384, 512];

    /// <summary>Layers of the sized model.</summary>
    public const int Layers = 2;

    /// <summary>Characters seen per parameter that a fixed time budget is best spent on.</summary>
    public const double CharsPerParameter = 20;

    /// <summary>The most parameters per training character.</summary>
    public const double ParametersPerTrainingChar = 1.0;

    /// <summary>The dropout for a run that makes <paramref name="epochs"/> passes over its training text.</summary>
    public static double DropoutFor(double epochs) => epochs switch
    {
        < 1 => 0,
        < 3 => 0.1,
        < 8 => 0.2,
        < 20 => 0.3,
        _ => 0.4,
    };

    /// <summary>The width for <paramref name="trainChars"/> training characters among <paramref name="candidates"/>, and why.</summary>
    public static SizeChoice Choose(IReadOnlyList<SizeCandidate> candidates, long trainChars)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        if (candidates.Count == 0) throw new ArgumentException("no candidate widths.", nameof(candidates));
        if (trainChars <= 0) throw new ArgumentOutOfRangeException(nameof(trainChars), "the training split is empty.");
        var inv = CultureInfo.InvariantCulture;
        var ordered = candidates.OrderBy(c => c.Hidden).ToList();
        SizeCandidate? chosen = null;
        foreach (var c in ordered)
            if (FitsCompute(c) && FitsData(c, trainChars)) chosen = c;
        var reasons = new List<string>();
        if (chosen is null)
        {
            chosen = ordered[0];
            reasons.Add(string.Create(inv, $"even the narrowest width, {chosen.Hidden}, sees {chosen.CharsInBudget / chosen.Parameters:F1} characters ")
                + "per parameter in the budget or has more parameters than the text has characters: it is the choice (a longer --minutes helps)");
        }
        else
        {
            reasons.Add(string.Create(inv, $"width {chosen.Hidden}: {chosen.Parameters:N0} parameters, {chosen.CharsInBudget:N0} characters in the budget "
                + $"({chosen.CharsInBudget / chosen.Parameters:F1} per parameter; a budget is best spent at {CharsPerParameter:0} or more)"));
            var wider = ordered.FirstOrDefault(c => c.Hidden > chosen.Hidden);
            if (wider is not null)
                reasons.Add(!FitsData(wider, trainChars)
                    ? string.Create(inv, $"not {wider.Hidden}: {wider.Parameters:N0} parameters for {trainChars:N0} training characters would memorise "
                        + $"the text (at most {ParametersPerTrainingChar:0.#} per character, char-rnn's advice)")
                    : string.Create(inv, $"not {wider.Hidden}: it would see only {wider.CharsInBudget / wider.Parameters:F1} characters per parameter "
                        + $"in the budget"));
        }
        double epochs = chosen.CharsInBudget / trainChars;
        double dropout = DropoutFor(epochs);
        reasons.Add(string.Create(inv, $"dropout {dropout:0.0#}: the budget gives {epochs:F1} passes over the {trainChars:N0} training characters"));
        return new SizeChoice(chosen.Hidden, dropout, epochs, chosen.Parameters, reasons);
    }

    private static bool FitsCompute(SizeCandidate c) => c.CharsInBudget >= CharsPerParameter * c.Parameters;

    private static bool FitsData(SizeCandidate c, long trainChars) => c.Parameters <= ParametersPerTrainingChar * trainChars;
}
