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
        CliHarness.AssertCleanFailure(CliHarness.Run("export", mamba, "--onnx", onnx), "export", "no ONNX form");
    }
}
