using Recur.Data.Scenes;
using Recur.Nn.Vision;

namespace Recur.Models.Captioning;

/// <summary>
/// The frozen image encoder of the captioners: the convolutional stages of a <see cref="ConvNet"/> trained as a
/// Fashion-MNIST classifier, without its classifier layers (as the lectures drop FC-1000), then
/// <see cref="GridPool"/> x <see cref="GridPool"/> max pooling. An 84 x 84 scene gives the stages' 21 x 21 grid (two 2x2
/// poolings) and, with the default pool of 3, a 7 x 7 grid of <c>L = 49</c> locations, each <c>D</c> features (the last
/// stage's channels), every location centred in one cell of the scene's 3 x 3 grid. With <see cref="Coordinates"/> each
/// location also carries where it is, its row and column scaled to <c>[-1, 1]</c> as two more features (as CoordConv and
/// relation networks append them), so that a model attending over the grid can tell above from below and left from
/// right. With <see cref="Features"/> <c>fc</c> the classifier keeps its fully connected layer, applied as a
/// convolution over windows the size of one training image (<see cref="ConvNet.FullyConnectedGrid"/>): an 84 x 84 scene
/// gives a 3 x 3 grid, one location per cell, each with the <c>Fc</c> features the classifier's head reads (the
/// lectures keep FC-4096 and drop FC-1000), instead of a 7 x 7 grid of local convolutional features. With <c>scores</c>
/// each window goes on through the head too: its <c>K</c> class logits, a map of where the classifier sees which class
/// (the video task's features, windows every <see cref="WindowStride"/> cells). Features are laid out <c>(N, L, D)</c>, locations row-major.
/// <see cref="Padding"/> frames each image in black before the stages, so that windows also cover objects partly outside
/// it; <see cref="ChannelMax"/> appends one more location holding each channel's maximum over the grid (for scores: the
/// strongest evidence of each class anywhere in the image, wherever the object stands).
/// </summary>
public sealed class SceneEncoder
{
    private readonly MaxPool2d? _pool;

    /// <summary>The feature choices: the convolutional grid, or the fully connected layer over each image-sized window.</summary>
    public static IReadOnlyList<string> FeatureKinds { get; } = ["conv", "fc", "scores", "fc-probs"];

    /// <summary>An encoder over <paramref name="network"/>'s stages (its weights are not changed).</summary>
    public SceneEncoder(ConvNet network, int gridPool = 3, bool coordinates = false, string features = "conv", int windowStride = 0, int padding = 0,
        bool channelMax = false)
    {
        Coordinates = coordinates;
        ArgumentNullException.ThrowIfNull(network);
        if (gridPool is < 1 or > 16) throw new ArgumentOutOfRangeException(nameof(gridPool), gridPool, "the grid pool must be in [1, 16].");
        if (!FeatureKinds.Contains(features))
            throw new ArgumentException($"features must be one of {string.Join(", ", FeatureKinds)}, got '{features}'.", nameof(features));
        if (features != "conv" && network.Config.Fc == 0)
            throw new ArgumentException($"{features} features need an encoder with a fully connected layer (its config has fc 0).", nameof(features));
        if (windowStride is < 0 or > 16) throw new ArgumentOutOfRangeException(nameof(windowStride), windowStride, "the window stride must be in [0, 16].");
        if (padding is < 0 or > 64) throw new ArgumentOutOfRangeException(nameof(padding), padding, "the padding must be in [0, 64] pixels.");
        if (channelMax && coordinates) throw new ArgumentException("the channels' maximum over the grid is no location: it cannot carry coordinates.");
        WindowStride = windowStride;
        Padding = padding;
        ChannelMax = channelMax;
        Network = network;
        GridPool = gridPool;
        Features = features;
        _pool = gridPool > 1 && features == "conv" ? new MaxPool2d(gridPool) : null;
    }

