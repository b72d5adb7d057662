using System.Numerics.Tensors;
using Recur.Nn;
using Recur.Nn.Cells;
using Recur.Nn.Vision;

namespace Recur.Models.Video;

/// <summary>
/// Video read frame by frame (the lectures' "sequence of video frames -> action class"), many-to-many and many-to-one
/// at once. Each frame's features <c>x_t (B, D)</c> (a frozen CNN's pooled grid) are projected,
/// <c>p_t = relu(W_in x_t + b_in) (B, P)</c>; a recurrent stack reads <c>p_1 .. p_T</c>; every step's output
/// <c>o_t (B, H)</c> scores the classes visible in that frame, <c>v_t = W_vis o_t + b_vis (B, C)</c> (one sigmoid each:
/// several objects can be in a frame), and the last state scores the clip's action, <c>a = W_act h_T + b_act (B, A)</c>.
/// The loss is the action's softmax cross-entropy (mean over the batch) plus the visibility's binary cross-entropy summed
/// over the <c>C</c> classes and averaged over the <c>T B</c> frames.
/// <para>
/// The baselines of the same shape without recurrence: <see cref="VideoClassifierConfig.Average"/> scores the action from
/// the frames' mean projection <c>(1/T) sum_t p_t</c>, <see cref="VideoClassifierConfig.Middle"/> from the middle frame's
/// <c>p_{T/2}</c> (integer division), and both score each frame's classes from that frame's own <c>p_t</c>.
/// </para>
/// <para>
/// Parameter names follow a PyTorch module with attributes <c>proj</c> (<c>nn.Linear</c>), <c>rnn</c>
/// (<c>nn.LSTM</c>/<c>nn.GRU</c>/<c>nn.RNN</c>), <c>visible</c> and <c>action</c> (<c>nn.Linear</c>).
/// </para>
/// </summary>
public sealed class VideoClassifier
{
    private readonly Linear _proj, _visible, _action;
    private readonly Recurrent? _rnn;
    private Tensor? _x, _p, _state, _perFrame, _actionLogits, _visibleLogits, _dAction, _dVisible, _dState, _dOut, _dhn, _dp;

    /// <summary>Builds the model with zero weights; call <see cref="Reset"/> to initialise.</summary>
    public VideoClassifier(VideoClassifierConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Config = config;
        Store = new ParameterStore();
        _proj = new Linear(Store, "proj", config.FeatureDim, config.Projection);
        if (!config.IsBaseline)
            _rnn = new Recurrent(Store, "rnn", CellRegistry.Find(config.Model)!, config.Projection, config.Hidden, config.Layers, dropout: config.Dropout);
        _visible = new Linear(Store, "visible", config.HeadInput, config.Classes);
        _action = new Linear(Store, "action", config.HeadInput, config.Actions);
    }

    /// <summary>The architecture.</summary>
    public VideoClassifierConfig Config { get; }

    /// <summary>All parameters and gradients.</summary>
    public ParameterStore Store { get; }

    /// <summary>One line for the console.</summary>
    public string Summary => Config.IsBaseline
        ? $"{Config.Model} baseline: frame projection {Config.Projection}, no recurrence"
        : $"{Config.Model} hidden {Config.Hidden} x {Config.Layers} layer(s) over frame projections of {Config.Projection}";

    /// <summary>GEMM threads (results do not depend on it).</summary>
    public int Threads
    {
        get => _proj.Threads;
        set
        {
            _proj.Threads = value; _visible.Threads = value; _action.Threads = value;
            if (_rnn is not null) _rnn.Threads = value;
        }
    }

    /// <summary>PyTorch's default initialisation of every layer.</summary>
    public void Reset(Rng rng, float? forgetBias = null)
    {
        ArgumentNullException.ThrowIfNull(rng);
        _proj.Reset(rng);
        _rnn?.Reset(rng, forgetBias);
        _visible.Reset(rng);
        _action.Reset(rng);
    }

    /// <summary>
    /// Scores clips <paramref name="x"/> <c>(T, B, D)</c> time-major: the action logits <c>(B, A)</c> and every frame's
    /// visibility logits <c>(T, B, C)</c> (both owned by the model, overwritten by the next call).
    /// </summary>
    public (Tensor Action, Tensor Visible) Forward(Tensor x, bool training = false, Rng? rng = null)
    {
        ArgumentNullException.ThrowIfNull(x);
        Guard.Rank(x, nameof(x), 3, "(time, batch, features)");
        int T = x.Shape[0], B = x.Shape[1], P = Config.Projection, W = Config.HeadInput;
        if (x.Shape[2] != Config.FeatureDim) throw new ArgumentException($"x has shape {x.ShapeString}; the model reads {Config.FeatureDim} features a frame.");
        _x = x;
        _p = Buffers.Ensure(_p, T, B, P);                                  // p (T, B, P) = relu(proj(x))
        _proj.Forward(x.Data, T * B, _p.Data);
        Relu.ForwardInPlace(_p.Data);
        _state = Buffers.Ensure(_state, B, W);                             // what the action head reads (B, W)
        Tensor perFrame;                                                   // what the visibility head reads (T, B, W)
        if (_rnn is not null)
        {
            var o = _rnn.Forward(_p, training: training, rng: rng);
            o.HN.Data.AsSpan((Config.Layers - 1) * B * W, B * W).CopyTo(_state.Data);
            perFrame = o.Output;
        }
        else
        {
            if (Config.Model == VideoClassifierConfig.Middle)
                _p.Data.AsSpan(T / 2 * B * P, B * P).CopyTo(_state.Data);
            else
            {
                _state.Span.Clear();
                for (int t = 0; t < T; t++) TensorPrimitives.Add(_state.Data, _p.Data.AsSpan(t * B * P, B * P), _state.Data);
                TensorPrimitives.Multiply(_state.Data, 1f / T, _state.Data);
            }
            perFrame = _p;
        }
        _actionLogits = Buffers.Ensure(_actionLogits, B, Config.Actions);
        _action.Forward(_state.Data, B, _actionLogits.Data);
        _visibleLogits = Buffers.Ensure(_visibleLogits, T, B, Config.Classes);
        _visible.Forward(perFrame.Data, T * B, _visibleLogits.Data);
        _perFrame = perFrame;
        return (_actionLogits, _visibleLogits);
    }

