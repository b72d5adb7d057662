using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Recur.Export;
using Recur.Models;
using Recur.Nn.Blocks;
using Recur.Nn.Cells;
using Xunit;

namespace Recur.Tests.Export;

/// <summary>
/// The one-step graphs of the zoo cells and the recurrent blocks, stepped 20 characters in ONNX Runtime by a host loop
/// that feeds each step's states to the next, must give Recur's logits at every step (one forward over the 20 tokens)
/// and, for the cells, Recur's final states, within 1e-4.
/// </summary>
public sealed class OnnxStepExportTests
{
    private const int T = 20, B = 2, V = 9, H = 6;

    public static TheoryData<string> Cells()
    {
        var d = new TheoryData<string>();
        foreach (var name in CellRegistry.Names) d.Add(name);
        d.Add("rhn-d1");
        return d;
    }

    public static TheoryData<string> StepBlocks()
    {
        var d = new TheoryData<string>();
        foreach (var name in BlockRegistry.Names.Where(n => n != "transformer")) d.Add(name);
        return d;
    }

    internal static void Close(ReadOnlySpan<float> want, float[] got, string what)
    {
        Assert.Equal(want.Length, got.Length);
        for (int i = 0; i < got.Length; i++)
            Assert.True(Math.Abs(want[i] - got[i]) <= 1e-4 + 1e-4 * Math.Abs(want[i]), $"{what}[{i}]: Recur {want[i]}, ONNX Runtime {got[i]}");
    }

    /// <summary>
    /// Steps the graph over <paramref name="tokens"/> <c>(T, B)</c>: returns every step's logits <c>(T, B, V)</c> and the
    /// final states by name.
    /// </summary>
    internal static (float[] Logits, Dictionary<string, float[]> States) RunSteps(byte[] onnx, int[] tokens, Dictionary<string, DenseTensor<float>> states)
    {
        using var session = new InferenceSession(onnx);
        var logits = new List<float>();
        var final = new Dictionary<string, float[]>();
        for (int t = 0; t < T; t++)
        {
            var inputs = new List<NamedOnnxValue>
            {
                NamedOnnxValue.CreateFromTensor("tokens", new DenseTensor<long>(tokens.Skip(t * B).Take(B).Select(v => (long)v).ToArray(), [1, B])),
            };
            inputs.AddRange(states.Select(s => NamedOnnxValue.CreateFromTensor(s.Key, s.Value)));
            using var r = session.Run(inputs);
            foreach (var v in r)
            {
                var tensor = v.AsTensor<float>();
                if (v.Name == "logits") { logits.AddRange(tensor); continue; }
                string input = v.Name[..^1] + "0";
                states[input] = new DenseTensor<float>(tensor.ToArray(), tensor.Dimensions.ToArray());
                final[input] = tensor.ToArray();
            }
        }
        return ([.. logits], final);
    }

    private static DenseTensor<float> Zeros(int[] dims) => new(dims);

    [Theory]
    [MemberData(nameof(Cells))]
    public void CellStepsGiveRecursLogitsAndStates(string cell)
    {
        bool same = CellRegistry.Get(cell).RequiresInputEqualsHidden;
        var model = new CharModel(new CharModelConfig
        {
            Cell = cell == "rnn-relu" ? "rnn" : cell, Nonlinearity = cell == "rnn-relu" ? "relu" : "tanh",
            VocabSize = V, Embed = same ? H : 5, Hidden = H, Layers = 2, Highway = cell is "mut3" or "lstm",
        });
        var rng = new Rng(7);
        model.Reset(rng);
        bool hasC = model.Rnn.Cell.HasCellState;
        var h0 = Tensor.Randn(rng, 0.5f, 2, B, H);
        var c0 = hasC ? Tensor.Randn(rng, 0.5f, 2, B, H) : null;
        var tokens = Enumerable.Range(0, T * B).Select(_ => rng.NextInt(V)).ToArray();
        model.SetState(h0.Clone(), c0?.Clone());
        var logits = model.Forward(tokens, T, B, training: false, rng: null).Clone();

        var states = new Dictionary<string, DenseTensor<float>> { ["h0"] = new(h0.Data.ToArray(), [2, B, H]) };
        if (hasC) states["c0"] = new(c0!.Data.ToArray(), [2, B, H]);
        if (cell == "fgr") states["g0"] = Zeros([2, B, 3 * H]); // Recur's gate recurrence starts from zero gates
        var (got, final) = RunSteps(OnnxCharStep.Build(model), tokens, states);
        Close(logits.Data, got, "logits");
        Close(model.HiddenState!.Data, final["h0"], "hn");
        if (hasC) Close(model.CellState!.Data, final["c0"], "cn");
    }

