using System.Diagnostics;
using System.Text;
using Recur.Data;
using Recur.Models;
using Recur.Nn.Cells;
using Recur.Tasks;

using Recur.Training;

namespace Recur.Tasks.CharLm;

/// <summary>
/// <c>recur compare</c>: races models side by side. Each model of <see cref="Models"/> is trained in turn, by a fresh
/// <see cref="CharLmDefinition"/>, on the same text, split and batches, with the same <see cref="Options"/> (the same
/// <c>--minutes</c> budget, wall clock, each), except for three things: its cell; its embedding width, which is the
/// hidden width for cells that add their input to the hidden state (<see cref="RecurrentCell.RequiresInputEqualsHidden"/>);
/// and, unless <see cref="CalibrateEvalEvery"/> is off, its evaluation rhythm, chosen so that about
/// <see cref="TargetEvaluations"/> evaluations fall within its limit.
/// <para>
/// Before its run, each model takes a few untimed training steps and a short evaluation on a throwaway copy (built the
/// same way, so the real run is exactly what <c>recur train</c> does with the same options). That warms the JIT, so the
/// first model is not charged for compiling code the others share, and measures the step and evaluation times the
/// evaluation rhythm is chosen from. After its run, <see cref="CharSampler"/> (batch 1, one thread) generates
/// <see cref="SampleLength"/> characters and is timed.
/// </para>
/// </summary>
public sealed class ModelComparison
{
    private readonly Vocabulary _vocabulary;
    private readonly int[] _tokens;
    private readonly string? _source;

    /// <summary>
    /// A comparison of <paramref name="models"/> (registered cell names, each once) with the shared <paramref name="options"/>
    /// over <paramref name="tokens"/> (the whole text encoded with <paramref name="vocabulary"/>). Throws
    /// <see cref="ArgumentException"/> for an unknown or repeated name, invalid options, options without a limit, or a
    /// text too short for the batch.
    /// </summary>
    public ModelComparison(IReadOnlyList<string> models, TrainOptions options, Vocabulary vocabulary, int[] tokens, string? dataSource = null)
    {
        ArgumentNullException.ThrowIfNull(models);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(vocabulary);
        ArgumentNullException.ThrowIfNull(tokens);
        CheckModels(models);
        if (options.Minutes == 0 && options.MaxIters == 0 && options.MaxEpochs == 0)
            throw new ArgumentException("a comparison needs a limit for every model: --minutes, --max-iters or --max-epochs.");
        foreach (string m in models) OptionsFor(options, m).Validate();
        Models = [.. models];
        Options = options;
        _vocabulary = vocabulary;
        _tokens = tokens;
        _source = dataSource ?? options.Data;
        var splits = DataSplits.Create(tokens, options.ValFrac, options.TestFrac);
        _ = new StreamBatcher(splits.Train, options.BatchSize, options.SeqLength, "train"); // too short a text fails here, not after a model
        if (options.ValFrac > 0 && splits.Val.Length < 2)
            throw new ArgumentException($"the validation split has {splits.Val.Length} character(s); it needs at least 2. "
                + "Use a larger --val-frac, more text, or --val-frac 0.");
        Data = new ComparisonData(_source ?? "<memory>", tokens.Length, vocabulary.Count, splits.Train.Length, splits.Val.Length, splits.Test.Length);
    }

    /// <summary>The cells to race, in order.</summary>
    public IReadOnlyList<string> Models { get; }

    /// <summary>The shared options (<see cref="TrainOptions.Model"/> is ignored).</summary>
    public TrainOptions Options { get; }

    /// <summary>The text and its split.</summary>
    public ComparisonData Data { get; }

    /// <summary>
    /// True (the default): each model's <see cref="TrainOptions.EvalEvery"/> is chosen so that about
    /// <see cref="TargetEvaluations"/> evaluations fall within its limit; false: <see cref="Options"/>' value for every model.
    /// </summary>
    public bool CalibrateEvalEvery { get; init; } = true;

