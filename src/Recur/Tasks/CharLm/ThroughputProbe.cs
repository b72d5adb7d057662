using System.Diagnostics;
using Recur.Training;

namespace Recur.Tasks.CharLm;

/// <summary>
/// Measures how fast a character model of given options trains on this machine: a few training steps (forward and
/// backward over one batch x seq-length window) of a freshly initialised model, timed after one warm-up step.
/// </summary>
public static class ThroughputProbe
{
    /// <summary>
    /// Characters per second of training for <paramref name="options"/> on <paramref name="text"/>, timed for about
    /// <paramref name="seconds"/> (not timed, NaN, when that is 0), with the model's parameter count.
    /// </summary>
    public static (double CharsPerSecond, long Parameters) Measure(TrainOptions options, CharText text, double seconds = 0.6)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(text);
        var trainer = CharLmDefinition.Instance.Create(options with { MaxIters = 1, MaxEpochs = 0, Minutes = 0 }, new CharSettings(), text, "probe");
        var task = trainer.Task;
        if (seconds <= 0) return (double.NaN, task.Store.Count);
        task.Threads = options.EffectiveThreads;
        task.TrainStep(trainer.Rng);
        var clock = Stopwatch.StartNew();
        int steps = 0;
        do { task.TrainStep(trainer.Rng); steps++; }
        while (clock.Elapsed.TotalSeconds < seconds || steps < 2);
        return (steps * (double)task.ItemsPerStep / clock.Elapsed.TotalSeconds, task.Store.Count);
    }
}
