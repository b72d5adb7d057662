using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Recur.Export;
using Recur.Models;
using Xunit;

namespace Recur.Tests.Export;

/// <summary>
/// The ONNX exports run in ONNX Runtime (a test-only dependency) must give what Recur gives, within 1e-4: the character
/// model's logits and final states for every cell with an ONNX operator, 1 to 3 layers, with and without an embedding,
/// from random initial states (the sampler's step is the same graph with one step); the classifiers' logits.
/// </summary>
public sealed class OnnxExportTests
{
    public static TheoryData<string, int, int> CharCases()
    {
        var d = new TheoryData<string, int, int>();
        foreach (var cell in OnnxExport.Cells) for (int layers = 1; layers <= 3; layers++) d.Add(cell, layers, layers == 2 ? 0 : 6);
        return d;
    }

    private static void Close(ReadOnlySpan<float> want, IEnumerable<float> got, string what)
    {
        var g = got.ToArray();
        Assert.Equal(want.Length, g.Length);
        for (int i = 0; i < g.Length; i++)
            Assert.True(Math.Abs(want[i] - g[i]) <= 1e-4 + 1e-4 * Math.Abs(want[i]), $"{what}[{i}]: Recur {want[i]}, ONNX Runtime {g[i]}");
    }

    [Theory]
    [MemberData(nameof(CharCases))]
    public void CharacterModelRunsTheSameInOnnxRuntime(string cell, int layers, int embed)
    {
        int V = 11, H = 7, T = 5, B = 3;
        var model = new CharModel(new CharModelConfig { Cell = cell == "rnn-relu" ? "rnn" : cell, Nonlinearity = cell == "rnn-relu" ? "relu" : "tanh", VocabSize = V, Embed = embed, Hidden = H, Layers = layers });
        var rng = new Rng(3);
        model.Reset(rng);
        bool lstm = cell == "lstm";
        var h0 = Tensor.Randn(rng, 0.5f, layers, B, H);
        var c0 = lstm ? Tensor.Randn(rng, 0.5f, layers, B, H) : null;
        var tokens = Enumerable.Range(0, T * B).Select(_ => rng.NextInt(V)).ToArray();
        model.SetState(h0.Clone(), c0?.Clone());
        var logits = model.Forward(tokens, T, B, training: false, rng: null).Clone();
        var hn = model.HiddenState!.Clone();
        var cn = model.CellState?.Clone();

        using var session = new InferenceSession(OnnxExport.Char(model));
        var inputs = new List<NamedOnnxValue>
        {
            NamedOnnxValue.CreateFromTensor("tokens", new DenseTensor<long>(tokens.Select(t => (long)t).ToArray(), [T, B])),
            NamedOnnxValue.CreateFromTensor("h0", new DenseTensor<float>(h0.Data, [layers, B, H])),
        };
        if (lstm) inputs.Add(NamedOnnxValue.CreateFromTensor("c0", new DenseTensor<float>(c0!.Data, [layers, B, H])));
        using var results = session.Run(inputs);
        var byName = results.ToDictionary(r => r.Name, r => r.AsTensor<float>());
        Close(logits.Data, byName["logits"], "logits");
        Close(hn.Data, byName["hn"], "hn");
        if (lstm) Close(cn!.Data, byName["cn"], "cn");
    }

    [Theory]
    [InlineData("lstm", 2)]
    [InlineData("gru", 1)]
    public void SequenceClassifierRunsTheSame(string cell, int layers)
    {
        var m = new SequenceClassifier(new SequenceClassifierConfig { Cell = cell, InputSize = 4, Hidden = 6, Layers = layers, Classes = 3 });
        var rng = new Rng(5);
        m.Reset(rng);
        var x = Tensor.Randn(rng, 1f, 7, 2, 4);
        var logits = m.Forward(x).Clone();
        using var session = new InferenceSession(OnnxExport.Classifier(m));
        using var r = session.Run([NamedOnnxValue.CreateFromTensor("x", new DenseTensor<float>(x.Data, [7, 2, 4]))]);
        Close(logits.Data, r.First(v => v.Name == "logits").AsTensor<float>(), "logits");
    }

    [Fact]
    public void ConvNetRunsTheSame()
    {
        var m = new ConvNet(new ConvNetConfig { Rows = 12, Cols = 10, Channels = [3, 4], Fc = 5, Classes = 4 });
        var rng = new Rng(6);
        m.Reset(rng);
        var x = Tensor.Uniform(rng, 1f, 2, 1, 12, 10);
        var logits = m.Forward(x).Clone();
        using var session = new InferenceSession(OnnxExport.Classifier(m));
        using var r = session.Run([NamedOnnxValue.CreateFromTensor("x", new DenseTensor<float>(x.Data, [2, 1, 12, 10]))]);
        Close(logits.Data, r.First(v => v.Name == "logits").AsTensor<float>(), "logits");
    }

    [Fact]
    public void ModelsWithoutAnOnnxFormAreRefused()
    {
        var mamba = new CharModel(new CharModelConfig { Cell = "mamba", VocabSize = 5, Embed = 8, Hidden = 8, Layers = 1 });
        Assert.Contains("no ONNX form", Assert.Throws<NotSupportedException>(() => OnnxExport.Char(mamba)).Message);
        var mut = new CharModel(new CharModelConfig { Cell = "mut3", VocabSize = 5, Embed = 4, Hidden = 4, Layers = 1 });
        Assert.Contains("lstm, gru", Assert.Throws<NotSupportedException>(() => OnnxExport.Char(mut)).Message);
    }
}