    /// <summary>Evaluations per model to aim for when <see cref="CalibrateEvalEvery"/> is on (the final one included).</summary>
    public int TargetEvaluations { get; init; } = 10;

    /// <summary>Characters generated to time the sampler (0: not timed).</summary>
    public int SampleLength { get; init; } = 2000;

    /// <summary>Temperature of the timed sample.</summary>
    public double SampleTemperature { get; init; } = 0.8;

    /// <summary>
    /// When set, each model's run folder (checkpoints, <c>metrics.jsonl</c>, <c>loss.png</c>) goes to <c>RunsDirectory/MODEL</c>; null writes nothing.
    /// </summary>
    public string? RunsDirectory { get; init; }

    /// <summary>
    /// The cell names of a comma-separated list, checked: throws <see cref="ArgumentException"/> naming an unknown or
    /// repeated name and listing the registered ones.
    /// </summary>
    public static IReadOnlyList<string> ParseModels(string list)
    {
        ArgumentNullException.ThrowIfNull(list);
        var names = list.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        CheckModels(names);
        return names;
    }

    private static void CheckModels(IReadOnlyList<string> models)
    {
        if (models.Count == 0) throw new ArgumentException($"no models to compare; the models are {CharModelConfig.ModelNamesText}.");
        var unknown = models.Where(m => !CharModelConfig.IsKnownModel(m)).Distinct().ToList();
        if (unknown.Count > 0)
            throw new ArgumentException($"unknown model{(unknown.Count > 1 ? "s" : "")} {string.Join(", ", unknown.Select(u => $"'{u}'"))}; "
                + $"the models are {CharModelConfig.ModelNamesText}.");
        var repeated = models.GroupBy(m => m).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        if (repeated.Count > 0) throw new ArgumentException($"model{(repeated.Count > 1 ? "s" : "")} {string.Join(", ", repeated)} given more than once.");
    }

    /// <summary>
    /// The options <paramref name="model"/> trains with, before its evaluation rhythm is chosen: <paramref name="shared"/>
    /// with its cell, and <c>embed = hidden</c> for cells that add their input to the hidden state.
    /// </summary>
    public static TrainOptions OptionsFor(TrainOptions shared, string model)
    {
        ArgumentNullException.ThrowIfNull(shared);
        var o = shared with { Model = model };
        return CharModelConfig.EmbedsAtHidden(model) ? o with { Embed = o.Hidden } : o;
    }

    /// <summary>
    /// Trains every model in turn and times its sampler. Ctrl-C (<paramref name="cancellation"/>) ends the current
    /// run as <c>recur train</c> does and skips the rest (<see cref="ComparisonResult.Cancelled"/>). A run that stops
    /// on a non-finite loss is recorded as such and the comparison goes on.
    /// </summary>
    public ComparisonResult Run(ComparisonMonitor? monitor = null, CancellationToken cancellation = default)
    {
        var started = DateTime.Now;
        var runs = new List<ModelRun>();
        bool cancelled = false;
        for (int i = 0; i < Models.Count && !cancelled; i++)
        {
            if (cancellation.IsCancellationRequested) { cancelled = true; break; }
            var o = OptionsFor(Options, Models[i]);
            var timing = WarmUp(o);
            if (CalibrateEvalEvery) o = o with { EvalEvery = EvalEveryFor(o, timing, TargetEvaluations) };
            var trainer = CharLmDefinition.Instance.Create(o, new CharSettings(), new CharText(_vocabulary, _tokens), _source ?? o.Data ?? "<memory>");
            if (RunsDirectory is not null) trainer.OutputDirectory = Path.Combine(RunsDirectory, Models[i]);
            var recorder = new CurveRecorder(monitor?.OnModelStart(i, Models.Count, o), trainer.Task.ItemsPerStep);
            GC.Collect();
            GC.WaitForPendingFinalizers();
            var result = trainer.Run(recorder, cancellation);
            cancelled = result.Reason == StopReason.Cancelled;
            var run = Measure(trainer, result, recorder, cancelled ? 0 : SampleLength);
            runs.Add(run);
            monitor?.OnModelDone(i, Models.Count, run);
        }
        return new ComparisonResult(runs, Options, Data, cancelled, started);
    }

