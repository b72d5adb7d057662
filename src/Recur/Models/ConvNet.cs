using Recur.Data;
using Recur.Nn;
using Recur.Nn.Vision;

namespace Recur.Models;

/// <summary>
/// A small convolutional classifier (the lectures' CNN that captioning takes its features from): stages of
/// convolution, ReLU and max pooling (<see cref="ConvNetConfig"/>), the grid flattened, dropout, an optional fully
/// connected layer with ReLU and dropout, and a linear head. Parameter names match a PyTorch module with attributes
/// <c>conv0</c>, <c>conv1</c>, ... (<c>nn.Conv2d</c>), <c>fc</c> and <c>head</c> (<c>nn.Linear</c>) whose forward is
/// <c>relu</c>/<c>max_pool2d</c> between them and <c>flatten(1)</c> before <c>fc</c>.
/// <para>
/// <see cref="Features"/> runs the stages alone: without its head the network maps an image of any size to a grid
/// <c>(B, D, Hg, Wg)</c> of <c>D</c>-dimensional features, the <c>L = Hg*Wg</c> locations a captioner attends over
/// (as the lectures drop the classifier's FC-1000).
/// </para>
/// </summary>
public sealed class ConvNet : IImageClassifier
{
    private readonly Conv2d[] _convs;
    private readonly MaxPool2d[] _pools;
    private readonly Linear? _fc;
    private readonly Linear _head;
    private readonly Dropout _dropFlat, _dropFc;
    private readonly Tensor?[] _relu;      // per stage: the convolution's output after ReLU (B, C_k, H_k, W_k)
    private Tensor? _flatDropped, _fcOut, _fcDropped, _logits, _dlogits, _dFc, _dFlat;
    private Tensor? _grid;                 // the last stage's pooled output (B, D, Hg, Wg)
    private Tensor? _augmented;            // the training batch after flips and shifts (B, Cin, H, W)

    /// <summary>Builds the model with zero weights; call <see cref="Reset"/> to initialise.</summary>
    public ConvNet(ConvNetConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Config = config;
        Store = new ParameterStore();
        _convs = new Conv2d[config.Channels.Length];
        _pools = new MaxPool2d[config.Channels.Length];
        int cin = config.InChannels;
        for (int k = 0; k < _convs.Length; k++)
        {
            _convs[k] = new Conv2d(Store, $"conv{k}", cin, config.Channels[k], config.Kernel, 1, config.Kernel / 2);
            _pools[k] = new MaxPool2d(config.Pool);
            cin = config.Channels[k];
        }
        _relu = new Tensor?[_convs.Length];
        int flat = checked(FeatureChannels * config.GridSize(config.Rows) * config.GridSize(config.Cols));
        if (config.Fc > 0) _fc = new Linear(Store, "fc", flat, config.Fc);
        _head = new Linear(Store, "head", config.Fc > 0 ? config.Fc : flat, config.Classes);
        _dropFlat = new Dropout(config.Dropout);
        _dropFc = new Dropout(config.Dropout);
    }

    /// <summary>The architecture.</summary>
    public ConvNetConfig Config { get; }

    /// <inheritdoc/>
    public ParameterStore Store { get; }

    /// <inheritdoc/>
    public int Classes => Config.Classes;

    /// <inheritdoc/>
    public object ConfigRecord => Config;

    /// <summary>Channels <c>D</c> of the feature grid.</summary>
    public int FeatureChannels => Config.Channels[^1];

    /// <inheritdoc/>
    public string Summary => $"cnn {Config.ChannelsText} ({Config.Kernel}x{Config.Kernel} convolutions, {Config.Pool}x{Config.Pool} pooling)"
        + (Config.Fc > 0 ? $" + fc {Config.Fc}" : "")
        + (Config.Flip ? ", training flips" : "") + (Config.Shift > 0 ? $", training shifts of up to {Config.Shift} px" : "");

    /// <inheritdoc/>
    public int Threads
    {
        get => _head.Threads;
        set { foreach (var c in _convs) c.Threads = value; if (_fc is not null) _fc.Threads = value; _head.Threads = value; }
    }

    /// <inheritdoc/>
    public void CheckImageSize(int rows, int cols)
    {
        if (rows != Config.Rows || cols != Config.Cols)
            throw new ArgumentException($"the images are {rows}x{cols} but the classifier was built for {Config.Rows}x{Config.Cols}.");
    }

    /// <inheritdoc/>
    public void Reset(Rng rng, float? forgetBias = null)
    {
        ArgumentNullException.ThrowIfNull(rng);
        foreach (var c in _convs) c.Reset(rng);
        _fc?.Reset(rng);
        _head.Reset(rng);
    }

    /// <inheritdoc/>
    public Tensor NewInput(LabeledImages set, int batch)
    {
        ArgumentNullException.ThrowIfNull(set);
        return new Tensor(batch, Config.InChannels, set.Rows, set.Cols);
    }

