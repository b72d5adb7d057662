using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Recur.Plotting;
using Recur.Analysis;
using Recur.Data;
using Recur.IO;
using Recur.Models;

namespace Recur.Training;

/// <summary>
/// The char-rnn training loop. The training split is cut into <c>B</c> contiguous streams
/// (<see cref="StreamBatcher"/>); iteration <c>k</c> takes the next <c>T</c> characters of every stream,
/// runs <see cref="CharModel.TrainStep"/> (forward, mean cross-entropy, BPTT over the chunk) from the
/// hidden state the previous iteration left (truncated BPTT), resets that state at each epoch start,
/// clips the gradient (global L2 norm, or each element), and takes one optimizer step with the
/// learning rate <c>lr * lr_decay ^ floor(k / (lr_decay_every * K))</c> (<c>K</c> batches per epoch).
/// Every <see cref="TrainOptions.EvalEvery"/> iterations it scores the whole validation split
/// (sequential streams, state carried, <see cref="Evaluate(CharModel, ReadOnlyMemory{int}, int, int)"/>)
/// and, when <see cref="OutputDirectory"/> is set, writes <c>latest/</c>, <c>best/</c> (lowest
/// validation loss), <c>metrics.jsonl</c> and <c>loss.png</c> there.
/// <para>
/// Exact resume: weights, optimizer buffers and step count, the dropout random stream, the batch
/// position, the carried hidden state and the loss history go into every checkpoint, and the learning
/// rate is a function of the iteration, so <see cref="Resume"/> followed by <see cref="Run"/> gives the
/// same losses, bit for bit, as a run that never stopped. Evaluation and sampling save and restore the
/// carried training state and never draw from the training random stream.
/// </para>
/// <para>
/// With <see cref="TrainOptions.Ema"/> the run keeps an exponential moving average of the weights
/// (<see cref="WeightAverage"/>, updated after every step): evaluation, samples and the checkpoints'
/// <c>model.safetensors</c> use the average, and the optimizer's own weights travel in the training state.
/// </para>
/// </summary>
public sealed class CharTrainer
{
    private readonly int[] _x, _y;
    private readonly List<double> _trainLosses;
    private readonly List<long> _valIterations;
    private readonly List<double> _valLosses;
    private readonly LearningRateSchedule _schedule;
    private readonly double _elapsedBefore;
    private double _sessionSeconds;
    private long _checkpointIteration = -1;
    private readonly WeightAverage? _average;
    private float[]? _rawWeights;

    /// <summary>
    /// A new run over <paramref name="tokens"/> (the whole text encoded with <paramref name="vocabulary"/>;
    /// it is split into train/val/test by the options' fractions). The model is initialised from
    /// <see cref="TrainOptions.Seed"/>, or takes <paramref name="initialWeights"/> (same architecture).
    /// Throws <see cref="ArgumentException"/> with a message naming the option for invalid options or
    /// text too short for the batch.
    /// </summary>
    public CharTrainer(TrainOptions options, Vocabulary vocabulary, int[] tokens, CharModel? initialWeights = null, string? dataSource = null)
        : this(options, vocabulary, tokens, dataSource, state: null, init: initialWeights)
    {
    }