    private ModelRun Measure(Trainer trainer, TrainResult result, CurveRecorder recorder, int sampleLength)
    {
        double tps = recorder.Last.TokensPerSecond;
        long tokens = trainer.Iteration * trainer.Task.ItemsPerStep;
        var (micros, sample) = sampleLength > 0 ? TimeSampler(trainer, sampleLength) : (double.NaN, "");
        return new ModelRun
        {
            Model = trainer.Options.Model,
            Options = trainer.Options,
            Parameters = trainer.Task.Store.Count,
            Iterations = trainer.Iteration,
            Tokens = tokens,
            TrainSeconds = tps > 0 ? tokens / tps : 0,
            WallSeconds = result.Seconds,
            EvalSeconds = recorder.EvalSeconds,
            TokensPerSecond = tps,
            SampleChars = sampleLength,
            SampleMicrosPerChar = micros,
            Sample = sample,
            BestValLoss = trainer.BestValLoss,
            Curve = recorder.Curve,
            Result = result,
        };
    }

    /// <summary>Times <paramref name="length"/> characters of batch-1, one-thread sampling (after 32 untimed ones).</summary>
    private (double Micros, string Sample) TimeSampler(Trainer trainer, int length)
    {
        var sampler = trainer.WithEvaluationWeights(() => new CharSampler(((CharLmTask)trainer.Task).Model, threads: 1));
        if (_vocabulary.Contains(new Rune('\n'))) sampler.Prime("\n", _vocabulary);
        var rng = new Rng(trainer.Options.Seed);
        float temperature = (float)SampleTemperature;
        foreach (var _ in sampler.Sample(_vocabulary, 32, temperature, 0, false, rng)) { }
        var sb = new StringBuilder(length);
        var clock = Stopwatch.StartNew();
        foreach (var r in sampler.Sample(_vocabulary, length, temperature, 0, false, rng)) sb.Append(r.ToString());
        double seconds = clock.Elapsed.TotalSeconds;
        return (seconds * 1e6 / length, sb.ToString());
    }

    /// <summary>Seconds per training step and per evaluation of the validation split, measured on a throwaway copy.</summary>
    internal readonly record struct StepTiming(double StepSeconds, double EvalSeconds, int BatchesPerEpoch);

    private const int WarmUpSteps = 500;
    private const double WarmUpSeconds = 0.3;

    private StepTiming WarmUp(TrainOptions o)
    {
        var model = new CharModel(o.ToModelConfig(_vocabulary.Count));
        var rng = new Rng(o.Seed);
        model.Reset(rng, o.InitialForgetBias);
        var task = new CharLmTask(o, _vocabulary, _tokens, model) { Threads = o.EffectiveThreads };
        var optimizer = Trainer.CreateOptimizer(o, model.Store);
        optimizer.Threads = o.EffectiveThreads;
        void Step()
        {
            task.TrainStep(rng);
            var grads = model.Store.Grads.AsSpan(0, model.Store.Count);
            if (o.GradClip > 0 && o.ClipMode == "norm") GradClip.ClipByNorm(grads, (float)o.GradClip, task.Threads);
            else GradClip.GlobalNorm(grads, task.Threads);
            optimizer.Step();
        }
        // Untimed steps for the JIT (tiered compilation promotes hot methods after a few dozen calls and a short delay),
        // then timed ones: each phase at least one step, at most WarmUpSteps or WarmUpSeconds.
        var clock = Stopwatch.StartNew();
        for (int k = 0; k == 0 || k < WarmUpSteps && clock.Elapsed.TotalSeconds < WarmUpSeconds; k++) Step();
        clock.Restart();
        int steps = 0;
        do { Step(); steps++; } while (steps < WarmUpSteps && clock.Elapsed.TotalSeconds < WarmUpSeconds);
        double step = clock.Elapsed.TotalSeconds / steps;

        double eval = 0;
        var val = task.Splits.Val;
        if (task.HasValidation && val.Length >= 2)
        {
            int n = (int)Math.Min(val.Length, 2L * o.BatchSize * o.SeqLength + 1);
            CharLmTask.Evaluate(model, val[..Math.Min(val.Length, 2 * o.BatchSize + 1)], o.BatchSize, o.SeqLength); // untimed: the JIT
            clock.Restart();
            CharLmTask.Evaluate(model, val[..n], o.BatchSize, o.SeqLength);
            eval = clock.Elapsed.TotalSeconds * val.Length / n;
        }
        return new StepTiming(step, eval, task.BatchesPerEpoch);
    }