    /// <inheritdoc/>
    public void FillInput(LabeledImages set, ReadOnlySpan<int> indices, Tensor x)
    {
        ArgumentNullException.ThrowIfNull(set);
        ArgumentNullException.ThrowIfNull(x);
        if (Config.InChannels != 1) throw new InvalidOperationException($"labelled grey images fill one channel; this network reads {Config.InChannels}.");
        set.FillBatchMajor(indices, x.Span);
    }

    /// <summary>
    /// The stages alone (convolution, ReLU, pooling) over <paramref name="x"/> <c>(B, Cin, H, W)</c> of any size the
    /// stages fit: the feature grid <c>(B, D, Hg, Wg)</c>, owned by the model until the next call.
    /// </summary>
    public Tensor Features(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        var h = x;
        for (int k = 0; k < _convs.Length; k++)
        {
            var y = _convs[k].Forward(h);
            Relu.ForwardInPlace(y.Span);
            _relu[k] = y;
            h = _pools[k].Forward(y);
        }
        _grid = h;
        return h;
    }

    /// <summary>
    /// The fully connected layer applied as a convolution (OverFeat's and the fully convolutional networks' view of a
    /// classifier): over the stages' grid <paramref name="grid"/> <c>(N, D, Hg, Wg)</c> of an image larger than the training
    /// images, every non-overlapping window the size of a training image's grid <c>(D, gh, gw)</c> is flattened as in
    /// training and goes through <c>fc</c> and ReLU, giving <c>(N, Fc, Hg / gh, Wg / gw)</c>: one location per window, with the
    /// features the head reads. An image tiled from training-size images gives each tile exactly its own features.
    /// <paramref name="stride"/> (in grid cells; 0: the window's own size) slides the windows closer, so that an object at
    /// any place has a window nearly centred on it: <c>(Hg - gh) / stride + 1</c> rows of windows.
    /// </summary>
    public Tensor FullyConnectedGrid(Tensor grid, int stride = 0)
    {
        ArgumentNullException.ThrowIfNull(grid);
        if (_fc is null) throw new InvalidOperationException("this network has no fully connected layer (fc 0): its features are the convolutional grid only.");
        if (grid.Shape.Length != 4 || grid.Shape[1] != FeatureChannels)
            throw new ArgumentException($"expected a grid (N, {FeatureChannels}, H, W), got ({string.Join(", ", grid.Shape)}).");
        int N = grid.Shape[0], C = grid.Shape[1], Hg = grid.Shape[2], Wg = grid.Shape[3];
        var (gh, gw) = (Config.GridSize(Config.Rows), Config.GridSize(Config.Cols));
        if (stride < 0) throw new ArgumentOutOfRangeException(nameof(stride), stride, "the stride is 0 (the window's size) or positive.");
        int sy = stride > 0 ? stride : gh, sx = stride > 0 ? stride : gw;
        if (Hg < gh || Wg < gw) throw new ArgumentException($"a {Hg}x{Wg} grid is smaller than the {gh}x{gw} grid of one training image.");
        int R = (Hg - gh) / sy + 1, Q = (Wg - gw) / sx + 1, flat = C * gh * gw, F = Config.Fc;
        // windows (N, R, Q, D * gh * gw), each flattened (D, gh, gw) as the training images' grids are
        var windows = new float[N * R * Q * flat];
        for (int n = 0; n < N; n++)
            for (int r = 0; r < R; r++)
                for (int q = 0; q < Q; q++)
                    for (int c = 0; c < C; c++)
                        for (int y = 0; y < gh; y++)
                            grid.Data.AsSpan(((n * C + c) * Hg + r * sy + y) * Wg + q * sx, gw)
                                .CopyTo(windows.AsSpan(((n * R + r) * Q + q) * flat + (c * gh + y) * gw, gw));
        var rows = new float[N * R * Q * F]; // (N, R, Q, Fc)
        _fc.Forward(windows, N * R * Q, rows);
        Relu.ForwardInPlace(rows);
        var result = new Tensor(N, F, R, Q);
        for (int n = 0; n < N; n++)
            for (int l = 0; l < R * Q; l++)
                for (int f = 0; f < F; f++) result.Data[(n * F + f) * R * Q + l] = rows[(n * R * Q + l) * F + f];
        return result;
    }

