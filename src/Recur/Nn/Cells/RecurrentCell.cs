namespace Recur.Nn.Cells;

/// <summary>
/// One recurrent cell: its gate layout, its parameters (names, shapes, initialisation), how its biases
/// fold into the input projection, and the arithmetic of one time step, forward and backward, over a
/// block of batch rows, plus the single-step inference form. The cell's arithmetic lives in its own file
/// and nowhere else: <see cref="Recurrent"/> (training), the sampler, the interpretable-cells analysis,
/// the gradient-flow probe and the checkpoint loader all call it.
/// <para>
/// The sequence driver (<see cref="Recurrent"/>) owns what every cell shares: the input projection of
/// all <c>T</c> steps as one GEMM, <c>A (T*B, G*H) = X W_ih^T + fold(b)</c>, the loop over time,
/// stacking, dropout between layers, weight drop on <c>W_hh</c>, the initial states in and the final
/// states out, and the input-side weight gradients after the reverse loop,
/// <c>dW_ih += dA^T X</c>, <c>dX = dA W_ih</c>, <c>db_ih = sum dA</c>. A cell fills in the rest of
/// each step: its recurrent products (against <see cref="LayerRun"/>'s packed <c>W_hh</c>) and its
/// elementwise work, and after the reverse loop its recurrent weight gradients.
/// </para>
/// <para>
/// Cells are stateless singletons (one object per registered name, see <see cref="CellRegistry"/>);
/// everything that changes lives in <see cref="LayerRun"/> (training) or <see cref="InferenceLayer"/>
/// (sampling).
/// </para>
/// </summary>
public abstract class RecurrentCell
{
    /// <summary>The registry name: <c>--model</c> on the command line and <c>cell</c> in config.json.</summary>
    public abstract string Name { get; }

    /// <summary>One line for usage text: the equations in words.</summary>
    public abstract string Summary { get; }

    /// <summary>Gate blocks <c>G</c>: <c>W_ih</c> is <c>(G*H, in)</c> and the input projection <c>(T*B, G*H)</c>.</summary>
    public abstract int Gates { get; }

    /// <summary>
    /// Gate blocks of <c>W_hh</c>: it is <c>(R*H, H)</c> and <c>b_hh</c> <c>(R*H)</c>. The default is
    /// <see cref="Gates"/>; cells whose recurrent and input projections feed different gates say otherwise,
    /// and cells without a recurrent matrix (minGRU, minLSTM) say 0: they then have no <c>weight_hh</c>
    /// and no <c>bias_hh</c>.
    /// </summary>
    public virtual int RecurrentGates => Gates;

    /// <summary>
    /// Parameters a layer has besides <c>weight_ih</c>, <c>weight_hh</c>, <c>bias_ih</c>, <c>bias_hh</c>
    /// (peepholes, layer-norm gains): each is registered as <c>{Name}_l{k}</c>, in this order, in
    /// <see cref="LayerParameters.Extra"/>.
    /// </summary>
    public virtual IReadOnlyList<CellParameter> ExtraParameters => [];

    /// <summary>Scalars in one layer of this cell with input width <paramref name="inputSize"/> (no allocation).</summary>
    public long ParameterCount(int inputSize, int hiddenSize, bool bias)
    {
        long h = hiddenSize, n = Gates * h * inputSize + RecurrentGates * h * h;
        if (bias) n += (Gates + RecurrentGates) * h;
        foreach (var e in ExtraParameters)
        {
            long k = 1;
            foreach (int d in e.Shape(inputSize, hiddenSize)) k *= d;
            n += k;
        }
        return n;
    }

    /// <summary>Names of the gate blocks in row order (PyTorch's: LSTM i, f, g, o; GRU r, z, n); empty for a plain RNN.</summary>
    public virtual IReadOnlyList<string> GateNames => [];

    /// <summary>
    /// True when <see cref="LayerRun.A"/> holds the gates' activations after the forward pass (so analyses
    /// can read them); false when it holds pre-activations (the plain RNN, whose output is its only gate).
    /// </summary>
    public virtual bool RecordsGateActivations => GateNames.Count > 0;

    /// <summary>True when the cell carries a second state besides <c>h</c> (LSTM's cell state <c>c</c>).</summary>
    public virtual bool HasCellState => false;