    private CharTrainer(TrainOptions options, Vocabulary vocabulary, int[] tokens, string? dataSource, TrainingState? state, CharModel? init)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(vocabulary);
        ArgumentNullException.ThrowIfNull(tokens);
        options.Validate();
        Options = options;
        Vocabulary = vocabulary;
        var config = options.ToModelConfig(vocabulary.Count);
        Splits = DataSplits.Create(tokens, options.ValFrac, options.TestFrac);
        Batcher = new StreamBatcher(Splits.Train, options.BatchSize, options.SeqLength, "train");
        if (options.ValFrac > 0 && Splits.Val.Length < 2)
            throw new ArgumentException($"the validation split has {Splits.Val.Length} character(s); it needs at least 2. Use a larger --val-frac, more text, or --val-frac 0.");
        Data = new DataInfo(dataSource ?? options.Data ?? "<memory>", tokens.Length, Checkpoint.TokenChecksum(tokens));
        Model = new CharModel(config) { Threads = options.EffectiveThreads };
        Rng = new Rng(options.Seed);
        Model.Reset(Rng);
        if (init is not null)
        {
            CheckSameArchitecture(init.Config, config, "--init-from");
            init.Store.Values.AsSpan(0, Model.Store.Count).CopyTo(Model.Store.Values);
        }
        Optimizer = CreateOptimizer(options, Model);
        Optimizer.Threads = options.EffectiveThreads;
        _schedule = options.LrDecay < 1
            ? new StepDecaySchedule(options.LearningRate, options.LrDecay, Math.Max(1, (long)Math.Round(options.LrDecayEvery * Batcher.BatchesPerEpoch)))
            : new ConstantSchedule(options.LearningRate);
        _x = new int[options.SeqLength * options.BatchSize];
        _y = new int[_x.Length];
        _trainLosses = [];
        _valIterations = [];
        _valLosses = [];
        if (state is not null)
        {
            if (state.OptimizerName != options.Optimizer)
                throw new ArgumentException($"the checkpoint's optimizer is {state.OptimizerName}; it cannot be resumed with --optimizer {options.Optimizer}.");
            try { Optimizer.LoadState(state.OptimizerBuffers, state.OptimizerSteps); }
            catch (ArgumentException e) { throw new CheckpointFormatException($"optimizer state does not fit: {e.Message}", e); }
            Rng.State = state.RngState;
            try { Batcher.Position = state.Position; }
            catch (ArgumentOutOfRangeException e) { throw new ArgumentException(e.Message, e); }
            Model.SetState(state.Hidden, state.Cell);
            _trainLosses.AddRange(state.TrainLosses);
            _valIterations.AddRange(state.ValIterations);
            _valLosses.AddRange(state.ValLosses);
            _elapsedBefore = state.ElapsedSeconds;
            _checkpointIteration = state.Iteration;
        }
        int count = Model.Store.Count;
        if (options.Ema > 0)
        {
            // Resuming an averaged run: the checkpoint's weights are the average, the state holds the optimizer's.
            var start = state?.TrainWeights is not null ? init!.Store.Values.AsSpan(0, count) : Model.Store.Values.AsSpan(0, count);
            _average = new WeightAverage(options.Ema, start);
        }
        state?.TrainWeights?.AsSpan().CopyTo(Model.Store.Values.AsSpan(0, count));
        SmoothLoss = double.NaN;
    }

    /// <summary>
    /// Continues the run saved in <paramref name="checkpoint"/> (loaded with <see cref="CheckpointKind.Latest"/>)
    /// over the same <paramref name="tokens"/>. <paramref name="options"/> are the run's options with any
    /// changes the caller allows (stopping limits, evaluation rhythm, threads, learning-rate settings);
    /// the architecture, sequence length, batch size, optimizer, split fractions and the text must be the
    /// same. With unchanged options the continuation is bit-identical to the uninterrupted run.
    /// </summary>
    public static CharTrainer Resume(LoadedCheckpoint checkpoint, int[] tokens, TrainOptions options)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        ArgumentNullException.ThrowIfNull(tokens);
        ArgumentNullException.ThrowIfNull(options);
        var saved = checkpoint.Training ?? throw new CheckpointFormatException($"{checkpoint.Directory}: config.json records no training options, so the run cannot be resumed (use --init-from to start from its weights).");
        var diffs = new List<string>();
        void Same<T>(string name, T a, T b) { if (!EqualityComparer<T>.Default.Equals(a, b)) diffs.Add($"--{name} {Fmt(b)} (the run used {Fmt(a)})"); }
        Same("model", saved.Model, options.Model);
        Same("nonlinearity", saved.Nonlinearity, options.Nonlinearity);
        Same("hidden", saved.Hidden, options.Hidden);
        Same("layers", saved.Layers, options.Layers);
        Same("embed", saved.Embed, options.Embed);
        Same("seq-length", saved.SeqLength, options.SeqLength);
        Same("batch-size", saved.BatchSize, options.BatchSize);
        Same("optimizer", saved.Optimizer, options.Optimizer);
        Same("val-frac", saved.ValFrac, options.ValFrac);
        Same("test-frac", saved.TestFrac, options.TestFrac);
        if (diffs.Count > 0) throw new ArgumentException($"cannot resume with different settings: {string.Join("; ", diffs)}.");
        if (checkpoint.Data is { } data)
        {
            string sum = Checkpoint.TokenChecksum(tokens);
            if (data.Characters != tokens.Length || data.Checksum != sum)
                throw new ArgumentException($"the text ({tokens.Length} characters) is not the one this run was trained on ({data.Source}, {data.Characters} characters); resume with the same file.");
        }
        var config = options.ToModelConfig(checkpoint.Vocabulary.Count);
        var state = TrainingState.Read(checkpoint.StatePath, checkpoint.Model.Store.Count, config.Layers, options.BatchSize, config.Hidden);
        var trainer = new CharTrainer(options, checkpoint.Vocabulary, tokens, checkpoint.Data?.Source ?? options.Data, state, checkpoint.Model);
        if (checkpoint.RunDirectory is not null) trainer.OutputDirectory = checkpoint.RunDirectory;
        return trainer;
    }

    /// <summary>The options of this run.</summary>
    public TrainOptions Options { get; }

    /// <summary>The model's characters.</summary>
    public Vocabulary Vocabulary { get; }

    /// <summary>The model being trained.</summary>
    public CharModel Model { get; }

    /// <summary>The optimizer.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>The random stream of the initialisation and of dropout.</summary>
    public Rng Rng { get; }

    /// <summary>The train / validation / test splits.</summary>
    public DataSplits Splits { get; }

    /// <summary>The training batcher (its position is the next batch).</summary>
    public StreamBatcher Batcher { get; }

    /// <summary>The text's source, size and checksum (recorded in checkpoints).</summary>
    public DataInfo Data { get; }

    /// <summary>Run folder for checkpoints, <c>metrics.jsonl</c> and <c>loss.png</c>; null writes nothing.</summary>
    public string? OutputDirectory { get; set; }

    /// <summary>Updates done so far.</summary>
    public long Iteration => _trainLosses.Count;

    /// <summary>Fractional epochs done.</summary>
    public double Epoch => Batcher.EpochProgress;

    /// <summary>Every iteration's training loss, nats per character.</summary>
    public IReadOnlyList<double> TrainLosses => _trainLosses;

    /// <summary>The iteration of every evaluation.</summary>
    public IReadOnlyList<long> ValIterations => _valIterations;

    /// <summary>Every evaluation's validation loss.</summary>
    public IReadOnlyList<double> ValLosses => _valLosses;

    /// <summary>The lowest validation loss so far, or NaN.</summary>
    public double BestValLoss => _valLosses.Count == 0 ? double.NaN : _valLosses.Min();

    /// <summary>Moving average of the training loss, for display (NaN before the first iteration of this invocation).</summary>
    public double SmoothLoss { get; private set; }

    /// <summary>Training wall-clock time over all invocations, in seconds.</summary>
    public double ElapsedSeconds => _elapsedBefore + _sessionSeconds;

    /// <summary>The learning rate of the next update.</summary>
    public double LearningRate => _schedule.At(Iteration);

    /// <summary>
    /// Trains until a limit in <see cref="Options"/> is reached, <paramref name="cancellation"/> is
    /// signalled, or the loss turns NaN/infinite. Evaluates and checkpoints on the way; at a normal stop
    /// evaluates once more and saves; when cancelled saves <c>latest</c> only; on a non-finite loss saves
    /// nothing (the previous checkpoint stays the last good one).
    /// </summary>
    public TrainResult Run(TrainingMonitor? monitor = null, CancellationToken cancellation = default)
    {
        var o = Options;
        var clock = Stopwatch.StartNew();
        double startSession = _sessionSeconds;
        double trainSeconds = 0, lastEvalSeconds = 0;
        long tokens = 0, startIteration = Iteration;
        double smooth = 0;
        int smoothCount = 0;
        int T = o.SeqLength, B = o.BatchSize, K = Batcher.BatchesPerEpoch;
        long limitIters = o.MaxIters > 0 ? o.MaxIters : long.MaxValue;
        if (o.MaxEpochs > 0) limitIters = Math.Min(limitIters, (long)Math.Ceiling(o.MaxEpochs * K));
        double budget = o.Minutes > 0 ? o.Minutes * 60 : double.PositiveInfinity;
        if (OutputDirectory is not null) PrepareRunFolder();
        using var metrics = OutputDirectory is null ? null : new StreamWriter(Path.Combine(OutputDirectory, MetricsFile), append: true, new UTF8Encoding(false));
        monitor?.OnStart(this);

        StopReason reason;
        string message;
        while (true)
        {
            double now = clock.Elapsed.TotalSeconds;
            _sessionSeconds = startSession + now;
            if (Iteration >= limitIters) { reason = o.MaxIters > 0 && Iteration >= o.MaxIters ? StopReason.MaxIters : StopReason.MaxEpochs; message = $"reached {(reason == StopReason.MaxIters ? $"--max-iters {o.MaxIters}" : $"--max-epochs {Fmt(o.MaxEpochs)}")}"; break; }
            if (now + lastEvalSeconds >= budget) { reason = StopReason.TimeBudget; message = $"used the --minutes {Fmt(o.Minutes)} budget"; break; }
            if (cancellation.IsCancellationRequested) { reason = StopReason.Cancelled; message = "interrupted"; break; }

            double t0 = clock.Elapsed.TotalSeconds;
            var info = Batcher.Next(_x, _y);
            if (info.StartsEpoch) Model.ResetState();
            double lr = o.LrSchedule == "cosine" ? CosineRate(limitIters) : _schedule.At(Iteration);
            Optimizer.LearningRate = lr;
            double loss = Model.TrainStep(_x, _y, T, B, Rng);
            double norm = double.NaN;
            if (double.IsFinite(loss))
            {
                var grads = Model.Store.Grads.AsSpan(0, Model.Store.Count);
                if (o.GradClip > 0 && o.ClipMode == "norm") norm = GradClip.ClipByNorm(grads, (float)o.GradClip, Model.Threads);
                else
                {
                    norm = GradClip.GlobalNorm(grads, Model.Threads);
                    if (o.GradClip > 0 && double.IsFinite(norm)) GradClip.ClipByValue(grads, (float)o.GradClip);
                }
            }
            if (!double.IsFinite(loss) || !double.IsFinite(norm))
            {
                reason = StopReason.NonFinite;
                string what = !double.IsFinite(loss) ? $"the loss became {loss}" : $"the gradient norm became {norm}";
                string kept = OutputDirectory is null ? "nothing is saved"
                    : _checkpointIteration >= 0 ? $"the last good checkpoint (iteration {_checkpointIteration}) is kept"
                    : "no checkpoint had been saved yet";
                message = $"{what} at iteration {Iteration + 1} (epoch {Fmt(Epoch, "F2")}); stopped without saving, {kept}. Try a lower --lr, a smaller --grad-clip, or --clip-mode norm";
                _sessionSeconds = startSession + clock.Elapsed.TotalSeconds;
                break;
            }
            Optimizer.Step();
            _trainLosses.Add(loss);
            _average?.Update(Model.Store.Values.AsSpan(0, Model.Store.Count), Iteration, Model.Threads);
            tokens += (long)T * B;
            trainSeconds += clock.Elapsed.TotalSeconds - t0;
            smooth = 0.98 * smooth + 0.02 * loss;
            smoothCount++;
            SmoothLoss = smooth / (1 - Math.Pow(0.98, smoothCount));
            now = clock.Elapsed.TotalSeconds;
            _sessionSeconds = startSession + now;

            double tps = trainSeconds > 0 ? tokens / trainSeconds : 0;
            var (progress, eta, total) = Estimate(limitIters, budget, now, startIteration);
            var report = new IterationReport(Iteration, Epoch, loss, SmoothLoss, lr, norm, tps, now, progress, eta, total);
            if (metrics is not null)
                metrics.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{{\"type\":\"train\",\"iter\":{Iteration},\"epoch\":{Epoch:R},\"loss\":{loss:R},\"lr\":{lr:R},\"grad_norm\":{norm:R},\"tokens_per_s\":{tps:F0},\"elapsed_s\":{ElapsedSeconds:F3}}}"));
            monitor?.OnIteration(this, report);

            if (o.SampleEvery > 0 && Iteration % o.SampleEvery == 0) monitor?.OnSampleDue(this);
            if (Iteration % o.EvalEvery == 0 && Iteration < limitIters)
            {
                double e0 = clock.Elapsed.TotalSeconds;
                EvaluateAndSave(monitor, metrics, clock, startSession);
                lastEvalSeconds = clock.Elapsed.TotalSeconds - e0;
            }
        }

        if (reason == StopReason.Cancelled)
        {
            if (_checkpointIteration != Iteration) SaveCheckpoints(monitor, valLoss: double.NaN, isBest: false, clock, startSession);
        }
        else if (reason != StopReason.NonFinite)
        {
            bool evaluatedHere = Options.ValFrac == 0 || _valIterations.Count > 0 && _valIterations[^1] == Iteration;
            if (!evaluatedHere || _checkpointIteration != Iteration) EvaluateAndSave(monitor, metrics, clock, startSession);
        }
        metrics?.Flush();
        _sessionSeconds = startSession + clock.Elapsed.TotalSeconds;
        double last = _valLosses.Count > 0 ? _valLosses[^1] : double.NaN;
        var result = new TrainResult(reason, Iteration, Epoch, last, BestValLoss, clock.Elapsed.TotalSeconds, message);
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

    /// <summary>The name of the per-iteration metrics file in the run folder.</summary>
    public const string MetricsFile = "metrics.jsonl";

    /// <summary>The name of the loss plot in the run folder.</summary>
    public const string PlotFile = "loss.png";

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

    private void EvaluateAndSave(TrainingMonitor? monitor, StreamWriter? metrics, Stopwatch clock, double startSession)
    {
        double e0 = clock.Elapsed.TotalSeconds;
        double val = double.NaN;
        bool best = false;
        if (Options.ValFrac > 0)
        {
            val = Evaluate(Splits.Val);
            best = _valLosses.Count == 0 || val < _valLosses.Min();
            long prevIter = _valIterations.Count > 0 ? _valIterations[^1] : 0;
            double trainMean = MeanTrainLoss(prevIter, Iteration);
            _valIterations.Add(Iteration);
            _valLosses.Add(val);
            double secs = clock.Elapsed.TotalSeconds - e0;
            _sessionSeconds = startSession + clock.Elapsed.TotalSeconds;
            var report = new EvaluationReport(Iteration, Epoch, val, trainMean, best, secs);
            metrics?.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{{\"type\":\"val\",\"iter\":{Iteration},\"epoch\":{Epoch:R},\"val_loss\":{val:R},\"val_bpc\":{report.ValBitsPerChar:R},\"train_loss\":{Json(trainMean)},\"best\":{(best ? "true" : "false")},\"eval_s\":{secs:F3},\"elapsed_s\":{ElapsedSeconds:F3}}}"));
            metrics?.Flush();
            monitor?.OnEvaluation(this, report);
        }
        SaveCheckpoints(monitor, val, best || Options.ValFrac == 0, clock, startSession);
        if (OutputDirectory is not null) WritePlot();
    }

    private void SaveCheckpoints(TrainingMonitor? monitor, double valLoss, bool isBest, Stopwatch clock, double startSession)
    {
        _sessionSeconds = startSession + clock.Elapsed.TotalSeconds;
        if (OutputDirectory is null) { _checkpointIteration = Iteration; return; }
        var state = CaptureState();
        double trainLoss = MeanTrainLoss(Math.Max(0, Iteration - Options.EvalEvery), Iteration);
        var progress = new CheckpointProgress(Iteration, Epoch, double.IsNaN(trainLoss) ? null : trainLoss,
            double.IsNaN(valLoss) ? null : valLoss, double.IsNaN(BestValLoss) ? null : BestValLoss, ElapsedSeconds);
        string latest = Path.Combine(OutputDirectory, Checkpoint.FolderName(CheckpointKind.Latest));
        string? best = isBest ? Path.Combine(OutputDirectory, Checkpoint.FolderName(CheckpointKind.Best)) : null;
        WithEvaluationWeights(() =>
        {
            Checkpoint.Save(latest, Model, Vocabulary, Options, progress, Data, state);
            if (best is not null) Checkpoint.Save(best, Model, Vocabulary, Options, progress, Data, state);
            return true;
        });
        monitor?.OnCheckpoint(this, latest);
        if (best is not null) monitor?.OnCheckpoint(this, best);
        _checkpointIteration = Iteration;
    }

    /// <summary>Everything needed to continue exactly from here (see <see cref="TrainingState"/>).</summary>
    public TrainingState CaptureState() => new()
    {
        OptimizerName = Options.Optimizer,
        OptimizerSteps = Optimizer.StepCount,
        OptimizerBuffers = Optimizer.State.ToDictionary(kv => kv.Key, kv => (float[])kv.Value.Clone(), StringComparer.Ordinal),
        RngState = Rng.State,
        Position = Batcher.Position,
        Iteration = Iteration,
        Hidden = Batcher.Position.Batch == 0 ? null : Model.HiddenState?.Clone(),
        Cell = Batcher.Position.Batch == 0 ? null : Model.CellState?.Clone(),
        TrainLosses = [.. _trainLosses],
        ValIterations = [.. _valIterations],
        ValLosses = [.. _valLosses],
        ElapsedSeconds = ElapsedSeconds,
        TrainWeights = _average is null ? null : Model.Store.Values.AsSpan(0, Model.Store.Count).ToArray(),
    };

    /// <summary>The averaged weights (<see cref="TrainOptions.Ema"/>), or null when the run does not average.</summary>
    public WeightAverage? Average => _average;

    /// <summary>
    /// Runs <paramref name="action"/> with the model holding the weights that evaluation, sampling and
    /// checkpoints use: the average with <see cref="TrainOptions.Ema"/>, else the training weights (then it
    /// just runs). The training weights are put back afterwards, bit for bit.
    /// </summary>
    public T WithEvaluationWeights<T>(Func<T> action)
    {
        ArgumentNullException.ThrowIfNull(action);
        if (_average is null) return action();
        var w = Model.Store.Values.AsSpan(0, Model.Store.Count);
        _rawWeights ??= new float[w.Length];
        w.CopyTo(_rawWeights);
        _average.Values.CopyTo(w);
        try { return action(); }
        finally { _rawWeights.CopyTo(Model.Store.Values.AsSpan(0, Model.Store.Count)); }
    }

    private double MeanTrainLoss(long fromIteration, long toIteration)
    {
        if (toIteration <= fromIteration) return double.NaN;
        double s = 0;
        for (long i = fromIteration; i < toIteration; i++) s += _trainLosses[(int)i];
        return s / (toIteration - fromIteration);
    }

    /// <summary>
    /// Mean cross-entropy (nats per character) of the model on <paramref name="tokens"/> (with the averaged
    /// weights when the run averages), with the training state saved before and restored after, so
    /// training continues unaffected.
    /// </summary>
    public double Evaluate(ReadOnlyMemory<int> tokens)
    {
        var (h, c) = (Model.HiddenState?.Clone(), Model.CellState?.Clone());
        try { return WithEvaluationWeights(() => Evaluate(Model, tokens, Options.BatchSize, Options.SeqLength)); }
        finally { Model.SetState(h, c); }
    }

    /// <summary>
    /// Mean cross-entropy (nats per character) of <paramref name="model"/> on <paramref name="tokens"/>:
    /// the <c>n - 1</c> next-character predictions are cut into <c>min(batchSize, n - 1)</c> contiguous
    /// streams (<see cref="SequentialBatcher"/>) read in chunks of <paramref name="seqLength"/> steps from a
    /// zero state carried across chunks; the result is <c>-(1/N) sum log p(x_{t+1} | x_{≤t})</c> over all
    /// <c>N</c> scored predictions. Leaves the model's carried state at the end of the streams.
    /// </summary>
    public static double Evaluate(CharModel model, ReadOnlyMemory<int> tokens, int batchSize, int seqLength)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (tokens.Length < 2) throw new ArgumentException($"evaluation needs at least 2 characters, got {tokens.Length}.", nameof(tokens));
        int b = Math.Min(batchSize, tokens.Length - 1);
        var seq = new SequentialBatcher(tokens, b, seqLength, "evaluation");
        model.ResetState();
        var x = new int[seq.SeqLength * b];
        var y = new int[x.Length];
        double total = 0;
        for (int k = 0; k < seq.ChunkCount; k++)
        {
            int steps = seq.StepsIn(k);
            var xs = steps == seq.SeqLength ? x : new int[steps * b];
            var ys = steps == seq.SeqLength ? y : new int[steps * b];
            seq.Fill(k, xs, ys);
            total += model.EvalStep(xs, ys, steps, b) * steps * b;
        }
        return total / seq.TargetCount;
    }

    /// <summary>
    /// A sample of <paramref name="length"/> characters after <paramref name="prime"/> (fed through the
    /// model first; empty starts from a newline when the vocabulary has one): each next character is drawn
    /// from <c>softmax(logits / temperature)</c> with a random stream of its own seeded by
    /// <paramref name="seed"/>. It runs on a <see cref="CharSampler"/> (a copy of the weights), so the
    /// training state and random stream are left untouched.
    /// </summary>
    public string Sample(int length, double temperature = 1.0, ulong seed = 1, string prime = "")
        => WithEvaluationWeights(() => SampleText(Model, Vocabulary, length, temperature, seed, prime));

    /// <summary>The sampling loop of <see cref="Sample"/> on any model (the model itself is not changed).</summary>
    public static string SampleText(CharModel model, Vocabulary vocabulary, int length, double temperature, ulong seed, string prime = "")
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(vocabulary);
        if (!(temperature > 0)) throw new ArgumentOutOfRangeException(nameof(temperature), temperature, $"temperature must be positive, got {temperature}.");
        var sampler = new CharSampler(model);
        if (prime.Length > 0) sampler.Prime(prime, vocabulary);
        else sampler.Prime([vocabulary.TryGetId(new Rune('\n'), out int nl) ? nl : 0]);
        return string.Concat(sampler.Sample(vocabulary, length, (float)temperature, 0, false, new Rng(seed)));
    }

    private void PrepareRunFolder()
    {
        Directory.CreateDirectory(OutputDirectory!);
        string path = Path.Combine(OutputDirectory!, MetricsFile);
        if (!File.Exists(path)) return;
        // A resumed run: drop lines past the checkpoint (the run may have gone on after it was saved).
        var keep = new List<string>();
        foreach (string line in File.ReadLines(path))
        {
            try
            {
                using var doc = JsonDocument.Parse(line);
                if (doc.RootElement.TryGetProperty("iter", out var it) && it.TryGetInt64(out long i) && i <= Iteration) keep.Add(line);
            }
            catch (JsonException) { }
        }
        if (Iteration == 0) keep.Clear();
        AtomicFile.Write(path, s =>
        {
            using var w = new StreamWriter(s, new UTF8Encoding(false), leaveOpen: true);
            foreach (string l in keep) w.WriteLine(l);
        });
    }

    private void WritePlot()
    {
        int n = _trainLosses.Count;
        if (n == 0) return;
        int bucket = Math.Max(1, n / 400);
        var xs = new List<double>();
        var ys = new List<double>();
        for (int i = 0; i < n; i += bucket)
        {
            int end = Math.Min(n, i + bucket);
            double s = 0;
            for (int j = i; j < end; j++) s += _trainLosses[j];
            xs.Add(end);
            ys.Add(s / (end - i));
        }
        var plot = new LinePlot(900, 520)
        {
            Title = "recur train: loss (nats/char)",
            XLabel = "iteration",
            YLabel = "loss",
        };
        plot.AddLine("train", xs.ToArray(), ys.ToArray());
        if (_valLosses.Count > 0)
        {
            var vx = _valIterations.Select(i => (double)i).ToArray();
            var vy = _valLosses.ToArray();
            if (vx.Length == 1) plot.AddScatter("val", vx, vy);
            else plot.AddLine("val", vx, vy);
        }
        AtomicFile.WriteAllBytes(Path.Combine(OutputDirectory!, PlotFile), plot.ToPng());
    }

    /// <summary>The optimizer named by <see cref="TrainOptions.Optimizer"/> over <paramref name="model"/>'s parameters.</summary>
    public static Optimizer CreateOptimizer(TrainOptions options, CharModel model)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(model);
        double lr = options.LearningRate, wd = options.WeightDecay;
        return options.Optimizer switch
        {
            "adam" => new Adam(model.Store, lr, weightDecay: wd),
            "adamw" => new AdamW(model.Store, lr, weightDecay: wd),
            "rmsprop" => new RmsProp(model.Store, lr, alpha: 0.95, eps: 1e-8, weightDecay: wd), // char-rnn's decay rate
            "adagrad" => new Adagrad(model.Store, lr, weightDecay: wd),
            "sgd" => new Sgd(model.Store, lr, weightDecay: wd),
            _ => throw new ArgumentException($"--optimizer must be adam, adamw, rmsprop, adagrad or sgd, got '{options.Optimizer}'."),
        };
    }

    private static void CheckSameArchitecture(CharModelConfig have, CharModelConfig want, string what)
    {
        if (have.Cell != want.Cell || have.Nonlinearity != want.Nonlinearity && want.Cell == "rnn" || have.Hidden != want.Hidden
            || have.Layers != want.Layers || have.Embed != want.Embed || have.VocabSize != want.VocabSize)
            throw new ArgumentException(
                $"{what}: the checkpoint is a {Describe(have)} but this run asks for a {Describe(want)}.");
    }

    /// <summary>A one-phrase description of an architecture, for messages: <c>lstm with hidden 256, 2 layer(s), ...</c>.</summary>
    public static string Describe(CharModelConfig c) =>
        $"{c.Cell}{(c.Cell == "rnn" ? "-" + c.Nonlinearity : "")} with hidden {c.Hidden}, {c.Layers} layer(s), embed {c.Embed}, vocabulary {c.VocabSize}";

    private static string Fmt(object? v) => Convert.ToString(v, CultureInfo.InvariantCulture) ?? "";

    private static string Fmt(double v, string format = "G") => v.ToString(format, CultureInfo.InvariantCulture);

    private static string Json(double v) => double.IsFinite(v) ? v.ToString("R", CultureInfo.InvariantCulture) : "null";
}
