using Recur.Data;
using Recur.Data.Glimpse;
using Recur.Models;
using Recur.Models.Glimpse;
using Recur.Training;

namespace Recur.Tasks.Glimpse;

/// <summary>
/// What a glimpse run needs beyond <see cref="TrainOptions"/> (whose <c>--model</c> picks <c>ram</c> or <c>cnn</c> and whose
/// <c>--hidden</c> is the attention model's LSTM core), each option declared once in <see cref="Specs"/>. The retina's defaults
/// read at most 10 % of a 100x100 canvas: 5 glimpses x 5 scales x 6x6 = 900 values (the widest patch, 96 pixels, sees nearly
/// the whole canvas at 1/16 resolution). The paper's 60x60 retina is <c>--patch 12 --scales 3 --glimpses 6</c>.
/// </summary>
public sealed record GlimpseSettings
{
    private static readonly GlimpseConfig Core = new();

    /// <summary>Canvas side <c>S</c>.</summary>
    public int Size { get; init; } = 100;

    /// <summary>Clutter pieces per canvas; -1 is the paper's count for the size (<see cref="ClutterOptions.PaperClutter"/>).</summary>
    public int Clutter { get; init; } = -1;

    /// <summary>The canvases' draw.</summary>
    public int DataSeed { get; init; } = 1;

    /// <summary>Glimpses <c>T</c>.</summary>
    public int Glimpses { get; init; } = 5;

    /// <summary>Retina patch side <c>g</c>.</summary>
    public int Patch { get; init; } = 6;

    /// <summary>Retina scales <c>k</c>.</summary>
    public int Scales { get; init; } = 5;

    /// <summary>Width of <c>h_g</c>.</summary>
    public int GlimpseHidden { get; init; } = Core.GlimpseHidden;

    /// <summary>Width of <c>h_l</c>.</summary>
    public int LocationHidden { get; init; } = Core.LocationHidden;

    /// <summary>Width of <c>g_t</c>.</summary>
    public int GlimpseOut { get; init; } = Core.GlimpseOut;

    /// <summary>The location policy's standard deviation.</summary>
    public double Sigma { get; init; } = (double)(decimal)Core.Sigma; // 0.17 (through decimal: 7 digits), not 0.17000000178813934

    /// <summary>
    /// Whether REINFORCE also trains the core and the glimpse network through <c>μ_t</c>: on by default (the paper's gradient of
    /// <c>log π</c> over every parameter), chosen on validation (session 26, 100x100, 15 minutes: error 0.340 against 0.384 with
    /// the locator alone; with the locator alone the core never learns to say where the object is; docs/VISION.md).
    /// </summary>
    public bool ReinforceIntoCore { get; init; } = true;

    /// <summary>Width of the location network's hidden ReLU layer (0: the paper's linear read of <c>h_t</c>).</summary>
    public int LocatorHidden { get; init; } = Core.LocatorHidden;

    /// <summary>Channels of the CNN's first stage (the later stages have twice as many).</summary>
    public int CnnWidth { get; init; } = 16;

    /// <summary>The CNN's stages of 3x3 convolution, ReLU and 2x2 max pooling.</summary>
    public int CnnStages { get; init; } = 3;

    /// <summary>The CNN's fully connected layer.</summary>
    public int CnnFc { get; init; } = 128;

    private const string Data = "cluttered Fashion-MNIST";
    private const string Ram = "recurrent attention model (--model ram; --hidden is the LSTM core's width)";
    private const string Cnn = "CNN baseline (--model cnn)";