    /// <summary>
    /// True when the cell's input must be as wide as its hidden state (cells that add the raw input to
    /// <c>h</c>-sized quantities); the driver refuses any other width. Such a cell reads its input with
    /// <see cref="LayerRun.Input"/> (training) and <see cref="InferenceLayer.X"/> (sampling), and its backward
    /// rows write the gradient through those raw-input terms into <see cref="LayerRun.DInput"/>, which the
    /// driver adds to the input's gradient.
    /// </summary>
    public virtual bool RequiresInputEqualsHidden => false;

    /// <summary>
    /// True when every gate's pre-activation is <c>W_ih x + W_hh h + b</c> with nothing else in between
    /// (RNN, LSTM): inference may then compute both products as one over <c>[W_ih | W_hh]</c> and
    /// <c>[x; h]</c> before <see cref="InferUnits"/>.
    /// </summary>
    public virtual bool AdditiveRecurrence => false;

    /// <summary>Phases of <see cref="InferUnits"/> per step (2 when all units of one phase must be done before the next).</summary>
    public virtual int InferencePhases => 1;

    /// <summary>
    /// PyTorch's initialisation of one layer: every weight and bias ~ U(-1/sqrt(H), 1/sqrt(H)), drawn in
    /// the order <c>weight_ih, weight_hh, bias_ih, bias_hh</c>. <paramref name="forgetBias"/>, for cells
    /// with a forget gate, then sets the forget-gate slices of the two biases to sum to it.
    /// </summary>
    public virtual void Initialize(LayerParameters p, int hiddenSize, Rng rng, float? forgetBias)
    {
        ArgumentNullException.ThrowIfNull(p);
        ArgumentNullException.ThrowIfNull(rng);
        float bound = 1f / MathF.Sqrt(hiddenSize);
        rng.FillUniform(p.WeightIh.Value, -bound, bound);
        if (p.WeightHh is not null) rng.FillUniform(p.WeightHh.Value, -bound, bound);
        if (p.BiasIh is not null) rng.FillUniform(p.BiasIh.Value, -bound, bound);
        if (p.BiasHh is not null) rng.FillUniform(p.BiasHh.Value, -bound, bound);
        for (int i = 0; i < p.Extra.Count; i++)
        {
            var spec = ExtraParameters[i];
            if (spec.Init is { } value) p.Extra[i].Value.Fill(value);
            else rng.FillUniform(p.Extra[i].Value, -bound, bound);
        }
    }

    /// <summary>
    /// The bias added to the input projection <c>(G*H)</c>: <c>b_ih</c> plus the parts of <c>b_hh</c> that fold
    /// (all of it by default; cells whose recurrent branch is gated keep some of <c>b_hh</c> inside it).
    /// </summary>
    public virtual void FoldBias(ReadOnlySpan<float> bih, ReadOnlySpan<float> bhh, Span<float> dst)
    {
        bih.CopyTo(dst);
        System.Numerics.Tensors.TensorPrimitives.Add(dst, bhh, dst);
    }

    // ------------------------------------------------------------------ training, called by Recurrent

    /// <summary>
    /// The buffers this cell adds to each <see cref="LayerRun"/> beyond the shared ones, as a subclass of
    /// <see cref="CellBuffers"/> nested in the cell's file (named fields, shapes in their comments), or null when
    /// the shared buffers are all it needs. Called once per layer; the layer resizes the object per chunk.
    /// </summary>
    internal virtual CellBuffers? CreateBuffers() => null;

    /// <summary>
    /// The whole chunk forward: <see cref="LayerRun.A"/> holds every step's input projection. The default
    /// packs <c>W_hh</c> and runs <see cref="ForwardStep"/> for <c>t = 0..T-1</c>; cells without a recurrent
    /// product (minGRU, minLSTM) replace it with a scan over the sequence.
    /// </summary>
    internal virtual void ForwardSequence(LayerRun run)
    {
        PackForward(run, run.Whh);
        for (int t = 0; t < run.T; t++)
        {
            ForwardStep(run, t);
            if (run.Lengths is not null) FreezeFinished(run, t);
        }
    }