    /// <summary>
    /// The classifier's head over every location of <paramref name="fcGrid"/> <c>(N, Fc, R, Q)</c> (<see cref="FullyConnectedGrid"/>):
    /// the class logits of each window, <c>(N, K, R, Q)</c>: where in a larger image the network sees which class.
    /// </summary>
    public Tensor ScoreGrid(Tensor fcGrid)
    {
        ArgumentNullException.ThrowIfNull(fcGrid);
        if (fcGrid.Shape.Length != 4 || fcGrid.Shape[1] != _head.InFeatures)
            throw new ArgumentException($"expected a grid (N, {_head.InFeatures}, R, Q), got ({string.Join(", ", fcGrid.Shape)}).");
        int N = fcGrid.Shape[0], F = fcGrid.Shape[1], L = fcGrid.Shape[2] * fcGrid.Shape[3], K = Config.Classes;
        var rows = new float[N * L * F]; // (N, L, Fc)
        for (int n = 0; n < N; n++)
            for (int f = 0; f < F; f++)
                for (int l = 0; l < L; l++) rows[(n * L + l) * F + f] = fcGrid.Data[(n * F + f) * L + l];
        var logits = new float[N * L * K]; // (N, L, K)
        _head.Forward(rows, N * L, logits);
        var result = new Tensor(N, K, fcGrid.Shape[2], fcGrid.Shape[3]);
        for (int n = 0; n < N; n++)
            for (int l = 0; l < L; l++)
                for (int k = 0; k < K; k++) result.Data[(n * K + k) * L + l] = logits[(n * L + l) * K + k];
        return result;
    }

    /// <inheritdoc/>
    public Tensor Forward(Tensor x, bool training = false, Rng? rng = null)
    {
        CheckImageSize(x.Shape.Length == 4 ? x.Shape[2] : -1, x.Shape.Length == 4 ? x.Shape[3] : -1);
        var grid = Features(x);
        int B = grid.Shape[0], flat = grid.Length / B;
        _flatDropped = Buffers.Ensure(_flatDropped, B, flat);
        _dropFlat.Forward(grid.Span, _flatDropped.Span, training, rng);
        var top = _flatDropped;
        if (_fc is not null)
        {
            _fcOut = Buffers.Ensure(_fcOut, B, Config.Fc);
            _fc.Forward(_flatDropped.Data, B, _fcOut.Data);
            Relu.ForwardInPlace(_fcOut.Span);
            _fcDropped = Buffers.Ensure(_fcDropped, B, Config.Fc);
            _dropFc.Forward(_fcOut.Span, _fcDropped.Span, training, rng);
            top = _fcDropped;
        }
        _logits = Buffers.Ensure(_logits, B, Config.Classes);
        _head.Forward(top.Data, B, _logits.Data);
        return _logits;
    }

    /// <inheritdoc/>
    public double TrainStep(Tensor x, ReadOnlySpan<int> labels, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(rng);
        Store.ZeroGrad();
        if (Config.Flip || Config.Shift > 0)
        {
            if (x.Shape.Length != 4) throw new ArgumentException($"expected images (B, C, H, W), got ({string.Join(", ", x.Shape)}).");
            _augmented = Buffers.Ensure(_augmented, x.Shape);
            x.Span.CopyTo(_augmented.Span);
            ImageAugment.Apply(_augmented.Span, x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3], Config.Flip, Config.Shift, rng);
            x = _augmented;
        }
        var logits = Forward(x, training: true, rng);
        int B = x.Shape[0], K = Config.Classes, flat = _flatDropped!.Shape[1];
        _dlogits = Buffers.Ensure(_dlogits, B, K);
        double loss = SoftmaxCrossEntropy.LossAndGradient<float>(logits.Data, B, K, labels, _dlogits.Data);
        _dFlat = Buffers.Ensure(_dFlat, B, flat);
        if (_fc is not null)
        {
            _dFc = Buffers.Ensure(_dFc, B, Config.Fc);
            _head.Backward(_fcDropped!.Data, _dlogits.Data, B, _dFc.Data);
            _dropFc.Backward(_dFc.Span, _dFc.Span);
            Relu.BackwardInPlace(_fcOut!.Span, _dFc.Span);
            _fc.Backward(_flatDropped.Data, _dFc.Data, B, _dFlat.Data);
        }
        else _head.Backward(_flatDropped.Data, _dlogits.Data, B, _dFlat.Data);
        _dropFlat.Backward(_dFlat.Span, _dFlat.Span);
        BackwardStages(_dFlat.Reshape(_grid!.Shape), inputGradient: false);
        return loss;
    }

    /// <summary>
    /// Backward through the stages of the last <see cref="Features"/> from the grid's gradient <paramref name="dGrid"/>
    /// <c>(B, D, Hg, Wg)</c>: accumulates every convolution's gradients; returns the input's gradient when
    /// <paramref name="inputGradient"/> is true (for checks), else null.
    /// </summary>
    public Tensor? BackwardStages(Tensor dGrid, bool inputGradient = false)
    {
        ArgumentNullException.ThrowIfNull(dGrid);
        Tensor? d = dGrid;
        for (int k = _convs.Length - 1; k >= 0; k--)
        {
            var dRelu = _pools[k].Backward(d!);
            Relu.BackwardInPlace(_relu[k]!.Span, dRelu.Span);
            d = _convs[k].Backward(dRelu, inputGradient: k > 0 || inputGradient);
        }
        return d;
    }
}
