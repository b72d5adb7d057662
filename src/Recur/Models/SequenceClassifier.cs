using System.Text.Json.Serialization;
using Recur.Data;
using Recur.Nn;
using Recur.Nn.Cells;

namespace Recur.Models;

/// <summary>Architecture of a <see cref="SequenceClassifier"/>; stored in a run's <c>config.json</c> under <c>"model"</c>.</summary>
public sealed record SequenceClassifierConfig
{
    /// <summary>A cell name of <see cref="CellRegistry"/>.</summary>
    public string Cell { get; init; } = "lstm";

    /// <summary>Width of each time step's input (28 for the rows of a 28x28 image).</summary>
    public int InputSize { get; init; } = 28;

    /// <summary>Hidden width of every recurrent layer.</summary>
    public int Hidden { get; init; } = 128;

    /// <summary>Stacked recurrent layers.</summary>
    public int Layers { get; init; } = 1;

    /// <summary>Number of classes <c>K</c>.</summary>
    public int Classes { get; init; } = 10;

    /// <summary>Dropout between recurrent layers and on the last hidden state before the output layer.</summary>
    public float Dropout { get; init; }

    /// <summary>The cell; throws with the accepted names otherwise.</summary>
    [JsonIgnore]
    public RecurrentCell RecurrentCell => CellRegistry.Find(Cell)
        ?? throw new ArgumentException($"model must be one of {CellRegistry.NamesText}, got '{Cell}'.");

    /// <summary>Checks every field; the message names the field, the value and the accepted range.</summary>
    public void Validate()
    {
        _ = RecurrentCell;
        if (InputSize < 1) throw new ArgumentException($"input size must be positive, got {InputSize}.");
        if (Hidden < 1) throw new ArgumentException($"hidden must be positive, got {Hidden}.");
        if (Layers < 1) throw new ArgumentException($"layers must be positive, got {Layers}.");
        if (Classes < 2) throw new ArgumentException($"classes must be at least 2, got {Classes}.");
        if (!(Dropout >= 0f && Dropout < 1f)) throw new ArgumentException($"dropout must be in [0, 1), got {Dropout}.");
    }
}

/// <summary>
/// Many-to-one classification (the lectures' "sequential processing of non-sequence data"): a sequence
/// <c>x (T, B, I)</c> runs through a stack of recurrent layers; the top layer's last hidden state <c>h_T (B, H)</c>
/// goes through a linear layer to <c>K</c> class logits; the loss is softmax cross-entropy. Parameter names
/// match a PyTorch module with attributes <c>rnn</c> (<c>nn.LSTM</c>/<c>nn.GRU</c>/<c>nn.RNN</c>) and
/// <c>head</c> (<c>nn.Linear</c>).
/// <para>
/// Backward: <c>dlogits = softmax - onehot</c> (mean over the batch) → <c>dh_T = dlogits W_head</c>, which enters the
/// stack as the gradient on its final hidden state (every other step's output gradient is zero), then BPTT.
/// </para>
/// </summary>
public sealed class SequenceClassifier : IImageClassifier
{
    private readonly Recurrent _rnn;
    private readonly Linear _head;
    private readonly Dropout _dropout;
    private Tensor? _last, _dropped, _logits, _dlogits, _dLast, _dOut, _dhn;

    /// <summary>Builds the model with zero weights; call <see cref="Reset"/> to initialise.</summary>
    public SequenceClassifier(SequenceClassifierConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Config = config;
        Store = new ParameterStore();
        _rnn = new Recurrent(Store, "rnn", config.RecurrentCell, config.InputSize, config.Hidden, config.Layers, dropout: config.Dropout);
        _head = new Linear(Store, "head", config.Hidden, config.Classes);
        _dropout = new Dropout(config.Dropout);
    }

    /// <summary>The architecture.</summary>
    public SequenceClassifierConfig Config { get; }

    /// <summary>All parameters and gradients.</summary>
    public ParameterStore Store { get; }

    /// <inheritdoc/>
    public int Classes => Config.Classes;