    /// <summary>The largest share of a time budget the evaluations should take when choosing the evaluation rhythm.</summary>
    public const double EvaluationShare = 0.25;

    /// <summary>
    /// The evaluation rhythm that puts about <paramref name="target"/> evaluations in the run: the run's expected length in
    /// iterations (its iteration limit, or the time budget less the evaluations' time over the step time, whichever is
    /// smaller) over the number of evaluations. Under a time budget that number is smaller than <paramref name="target"/>
    /// (but at least 2) when that many evaluations would take more than <see cref="EvaluationShare"/> of the budget.
    /// </summary>
    internal static int EvalEveryFor(TrainOptions o, StepTiming timing, int target)
    {
        int evals = Math.Max(1, target);
        double iters = double.PositiveInfinity;
        if (o.MaxIters > 0) iters = o.MaxIters;
        if (o.MaxEpochs > 0) iters = Math.Min(iters, Math.Ceiling(o.MaxEpochs * timing.BatchesPerEpoch));
        if (o.Minutes > 0)
        {
            double budget = o.Minutes * 60;
            if (timing.EvalSeconds > 0)
                evals = (int)Math.Clamp(Math.Floor(EvaluationShare * budget / timing.EvalSeconds), Math.Min(2, evals), evals);
            double training = Math.Max(budget / 2, budget - evals * timing.EvalSeconds);
            iters = Math.Min(iters, training / Math.Max(timing.StepSeconds, 1e-9));
        }
        if (!double.IsFinite(iters)) return o.EvalEvery;
        return (int)Math.Clamp(Math.Floor(iters / evals), 1, int.MaxValue);
    }

    /// <summary>Collects the validation curve and forwards everything to the caller's monitor.</summary>
    private sealed class CurveRecorder(TrainingMonitor? inner, long itemsPerStep) : TrainingMonitor
    {
        private readonly List<CurvePoint> _curve = [];

        public IReadOnlyList<CurvePoint> Curve => _curve;

        public IterationReport Last { get; private set; }

        public double EvalSeconds { get; private set; }

        public override void OnStart(Trainer trainer) => inner?.OnStart(trainer);

        public override void OnIteration(Trainer trainer, in IterationReport report)
        {
            Last = report;
            inner?.OnIteration(trainer, report);
        }

        public override void OnEvaluation(Trainer trainer, in EvaluationReport report)
        {
            EvalSeconds += report.Seconds;
            long tokens = report.Iteration * itemsPerStep;
            // The trainer's throughput is tokens over the seconds spent in training steps, so this is those seconds.
            double trainSeconds = Last.TokensPerSecond > 0 ? Last.Iteration * itemsPerStep / Last.TokensPerSecond : 0;
            _curve.Add(new CurvePoint(report.Iteration, tokens, trainSeconds, trainer.ElapsedSeconds, report.ValLoss));
            inner?.OnEvaluation(trainer, report);
        }

        public override void OnCheckpoint(Trainer trainer, string directory) => inner?.OnCheckpoint(trainer, directory);

        public override void OnSampleDue(Trainer trainer) => inner?.OnSampleDue(trainer);

        public override void OnStop(Trainer trainer, TrainResult result) => inner?.OnStop(trainer, result);
    }
}
