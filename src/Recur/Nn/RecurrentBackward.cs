using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using Recur.Kernels;
using Recur.Nn.Cells;

namespace Recur.Nn;

/// <summary>The backward pass of <see cref="Recurrent"/>: BPTT through every layer of the last forward.</summary>
public partial class Recurrent
{
    /// <summary>
    /// Backpropagates through the last <see cref="Forward"/>: <paramref name="dOutput"/> is dL/dOutput
    /// (the output's shape), <paramref name="dHN"/>/<paramref name="dCN"/> the gradients on the final
    /// states (null: zero). Parameter gradients are accumulated (+=) into the store's gradient arena.
    /// </summary>
    public RecurrentGrads Backward(Tensor dOutput, Tensor? dHN = null, Tensor? dCN = null)
    {
        if (_out is null) throw new InvalidOperationException("Backward called before Forward.");
        if (_ids is not null) throw new InvalidOperationException("the last forward took token ids: call BackwardTokens.");
        BackwardCore(dOutput, dHN, dCN);
        int T = _t, B = _b;
        var dx0 = _layers[0].Dx;
        int[] inShape = BatchFirst ? [B, T, InputSize] : [T, B, InputSize];
        _dx = Buffers.Ensure(_dx, inShape);
        if (BatchFirst) SwapBatchTime(dx0, _dx.Data, T, B, InputSize);
        else dx0.AsSpan(0, T * B * InputSize).CopyTo(_dx.Data);
        return new RecurrentGrads(_dx, _dh0!, _dc0);
    }

    /// <summary>
    /// Backward for <see cref="ForwardTokens"/>: like <see cref="Backward"/>, and the embedding's
    /// gradient is accumulated into its arena instead of returning dL/dx.
    /// </summary>
    public (Tensor DH0, Tensor? DC0) BackwardTokens(Tensor dOutput, Tensor? dHN = null, Tensor? dCN = null)
    {
        if (_out is null) throw new InvalidOperationException("BackwardTokens called before ForwardTokens.");
        if (_ids is null) throw new InvalidOperationException("the last forward took a tensor: call Backward.");
        BackwardCore(dOutput, dHN, dCN);
        return (_dh0!, _dc0);
    }

