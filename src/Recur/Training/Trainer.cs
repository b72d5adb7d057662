using System.Diagnostics;
using System.Globalization;
using System.Text;
using Recur.IO;

namespace Recur.Training;

/// <summary>
/// One training loop for every task (<see cref="ITrainingTask"/>): iteration <c>k</c> runs the task's
/// <see cref="ITrainingTask.TrainStep"/>, clips the gradient (global L2 norm, or each element), and takes one
/// optimizer step at the learning rate of the schedule (step decay every so many epochs, or cosine over the
/// run's limit). Every <see cref="TrainOptions.EvalEvery"/> iterations it evaluates the task and, with an
/// <see cref="OutputDirectory"/>, writes <c>latest/</c>, <c>best/</c> (lowest validation figure of <see cref="ITrainingTask.BestBy"/>,
/// the loss unless the task names a metric), <c>metrics.jsonl</c>
/// and <c>loss.png</c> (<see cref="RunFolder"/>). It stops at the iteration, epoch or time limit, on Ctrl-C
/// (saving <c>latest/</c>), on a non-finite loss or gradient (saving nothing), or, with
/// <see cref="TrainOptions.Patience"/>, after that many evaluations without a new best (early stopping).
/// <para>
/// Exact resume: weights, optimizer buffers and step count, the random stream, the task's data position and
/// carried state, and the loss history go into every checkpoint, and the learning rate is a function of the
/// iteration, so a resumed run gives the same losses, bit for bit, as one that never stopped.
/// </para>
/// <para>
/// With <see cref="TrainOptions.Ema"/> the trainer keeps an exponential moving average of the weights
/// (<see cref="WeightAverage"/>): evaluation, previews and the checkpoints' weights use the average, and the
/// optimizer's own weights travel in the training state.
/// </para>
/// </summary>
public sealed partial class Trainer
{
    private readonly List<double> _trainLosses = [];
    private readonly List<long> _valIterations = [];
    private readonly List<double> _valLosses = [];
    private readonly LearningRateSchedule _schedule;
    private readonly double _elapsedBefore;
    private double _sessionSeconds;
    private long _checkpointIteration = -1;
    private readonly WeightAverage? _average;
    private float[]? _rawWeights;

