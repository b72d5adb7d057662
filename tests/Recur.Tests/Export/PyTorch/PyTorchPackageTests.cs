using Recur.Export.PyTorch;
using Recur.IO;
using Recur.Tasks.CharLm;
using Recur.Tests.Cli;
using Xunit;

namespace Recur.Tests.Export.PyTorch;

/// <summary>
/// The package's files without PyTorch: the per-parameter state layout worked by hand, and a run exported and imported
/// back unchanged (weights and training state bit for bit, the import loading and resuming as the run).
/// </summary>
[Collection("Console")]
public sealed class PyTorchPackageTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("recur-pytorch-package-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public void TheStateIsCutPerParameterAndJoinedBack()
    {
        // Worked by hand: parameters a (2, 1) and b (3) fill an arena of 5; c (1) is not trained (another store).
        var weights = new SafeTensorsFile([new("a", new Tensor([1f, 2f], 2, 1)), new("b", new Tensor([3f, 4f, 5f], 3)), new("c", new Tensor([6f], 1))]);
        var state = new SafeTensorsFile(
            [new("optimizer.exp_avg", new Tensor([0f, 1f, 2f, 3f, 4f], 5)), new("hidden.h", new Tensor([7f], 1, 1, 1))],
            [new("iteration", new IntegerArray([9])), new("optimizer.step", new IntegerArray([9]))],
            new Dictionary<string, string> { ["format"] = TrainingState.Format, ["optimizer"] = "adam" });
        var split = TrainStateLayout.Split(state, weights);
        Assert.Equal([0f, 1f], split.GetTensor("optimizer.exp_avg.a").Data);
        Assert.Equal([2, 1], split.GetTensor("optimizer.exp_avg.a").Shape);
        Assert.Equal([2f, 3f, 4f], split.GetTensor("optimizer.exp_avg.b").Data);
        Assert.False(split.Tensors.ContainsKey("optimizer.exp_avg.c"));
        Assert.False(split.Tensors.ContainsKey("optimizer.exp_avg"));
        Assert.Equal([7f], split.GetTensor("hidden.h").Data);
        Assert.Equal([9L], split.GetIntegers("optimizer.step").Data);

        var joined = TrainStateLayout.Join(split, [("a", 2), ("b", 3)], "adam");
        Assert.Equal([0f, 1f, 2f, 3f, 4f], joined.GetTensor("optimizer.exp_avg").Data);
        Assert.Equal([7f], joined.GetTensor("hidden.h").Data);
        Assert.Equal(TrainingState.Format, joined.Metadata["format"]);
        Assert.Throws<CheckpointFormatException>(() => TrainStateLayout.Join(split, [("a", 2), ("b", 2)], "adam"));
        Assert.Throws<CheckpointFormatException>(() => TrainStateLayout.Arena(weights, 4)); // no leading run of parameters holds 4
    }

    [Fact]
    public void AnExportImportedBackIsTheSameRun()
    {
        string text = CliHarness.ShakespeareFile(_dir, 4000);
        string run = Path.Combine(_dir, "run"), package = Path.Combine(_dir, "pkg"), back = Path.Combine(_dir, "back");
        var t = CliHarness.Run("train", text, "--model", "gru", "--hidden", "8", "--layers", "2", "--embed", "4", "--seq-length", "8", "--batch-size", "4",
            "--max-iters", "3", "--eval-every", "3", "--threads", "1", "--sample-length", "0", "--out", run);
        Assert.True(t.ExitCode == 0, t.ToString());
        var e = CliHarness.Run("export", run, "--pytorch", package, "--latest");
        Assert.True(e.ExitCode == 0, e.ToString());
        foreach (string f in new[] { "model.py", "data.py", "train.py", "eval.py", "sample.py", "cells.py", "blocks.py", "torchrun.py", "vocab.json", "text.txt" })
            Assert.True(File.Exists(Path.Combine(package, f)), f);
        var i = CliHarness.Run("import", package, "--into", back);
        Assert.True(i.ExitCode == 0, i.ToString());
        Assert.Contains("at iteration 3, with its training state", i.Out, StringComparison.Ordinal);
        foreach (string f in new[] { CheckpointFiles.ModelFile, CheckpointFiles.StateFile })
        {
            var a = SafeTensors.Read(Path.Combine(run, "latest", f));
            var b = SafeTensors.Read(Path.Combine(back, "latest", f));
            Assert.Equal(a.Names.Order(StringComparer.Ordinal), b.Names.Order(StringComparer.Ordinal));
            foreach (var (n, x) in a.Tensors) Assert.Equal(x.Data, b.GetTensor(n).Data);
            foreach (var (n, x) in a.Integers) Assert.Equal(x.Data, b.GetIntegers(n).Data);
        }
        Assert.Equal(CharCheckpoint.Read(run, CheckpointKind.Latest).Config, CharCheckpoint.Read(back).Config);
        var r = CliHarness.Run("train", "--resume", back, "--max-iters", "4", "--threads", "1", "--sample-length", "0");
        Assert.True(r.ExitCode == 0, r.ToString());
        CliHarness.AssertCleanFailure(CliHarness.Run("import", package, "--into", back), "import", "--force");
        // A bare weights file goes into an existing run of the same model, without training state.
        var w = CliHarness.Run("import", Path.Combine(run, "latest", CheckpointFiles.ModelFile), "--into", back);
        Assert.True(w.ExitCode == 0, w.ToString());
        Assert.Contains("weights only", w.Out, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(back, "latest", CheckpointFiles.StateFile)));
        Assert.Equal(SafeTensors.Read(Path.Combine(run, "latest", CheckpointFiles.ModelFile)).GetTensor("head.bias").Data,
            CharCheckpoint.Read(back).Model.Head.Bias!.Value.ToArray());
        CliHarness.AssertCleanFailure(CliHarness.Run("export", run, "--pytorch", package, "--onnx", "x.onnx"), "export", "one of them");
    }
}
