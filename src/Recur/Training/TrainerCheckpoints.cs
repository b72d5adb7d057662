using System.Diagnostics;
using System.Globalization;
using Recur.IO;
using Recur.Nn;

namespace Recur.Training;

public sealed partial class Trainer
{
    private void EvaluateAndSave(TrainingMonitor? monitor, StreamWriter? metrics, Stopwatch clock, double startSession, RunFolder? folder)
    {
        double e0 = clock.Elapsed.TotalSeconds;
        double val = double.NaN;
        bool best = false;
        if (Task.HasValidation)
        {
            var m = Evaluate();
            LastMetrics = m;
            val = m.Loss;
            long prevIter = _valIterations.Count > 0 ? _valIterations[^1] : 0;
            double trainMean = MeanTrainLoss(prevIter, Iteration);
            _valIterations.Add(Iteration);
            _valLosses.Add(val);
            _valChoices.Add(m.Figure(BestBy));
            best = BestIndex == _valLosses.Count - 1;
            double secs = clock.Elapsed.TotalSeconds - e0;
            _sessionSeconds = startSession + clock.Elapsed.TotalSeconds;
            var report = new EvaluationReport(Iteration, Epoch, val, trainMean, best, secs) { Metrics = m.Extra };
            var extra = string.Concat(m.Extra.Where(kv => kv.Key != "bpc").Select(kv => string.Create(CultureInfo.InvariantCulture,
                $",\"val_{kv.Key}\":{Json(kv.Value)}")));
            metrics?.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{{\"type\":\"val\",\"iter\":{Iteration},\"epoch\":{Epoch:R},\"val_loss\":{val:R},\"val_bpc\":{report.ValBitsPerChar:R}{extra},"
                + $"\"train_loss\":{Json(trainMean)},\"best\":{(best ? "true" : "false")},\"best_by\":\"{BestBy}\","
                + $"\"eval_s\":{secs:F3},\"elapsed_s\":{ElapsedSeconds:F3}}}"));
            metrics?.Flush();
            monitor?.OnEvaluation(this, report);
        }
        SaveCheckpoints(monitor, val, best || !Task.HasValidation, clock, startSession, folder);
        folder?.WritePlot(_trainLosses, _valIterations, _valLosses, $"recur {Task.Name}: loss ({Task.LossUnit})");
    }

    private void SaveCheckpoints(TrainingMonitor? monitor, double valLoss, bool isBest, Stopwatch clock, double startSession, RunFolder? folder)
    {
        _sessionSeconds = startSession + clock.Elapsed.TotalSeconds;
        if (folder is null) { _checkpointIteration = Iteration; return; }
        var state = CaptureState();
        double trainLoss = MeanTrainLoss(Math.Max(0, Iteration - Options.EvalEvery), Iteration);
        var progress = new CheckpointProgress(Iteration, Epoch, double.IsNaN(trainLoss) ? null : trainLoss,
            double.IsNaN(valLoss) ? null : valLoss, double.IsNaN(BestValLoss) ? null : BestValLoss, ElapsedSeconds,
            BestBy, double.IsNaN(BestValue) ? null : BestValue);
        string latest = folder.CheckpointPath(CheckpointKind.Latest);
        string? best = isBest ? folder.CheckpointPath(CheckpointKind.Best) : null;
        WithEvaluationWeights(() =>
        {
            void Write(string dir) => CheckpointFolder.Write(dir, tmp =>
            {
                TrainingState.Write(Path.Combine(tmp, CheckpointFiles.StateFile), state);
                Task.WriteModel(tmp, progress);
            });
            Write(latest);
            _checkpointIteration = Iteration;  // latest/ holds this iteration even if best/ then fails
            if (best is not null) Write(best);
            return true;
        });
        monitor?.OnCheckpoint(this, latest);
        if (best is not null) monitor?.OnCheckpoint(this, best);
        _checkpointIteration = Iteration;
    }

