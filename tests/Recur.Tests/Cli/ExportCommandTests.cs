using Microsoft.ML.OnnxRuntime;
using Xunit;

namespace Recur.Tests.Cli;

[Collection("Console")]
public sealed class ExportCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("recur-export-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public void ExportsATrainedRunThatOnnxRuntimeLoads()
    {
        string run = Path.Combine(_dir, "run"), onnx = Path.Combine(_dir, "m.onnx");
        Assert.Equal(0, CliHarness.Run("train", "--max-iters", "2", "--hidden", "8", "--layers", "2", "--threads", "1", "--out", run).ExitCode);
        var r = CliHarness.Run("export", run, "--onnx", onnx);
        Assert.True(r.ExitCode == 0, r.ToString());
        using var session = new InferenceSession(onnx);
        Assert.Equal(["tokens", "h0", "c0"], session.InputMetadata.Keys);
        Assert.Equal(["logits", "hn", "cn"], session.OutputMetadata.Keys);
        CliHarness.AssertCleanFailure(CliHarness.Run("export", run), "export", "--onnx");
        string mamba = Path.Combine(_dir, "mamba");
        Assert.Equal(0, CliHarness.Run("train", "--model", "mamba", "--max-iters", "1", "--hidden", "8", "--layers", "1", "--threads", "1", "--out", mamba).ExitCode);
        var m = CliHarness.Run("export", mamba, "--onnx", onnx);
        Assert.True(m.ExitCode == 0, m.ToString());
        Assert.Contains("one-step graph", m.Out);
        using var step = new InferenceSession(onnx);
        Assert.Equal(["tokens", "conv0", "ssm0"], step.InputMetadata.Keys);
        Assert.Equal(["logits", "convn", "ssmn"], step.OutputMetadata.Keys);
    }

    [Fact]
    public void ExportsTheEncoderAndDecoderStepOfAG2pRun()
    {
        string run = Path.Combine(_dir, "g2p"), onnx = Path.Combine(_dir, "g2p.onnx");
        string dict = Path.Combine(AppContext.BaseDirectory, "Data", "Samples", "cmudict", "cmudict-sample.out");
        var t = CliHarness.Run("g2p", "train", dict, "--hidden", "8", "--embed", "4", "--decoder-hidden", "8", "--attention-dim", "4",
            "--batch-size", "8", "--threads", "1", "--max-iters", "1", "--eval-every", "1", "--out", run);
        Assert.True(t.ExitCode == 0, t.ToString());
        var r = CliHarness.Run("export", run, "--onnx", onnx);
        Assert.True(r.ExitCode == 0, r.ToString());
        string encoder = Path.Combine(_dir, "g2p-encoder.onnx"), stepFile = Path.Combine(_dir, "g2p-step.onnx");
        Assert.Contains($"wrote {encoder}", r.Out);
        Assert.Contains($"wrote {stepFile}", r.Out);
        Assert.False(File.Exists(onnx));
        using var enc = new InferenceSession(encoder);
        Assert.Equal(["source", "lengths"], enc.InputMetadata.Keys);
        Assert.Equal(["annotations", "keys", "h0", "c0"], enc.OutputMetadata.Keys);
        using var step = new InferenceSession(stepFile);
        Assert.Equal(["logits", "attention", "hn", "cn"], step.OutputMetadata.Keys);
    }
}