    /// <inheritdoc/>
    public object ConfigRecord => Config;

    /// <inheritdoc/>
    public string Summary => $"{Config.Cell} hidden {Config.Hidden} x {Config.Layers} layer(s) over rows of {Config.InputSize} pixels";

    /// <inheritdoc/>
    public void CheckImageSize(int rows, int cols)
    {
        if (cols != Config.InputSize)
            throw new ArgumentException($"the images have {cols} columns but the model reads steps of {Config.InputSize}.");
    }

    /// <inheritdoc/>
    public Tensor NewInput(LabeledImages set, int batch)
    {
        ArgumentNullException.ThrowIfNull(set);
        return new Tensor(set.Rows, batch, set.Cols);
    }

    /// <inheritdoc/>
    public void FillInput(LabeledImages set, ReadOnlySpan<int> indices, Tensor x)
    {
        ArgumentNullException.ThrowIfNull(set);
        ArgumentNullException.ThrowIfNull(x);
        set.FillBatch(indices, x.Span);
    }

    /// <summary>The recurrent stack.</summary>
    public Recurrent Rnn => _rnn;

    /// <summary>The output layer.</summary>
    public Linear Head => _head;

    /// <summary>GEMM threads (results do not depend on it).</summary>
    public int Threads
    {
        get => _rnn.Threads;
        set { _rnn.Threads = value; _head.Threads = value; }
    }

    /// <summary>PyTorch's default initialisation; <paramref name="forgetBias"/> opts into torch-rnn's forget-gate start.</summary>
    public void Reset(Rng rng, float? forgetBias = null)
    {
        _rnn.Reset(rng, forgetBias);
        _head.Reset(rng);
    }

    /// <summary>Logits <c>(B, K)</c> of sequences <paramref name="x"/> <c>(T, B, I)</c> time-major (owned by the model).</summary>
    public Tensor Forward(Tensor x, bool training = false, Rng? rng = null)
    {
        ArgumentNullException.ThrowIfNull(x);
        var o = _rnn.Forward(x, training: training, rng: rng);
        int L = Config.Layers, B = x.Shape[1], H = Config.Hidden;
        _last = Buffers.Ensure(_last, B, H);
        o.HN.Data.AsSpan((L - 1) * B * H, B * H).CopyTo(_last.Data);
        _dropped = Buffers.Ensure(_dropped, B, H);
        _dropout.Forward(_last.Data, _dropped.Data, training, rng);
        _logits = Buffers.Ensure(_logits, B, Config.Classes);
        _head.Forward(_dropped.Data, B, _logits.Data);
        return _logits;
    }

    /// <summary>
    /// One training step's forward and backward on <paramref name="x"/> <c>(T, B, I)</c> with class ids
    /// <paramref name="labels"/> <c>(B)</c>: zeroes the gradients, accumulates new ones, returns the mean cross-entropy.
    /// </summary>
    public double TrainStep(Tensor x, ReadOnlySpan<int> labels, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(x);
        Store.ZeroGrad();
        var logits = Forward(x, training: true, rng);
        int T = x.Shape[0], B = x.Shape[1], H = Config.Hidden, K = Config.Classes, L = Config.Layers;
        _dlogits = Buffers.Ensure(_dlogits, B, K);
        double loss = SoftmaxCrossEntropy.LossAndGradient<float>(logits.Data, B, K, labels, _dlogits.Data);
        _dLast = Buffers.Ensure(_dLast, B, H);
        _head.Backward(_dropped!.Data, _dlogits.Data, B, _dLast.Data);
        _dropout.Backward(_dLast.Data, _dLast.Data);
        // dL/dh_T enters as the gradient on the top layer's final state; no step's output is seen otherwise.
        _dOut = Buffers.Ensure(_dOut, T, B, H);
        _dhn = Buffers.Ensure(_dhn, L, B, H);
        _dhn.Span.Clear();
        _dLast.Data.CopyTo(_dhn.Data.AsSpan((L - 1) * B * H, B * H));
        _rnn.Backward(_dOut, _dhn);
        return loss;
    }
}