    private void BackwardCore(Tensor dOutput, Tensor? dHN, Tensor? dCN)
    {
        Guard.Shape(dOutput, nameof(dOutput), _out!.Shape);
        int T = _t, B = _b, L = NumLayers, H = HiddenSize;
        bool hasC = Cell.HasCellState;
        if (dHN is not null) Guard.Shape(dHN, nameof(dHN), L, B, H);
        if (dCN is not null)
        {
            if (!hasC) throw new ArgumentException($"dCN is only used by cells with a cell state; this layer is {Cell.Name}.", nameof(dCN));
            Guard.Shape(dCN, nameof(dCN), L, B, H);
        }
        float[] dy = dOutput.Data;
        if (BatchFirst || _lengths is not null)
        {
            // Time-major, and with per-row lengths the padded steps' gradients dropped (their outputs are constant 0).
            _dyTimeMajor = Buffers.Ensure(_dyTimeMajor, dOutput.Length);
            if (BatchFirst) SwapBatchTime(dOutput.Data, _dyTimeMajor, B, T, H);
            else dOutput.Data.AsSpan(0, dOutput.Length).CopyTo(_dyTimeMajor);
            if (_lengths is not null) ZeroPadding(_dyTimeMajor, _lengths, T, B, H, batchFirst: false);
            dy = _dyTimeMajor;
        }
        _dh0 = Buffers.Ensure(_dh0, L, B, H);
        _dc0 = hasC ? Buffers.Ensure(_dc0, L, B, H) : null;

        float[] dyl = dy;
        for (int l = L - 1; l >= 0; l--)
        {
            var st = _layers[l];
            st.DhCarry.AsSpan().Clear();
            if (dHN is not null) dHN.Data.AsSpan(l * B * H, B * H).CopyTo(st.DhCarry);
            if (hasC)
            {
                st.DcCarry.AsSpan().Clear();
                if (dCN is not null) dCN.Data.AsSpan(l * B * H, B * H).CopyTo(st.DcCarry);
            }
            BackwardLayer(st, dyl, T, B);
            st.DhCarry.CopyTo(_dh0.Data.AsSpan(l * B * H, B * H));
            if (_dc0 is not null) st.DcCarry.CopyTo(_dc0.Data.AsSpan(l * B * H, B * H));
            if (l > 0)
            {
                // dX of this layer is dL/d(dropped output of layer l-1).
                var prev = _layers[l - 1];
                if (prev.Mask is not null) TensorPrimitives.Multiply(st.Dx, prev.Mask, st.Dx);
                dyl = st.Dx;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // no slow tier-0 code in hot loops
    private void BackwardLayer(LayerRun st, float[] dy, int T, int B)
    {
        int GH = Gates * HiddenSize, n = T * B;
        var p = st.Parameters;
        var dA = st.DA.AsSpan(0, n * GH);   // gradients wrt gate pre-activations
        var hw = st.Highway;
        // dy is dL/d(the layer's output); with a highway the cell gets dy ⊙ g.
        hw?.Backward(dy, LayerInput(st), st.Y, n, Threads);
        st.Dy = hw?.DCell ?? dy;
        Cell.BackwardSequence(st);
        st.Dy = null;

        // Recurrent weight gradients, one GEMM each over all steps (the cell's), then the input side.
        // With weight drop, dL/dW_hh = mask * dL/d(masked W_hh): computed apart, then masked into the arena.
        Span<float> dwhh = p.WeightHh is null ? default : p.WeightHh.Grad;
        if (st.WeightDropped)
        {
            st.DWhhScratch = Buffers.Ensure(st.DWhhScratch, p.WeightHh!.Length);
            dwhh = st.DWhhScratch;
            dwhh.Clear();
        }
        Cell.AccumulateRecurrentGrads(st, dwhh, p.BiasHh is null ? default : p.BiasHh.Grad);
        if (st.WeightDropped) TensorPrimitives.FusedMultiplyAdd(dwhh, st.WhhMask, p.WeightHh!.Grad, p.WeightHh.Grad);
        if (p.BiasIh is not null) Reduce.SumRows(dA, n, GH, p.BiasIh.Grad);
        bool raw = Cell.RequiresInputEqualsHidden;
        if (st.X is null)
        {
            // Token input: S[v] = sum of dA rows whose id is v; dW_ih += S^T E; dE += S W_ih.
            var emb = _embedding!;
            int v = emb.Shape[0];
            var sum = st.Table.AsSpan(0, v * GH);
            sum.Clear();
            var ids = _ids!;
            for (int r = 0; r < n; r++)
            {
                var row = sum.Slice(ids[r] * GH, GH);
                TensorPrimitives.Add(row, dA.Slice(r * GH, GH), row);
            }
            Gemm.Sgemm(true, false, GH, st.In, v, 1f, sum, GH, emb.Value, st.In, 1f, p.WeightIh.Grad, st.In, Threads);
            Gemm.Sgemm(false, false, v, st.In, GH, 1f, sum, GH, p.WeightIh.Value, st.In, 1f, emb.Grad, st.In, Threads);
            if (!raw && hw is null) return;
            // The gradient through the raw-input terms and the highway, per token (st.Dx as scratch).
            var dRaw = st.Dx.AsSpan(0, n * st.In);
            if (raw) st.DInput.AsSpan(0, n * st.In).CopyTo(dRaw);
            hw?.AddInputGradient(dy, dRaw, accumulate: raw, n, Threads);
            for (int r = 0; r < n; r++)
            {
                var row = emb.Grad.Slice(ids[r] * st.In, st.In);
                TensorPrimitives.Add(row, dRaw.Slice(r * st.In, st.In), row);
            }
            return;
        }
        Gemm.Sgemm(true, false, GH, st.In, n, 1f, dA, GH, st.X, st.In, 1f, p.WeightIh.Grad, st.In, Threads);
        // dX = dA W_ih (+ the gradient through the cell's raw-input terms)
        if (raw) st.DInput.AsSpan(0, n * st.In).CopyTo(st.Dx);
        Gemm.Sgemm(false, false, n, st.In, GH, 1f, dA, GH, p.WeightIh.Value, st.In, raw ? 1f : 0f, st.Dx, st.In, Threads);
        hw?.AddInputGradient(dy, st.Dx, accumulate: true, n, Threads);
    }

}
