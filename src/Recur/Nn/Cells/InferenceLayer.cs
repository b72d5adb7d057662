using Recur.Kernels;

namespace Recur.Nn.Cells;

/// <summary>
/// One layer's state and weights for batch-1 inference (one token at a time): what a cell's
/// <see cref="RecurrentCell.InferUnits"/> reads and writes. Weights are copies, row-major.
/// </summary>
public sealed class InferenceLayer
{
    /// <summary>A layer of <paramref name="cell"/> with hidden width <paramref name="hidden"/>.</summary>
    public InferenceLayer(RecurrentCell cell, int hidden, float[] whh, float[]? biasHh, float[][]? extra = null)
    {
        ArgumentNullException.ThrowIfNull(cell);
        ArgumentNullException.ThrowIfNull(whh);
        Cell = cell;
        H = hidden;
        Whh = whh;
        BiasHh = biasHh;
        Extra = extra ?? [];
        int GH = Math.Max(cell.Gates, cell.RecurrentGates) * hidden;
        A = new float[GH];
        Hh = new float[GH];
        HPrev = new float[hidden];
        HNext = new float[hidden];
        C = cell.HasCellState ? new float[hidden] : [];
    }

    /// <summary>The cell.</summary>
    public RecurrentCell Cell { get; }

    /// <summary>Hidden width.</summary>
    public int H { get; }

    /// <summary><c>W_hh</c> <c>(G*H, H)</c>; empty when the sampler folded it into a concatenated product.</summary>
    public float[] Whh { get; internal set; }

    /// <summary><c>b_hh</c> <c>(G*H)</c> as stored, or null without biases (cells read the parts that did not fold).</summary>
    public float[]? BiasHh { get; }

    /// <summary>Copies of the cell's extra parameters (<see cref="RecurrentCell.ExtraParameters"/>), in order.</summary>
    public float[][] Extra { get; }

    /// <summary>Gate pre-activations, then activations <c>(max(G, R)*H)</c>.</summary>
    public float[] A { get; }

    /// <summary>
    /// Scratch for a recurrent branch <c>(max(G, R)*H)</c>, zero after <see cref="Reset"/>; a cell may keep state
    /// in it from step to step (<see cref="PeepholeLstmCell"/>'s FGR keeps its gate activations there).
    /// </summary>
    public float[] Hh { get; }

    /// <summary>State before the step <c>(H)</c>.</summary>
    public float[] HPrev { get; internal set; }

    /// <summary>State after the step <c>(H)</c>.</summary>
    public float[] HNext { get; internal set; }

    /// <summary>
    /// The layer's input of this step <c>(in)</c>, set by the sampler before each step for cells that read their raw
    /// input (<see cref="RecurrentCell.RequiresInputEqualsHidden"/>); empty otherwise.
    /// </summary>
    public float[] X { get; internal set; } = [];

    /// <summary>Cell state <c>(H)</c>, updated in place; empty for cells without one.</summary>
    public float[] C { get; }

    /// <summary>Swaps <see cref="HPrev"/> and <see cref="HNext"/> after a step.</summary>
    public void Advance() => (HPrev, HNext) = (HNext, HPrev);

    /// <summary>Zeroes the states, and <see cref="Hh"/> (where a cell may carry more state, e.g. FGR's gate activations).</summary>
    public void Reset()
    {
        Array.Clear(HPrev);
        Array.Clear(C);
        Array.Clear(Hh);
    }

    /// <summary><c>dst[g*H + j] = src[g*H + j]</c> for gate blocks <c>[g0, g1)</c>, units <c>[j0, j0+n)</c>.</summary>
    public void CopyGateRows(ReadOnlySpan<float> src, Span<float> dst, int g0, int g1, int j0, int n)
    {
        for (int g = g0; g < g1; g++) src.Slice(g * H + j0, n).CopyTo(dst.Slice(g * H + j0, n));
    }

    /// <summary>
    /// <c>dst[row] += W[row, :] · input</c> for rows <c>g*H + j</c>, gate blocks <c>[g0, g1)</c>, units
    /// <c>[j0, j0+n)</c>; one product when the block covers all units.
    /// </summary>
    public void GateRows(ReadOnlySpan<float> w, int cols, ReadOnlySpan<float> input, Span<float> dst, int g0, int g1, int j0, int n)
    {
        if (n == H)
        {
            Gemv.MultiplyAdd(w.Slice(g0 * H * cols, (g1 - g0) * H * cols), (g1 - g0) * H, cols, input, dst.Slice(g0 * H, (g1 - g0) * H));
            return;
        }
        for (int g = g0; g < g1; g++)
        {
            int row = g * H + j0;
            Gemv.MultiplyAdd(w.Slice(row * cols, n * cols), n, cols, input, dst.Slice(row, n));
        }
    }
}