    /// <summary>
    /// <c>conv</c>: the last stage's grid, max-pooled by <see cref="GridPool"/>; <c>fc</c>: the fully connected layer
    /// over each window the size of one training image; <c>scores</c>: the head's class logits of each window
    /// (<see cref="GridPool"/> unused by both); <c>fc-probs</c>: the fully connected layer's features followed by the
    /// classifier's class probabilities (the softmax of its logits) of each window: what the window holds, as the classifier
    /// reads it, beside the features it read it from.
    /// </summary>
    public string Features { get; }

    /// <summary>The classifier whose stages are used.</summary>
    public ConvNet Network { get; }

    /// <summary>
    /// For <c>fc</c> and <c>scores</c>: how far apart the image-sized windows are, in grid cells (0: their own size, so
    /// they do not overlap).
    /// </summary>
    public int WindowStride { get; }

    /// <summary>Black pixels added on every side of an image before the stages read it.</summary>
    public int Padding { get; }

    /// <summary>True when the features end with one more location: each channel's maximum over the grid's locations.</summary>
    public bool ChannelMax { get; }

    /// <summary>
    /// Locations <c>L</c> an image of <paramref name="height"/> x <paramref name="width"/> gives: its grid's, and one more with
    /// <see cref="ChannelMax"/>.
    /// </summary>
    public int Locations(int height, int width)
    {
        var (r, c) = Grid(height, width);
        return r * c + (ChannelMax ? 1 : 0);
    }

    /// <summary>Side of the extra max pooling over the stages' grid (1: none).</summary>
    public int GridPool { get; }

    /// <summary>True when each location ends with its row and column in <c>[-1, 1]</c>.</summary>
    public bool Coordinates { get; }

    /// <summary>Features per location <c>D</c>: the last stage's channels, and two coordinates with <see cref="Coordinates"/>.</summary>
    public int FeatureDim => Channels + CoordinateCount;

    /// <summary>Where each location's class probabilities lie among its features: <c>fc-probs</c> only, else <c>(0, 0)</c>.</summary>
    public (int Offset, int Width) ProbabilityChannels => Features == "fc-probs" ? (Network.Config.Fc, Network.Config.Classes) : (0, 0);

    /// <summary>Features at the end of each location that say where it is: 2 with <see cref="Coordinates"/>, else 0.</summary>
    public int CoordinateCount => Coordinates ? 2 : 0;

    /// <summary>Features per location before the coordinates.</summary>
    private int Channels => Features switch
    {
        "fc" => Network.Config.Fc, "scores" => Network.Config.Classes, "fc-probs" => Network.Config.Fc + Network.Config.Classes, _ => Network.FeatureChannels,
    };

    /// <summary>The grid <c>(rows, cols)</c> an image of <paramref name="height"/> x <paramref name="width"/> pixels gives.</summary>
    public (int Rows, int Cols) Grid(int height, int width)
    {
        int r = Network.Config.GridSize(height + 2 * Padding), c = Network.Config.GridSize(width + 2 * Padding);
        if (Features != "conv")
        {
            int gh = Network.Config.GridSize(Network.Config.Rows), gw = Network.Config.GridSize(Network.Config.Cols);
            return (WindowStride > 0 ? (r - gh) / WindowStride + 1 : r / gh, WindowStride > 0 ? (c - gw) / WindowStride + 1 : c / gw);
        }
        if (_pool is not null) { r = _pool.OutputSize(r); c = _pool.OutputSize(c); }
        return (r, c);
    }