    /// <summary>
    /// One training step's forward and backward on clips <paramref name="x"/> <c>(T, B, D)</c> with their actions
    /// <paramref name="actions"/> <c>(B)</c> and per-frame labels <paramref name="visible"/> <c>(T, B, C)</c> (0 or 1):
    /// zeroes the gradients, accumulates new ones, returns the loss and its two terms.
    /// </summary>
    public (double Loss, double Action, double Visible) TrainStep(Tensor x, ReadOnlySpan<int> actions, ReadOnlySpan<float> visible, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(x);
        Store.ZeroGrad();
        var (act, vis) = Forward(x, training: true, rng);
        int T = x.Shape[0], B = x.Shape[1], P = Config.Projection, W = Config.HeadInput, C = Config.Classes, L = Config.Layers;
        _dAction = Buffers.Ensure(_dAction, B, Config.Actions);
        double actionLoss = SoftmaxCrossEntropy.LossAndGradient<float>(act.Data, B, Config.Actions, actions, _dAction.Data);
        _dVisible = Buffers.Ensure(_dVisible, T, B, C);
        double visibleLoss = SigmoidCrossEntropy(vis.Data, visible, T * B, _dVisible.Data);

        _dState = Buffers.Ensure(_dState, B, W);                           // dL/d(action head input) (B, W)
        _action.Backward(_state!.Data, _dAction.Data, B, _dState.Data);
        _dp = Buffers.Ensure(_dp, T, B, P);                                // dL/dp (T, B, P)
        if (_rnn is not null)
        {
            _dOut = Buffers.Ensure(_dOut, T, B, W);                        // dL/do (T, B, H), from the visibility head
            _visible.Backward(_perFrame!.Data, _dVisible.Data, T * B, _dOut.Data);
            _dhn = Buffers.Ensure(_dhn, L, B, W);                          // the action's gradient enters as the top layer's final state's
            _dhn.Span.Clear();
            _dState.Data.CopyTo(_dhn.Data.AsSpan((L - 1) * B * W, B * W));
            _rnn.Backward(_dOut, _dhn).DInput.Data.CopyTo(_dp.Data, 0);
        }
        else
        {
            _visible.Backward(_perFrame!.Data, _dVisible.Data, T * B, _dp.Data);
            if (Config.Model == VideoClassifierConfig.Middle)
                TensorPrimitives.Add(_dp.Data.AsSpan(T / 2 * B * P, B * P), _dState.Data, _dp.Data.AsSpan(T / 2 * B * P, B * P));
            else
            {
                TensorPrimitives.Multiply(_dState.Data, 1f / T, _dState.Data);
                for (int t = 0; t < T; t++) TensorPrimitives.Add(_dp.Data.AsSpan(t * B * P, B * P), _dState.Data, _dp.Data.AsSpan(t * B * P, B * P));
            }
        }
        Relu.BackwardInPlace(_p!.Data, _dp.Data);
        _proj.Backward(_x!.Data, _dp.Data, T * B, Span<float>.Empty);
        return (actionLoss + visibleLoss, actionLoss, visibleLoss);
    }

    /// <summary>The loss of <see cref="TrainStep"/> and its two terms, without gradients and without dropout.</summary>
    public (double Loss, double Action, double Visible) Loss(Tensor x, ReadOnlySpan<int> actions, ReadOnlySpan<float> visible)
    {
        ArgumentNullException.ThrowIfNull(x);
        var (act, vis) = Forward(x);
        double actionLoss = SoftmaxCrossEntropy.Loss<float>(act.Data, x.Shape[1], Config.Actions, actions);
        double visibleLoss = SigmoidCrossEntropy(vis.Data, visible, x.Shape[0] * x.Shape[1], []);
        return (actionLoss + visibleLoss, actionLoss, visibleLoss);
    }

    /// <summary>
    /// Binary cross-entropy with logits, summed over each row's classes and averaged over the <paramref name="rows"/> rows:
    /// <c>max(z, 0) - z y + log(1 + exp(-|z|))</c>; its gradient <c>(sigmoid(z) - y) / rows</c> into <paramref name="dz"/>
    /// (none when it is empty).
    /// </summary>
    public static double SigmoidCrossEntropy(ReadOnlySpan<float> z, ReadOnlySpan<float> y, int rows, Span<float> dz)
    {
        if (z.Length != y.Length || (!dz.IsEmpty && z.Length != dz.Length))
            throw new ArgumentException($"logits {z.Length}, labels {y.Length}, gradient {dz.Length}: they must match.");
        if (rows < 1 || z.Length % rows != 0) throw new ArgumentException($"{z.Length} logits are not {rows} rows.");
        double loss = 0;
        double inv = 1.0 / rows;
        for (int i = 0; i < z.Length; i++)
        {
            double zi = z[i];
            loss += Math.Max(zi, 0) - zi * y[i] + Math.Log(1 + Math.Exp(-Math.Abs(zi)));
            if (!dz.IsEmpty) dz[i] = (float)((1 / (1 + Math.Exp(-zi)) - y[i]) * inv);
        }
        return loss * inv;
    }
}
