using Recur.Models;
using Recur.Nn;

namespace Recur.Export;

/// <summary>
/// A state tensor a step graph carries, one per layer: graph input <c>{Name}0</c> and output <c>{Name}n</c>, both
/// <c>[L, B, Dims...]</c>.
/// </summary>
public sealed record OnnxState(string Name, params int[] Dims);

/// <summary>
/// One layer's step in a step graph: <c>x</c> <c>[B, in]</c> and the layer's states (<c>[B, Dims...]</c>, in the order
/// of the body's <see cref="OnnxState"/> list) to the layer's output <c>[B, H]</c> and its new states.
/// </summary>
public delegate (string Y, string[] States) OnnxLayerStep(OnnxOps o, int layer, string x, string[] states);

/// <summary>
/// The character model of any cell of the zoo, or of the recurrent blocks, as a one-step ONNX graph
/// (<c>recur export RUN --onnx FILE</c> for the cells and blocks without an ONNX recurrent operator): inputs
/// <c>tokens</c> int64 <c>[1, B]</c> and one <c>{name}0</c> <c>[L, B, ...]</c> per carried state; outputs <c>logits</c>
/// <c>[1, B, V]</c> and <c>{name}n</c>. A host loop feeds each step's states to the next, as the sampler does.
/// </summary>
public static class OnnxCharStep
{
    /// <summary>The step graph of a character model of cells (<see cref="OnnxCellSteps"/>, with highway when set) or blocks.</summary>
    public static byte[] Build(CharModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var c = model.Config;
        if (c.IsBlockModel)
        {
            var blocks = model.Blocks!;
            var (states, step) = OnnxBlockSteps.Body(model.Store, blocks);
            return Graph(model, states, step, y => new OnnxOps(y.Graph).LayerNorm(y.Y, blocks.Norm.Weight.Value, blocks.Norm.Bias.Value));
        }
        var rnn = model.Rnn;
        int H = rnn.HiddenSize;
        var cellStates = OnnxCellSteps.StateNames(rnn.Cell).Select(n => new OnnxState(n, OnnxCellSteps.StateWidth(n, H))).ToArray();
        return Graph(model, cellStates, (o, l, x, st) =>
        {
            var next = OnnxCellSteps.Step(o, rnn.Cell, rnn.LayerParameters(l), H, x, st);
            string y = next[0];
            if (rnn.HighwayParameters(l) is { } hw)
                y = o.Lerp(x, y, o.Sigmoid(o.Linear(x, hw.Weight, hw.Bias))); // x + g (h - x)
            return (y, next);
        }, null);
    }

    private static byte[] Graph(CharModel model, OnnxState[] states, OnnxLayerStep step, Func<(OnnxGraph Graph, string Y), string>? top)
    {
        var c = model.Config;
        int L = c.Layers, V = c.VocabSize;
        var g = new OnnxGraph($"recur-char-step-{c.Cell}");
        var o = new OnnxOps(g);
        string tokens = g.Input("tokens", OnnxGraph.Int64Type, 1, "B");
        string ids = o.Pick(tokens, 0); // [B]
        string x = model.EmbeddingLayer is { } e
            ? g.Op("Gather", [o.Param(e.Weight), ids], ("axis", 0))
            : g.Op("OneHot", [ids, g.Constant(g.Fresh("depth"), [(long)V], 1), g.Constant(g.Fresh("one_hot"), [0f, 1f], 2)], ("axis", -1));
        var inputs = states.Select(s => g.Input(s.Name + "0", OnnxGraph.FloatType, [L, "B", .. s.Dims.Cast<object>()])).ToArray();
        var outs = states.Select(_ => new List<string>()).ToArray();
        for (int l = 0; l < L; l++)
        {
            var (y, next) = step(o, l, x, [.. inputs.Select(i => o.Pick(i, l))]);
            for (int k = 0; k < states.Length; k++) outs[k].Add(next[k]);
            x = y;
        }
        if (top is not null) x = top((g, x));
        string logits = o.Linear(x, model.Head.Weight, model.Head.Bias);
        g.Output(o.Name(g.Op("Unsqueeze", [logits, o.Longs(0)]), "logits"), OnnxGraph.FloatType, 1, "B", V);
        for (int k = 0; k < states.Length; k++)
            g.Output(o.Name(o.Stack([.. outs[k]]), states[k].Name + "n"), OnnxGraph.FloatType, [L, "B", .. states[k].Dims.Cast<object>()]);
        return g.ToBytes(opset: OnnxOps.Opset);
    }
}