    /// <summary>
    /// A trainer for <paramref name="task"/>, whose model has been initialised from <paramref name="rng"/> (which
    /// then serves dropout). <paramref name="state"/> continues a saved run (the weights already loaded);
    /// <paramref name="averageStart"/>, with <see cref="TrainOptions.Ema"/>, the average to continue from.
    /// </summary>
    public Trainer(ITrainingTask task, TrainOptions options, Rng rng, TrainingState? state = null, ReadOnlySpan<float> averageStart = default)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(rng);
        Task = task;
        Options = options;
        Rng = rng;
        task.Threads = options.EffectiveThreads;
        Optimizer = CreateOptimizer(options, task.Store);
        Optimizer.Threads = options.EffectiveThreads;
        _schedule = options.LrDecay < 1
            ? new StepDecaySchedule(options.LearningRate, options.LrDecay, Math.Max(1, (long)Math.Round(options.LrDecayEvery * task.BatchesPerEpoch)))
            : new ConstantSchedule(options.LearningRate);
        int count = task.Store.Count;
        if (state is not null)
        {
            if (state.OptimizerName != options.Optimizer)
                throw new ArgumentException($"the checkpoint's optimizer is {state.OptimizerName}; it cannot be resumed with --optimizer {options.Optimizer}.");
            try { Optimizer.LoadState(state.OptimizerBuffers, state.OptimizerSteps); }
            catch (ArgumentException e) { throw new CheckpointFormatException($"optimizer state does not fit: {e.Message}", e); }
            Rng.State = state.RngState;
            _trainLosses.AddRange(state.TrainLosses);
            _valIterations.AddRange(state.ValIterations);
            _valLosses.AddRange(state.ValLosses);
            _valChoices.AddRange(ResumedChoices(state, task.BestBy));
            _elapsedBefore = state.ElapsedSeconds;
            _checkpointIteration = state.Iteration;
        }
        if (options.Ema > 0)
            _average = new WeightAverage(options.Ema, averageStart.IsEmpty ? task.Store.Values.AsSpan(0, count) : averageStart);
        state?.TrainWeights?.AsSpan().CopyTo(task.Store.Values.AsSpan(0, count));
        SmoothLoss = double.NaN;
    }

    /// <summary>The task being trained.</summary>
    public ITrainingTask Task { get; }

    /// <summary>The options of this run.</summary>
    public TrainOptions Options { get; }

    /// <summary>The optimizer.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>The random stream of the initialisation and of dropout.</summary>
    public Rng Rng { get; }

    /// <summary>Run folder for checkpoints, <c>metrics.jsonl</c> and <c>loss.png</c>; null writes nothing.</summary>
    public string? OutputDirectory { get; set; }

    /// <summary>Updates done so far.</summary>
    public long Iteration => _trainLosses.Count;

    /// <summary>Fractional epochs done.</summary>
    public double Epoch => Task.EpochProgress;

    /// <summary>Every iteration's training loss.</summary>
    public IReadOnlyList<double> TrainLosses => _trainLosses;

    /// <summary>The iteration of every evaluation.</summary>
    public IReadOnlyList<long> ValIterations => _valIterations;

    /// <summary>Every evaluation's validation loss.</summary>
    public IReadOnlyList<double> ValLosses => _valLosses;

    /// <summary>The metrics of the last evaluation (empty before the first of this invocation).</summary>
    public TaskMetrics? LastMetrics { get; private set; }

    /// <summary>Moving average of the training loss, for display (NaN before the first iteration of this invocation).</summary>
    public double SmoothLoss { get; private set; }

    /// <summary>Training wall-clock time over all invocations, in seconds.</summary>
    public double ElapsedSeconds => _elapsedBefore + _sessionSeconds;

    /// <summary>The learning rate of the next update (step schedules; see <see cref="Run"/> for cosine).</summary>
    public double LearningRate => _schedule.At(Iteration);

    /// <summary>The averaged weights (<see cref="TrainOptions.Ema"/>), or null when the run does not average.</summary>
    public WeightAverage? Average => _average;

    /// <summary>
    /// Trains until a limit in <see cref="Options"/> is reached, <paramref name="cancellation"/> is
    /// signalled, the loss turns NaN/infinite, or (with <see cref="TrainOptions.Patience"/>) validation stops
    /// improving. Evaluates and checkpoints on the way; at a normal stop evaluates once more and saves; when
    /// cancelled saves <c>latest</c> only; on a non-finite loss saves nothing (the previous checkpoint stays the
    /// last good one).
    /// </summary>
    public TrainResult Run(TrainingMonitor? monitor = null, CancellationToken cancellation = default)
    {
        var o = Options;
        var clock = Stopwatch.StartNew();
        double startSession = _sessionSeconds;
        double trainSeconds = 0, lastEvalSeconds = 0;
        long items = 0, startIteration = Iteration;
        double smooth = 0;
        int smoothCount = 0;
        int K = Task.BatchesPerEpoch;
        long limitIters = o.MaxIters > 0 ? o.MaxIters : long.MaxValue;
        if (o.MaxEpochs > 0) limitIters = Math.Min(limitIters, (long)Math.Ceiling(o.MaxEpochs * K));
        double budget = o.Minutes > 0 ? o.Minutes * 60 : double.PositiveInfinity;
        var folder = OutputDirectory is null ? null : new RunFolder(OutputDirectory);
        folder?.Prepare(Iteration);
        var metrics = folder?.OpenMetrics();
        monitor?.OnStart(this);

        StopReason reason;
        string message;
        try
        {
            while (true)
            {
                double now = clock.Elapsed.TotalSeconds;
                _sessionSeconds = startSession + now;
                if (Iteration >= limitIters)
                {
                    reason = o.MaxIters > 0 && Iteration >= o.MaxIters ? StopReason.MaxIters : StopReason.MaxEpochs;
                    message = $"reached {(reason == StopReason.MaxIters ? $"--max-iters {o.MaxIters}" : $"--max-epochs {Fmt(o.MaxEpochs)}")}";
                    break;
                }
                if (now + lastEvalSeconds >= budget) { reason = StopReason.TimeBudget; message = $"used the --minutes {Fmt(o.Minutes)} budget"; break; }
                if (cancellation.IsCancellationRequested) { reason = StopReason.Cancelled; message = "interrupted"; break; }
                if (PatienceExhausted())
                {
                    reason = StopReason.EarlyStop;
                    message = $"no new best validation {BestBy} in {o.Patience} evaluation(s) (--patience {o.Patience}); "
                        + $"best {Fmt(BestValue, "F4")} at iteration {BestIteration}";
                    break;
                }

                double t0 = clock.Elapsed.TotalSeconds;
                double lr = o.LrSchedule == "cosine" ? CosineRate(limitIters) : _schedule.At(Iteration);
                Optimizer.LearningRate = lr;
                double loss = Task.TrainStep(Rng);
                double norm = double.NaN;
                if (double.IsFinite(loss))
                {
                    var grads = Task.Store.Grads.AsSpan(0, Task.Store.Count);
                    if (o.GradClip > 0 && o.ClipMode == "norm") norm = GradClip.ClipByNorm(grads, (float)o.GradClip, Task.Threads);
                    else
                    {
                        norm = GradClip.GlobalNorm(grads, Task.Threads);
                        if (o.GradClip > 0 && double.IsFinite(norm)) GradClip.ClipByValue(grads, (float)o.GradClip);
                    }
                }
                if (!double.IsFinite(loss) || !double.IsFinite(norm))
                {
                    reason = StopReason.NonFinite;
                    string what = !double.IsFinite(loss) ? $"the loss became {loss}" : $"the gradient norm became {norm}";
                    string kept = OutputDirectory is null ? "nothing is saved" : KeptCheckpoint();
                    message = $"{what} at iteration {Iteration + 1} (epoch {Fmt(Epoch, "F2")}); stopped without saving, {kept}. Try a lower --lr, a smaller "
                        + "--grad-clip, or --clip-mode norm";
                    _sessionSeconds = startSession + clock.Elapsed.TotalSeconds;
                    break;
                }
                Optimizer.Step();
                _trainLosses.Add(loss);
                _average?.Update(Task.Store.Values.AsSpan(0, Task.Store.Count), Iteration, Task.Threads);
                items += Task.ItemsPerStep;
                trainSeconds += clock.Elapsed.TotalSeconds - t0;
                smooth = 0.98 * smooth + 0.02 * loss;
                smoothCount++;
                SmoothLoss = smooth / (1 - Math.Pow(0.98, smoothCount));
                now = clock.Elapsed.TotalSeconds;
                _sessionSeconds = startSession + now;

                double ips = trainSeconds > 0 ? items / trainSeconds : 0;
                var (progress, eta, total) = Estimate(limitIters, budget, now, startIteration);
                var report = new IterationReport(Iteration, Epoch, loss, SmoothLoss, lr, norm, ips, now, progress, eta, total);
                metrics?.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{{\"type\":\"train\",\"iter\":{Iteration},\"epoch\":{Epoch:R},\"loss\":{loss:R},\"lr\":{lr:R},\"grad_norm\":{norm:R},"
                    + $"\"{(Task.ItemName == "tok" ? "tokens" : "items")}_per_s\":{ips:F0},\"elapsed_s\":{ElapsedSeconds:F3}}}"));
                monitor?.OnIteration(this, report);

                if (o.SampleEvery > 0 && Iteration % o.SampleEvery == 0) monitor?.OnSampleDue(this);
                if (Iteration % o.EvalEvery == 0 && Iteration < limitIters)
                {
                    double e0 = clock.Elapsed.TotalSeconds;
                    EvaluateAndSave(monitor, metrics, clock, startSession, folder);
                    lastEvalSeconds = clock.Elapsed.TotalSeconds - e0;
                }
            }

            if (reason == StopReason.Cancelled)
            {
                if (_checkpointIteration != Iteration) SaveCheckpoints(monitor, valLoss: double.NaN, isBest: false, clock, startSession, folder);
            }
            else if (reason != StopReason.NonFinite)
            {
                bool evaluatedHere = !Task.HasValidation || _valIterations.Count > 0 && _valIterations[^1] == Iteration;
                if (!evaluatedHere || _checkpointIteration != Iteration) EvaluateAndSave(monitor, metrics, clock, startSession, folder);
            }
            metrics?.Flush();
        }
        catch (Exception e) when (folder is not null && e is IOException or UnauthorizedAccessException)
        {
            reason = StopReason.SaveFailed;
            message = SaveFailure(e, folder);
        }
        finally
        {
            try { metrics?.Dispose(); }
            catch (IOException) { }  // the unwritable tail of metrics.jsonl is dropped; resume skips a broken line
        }
        _sessionSeconds = startSession + clock.Elapsed.TotalSeconds;
        double last = _valLosses.Count > 0 ? _valLosses[^1] : double.NaN;
        var result = new TrainResult(reason, Iteration, Epoch, last, BestValLoss, clock.Elapsed.TotalSeconds, message)
        {
            Hint = OverfittingHint(), BestBy = BestBy, BestValue = BestValue,
        };
        monitor?.OnStop(this, result);
        return result;
    }

    /// <summary>
    /// The cosine schedule's rate for the next update: progress is the larger of the iterations done out of
    /// the iteration limit and the run's elapsed time (all sessions) out of <c>--minutes</c>.
    /// </summary>
    private double CosineRate(long limitIters)
    {
        double pIters = limitIters == long.MaxValue ? 0 : (double)Iteration / limitIters;
        double pTime = Options.Minutes > 0 ? ElapsedSeconds / (Options.Minutes * 60) : 0;
        return CosineWarmupSchedule.Anneal(Options.LearningRate, Options.LrMin, Math.Max(pIters, pTime));
    }

    /// <summary>What a run that could not write its folder says: the error, and which checkpoint is left.</summary>
    private string SaveFailure(Exception e, RunFolder folder) =>
        $"could not write the run folder {folder.Directory} at iteration {Iteration} ({e.Message.TrimEnd('.')}); stopped, "
            + $"{KeptCheckpoint(folder.CheckpointPath(CheckpointKind.Latest))}. Free some space or make the folder writable, then --resume";

    /// <summary>Which checkpoint a stopped run leaves: the last good one (and where, when given), or none yet.</summary>
    private string KeptCheckpoint(string? where = null) => _checkpointIteration >= 0
        ? $"the last good checkpoint (iteration {_checkpointIteration}) is kept{(where is null ? "" : $" in {where}")}"
        : "no checkpoint had been saved yet";

    private (double Progress, double Eta, long Total) Estimate(long limitIters, double budget, double now, long startIteration)
    {
        double done = Iteration - startIteration;
        double rate = now > 0 ? done / now : 0; // iterations per second, evaluations included
        double pIters = limitIters == long.MaxValue ? 0 : (double)Iteration / limitIters;
        double pTime = double.IsFinite(budget) ? now / budget : 0;
        double etaIters = limitIters == long.MaxValue || rate <= 0 ? double.PositiveInfinity : (limitIters - Iteration) / rate;
        double etaTime = double.IsFinite(budget) ? Math.Max(0, budget - now) : double.PositiveInfinity;
        double eta = Math.Min(etaIters, etaTime);
        long total = etaTime < etaIters ? Iteration + (long)(rate * etaTime) : limitIters == long.MaxValue ? 0 : limitIters;
        return (Math.Clamp(Math.Max(pIters, pTime), 0, 1), double.IsFinite(eta) ? eta : double.NaN, total);
    }

    private static string Fmt(object? v) => Convert.ToString(v, CultureInfo.InvariantCulture) ?? "";

    private static string Fmt(double v, string format = "G") => v.ToString(format, CultureInfo.InvariantCulture);
}
