using Recur.IO;

namespace Recur.Training;

/// <summary>
/// Which evaluation is the best: the one of lowest <see cref="ITrainingTask.BestBy"/> figure (the loss, or a metric such as
/// g2p's word error rate), a tie going to the lower loss and then to the earlier evaluation. Everything that chooses from
/// validation reads it: <c>best/</c>, early stopping (<see cref="TrainOptions.Patience"/>), the "best" of reports and summaries.
/// </summary>
public sealed partial class Trainer
{
    private readonly List<double> _valChoices = [];

    /// <summary>The validation figure that chooses (<see cref="ITrainingTask.BestBy"/>): <see cref="TaskMetrics.LossName"/> or a metric's name.</summary>
    public string BestBy => Task.BestBy;

    /// <summary>
    /// Every evaluation's <see cref="BestBy"/> figure (as long as <see cref="ValLosses"/>; NaN for evaluations of a run saved
    /// before the figure was recorded, which no recorded figure loses to).
    /// </summary>
    public IReadOnlyList<double> ValChoices => _valChoices;

    /// <summary>The validation loss of the best evaluation (the one <c>best/</c> holds), or NaN.</summary>
    public double BestValLoss => BestIndex is int k and >= 0 ? _valLosses[k] : double.NaN;

    /// <summary>The <see cref="BestBy"/> figure of the best evaluation, or NaN.</summary>
    public double BestValue => BestIndex is int k and >= 0 ? _valChoices[k] : double.NaN;

    /// <summary>The iteration of the best evaluation, or 0.</summary>
    public long BestIteration => BestIndex is int k and >= 0 ? _valIterations[k] : 0;

    /// <summary>The index of the best evaluation, or -1 before the first.</summary>
    private int BestIndex
    {
        get
        {
            int k = -1;
            for (int i = 0; i < _valChoices.Count; i++) if (k < 0 || Better(i, k)) k = i;
            return k;
        }
    }

    /// <summary>Evaluation <paramref name="i"/> beats <paramref name="j"/>: a lower figure, or the same and a lower loss (NaN loses to any number).</summary>
    private bool Better(int i, int j)
    {
        double a = Key(_valChoices[i]), b = Key(_valChoices[j]);
        return a < b || a == b && Key(_valLosses[i]) < Key(_valLosses[j]);
    }

    private static double Key(double v) => double.IsNaN(v) ? double.PositiveInfinity : v;

    /// <summary>
    /// The choosing figures of a resumed run: those the state recorded when it chose by the same figure; the losses when the
    /// task chooses by the loss; else NaN for each earlier evaluation (a run saved before its figure was recorded), so that the
    /// next evaluation with the figure becomes the best.
    /// </summary>
    private static IEnumerable<double> ResumedChoices(TrainingState state, string bestBy)
    {
        if (bestBy == TaskMetrics.LossName) return state.ValLosses;
        if (state.BestBy == bestBy && state.ValChoices is { } c && c.Length == state.ValLosses.Length) return c;
        return Enumerable.Repeat(double.NaN, state.ValLosses.Length);
    }

    /// <summary>True when <see cref="TrainOptions.Patience"/> evaluations in a row brought no new best.</summary>
    private bool PatienceExhausted()
    {
        int p = Options.Patience;
        return p > 0 && _valLosses.Count > p && BestIndex < _valLosses.Count - p;
    }
}