    [Fact]
    public void OneHotInputStepsTheSame()
    {
        var model = new CharModel(new CharModelConfig { Cell = "minlstm", VocabSize = V, Embed = 0, Hidden = H, Layers = 1 });
        var rng = new Rng(8);
        model.Reset(rng);
        var tokens = Enumerable.Range(0, T * B).Select(_ => rng.NextInt(V)).ToArray();
        var logits = model.Forward(tokens, T, B, training: false, rng: null).Clone();
        var (got, final) = RunSteps(OnnxCharStep.Build(model), tokens, new() { ["h0"] = Zeros([1, B, H]) });
        Close(logits.Data, got, "logits");
        Close(model.HiddenState!.Data, final["h0"], "hn");
    }

    [Theory]
    [MemberData(nameof(StepBlocks))]
    public void BlockStepsGiveRecursLogits(string block)
    {
        int D = 8;
        var model = new CharModel(new CharModelConfig { Cell = block, VocabSize = V, Embed = D, Hidden = D, Layers = 2, StateSize = 4, ConvWidth = 3 });
        var rng = new Rng(9);
        model.Reset(rng);
        foreach (var p in model.Store.Parameters.Where(p => p.Name.Contains("norm") || p.Name.Contains("ln")))
            rng.FillUniform(p.Value, 0.5f, 1.5f); // layer norms away from their initial gain 1, bias 0 (a bias in [0.5, 1.5] too)
        var tokens = Enumerable.Range(0, T * B).Select(_ => rng.NextInt(V)).ToArray();
        var logits = model.Forward(tokens, T, B, training: false, rng: null).Clone();
        var onnx = OnnxCharStep.Build(model);
        using var session = new InferenceSession(onnx);
        var states = session.InputMetadata.Where(m => m.Key != "tokens")
            .ToDictionary(m => m.Key, m => Zeros([.. m.Value.Dimensions.Select(d => d < 0 ? B : d)]));
        var (got, _) = RunSteps(onnx, tokens, states);
        Close(logits.Data, got, "logits");
    }

    [Fact]
    public void TransformerSequenceGraphGivesRecursLogits()
    {
        int D = 8;
        var model = new CharModel(new CharModelConfig { Cell = "transformer", VocabSize = V, Embed = D, Hidden = D, Layers = 2, Heads = 2, Context = 24 });
        var rng = new Rng(10);
        model.Reset(rng);
        foreach (var p in model.Store.Parameters.Where(p => p.Name.Contains("ln") || p.Name.Contains("norm") || p.Name.Contains("wpe")))
            rng.FillUniform(p.Value, -1f, 1f);
        var tokens = Enumerable.Range(0, T * B).Select(_ => rng.NextInt(V)).ToArray();
        var logits = model.Forward(tokens, T, B, training: false, rng: null).Clone();
        using var session = new InferenceSession(OnnxTransformer.Build(model));
        using var r = session.Run([NamedOnnxValue.CreateFromTensor("tokens", new DenseTensor<long>(tokens.Select(v => (long)v).ToArray(), [T, B]))]);
        Close(logits.Data, r.First(v => v.Name == "logits").AsTensor<float>().ToArray(), "logits");
    }
}