    /// <summary>Everything needed to continue exactly from here (see <see cref="TrainingState"/>).</summary>
    public TrainingState CaptureState()
    {
        var ints = new Dictionary<string, IntegerArray>(StringComparer.Ordinal);
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        Task.SaveState(ints, tensors);
        return new TrainingState
        {
            OptimizerName = Options.Optimizer,
            OptimizerSteps = Optimizer.StepCount,
            OptimizerBuffers = Optimizer.State.ToDictionary(kv => kv.Key, kv => (float[])kv.Value.Clone(), StringComparer.Ordinal),
            RngState = Rng.State,
            Iteration = Iteration,
            TrainLosses = [.. _trainLosses],
            ValIterations = [.. _valIterations],
            ValLosses = [.. _valLosses],
            BestBy = BestBy == TaskMetrics.LossName ? null : BestBy,
            ValChoices = BestBy == TaskMetrics.LossName ? null : [.. _valChoices],
            ElapsedSeconds = ElapsedSeconds,
            TrainWeights = _average is null ? null : Task.Store.Values.AsSpan(0, Task.Store.Count).ToArray(),
            TaskIntegers = ints,
            TaskTensors = tensors,
        };
    }

    /// <summary>
    /// Runs <paramref name="action"/> with the model holding the weights that evaluation, previews and
    /// checkpoints use: the average with <see cref="TrainOptions.Ema"/>, else the training weights (then it
    /// just runs). The training weights are put back afterwards, bit for bit.
    /// </summary>
    public T WithEvaluationWeights<T>(Func<T> action)
    {
        ArgumentNullException.ThrowIfNull(action);
        if (_average is null) return action();
        var w = Task.Store.Values.AsSpan(0, Task.Store.Count);
        _rawWeights ??= new float[w.Length];
        w.CopyTo(_rawWeights);
        _average.Values.CopyTo(w);
        try { return action(); }
        finally { _rawWeights.CopyTo(Task.Store.Values.AsSpan(0, Task.Store.Count)); }
    }

    /// <summary>The task's evaluation with the evaluation weights (the average under <see cref="TrainOptions.Ema"/>).</summary>
    public TaskMetrics Evaluate() => WithEvaluationWeights(Task.Evaluate);

    /// <summary>Evaluations in a row, at the end, over which the hint looks for overfitting.</summary>
    public const int OverfittingWindow = 3;

    /// <summary>
    /// Without <see cref="TrainOptions.Patience"/>: a one-line hint when the validation loss rose at each of
    /// the last <see cref="OverfittingWindow"/> evaluations while the mean training loss between them fell
    /// (overfitting), else null.
    /// </summary>
    public string? OverfittingHint()
    {
        int n = _valLosses.Count, w = OverfittingWindow;
        if (Options.Patience > 0 || n < w + 1) return null;
        for (int i = n - w; i < n; i++)
        {
            if (!(_valLosses[i] > _valLosses[i - 1])) return null;
            long a = i >= 2 ? _valIterations[i - 2] : 0, b = _valIterations[i - 1], c = _valIterations[i];
            if (!(MeanTrainLoss(b, c) < MeanTrainLoss(a, b))) return null;
        }
        return string.Create(CultureInfo.InvariantCulture,
            $"validation loss rose at each of the last {w} evaluations ({_valLosses[n - w - 1]:F4} -> {_valLosses[n - 1]:F4}) while the training loss fell: "
                + $"the model is overfitting. Try more --dropout, a smaller model, more data, or --patience N to stop early; best/ holds the checkpoint of "
                + $"iteration {BestIteration}.");
    }

    private double MeanTrainLoss(long fromIteration, long toIteration)
    {
        if (toIteration <= fromIteration) return double.NaN;
        double s = 0;
        for (long i = fromIteration; i < toIteration; i++) s += _trainLosses[(int)i];
        return s / (toIteration - fromIteration);
    }

    /// <summary>
    /// The optimizer named by <see cref="TrainOptions.Optimizer"/> over <paramref name="store"/>'s parameters, made by
    /// <see cref="OptimizerRegistry"/>.
    /// </summary>
    public static Optimizer CreateOptimizer(TrainOptions options, ParameterStore store)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(store);
        return OptimizerRegistry.Create(options.Optimizer, store, options.LearningRate, options.WeightDecay);
    }

    private static string Json(double v) => double.IsFinite(v) ? v.ToString("R", CultureInfo.InvariantCulture) : "null";
}
