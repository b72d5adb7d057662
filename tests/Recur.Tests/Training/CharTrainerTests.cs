using System.Text;
using System.Text.Json;
using Recur.Data;
using Recur.IO;
using Recur.Tasks.CharLm;
using Recur.Training;
using Recur.Tests.TestUtil;
using Xunit;

namespace Recur.Tests.Training;

public sealed class CharTrainerTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("recur-trainer-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private const string Text =
        "First Citizen:\nBefore we proceed any further, hear me speak.\n\nAll:\nSpeak, speak.\n\n" +
        "First Citizen:\nYou are all resolved rather to die than to famish?\n\nAll:\nResolved. resolved.\n";

    private static (Vocabulary Vocab, int[] Tokens) Encode(string text)
    {
        var v = Vocabulary.FromText(text);
        return (v, v.Encode(text));
    }

    private static TrainOptions Tiny(string cell = "lstm", string optimizer = "adam") => new()
    {
        Model = cell, Hidden = 8, Layers = 2, Embed = 4, Dropout = 0.1, SeqLength = 5, BatchSize = 3,
        Optimizer = optimizer, LearningRate = 1e-2, LrDecay = 0.9, LrDecayEvery = 0.5, EvalEvery = 4,
        MaxEpochs = 0, Threads = 1, Seed = 7, ValFrac = 0.15,
    };

    [Theory]
    [InlineData("lstm", "adam")]
    [InlineData("gru", "rmsprop")]
    [InlineData("rnn", "adagrad")]
    [InlineData("lstm", "sgd")]
    [InlineData("gru", "adamw")]
    [InlineData("lstm", "adamw", 0.25)]
    [InlineData("gru", "adam", 0, 0.9)]
    [InlineData("mingru", "adam")]
    [InlineData("rwkv", "adam")]
    [InlineData("mamba", "adam")]
    [InlineData("lru", "adam")]
    [InlineData("transformer", "adam")]
    [InlineData("mingru-res", "adam")]
    public void ResumedRunGivesBitIdenticalLosses(string cell, string optimizer, double weightDrop = 0, double ema = 0)
    {
        var (vocab, tokens) = Encode(Text);
        var o = Tiny(cell, optimizer) with { WeightDecay = 1e-3, WeightDrop = weightDrop, Ema = ema };
        if (Recur.Nn.Blocks.BlockRegistry.Contains(cell)) o = o with { Embed = o.Hidden }; // block models embed at their width
        const int n = 17, total = 2 * n;

        var straight = CharRuns.New(o with { MaxIters = total }, vocab, tokens);
        Assert.True(straight.Batcher.BatchesPerEpoch < n, "the test must cross an epoch boundary");
        Assert.NotEqual(0, n % straight.Batcher.BatchesPerEpoch); // and stop mid-epoch, with carried state
        var full = straight.Run();
        Assert.Equal(StopReason.MaxIters, full.Reason);
        Assert.Equal(total, straight.TrainLosses.Count);

        string run = Path.Combine(_dir, "run-" + cell + optimizer + weightDrop.ToString(System.Globalization.CultureInfo.InvariantCulture) + "-" + ema.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var first = CharRuns.New(o with { MaxIters = n }, vocab, tokens, runDirectory: run);
        first.Run();
        Assert.Equal(n, first.Iteration);
        Assert.True(first.Model.HiddenState is not null || first.Model.Blocks?.States is not null, "the run must stop with carried state");

        var ck = CharCheckpoint.Read(run, CheckpointKind.Latest);
        var second = CharRuns.Resume(ck, tokens, ck.Training! with { MaxIters = total });
        Assert.Equal(n, second.Iteration);
        second.Run();

        Assert.Equal(total, second.TrainLosses.Count);
        for (int i = 0; i < total; i++)
            Assert.True(BitConverter.DoubleToInt64Bits(straight.TrainLosses[i]) == BitConverter.DoubleToInt64Bits(second.TrainLosses[i]),
                $"iteration {i + 1}: straight {straight.TrainLosses[i]:R}, resumed {second.TrainLosses[i]:R}");
        Assert.Equal(straight.Model.Store.Values, second.Model.Store.Values);
        Assert.Equal(straight.Average?.Values, second.Average?.Values);
        // evaluations at the same iterations with the same results (the resumed one also evaluated at n, its stop)
        var straightVal = straight.ValIterations.Zip(straight.ValLosses).ToDictionary(p => p.First, p => p.Second);
        foreach (var (it, loss) in second.ValIterations.Zip(second.ValLosses))
            if (straightVal.TryGetValue(it, out double want)) Assert.Equal(want, loss);
        Assert.Equal(straight.ValLosses[^1], second.ValLosses[^1]);
    }

    [Fact]
    public void ResumeChecksTheSettingsAndTheText()
    {
        var (vocab, tokens) = Encode(Text);
        string run = Path.Combine(_dir, "run");
        CharRuns.New(Tiny() with { MaxIters = 5 }, vocab, tokens, runDirectory: run).Run();
        var ck = CharCheckpoint.Read(run, CheckpointKind.Latest);
        var e = Assert.Throws<ArgumentException>(() => CharRuns.Resume(ck, tokens, ck.Training! with { Hidden = 9 }));
        Assert.Contains("--hidden 9", e.Message);
        e = Assert.Throws<ArgumentException>(() => CharRuns.Resume(ck, tokens, ck.Training! with { Optimizer = "sgd" }));
        Assert.Contains("--optimizer", e.Message);
        var other = (int[])tokens.Clone();
        (other[3], other[4]) = (other[4], other[3]);
        e = Assert.Throws<ArgumentException>(() => CharRuns.Resume(ck, other, ck.Training!));
        Assert.Contains("not the one this run was trained on", e.Message);
    }

    [Fact]
    public void LearnsARepeatingPattern()
    {
        var text = string.Concat(Enumerable.Repeat("abcd", 300));
        var (vocab, tokens) = Encode(text);
        var o = Tiny() with { Dropout = 0, LrDecay = 1, MaxIters = 150, EvalEvery = 50, SeqLength = 8, BatchSize = 4 };
        var t = CharRuns.New(o, vocab, tokens);
        double before = t.Evaluate(t.Splits.Val);
        var r = t.Run();
        Assert.True(before > 1.2, $"untrained loss {before}");
        Assert.True(r.LastValLoss < 0.1, $"val loss after training {r.LastValLoss}");
        Assert.Equal(r.LastValLoss, t.ValLosses[^1]);
        Assert.Equal([50L, 100, 150], t.ValIterations);
    }

    [Fact]
    public void SampleContinuesThePatternAndLeavesTrainingUntouched()
    {
        var (vocab, tokens) = Encode(string.Concat(Enumerable.Repeat("abcd", 300)));
        var t = CharRuns.New(Tiny() with { Dropout = 0, LrDecay = 1, MaxIters = 150, EvalEvery = 1000, SeqLength = 8, BatchSize = 4 }, vocab, tokens);
        t.Run();
        var h = t.Model.HiddenState!.Clone();
        var rngState = t.Rng.State;
        string s = t.Sample(12, 0.5, seed: 3, prime: "abcd");
        Assert.Equal("abcdabcdabcd", s);
        Assert.Equal(h.Data, t.Model.HiddenState!.Data);
        Assert.Equal(rngState, t.Rng.State);
    }

    [Fact]
    public void CosineScheduleAnnealsOverTheIterationLimit()
    {
        var (vocab, tokens) = Encode(Text);
        var lrs = new List<double>();
        var t = CharRuns.New(Tiny() with { LrSchedule = "cosine", LrMin = 1e-4, MaxIters = 9, MaxEpochs = 0 }, vocab, tokens);
        t.Run(new Recorder(r => lrs.Add(r.LearningRate)));
        Assert.Equal(9, lrs.Count);
        Assert.Equal(1e-2, lrs[0], 15);
        for (int i = 0; i < 9; i++)
            Assert.Equal(1e-4 + (1e-2 - 1e-4) * 0.5 * (1 + Math.Cos(Math.PI * i / 9)), lrs[i], 12);
        for (int i = 1; i < 9; i++) Assert.True(lrs[i] < lrs[i - 1]);
    }

    [Fact]
    public void CosineScheduleNeedsALimit()
    {
        var e = Assert.Throws<ArgumentException>(() => (Tiny() with { LrSchedule = "cosine", MaxIters = 0, MaxEpochs = 0, Minutes = 0 }).Validate());
        Assert.Contains("--lr-schedule", e.Message);
        e = Assert.Throws<ArgumentException>(() => (Tiny() with { LrMin = 1 }).Validate());
        Assert.Contains("--lr-min", e.Message);
    }

    [Fact]
    public void LearningRateDecaysEveryNEpochs()
    {
        var (vocab, tokens) = Encode(Text);
        var t = CharRuns.New(Tiny() with { LrDecay = 0.5, LrDecayEvery = 1, MaxIters = 1 }, vocab, tokens);
        int k = t.Batcher.BatchesPerEpoch;
        var lrs = new List<double>();
        var m = new Recorder(r => lrs.Add(r.LearningRate));
        t.Run(m);
        CharRuns.New(Tiny() with { LrDecay = 0.5, LrDecayEvery = 1, MaxIters = 2 * k + 1 }, vocab, tokens).Run(m);
        Assert.Equal(1e-2, lrs[0]);
        Assert.Equal(1e-2, lrs[1 + k - 1]);
        Assert.Equal(0.5e-2, lrs[1 + k]);
        Assert.Equal(0.25e-2, lrs[1 + 2 * k]);
    }

    [Fact]
    public void MaxEpochsStopsAtTheEpochBoundary()
    {
        var (vocab, tokens) = Encode(Text);
        var t = CharRuns.New(Tiny() with { MaxEpochs = 2 }, vocab, tokens);
        var r = t.Run();
        Assert.Equal(StopReason.MaxEpochs, r.Reason);
        Assert.Equal(2 * t.Batcher.BatchesPerEpoch, r.Iteration);
        Assert.Equal(2.0, t.Epoch);
    }

    [Fact]
    public void TimeBudgetStopsEvaluatesAndSaves()
    {
        var (vocab, tokens) = Encode(Text);
        string run = Path.Combine(_dir, "run");
        var t = CharRuns.New(Tiny() with { Minutes = 0.3 / 60, EvalEvery = 1_000_000 }, vocab, tokens, runDirectory: run);
        var r = t.Run();
        Assert.Equal(StopReason.TimeBudget, r.Reason);
        Assert.True(r.Iteration > 0);
        Assert.True(r.Seconds < 5, $"took {r.Seconds} s for a 0.3 s budget");
        Assert.Equal(r.Iteration, CharCheckpoint.Read(run).Progress!.Iteration);
        Assert.True(double.IsFinite(r.LastValLoss));
    }

    [Fact]
    public void CancellationSavesLatestWithoutEvaluating()
    {
        var (vocab, tokens) = Encode(Text);
        string run = Path.Combine(_dir, "run");
        using var cts = new CancellationTokenSource();
        var t = CharRuns.New(Tiny() with { MaxIters = 100, EvalEvery = 4 }, vocab, tokens, runDirectory: run);
        var r = t.Run(new Recorder(rep => { if (rep.Iteration == 6) cts.Cancel(); }), cts.Token);
        Assert.Equal(StopReason.Cancelled, r.Reason);
        Assert.Equal(6, r.Iteration);
        Assert.Equal(6, CharCheckpoint.Read(run, CheckpointKind.Latest).Progress!.Iteration);
        Assert.Equal(4, CharCheckpoint.Read(run, CheckpointKind.Best).Progress!.Iteration);
        Assert.Equal([4L], t.ValIterations);
    }

    [Fact]
    public void NonFiniteLossStopsAndKeepsTheLastGoodCheckpoint()
    {
        var (vocab, tokens) = Encode(Text);
        string run = Path.Combine(_dir, "run");
        // SGD with a huge step and no clipping on a ReLU RNN blows up within a few iterations.
        var o = Tiny("rnn", "sgd") with { Nonlinearity = "relu", LearningRate = 900, GradClip = 0, LrDecay = 1, Dropout = 0, EvalEvery = 1, MaxIters = 200 };
        var t = CharRuns.New(o, vocab, tokens, runDirectory: run);
        var r = t.Run();
        Assert.Equal(StopReason.NonFinite, r.Reason);
        Assert.Contains("became", r.Message);
        Assert.Contains("last good checkpoint", r.Message);
        var ck = CharCheckpoint.Read(run, CheckpointKind.Latest); // loads: every weight finite
        Assert.Equal(r.Iteration, ck.Progress!.Iteration);
        Assert.All(t.TrainLosses, l => Assert.True(double.IsFinite(l)));
    }

    [Fact]
    public void RunFolderHasMetricsAndAPlot()
    {
        var (vocab, tokens) = Encode(Text);
        string run = Path.Combine(_dir, "run");
        CharRuns.New(Tiny() with { MaxIters = 9 }, vocab, tokens, runDirectory: run).Run();
        var lines = File.ReadAllLines(Path.Combine(run, RunFolder.MetricsFile));
        var docs = lines.Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(9, docs.Count(d => d.GetProperty("type").GetString() == "train"));
        Assert.Equal([4L, 8, 9], docs.Where(d => d.GetProperty("type").GetString() == "val").Select(d => d.GetProperty("iter").GetInt64()));
        byte[] png = File.ReadAllBytes(Path.Combine(run, RunFolder.PlotFile));
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], png[..4]);
        Assert.True(Directory.Exists(Path.Combine(run, "best")));
        Assert.True(File.Exists(Path.Combine(run, "latest", CheckpointFiles.StateFile)));

        // resuming truncates lines past the checkpoint and appends the continuation
        File.AppendAllText(Path.Combine(run, RunFolder.MetricsFile), "{\"type\":\"train\",\"iter\":10}\n");
        var ck = CharCheckpoint.Read(run, CheckpointKind.Latest);
        CharRuns.Resume(ck, tokens, ck.Training! with { MaxIters = 11 }).Run();
        var iters = File.ReadAllLines(Path.Combine(run, RunFolder.MetricsFile)).Select(l => JsonDocument.Parse(l).RootElement)
            .Where(d => d.GetProperty("type").GetString() == "train").Select(d => d.GetProperty("iter").GetInt64()).ToList();
        Assert.Equal(Enumerable.Range(1, 11).Select(i => (long)i), iters);
    }

    [Fact]
    public void WeightAverageIsEvaluatedSampledAndSaved()
    {
        var (vocab, tokens) = Encode(Text);
        string run = Path.Combine(_dir, "ema");
        var t = CharRuns.New(Tiny() with { MaxIters = 10, Ema = 0.9 }, vocab, tokens, runDirectory: run);
        t.Run();
        Assert.NotNull(t.Average);
        int n = t.Model.Store.Count;
        var raw = t.Model.Store.Values.AsSpan(0, n).ToArray();
        Assert.NotEqual(raw, t.Average!.Values);

        // The recorded validation loss is the average's; the checkpoint holds the average and the optimizer's weights.
        var ck = CharCheckpoint.Read(run, CheckpointKind.Latest);
        Assert.Equal(t.Average.Values, ck.Model.Store.Values.AsSpan(0, n).ToArray());
        Assert.Equal(t.ValLosses[^1], CharLmTask.Evaluate(ck.Model, t.Splits.Val, t.Options.BatchSize, t.Options.SeqLength));
        Assert.NotEqual(t.ValLosses[^1], CharLmTask.Evaluate(t.Model, t.Splits.Val, t.Options.BatchSize, t.Options.SeqLength));
        var state = TrainingState.Read(ck.StatePath, n);
        Assert.Equal(raw, state.TrainWeights);

        // Samples come from the average too, and leave the training weights as they were.
        Assert.Equal(CharLmTask.SampleText(ck.Model, vocab, 40, 1.0, 5), t.Sample(40, 1.0, 5));
        Assert.Equal(raw, t.Model.Store.Values.AsSpan(0, n).ToArray());

        // Without averaging the state carries no second copy of the weights.
        string plain = Path.Combine(_dir, "plain");
        CharRuns.New(Tiny() with { MaxIters = 4 }, vocab, tokens, runDirectory: plain).Run();
        Assert.Null(TrainingState.Read(CharCheckpoint.Read(plain, CheckpointKind.Latest).StatePath, n).TrainWeights);
    }

    [Fact]
    public void ThreadCountDoesNotChangeTheLosses()
    {
        var (vocab, tokens) = Encode(Text);
        var a = CharRuns.New(Tiny() with { MaxIters = 6, Threads = 1 }, vocab, tokens);
        var b = CharRuns.New(Tiny() with { MaxIters = 6, Threads = 2 }, vocab, tokens);
        a.Run(); b.Run();
        Assert.Equal(a.TrainLosses, b.TrainLosses);
    }

    [Theory]
    [InlineData("lstm")]
    [InlineData("gru")]
    public void AtSizesThatSplitTheWorkThreadCountChangesNothingAndResumeMayChangeIt(string cell)
    {
        // Hidden 192 and batch 16: large enough that the GEMMs (above Gemm.MinParallelFlops) and the cells' rows (B*H*gates
        // >= 8192) are split between threads; the tiny test above runs one thread's code whatever it is told. Losses,
        // weights and optimizer state, bit for bit.
        string text = string.Concat(Enumerable.Repeat(Text, 12));
        var (vocab, tokens) = Encode(text);
        var o = Tiny(cell) with { Hidden = 192, Embed = 32, BatchSize = 16, SeqLength = 16, Dropout = 0.2, MaxIters = 6, EvalEvery = 3 };
        var runs = new[] { 1, 2, 3 }.Select(t => { var r = CharRuns.New(o with { Threads = t }, vocab, tokens); r.Run(); return r; }).ToArray();
        foreach (var r in runs.Skip(1))
        {
            Assert.Equal(runs[0].TrainLosses.Select(BitConverter.DoubleToInt64Bits), r.TrainLosses.Select(BitConverter.DoubleToInt64Bits));
            Assert.Equal(runs[0].Model.Store.Values, r.Model.Store.Values);
            Assert.Equal(runs[0].Optimizer.State["exp_avg_sq"], r.Optimizer.State["exp_avg_sq"]);
        }
        // Stopped at 2 threads, resumed at 3: the same run.
        string run = Path.Combine(_dir, "threads-" + cell);
        CharRuns.New(o with { Threads = 2, MaxIters = 3 }, vocab, tokens, runDirectory: run).Run();
        var ck = CharCheckpoint.Read(run, CheckpointKind.Latest);
        var resumed = CharRuns.Resume(ck, tokens, ck.Training! with { Threads = 3, MaxIters = 6 });
        resumed.Run();
        Assert.Equal(runs[0].Model.Store.Values, resumed.Model.Store.Values);
        Assert.Equal(runs[0].TrainLosses.Skip(3).Select(BitConverter.DoubleToInt64Bits), resumed.TrainLosses.Skip(3).Select(BitConverter.DoubleToInt64Bits));
    }

    [Fact]
    public void EvaluateIsTheMeanOverEveryPrediction()
    {
        // With a model whose logits are all equal, every prediction costs ln V.
        var (vocab, tokens) = Encode(Text);
        var t = CharRuns.New(Tiny(), vocab, tokens);
        t.Model.Store.Values.AsSpan().Clear();
        double loss = CharLmTask.Evaluate(t.Model, tokens, 7, 5);
        Assert.Equal(Math.Log(vocab.Count), loss, 6);
    }

    [Fact]
    public void BadOptionsAreNamed()
    {
        var (vocab, tokens) = Encode(Text);
        Assert.Contains("--hidden", Assert.Throws<ArgumentException>(() => CharRuns.New(Tiny() with { Hidden = 0 }, vocab, tokens)).Message);
        Assert.Contains("--optimizer", Assert.Throws<ArgumentException>(() => CharRuns.New(Tiny() with { Optimizer = "lbfgs" }, vocab, tokens)).Message);
        Assert.Contains("--dropout", Assert.Throws<ArgumentException>(() => CharRuns.New(Tiny() with { Dropout = 1 }, vocab, tokens)).Message);
        Assert.Contains("batch size", Assert.Throws<ArgumentException>(() => CharRuns.New(Tiny() with { BatchSize = 100 }, vocab, tokens)).Message);
    }

    private sealed class Recorder(Action<IterationReport> onIteration) : TrainingMonitor
    {
        public override void OnIteration(Trainer trainer, in IterationReport report) => onIteration(report);
    }
}