    /// <summary>The task's own options: flag, default (this record's), range and help.</summary>
    public static IReadOnlyList<OptionSpec<GlimpseSettings>> Specs { get; } =
    [
        SettingSpecs.Int<GlimpseSettings>("size", "S", Data, "canvas side in pixels (the paper: 60 or 100)", ClutterOptions.ObjectSide, 400,
            s => s.Size, (s, v) => s with { Size = SettingSpecs.I(v) }),
        SettingSpecs.Int<GlimpseSettings>("clutter", "K", Data, "8x8 clutter pieces per canvas (-1: the paper's, 4 at 60x60 and 8 at 100x100)",
            -1, 256, s => s.Clutter, (s, v) => s with { Clutter = SettingSpecs.I(v) }),
        SettingSpecs.Int<GlimpseSettings>("data-seed", "S", Data, "the canvases' draw (objects' places, clutter)", 0, int.MaxValue,
            s => s.DataSeed, (s, v) => s with { DataSeed = SettingSpecs.I(v) }),
        SettingSpecs.Int<GlimpseSettings>("glimpses", "T", Ram, "glimpses per image", 1, 64,
            s => s.Glimpses, (s, v) => s with { Glimpses = SettingSpecs.I(v) }),
        SettingSpecs.Int<GlimpseSettings>("patch", "G", Ram, "retina patch side g: scale s covers g 2^s pixels pooled to g x g", 1, 64,
            s => s.Patch, (s, v) => s with { Patch = SettingSpecs.I(v) }),
        SettingSpecs.Int<GlimpseSettings>("scales", "K", Ram, "retina scales k", 1, 8, s => s.Scales, (s, v) => s with { Scales = SettingSpecs.I(v) }),
        SettingSpecs.Int<GlimpseSettings>("glimpse-hidden", "H", Ram, "width of h_g = relu(W_g rho + b_g), the \"what\"", 1, 16384,
            s => s.GlimpseHidden, (s, v) => s with { GlimpseHidden = SettingSpecs.I(v) }),
        SettingSpecs.Int<GlimpseSettings>("location-hidden", "H", Ram, "width of h_l = relu(W_l l + b_l), the \"where\"", 1, 16384,
            s => s.LocationHidden, (s, v) => s with { LocationHidden = SettingSpecs.I(v) }),
        SettingSpecs.Int<GlimpseSettings>("glimpse-out", "G", Ram, "width of the glimpse feature g_t, the core's input", 1, 16384,
            s => s.GlimpseOut, (s, v) => s with { GlimpseOut = SettingSpecs.I(v) }),
        SettingSpecs.Real<GlimpseSettings>("sigma", "SD", Ram, "the location policy's fixed standard deviation (locations in [-1, 1])", 1e-4, 10,
            s => s.Sigma, (s, v) => s with { Sigma = SettingSpecs.D(v) }),
        SettingSpecs.Flag<GlimpseSettings>("reinforce-into-core", Ram, "REINFORCE also trains the core and the glimpse network through mu_t",
            s => s.ReinforceIntoCore, (s, v) => s with { ReinforceIntoCore = (bool)v }),
        SettingSpecs.Int<GlimpseSettings>("locator-hidden", "L", Ram,
            "a hidden ReLU layer of L units in the location network, mu_t = tanh(W relu(W_h h_t + b_h) + b) (0: tanh(W h_t + b), the paper's)",
            0, 16384, s => s.LocatorHidden, (s, v) => s with { LocatorHidden = SettingSpecs.I(v) }),
        SettingSpecs.Int<GlimpseSettings>("cnn-width", "C", Cnn, "channels of the first stage (later stages: 2C)", 1, 1024,
            s => s.CnnWidth, (s, v) => s with { CnnWidth = SettingSpecs.I(v) }),
        SettingSpecs.Int<GlimpseSettings>("cnn-stages", "N", Cnn, "stages of 3x3 convolution, ReLU and 2x2 max pooling", 1, 6,
            s => s.CnnStages, (s, v) => s with { CnnStages = SettingSpecs.I(v) }),
        SettingSpecs.Int<GlimpseSettings>("cnn-fc", "F", Cnn, "units of the fully connected layer before the head", 1, 65536,
            s => s.CnnFc, (s, v) => s with { CnnFc = SettingSpecs.I(v) }),
    ];

    /// <summary>The canvases these settings describe.</summary>
    public ClutterOptions ToClutter() => new()
    {
        Size = Size, Clutter = Clutter < 0 ? ClutterOptions.PaperClutter(Size) : Clutter, Seed = (ulong)DataSeed,
    };

    /// <summary>The attention model for canvases of <see cref="Size"/> with an LSTM core of <paramref name="coreHidden"/>.</summary>
    public GlimpseConfig ToRam(int coreHidden) => new()
    {
        Width = Size, Height = Size, Steps = Glimpses, Patch = Patch, Scales = Scales, GlimpseHidden = GlimpseHidden,
        LocationHidden = LocationHidden, GlimpseOut = GlimpseOut, CoreHidden = coreHidden, Classes = FashionMnist.ClassCount,
        Sigma = (float)Sigma, ReinforceIntoCore = ReinforceIntoCore, LocatorHidden = LocatorHidden,
    };

    /// <summary>The CNN for canvases of <see cref="Size"/>: stages <c>C, 2C, 2C, ...</c>, 3x3 kernels, 2x2 pooling, no dropout.</summary>
    public ConvNetConfig ToCnn() => new()
    {
        Rows = Size, Cols = Size, Channels = [.. Enumerable.Range(0, CnnStages).Select(k => k == 0 ? CnnWidth : 2 * CnnWidth)],
        Kernel = 3, Pool = 2, Fc = CnnFc, Classes = FashionMnist.ClassCount, Dropout = 0f,
    };
}

/// <summary>The images of a glimpse run: Fashion-MNIST's training images (objects and clutter of training and validation) and its test images.</summary>
public sealed record GlimpseData(LabeledImages Train, LabeledImages Test);
