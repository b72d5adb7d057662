using System.Text.Json;
using Recur.IO;
using Recur.Nn;
using Recur.Tests.Tasks.Parity;
using Recur.Training;
using Xunit;

namespace Recur.Tests.Training;

/// <summary>
/// A task that chooses by a metric (as g2p by its word error rate) keeps <c>best/</c>, stops early and resumes by that metric,
/// not by the validation loss: the parity toy task trains for real, and its evaluations are scripted so that the loss keeps
/// falling while the metric turns worse.
/// </summary>
public sealed class BestByTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "recur-bestby-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    private static readonly byte[][] Data = ParityDefinition.Instance.LoadData("200");

    private static TrainOptions Options(int maxIters, int patience = 0)
        => ParityDefinition.Instance.Defaults with { MaxIters = maxIters, EvalEvery = 2, Patience = patience };

    /// <summary>A new parity run whose evaluations say <paramref name="script"/> (loss, metric) in turn, choosing by <paramref name="bestBy"/>.</summary>
    private Trainer NewRun(TrainOptions o, string bestBy, params (double Loss, double Wer)[] script)
    {
        var inner = ParityDefinition.Instance.Create(o, new ParitySettings(), Data, "200");
        return new Trainer(new Scripted(inner.Task, bestBy, script), o, inner.Rng) { OutputDirectory = Path.Combine(_dir, "run") };
    }

    /// <summary>The run continued from its latest/, choosing by <paramref name="bestBy"/>, its next evaluations saying <paramref name="script"/>.</summary>
    private Trainer Resume(TrainOptions o, string bestBy, params (double Loss, double Wer)[] script)
    {
        string run = Path.Combine(_dir, "run");
        var saved = ParityCheckpoint.Instance.Load(run, CheckpointKind.Latest);
        var inner = ParityDefinition.Instance.Resume(saved, Data, o);
        var state = TrainingState.Read(saved.StatePath, saved.Trained.Count);
        return new Trainer(new Scripted(inner.Task, bestBy, script), o, inner.Rng, state) { OutputDirectory = run };
    }

    private CheckpointProgress Best() => ParityCheckpoint.Instance.Load(Path.Combine(_dir, "run"), CheckpointKind.Best).Progress!;

    [Fact]
    public void BestFollowsTheChosenMetricNotTheLoss()
    {
        var t = NewRun(Options(8), "wer", (0.9, 0.5), (0.8, 0.3), (0.7, 0.4), (0.6, 0.45));
        var r = t.Run();
        Assert.Equal(StopReason.MaxIters, r.Reason);
        Assert.Equal([2L, 4, 6, 8], t.ValIterations);
        var best = Best();
        Assert.Equal(4, best.Iteration);  // the lowest wer; the lowest loss was at 8
        Assert.Equal("wer", best.BestBy);
        Assert.Equal(0.3, best.BestValue);
        Assert.Equal(0.8, best.BestValLoss);
        Assert.Equal(4, t.BestIteration);
        Assert.Equal(("wer", 0.3, 0.8), (r.BestBy, r.BestValue, r.BestValLoss));
        var val = File.ReadLines(Path.Combine(_dir, "run", RunFolder.MetricsFile)).Select(l => JsonDocument.Parse(l).RootElement)
            .Where(e => e.GetProperty("type").GetString() == "val").ToList();
        Assert.Equal([true, true, false, false], val.Select(e => e.GetProperty("best").GetBoolean()));
        Assert.All(val, e => Assert.Equal("wer", e.GetProperty("best_by").GetString()));
        Assert.Equal(0.3, val[1].GetProperty("val_wer").GetDouble());
    }

    [Fact]
    public void ALossChoosingTaskKeepsTheLowestLoss()
    {
        var t = NewRun(Options(8), TaskMetrics.LossName, (0.9, 0.5), (0.8, 0.3), (0.7, 0.4), (0.6, 0.45));
        t.Run();
        Assert.Equal(8, Best().Iteration);
        Assert.Equal(TaskMetrics.LossName, Best().BestBy);
        Assert.Equal(0.6, Best().BestValue);
    }

    [Fact]
    public void ATieOnTheMetricGoesToTheLowerLoss()
    {
        NewRun(Options(8), "wer", (0.9, 0.5), (0.8, 0.3), (0.5, 0.3), (0.7, 0.3)).Run();
        Assert.Equal(6, Best().Iteration);
    }

    [Fact]
    public void PatienceCountsEvaluationsWithoutANewBestOfTheChosenMetric()
    {
        var t = NewRun(Options(20, patience: 2), "wer", (1.0, 0.5), (0.9, 0.3), (0.8, 0.4), (0.7, 0.45), (0.6, 0.5), (0.5, 0.5));
        var r = t.Run();
        Assert.Equal(StopReason.EarlyStop, r.Reason);
        Assert.Equal(8, r.Iteration);
        Assert.Contains("no new best validation wer in 2 evaluation(s)", r.Message);
        Assert.Contains("best 0.3000 at iteration 4", r.Message);
    }

    [Fact]
    public void AResumedRunKeepsChoosingByTheMetric()
    {
        NewRun(Options(4), "wer", (0.9, 0.5), (0.8, 0.3)).Run();
        var t = Resume(Options(8), "wer", (0.7, 0.4), (0.6, 0.45));
        Assert.Equal([0.5, 0.3], t.ValChoices);
        t.Run();
        Assert.Equal(4, Best().Iteration);  // by loss (0.9, 0.8 then 0.7, 0.6) it would be 8
        Assert.Equal(0.3, t.BestValue);
    }

    [Fact]
    public void ARunSavedWithoutTheMetricChoosesAfreshFromItsNextEvaluation()
    {
        NewRun(Options(4), TaskMetrics.LossName, (0.5, 0.1), (0.4, 0.1)).Run();  // as a checkpoint of before: no figures but the loss
        var t = Resume(Options(6), "wer", (0.9, 0.6));
        Assert.All(t.ValChoices, v => Assert.True(double.IsNaN(v)));
        t.Run();
        Assert.Equal(6, Best().Iteration);
        Assert.Equal(0.6, t.BestValue);
    }

    [Fact]
    public void TheStateFileKeepsTheChoosingFiguresAndTheirName()
    {
        NewRun(Options(4), "wer", (0.9, 0.5), (0.8, 0.3)).Run();
        string path = Path.Combine(_dir, "run", "latest", CheckpointFiles.StateFile);
        var state = TrainingState.Read(path, ParityCheckpoint.Instance.Load(Path.Combine(_dir, "run")).Trained.Count);
        Assert.Equal("wer", state.BestBy);
        Assert.Equal([0.5, 0.3], state.ValChoices!);
        Assert.Equal([0.9, 0.8], state.ValLosses);
        Assert.Throws<ArgumentException>(() => TrainingState.Write(Path.Combine(_dir, "bad.safetensors"), new TrainingState
        {
            OptimizerName = state.OptimizerName, OptimizerSteps = 0, OptimizerBuffers = state.OptimizerBuffers, RngState = state.RngState,
            Iteration = 0, TrainLosses = [], ValIterations = [2], ValLosses = [0.9], BestBy = "wer", ValChoices = [0.5, 0.3],
        }));
    }

    /// <summary>A real task whose evaluation is scripted: each call takes the next (loss, wer) pair; <see cref="BestBy"/> is given.</summary>
    private sealed class Scripted(ITrainingTask inner, string bestBy, (double Loss, double Wer)[] script) : ITrainingTask
    {
        private int _next;

        public string Name => inner.Name;
        public ParameterStore Store => inner.Store;
        public int Threads { get => inner.Threads; set => inner.Threads = value; }
        public int BatchesPerEpoch => inner.BatchesPerEpoch;
        public double EpochProgress => inner.EpochProgress;
        public long ItemsPerStep => inner.ItemsPerStep;
        public string ItemName => inner.ItemName;
        public string LossUnit => inner.LossUnit;
        public bool HasValidation => true;
        public string BestBy => bestBy;
        public double TrainStep(Rng rng) => inner.TrainStep(rng);

        public TaskMetrics Evaluate()
        {
            Assert.True(_next < script.Length, $"evaluation {_next + 1} is not scripted");
            var (loss, wer) = script[_next++];
            return new TaskMetrics(loss, new Dictionary<string, double> { ["wer"] = wer });
        }

        public void SaveState(IDictionary<string, IntegerArray> integers, IDictionary<string, Tensor> tensors) => inner.SaveState(integers, tensors);
        public void LoadState(TrainingState state, string path) => inner.LoadState(state, path);
        public void WriteModel(string directory, CheckpointProgress progress) => inner.WriteModel(directory, progress);
        public string Describe() => inner.Describe();
        public string? Preview(ulong seed) => inner.Preview(seed);
    }
}