    /// <summary>False for cells whose <see cref="ForwardSequence"/> is not a loop of steps (a scan): they take no <see cref="LayerRun.Lengths"/>.</summary>
    internal virtual bool SupportsLengths => true;

    /// <summary>Rows whose sequence ended before step <paramref name="t"/> keep their state: <c>h_t = h_{t-1}</c> (and <c>c_t = c_{t-1}</c>).</summary>
    private void FreezeFinished(LayerRun run, int t)
    {
        int B = run.B, H = run.H;
        for (int b = 0; b < B; b++)
        {
            if (t < run.Lengths![b]) continue;
            run.Y.AsSpan(((t - 1) * B + b) * H, H).CopyTo(run.Y.AsSpan((t * B + b) * H, H));
            if (HasCellState) run.C.AsSpan(((t - 1) * B + b) * H, H).CopyTo(run.C.AsSpan((t * B + b) * H, H));
        }
    }

    /// <summary>
    /// The whole chunk backward (upstream gradients in <see cref="LayerRun.Dy"/>, the final states' in the
    /// carries): fills <see cref="LayerRun.DA"/> and leaves <c>dL/dh_{-1}</c> (<c>dL/dc_{-1}</c>) in the carries.
    /// The default runs <see cref="BackwardStep"/> for <c>t = T-1..0</c>.
    /// </summary>
    internal virtual void BackwardSequence(LayerRun run)
    {
        PackBackward(run, run.Whh);
        if (run.Lengths is null)
        {
            for (int t = run.T - 1; t >= 0; t--) BackwardStep(run, t);
            return;
        }
        int B = run.B, H = run.H;
        var held = new float[2 * B * H]; // the carried gradients of finished rows, passed straight back over their frozen steps
        for (int t = run.T - 1; t >= 0; t--)
        {
            bool any = false;
            for (int b = 0; b < B; b++)
            {
                if (t < run.Lengths[b]) continue;
                any = true;
                run.DhCarry.AsSpan(b * H, H).CopyTo(held.AsSpan(b * H, H));
                run.DhCarry.AsSpan(b * H, H).Clear();
                if (HasCellState) { run.DcCarry.AsSpan(b * H, H).CopyTo(held.AsSpan((B + b) * H, H)); run.DcCarry.AsSpan(b * H, H).Clear(); }
            }
            BackwardStep(run, t);
            if (!any) continue;
            for (int b = 0; b < B; b++)
            {
                if (t < run.Lengths[b]) continue;
                held.AsSpan(b * H, H).CopyTo(run.DhCarry.AsSpan(b * H, H));
                if (HasCellState) held.AsSpan((B + b) * H, H).CopyTo(run.DcCarry.AsSpan(b * H, H));
            }
        }
    }

    /// <summary>
    /// Packs <c>W_hh</c> (or its blocks) for the forward pass's per-step products: by default all of it into
    /// <see cref="LayerRun.WhhForward"/>.
    /// </summary>
    internal virtual void PackForward(LayerRun run, ReadOnlySpan<float> whh)
        => Kernels.Gemm.PackB(true, run.H, Gates * run.H, whh, run.H, run.WhhForward);

    /// <summary>
    /// Step <paramref name="t"/> forward: <see cref="LayerRun.A"/>'s rows of step <c>t</c> hold the input
    /// projection; the cell adds its recurrent products and writes <c>h_t</c> into <see cref="LayerRun.Y"/>
    /// (and its other states), keeping what backward needs.
    /// </summary>
    internal abstract void ForwardStep(LayerRun run, int t);

    /// <summary>The elementwise part of step <paramref name="t"/>, rows <c>[b0, b1)</c> (run in parallel by <see cref="LayerRun.RunRows"/>).</summary>
    internal abstract void ForwardRows(LayerRun run, int t, int phase, int b0, int b1);

    /// <summary>
    /// Packs <c>W_hh</c> (or its blocks) for the backward pass's per-step products <c>dA W_hh</c>: by default all
    /// of it into <see cref="LayerRun.WhhBackward"/>.
    /// </summary>
    internal virtual void PackBackward(LayerRun run, ReadOnlySpan<float> whh)
        => Kernels.Gemm.PackB(false, Gates * run.H, run.H, whh, run.H, run.WhhBackward);

