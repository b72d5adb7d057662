using Recur.Data;
using Recur.Models.Draw;
using Recur.Training;

namespace Recur.Tasks.Draw;

/// <summary>
/// What a DRAW run needs beyond <see cref="TrainOptions"/> (whose <c>--hidden</c> is the encoder's width), each option declared
/// once in <see cref="Specs"/>; the defaults are <see cref="DrawConfig"/>'s.
/// </summary>
public sealed record DrawSettings
{
    private static readonly DrawConfig Paper = new();

    /// <summary>Glimpses <c>T</c>: canvas updates per image.</summary>
    public int Steps { get; init; } = Paper.Steps;

    /// <summary>The Gaussian filterbank read and write; false reads the whole image and writes the whole canvas.</summary>
    public bool Attention { get; init; } = Paper.Attention;

    /// <summary>
    /// Read filters per axis: 12, not the paper's 2 (<see cref="DrawConfig.ReadN"/>), chosen on validation at equal time
    /// (15 minutes, one thread, session 26: a bound of 123.74 nats with a 12x12 read and write against 128.08 with a 5x5 read
    /// and a 12x12 write, 130.03 with both 5x5; the 2x2 read fell behind the 5x5 at 5 minutes, 178 against 154.1; docs/VISION.md).
    /// </summary>
    public int ReadN { get; init; } = 12;

    /// <summary>
    /// Write filters per axis: 12, not the paper's 5 (<see cref="DrawConfig.WriteN"/>): Fashion-MNIST's garments are large filled
    /// shapes, which 32 patches of 5x5 barely cover (validation, 15 minutes: 128.08 against 130.03 with the 5x5 read).
    /// </summary>
    public int WriteN { get; init; } = 12;

    /// <summary>Latent units per step <c>Z</c>.</summary>
    public int Latent { get; init; } = Paper.Latent;

    /// <summary>Decoder LSTM width.</summary>
    public int DecoderHidden { get; init; } = Paper.DecoderHidden;

    private const string Group = "DRAW (--hidden is the encoder LSTM's width)";

    /// <summary>The task's own options: flag, default (this record's), range and help.</summary>
    public static IReadOnlyList<OptionSpec<DrawSettings>> Specs { get; } =
    [
        SettingSpecs.Int<DrawSettings>("steps", "T", Group, "glimpses: canvas updates per image (the paper's MNIST model: 64)", 1, 1024,
            s => s.Steps, (s, v) => s with { Steps = SettingSpecs.I(v) }),
        SettingSpecs.Flag<DrawSettings>("attention", Group,
            "the Gaussian filterbank read and write (--attention false: read the whole image and the error image, write the whole canvas)",
            s => s.Attention, (s, v) => s with { Attention = (bool)v }),
        SettingSpecs.Int<DrawSettings>("read-n", "N", Group, "read filters per axis: an N x N glimpse of the image and of the error image "
            + "(the paper's MNIST model: 2)",
            1, 64, s => s.ReadN, (s, v) => s with { ReadN = SettingSpecs.I(v) }),
        SettingSpecs.Int<DrawSettings>("write-n", "N", Group, "write filters per axis: an N x N patch added to the canvas", 1, 64,
            s => s.WriteN, (s, v) => s with { WriteN = SettingSpecs.I(v) }),
        SettingSpecs.Int<DrawSettings>("latent", "Z", Group, "latent units per step", 1, 4096,
            s => s.Latent, (s, v) => s with { Latent = SettingSpecs.I(v) }),
        SettingSpecs.Int<DrawSettings>("decoder-hidden", "H", Group, "decoder LSTM width", 1, 16384,
            s => s.DecoderHidden, (s, v) => s with { DecoderHidden = SettingSpecs.I(v) }),
    ];

    /// <summary>
    /// The model these settings describe with an encoder of <paramref name="encoderHidden"/> for <paramref name="rows"/> x
    /// <paramref name="cols"/> images.
    /// </summary>
    public DrawConfig ToConfig(int encoderHidden, int rows, int cols) => new()
    {
        Width = cols, Height = rows, Steps = Steps, EncoderHidden = encoderHidden, DecoderHidden = DecoderHidden, Latent = Latent,
        Attention = Attention, ReadN = ReadN, WriteN = WriteN,
    };
}

/// <summary>
/// The images of a DRAW run: Fashion-MNIST's training images (the last <see cref="TrainOptions.ValFrac"/> of them validate)
/// and its test images, binarised when a batch is taken (<see cref="Binarize"/>).
/// </summary>
public sealed record DrawData(LabeledImages Train, LabeledImages Test)
{
    /// <summary>
    /// The fixed binarisation threshold: a pixel is 1 when its grey level <c>p / 255</c> is above 0.5, i.e. <c>p ≥ 128</c>, else 0.
    /// A fixed threshold (not a Bernoulli draw per pass, as some DRAW code does) keeps the data, and so the bound, the same
    /// from run to run.
    /// </summary>
    public const byte Threshold = 128;

    /// <summary>
    /// Writes the binarised images at <paramref name="indices"/> of <paramref name="set"/> into <paramref name="x"/>,
    /// <c>(B, rows * cols)</c> row-major: 1 where the pixel is at least <see cref="Threshold"/>, else 0.
    /// </summary>
    public static void Binarize(LabeledImages set, ReadOnlySpan<int> indices, Span<float> x)
    {
        ArgumentNullException.ThrowIfNull(set);
        int P = set.PixelsPerImage;
        Guard.Length(x.Length, indices.Length * P, nameof(x));
        for (int b = 0; b < indices.Length; b++)
        {
            var img = set.Image(indices[b]);
            var dst = x.Slice(b * P, P);
            for (int i = 0; i < P; i++) dst[i] = img[i] >= Threshold ? 1f : 0f;
        }
    }

    /// <summary>Each image's count of pixels set by <see cref="Binarize"/> (the data's fingerprint in checkpoints).</summary>
    public static int[] InkCounts(LabeledImages set)
    {
        ArgumentNullException.ThrowIfNull(set);
        var counts = new int[set.Count];
        for (int n = 0; n < set.Count; n++)
        {
            int k = 0;
            foreach (byte p in set.Image(n)) if (p >= Threshold) k++;
            counts[n] = k;
        }
        return counts;
    }
}
