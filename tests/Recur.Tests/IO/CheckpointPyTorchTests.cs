using Recur.IO;
using Recur.Tasks.CharLm;
using Recur.Tests.TestUtil;
using Xunit;

namespace Recur.Tests.IO;

/// <summary>
/// Checkpoints exported by <c>recur train</c> (Fixtures/ckpt/CASE/model.safetensors + config.json) were
/// loaded by Fixtures/ckpt/make_ckpt_fixture.py into nn.Embedding / nn.LSTM|GRU|RNN / nn.Linear with
/// <c>load_state_dict(strict=True)</c>; PyTorch's logits and final state for a fixed input are in
/// expected.safetensors. Recur, loading the same folder, must predict the same.
/// </summary>
public sealed class CheckpointPyTorchTests
{
    private static string CaseDir(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", "ckpt", name);

    [Theory]
    [InlineData("lstm")]
    [InlineData("gru")]
    [InlineData("rnn_relu_onehot")]
    public void PyTorchPredictsWhatRecurPredicts(string name)
    {
        var ck = CharCheckpoint.Read(CaseDir(name));
        var expected = SafeTensors.Read(Path.Combine(CaseDir(name), "expected.safetensors"));
        var inputs = expected.GetIntegers("inputs");
        int T = inputs.Shape[0], B = inputs.Shape[1];
        var ids = inputs.Data.Select(v => (int)v).ToArray();

        ck.Model.ResetState();
        var logits = ck.Model.Forward(ids, T, B, training: false, null);
        var report = new List<FixtureAssert.Mismatch>
        {
            FixtureAssert.Compare("logits", logits.Data, logits.Shape, expected.GetTensor("logits"), rtol: 1e-4, atol: 1e-4),
            FixtureAssert.Compare("h_n", ck.Model.HiddenState!.Data, ck.Model.HiddenState.Shape, expected.GetTensor("h_n"), rtol: 1e-4, atol: 1e-4),
        };
        if (expected.Tensors.ContainsKey("c_n"))
            report.Add(FixtureAssert.Compare("c_n", ck.Model.CellState!.Data, ck.Model.CellState.Shape, expected.GetTensor("c_n"), rtol: 1e-4, atol: 1e-4));
        Assert.True(report.All(m => m.Passed), string.Join("\n", report));
    }

    [Fact]
    public void AChangedWeightIsDetected()
    {
        // negative control: the comparison above can fail
        var ck = CharCheckpoint.Read(CaseDir("lstm"));
        var expected = SafeTensors.Read(Path.Combine(CaseDir("lstm"), "expected.safetensors"));
        var inputs = expected.GetIntegers("inputs");
        ck.Model.Store["head.bias"].Value[0] += 1e-2f;
        var logits = ck.Model.Forward(inputs.Data.Select(v => (int)v).ToArray(), inputs.Shape[0], inputs.Shape[1], training: false, null);
        Assert.False(FixtureAssert.Compare("logits", logits.Data, logits.Shape, expected.GetTensor("logits"), rtol: 1e-4, atol: 1e-4).Passed);
    }
}