    /// <summary>Features <c>(N, L, D)</c> of grey images <paramref name="pixels"/> <c>(N, H, W)</c> as bytes, encoded in chunks of 64.</summary>
    public Tensor Encode(IReadOnlyList<byte[]> pixels, int height, int width)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        var (gr, gc) = Grid(height, width);
        int N = pixels.Count, G = gr * gc, L = Locations(height, width), D = FeatureDim, C = Channels, chunk = 64, pad = Padding;
        int ph = height + 2 * pad, pw = width + 2 * pad;
        var output = new Tensor(N, L, D);
        for (int start = 0; start < N; start += chunk)
        {
            int n = Math.Min(chunk, N - start);
            var x = new Tensor(n, 1, ph, pw); // (n, 1, H + 2 pad, W + 2 pad), black around the image
            for (int i = 0; i < n; i++)
            {
                var src = pixels[start + i];
                if (src.Length != height * width) throw new ArgumentException($"image {start + i} has {src.Length} pixels, not {height} x {width}.");
                for (int y = 0; y < height; y++)
                    for (int q = 0; q < width; q++) x.Data[(i * ph + y + pad) * pw + q + pad] = src[y * width + q] / 255f;
            }
            var grid = Network.Features(x);
            if (Features == "fc") grid = Network.FullyConnectedGrid(grid, WindowStride);
            else if (Features == "scores") grid = Network.ScoreGrid(Network.FullyConnectedGrid(grid, WindowStride));
            else if (Features == "fc-probs") grid = WithProbabilities(Network.FullyConnectedGrid(grid, WindowStride));
            else if (_pool is not null) grid = _pool.Forward(grid);
            // (n, C, gr, gc) -> (n, L, D), then the coordinates in the last two columns, or the channels' maxima as location G
            for (int i = 0; i < n; i++)
            {
                for (int d = 0; d < C; d++)
                {
                    var channel = grid.Data.AsSpan((i * C + d) * G, G);
                    for (int l = 0; l < G; l++)
                        output.Data[((start + i) * L + l) * D + d] = channel[l];
                    if (ChannelMax) output.Data[((start + i) * L + G) * D + d] = System.Numerics.Tensors.TensorPrimitives.Max(channel);
                }
                if (!Coordinates) continue;
                for (int l = 0; l < G; l++)
                {
                    output.Data[((start + i) * L + l) * D + C] = Scaled(l / gc, gr);
                    output.Data[((start + i) * L + l) * D + C + 1] = Scaled(l % gc, gc);
                }
            }
        }
        return output;
    }

    /// <summary>The fc grid <c>(n, Fc, R, Q)</c> with each window's class probabilities appended as channels: <c>(n, Fc + K, R, Q)</c>.</summary>
    private Tensor WithProbabilities(Tensor fcGrid)
    {
        var scores = Network.ScoreGrid(fcGrid); // (n, K, R, Q) logits
        int n = fcGrid.Shape[0], F = fcGrid.Shape[1], K = scores.Shape[1], L = fcGrid.Shape[2] * fcGrid.Shape[3];
        var result = new Tensor(n, F + K, fcGrid.Shape[2], fcGrid.Shape[3]);
        var probs = new float[K];
        for (int i = 0; i < n; i++)
        {
            fcGrid.Data.AsSpan(i * F * L, F * L).CopyTo(result.Data.AsSpan(i * (F + K) * L, F * L));
            for (int l = 0; l < L; l++)
            {
                for (int k = 0; k < K; k++) probs[k] = scores.Data[(i * K + k) * L + l];
                Kernels.Softmax.InPlace(probs);
                for (int k = 0; k < K; k++) result.Data[(i * (F + K) + F + k) * L + l] = probs[k];
            }
        }
        return result;
    }

    /// <summary>Index <paramref name="k"/> of <paramref name="count"/> scaled to <c>[-1, 1]</c> (0 for a single one).</summary>
    private static float Scaled(int k, int count) => count > 1 ? 2f * k / (count - 1) - 1f : 0f;

    /// <summary>Features <c>(N, L, D)</c> of a split's scenes.</summary>
    public Tensor Encode(SceneSplit split)
    {
        ArgumentNullException.ThrowIfNull(split);
        int side = split.Scenes.Count > 0 ? split.Scenes[0].Side : Scene.DefaultGridSide * Scene.CellSize;
        return Encode([.. split.Scenes.Select(s => s.Render(split.Images))], side, side);
    }
}
