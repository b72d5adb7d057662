namespace Recur.Models;

/// <summary>
/// Architecture of a <see cref="ConvNet"/>; stored in a run's <c>config.json</c> under <c>"model"</c> with
/// <c>"architecture": "cnn"</c>. Each entry of <see cref="Channels"/> is one stage: a <see cref="Kernel"/> x
/// <see cref="Kernel"/> convolution with "same" zero padding, ReLU, and <see cref="Pool"/> x <see cref="Pool"/> max
/// pooling; then the grid is flattened, goes through dropout, an optional fully connected layer of <see cref="Fc"/>
/// units with ReLU and dropout, and the linear head to <see cref="Classes"/> logits. <see cref="Flip"/> and
/// <see cref="Shift"/> augment the training images (like dropout, they act in training only).
/// </summary>
public sealed record ConvNetConfig
{
    /// <summary>The value that marks a convolutional classifier in <c>config.json</c>.</summary>
    public const string Name = "cnn";

    /// <summary>Always <see cref="Name"/>.</summary>
    public string Architecture { get; init; } = Name;

    /// <summary>Channels of the input images (1 for grey).</summary>
    public int InChannels { get; init; } = 1;

    /// <summary>Height of the images the classifier was trained on.</summary>
    public int Rows { get; init; } = 28;

    /// <summary>Width of the images the classifier was trained on.</summary>
    public int Cols { get; init; } = 28;

    /// <summary>Output channels of each stage.</summary>
    public int[] Channels { get; init; } = [32, 64];

    /// <summary>Side of every convolution kernel (odd, so that "same" padding <c>k/2</c> keeps the grid).</summary>
    public int Kernel { get; init; } = 3;

    /// <summary>Side (and stride) of the max pooling after each convolution; 1 = none.</summary>
    public int Pool { get; init; } = 2;

    /// <summary>Units of the fully connected layer before the head; 0 = the head reads the flattened grid.</summary>
    public int Fc { get; init; } = 128;

    /// <summary>Number of classes.</summary>
    public int Classes { get; init; } = 10;

    /// <summary>Dropout on the flattened grid and on the fully connected layer's output, in training.</summary>
    public float Dropout { get; init; } = 0.25f;

    /// <summary>In training, mirror each image left to right with probability one half (<see cref="Nn.Vision.ImageAugment"/>).</summary>
    public bool Flip { get; init; }

    /// <summary>In training, move each image by up to this many pixels each way, zero filled (<see cref="Nn.Vision.ImageAugment"/>); 0 = never.</summary>
    public int Shift { get; init; }

    /// <summary>The grid side after every stage for an input side <paramref name="size"/>; throws when a stage does not fit.</summary>
    public int GridSize(int size)
    {
        foreach (int _ in Channels)
        {
            if (size < Pool)
                throw new ArgumentException($"an image side of {size} pixels is too small for {Channels.Length} stage(s) of {Pool}x{Pool} pooling.");
            size /= Pool;
        }
        return size;
    }

    /// <summary>Checks every field; the message names the field, the value and the accepted range.</summary>
    public void Validate()
    {
        if (Architecture != Name) throw new ArgumentException($"architecture must be '{Name}', got '{Architecture}'.");
        if (InChannels is < 1 or > 4096) throw new ArgumentException($"in_channels must be in [1, 4096], got {InChannels}.");
        if (Rows is < 1 or > 1 << 14 || Cols is < 1 or > 1 << 14) throw new ArgumentException($"rows and cols must be in [1, 16384], got {Rows}x{Cols}.");
        if (Channels is null || Channels.Length is < 1 or > 16 || Channels.Any(c => c is < 1 or > 4096))
            throw new ArgumentException("channels must list 1 to 16 stages of 1 to 4096 channels each.");
        if (Kernel is < 1 or > 15 || Kernel % 2 == 0) throw new ArgumentException($"kernel must be odd and in [1, 15], got {Kernel}.");
        if (Pool is < 1 or > 8) throw new ArgumentException($"pool must be in [1, 8], got {Pool}.");
        if (Fc is < 0 or > 1 << 16) throw new ArgumentException($"fc must be in [0, 65536], got {Fc}.");
        if (Classes is < 2 or > 1 << 20) throw new ArgumentException($"classes must be at least 2, got {Classes}.");
        if (!(Dropout >= 0f && Dropout < 1f)) throw new ArgumentException($"dropout must be in [0, 1), got {Dropout}.");
        if (Shift < 0 || Shift >= Math.Min(Rows, Cols))
            throw new ArgumentException($"shift must be in [0, {Math.Min(Rows, Cols) - 1}] for {Rows}x{Cols} images, got {Shift}.");
        int g = Math.Min(GridSize(Rows), GridSize(Cols));
        if (g < 1) throw new ArgumentException($"{Rows}x{Cols} images are too small for {Channels.Length} stage(s) of {Pool}x{Pool} pooling.");
    }

    /// <summary>Scalars of the network this config describes (long, so a corrupted config cannot overflow).</summary>
    public long ParameterCount()
    {
        long n = 0; int cin = InChannels;
        foreach (int ch in Channels) { n += (long)ch * cin * Kernel * Kernel + ch; cin = ch; }
        long flat = (long)Channels[^1] * GridSize(Rows) * GridSize(Cols);
        n += Fc > 0 ? flat * Fc + Fc + (long)Fc * Classes + Classes : flat * Classes + Classes;
        return n;
    }

    /// <summary>The stages as text: <c>32-64</c>.</summary>
    public string ChannelsText => string.Join("-", Channels);
}