    /// <summary>
    /// Step <paramref name="t"/> backward: <see cref="LayerRun.DhCarry"/> holds <c>dL/dh_t</c> from later
    /// steps (the upstream <c>dL/dy_t</c> is added by the rows); writes the gate gradients into
    /// <see cref="LayerRun.DA"/> and leaves <c>dL/dh_{t-1}</c> (and the carried cell-state gradient) behind.
    /// </summary>
    internal abstract void BackwardStep(LayerRun run, int t);

    /// <summary>The elementwise part of step <paramref name="t"/> backward, rows <c>[b0, b1)</c>.</summary>
    internal abstract void BackwardRows(LayerRun run, int t, int phase, int b0, int b1);

    /// <summary>
    /// After the reverse loop: <c>dW_hh</c> (into <paramref name="dwhh"/>) and <c>db_hh</c> (into
    /// <paramref name="dbhh"/>, empty without biases). The default is for cells whose every gate sees
    /// <c>W_hh h_{t-1}</c>: <c>dW_hh += dA^T [h_0; y_0..y_{T-2}]</c>, <c>db_hh += sum dA</c>.
    /// </summary>
    internal virtual void AccumulateRecurrentGrads(LayerRun run, Span<float> dwhh, Span<float> dbhh)
    {
        var dA = run.DA.AsSpan(0, run.T * run.B * Gates * run.H);
        run.AccumulateHiddenGrad(dA, Gates * run.H, Gates * run.H, dwhh);
        if (!dbhh.IsEmpty) Kernels.Reduce.SumRows(dA, run.T * run.B, Gates * run.H, dbhh);
    }

    /// <summary>
    /// The cell state's total gradient <c>dL/dc_t</c> of row <paramref name="b"/> at step <paramref name="t"/>
    /// after <see cref="BackwardStep"/> ran for <c>t</c> (for gradient-flow analysis); cells without a cell
    /// state leave it empty.
    /// </summary>
    internal virtual void CellStateGradient(LayerRun run, int t, int b, Span<float> dst) => dst.Clear();

    // ------------------------------------------------------------------ inference, called by the sampler

    /// <summary>
    /// One step for hidden units <c>[j0, j0+n)</c> of one layer, batch 1: <see cref="InferenceLayer.A"/>
    /// holds <c>fold(b) + W_ih x</c> for those units (plus <c>W_hh h</c> when <see cref="AdditiveRecurrence"/>);
    /// the cell adds what else it needs and writes the new state into <see cref="InferenceLayer.HNext"/>
    /// (and updates <see cref="InferenceLayer.C"/> in place). Phase 1 runs after phase 0 is done for all units.
    /// </summary>
    internal abstract void InferUnits(InferenceLayer layer, int phase, int j0, int n);

    /// <inheritdoc/>
    public override string ToString() => Name;
}

/// <summary>
/// One layer's PyTorch parameters: <c>weight_ih (G*H, in)</c>, <c>weight_hh (R*H, H)</c> (null when the cell
/// has no recurrent matrix), <c>bias_ih (G*H)</c>, <c>bias_hh (R*H)</c>, and the cell's
/// <see cref="RecurrentCell.ExtraParameters"/> in order.
/// </summary>
public sealed record LayerParameters(Parameter WeightIh, Parameter? WeightHh, Parameter? BiasIh, Parameter? BiasHh)
{
    /// <summary>The cell's extra parameters, in the order of <see cref="RecurrentCell.ExtraParameters"/>.</summary>
    public IReadOnlyList<Parameter> Extra { get; init; } = [];

    /// <summary>Every parameter of the layer, in registration order.</summary>
    public IEnumerable<Parameter> All
    {
        get
        {
            yield return WeightIh;
            if (WeightHh is not null) yield return WeightHh;
            if (BiasIh is not null) yield return BiasIh;
            if (BiasHh is not null) yield return BiasHh;
            foreach (var e in Extra) yield return e;
        }
    }
}

/// <summary>
/// A cell's extra per-layer parameter: its name stem (registered as <c>{Name}_l{k}</c>), its shape for an
/// input width and hidden width, and its initial value (null: PyTorch's <c>U(-1/sqrt(H), 1/sqrt(H))</c>).
/// </summary>
public sealed record CellParameter(string Name, Func<int, int, int[]> Shape, float? Init = null);
