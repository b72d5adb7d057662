using Recur.Nn;
using Recur.Nn.Blocks;

namespace Recur.Export;

/// <summary>The recurrent blocks of <see cref="BlockRegistry"/> as one-step ONNX graphs (see <see cref="OnnxCharStep"/>).</summary>
public static class OnnxBlockSteps
{
    /// <summary>The carried states of one block and its step.</summary>
    public static (OnnxState[] States, OnnxLayerStep Step) Body(ParameterStore store, BlockStack blocks)
        => throw new NotSupportedException($"a {blocks.Kind} block has no ONNX step yet.");
}
