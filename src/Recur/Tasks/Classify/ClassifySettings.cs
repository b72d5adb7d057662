using Recur.Data;
using Recur.Training;

namespace Recur.Tasks.Classify;

/// <summary>What a classification run needs beyond <see cref="TrainOptions"/>, each option declared once in <see cref="Specs"/>.</summary>
public sealed record ClassifySettings
{
    /// <summary>Mirror each training image left to right with probability 1/2 (<c>--model cnn</c>).</summary>
    public bool Flip { get; init; }

    /// <summary>Move each training image by up to this many pixels each way, zero filled (<c>--model cnn</c>).</summary>
    public int Shift { get; init; }

    private const string Group = "augmentation (--model cnn; training images only, kept by the run's checkpoints)";

    /// <summary>The task's own options: flag, default (this record's), range and help.</summary>
    public static IReadOnlyList<OptionSpec<ClassifySettings>> Specs { get; } =
    [
        SettingSpecs.Flag<ClassifySettings>("flip", Group, "mirror each training image left to right with probability 1/2",
            s => s.Flip, (s, v) => s with { Flip = (bool)v }),
        SettingSpecs.Int<ClassifySettings>("shift", "N", Group, "move each training image by up to N pixels each way, zero filled", 0, 27,
            s => s.Shift, (s, v) => s with { Shift = SettingSpecs.I(v) }),
    ];
}

/// <summary>The labelled images a classification run trains on (its validation split held out of them) and the class names.</summary>
public sealed record ClassifyData(LabeledImages Images, IReadOnlyList<string> ClassNames)
{
    /// <summary>Fashion-MNIST's training images under its class names.</summary>
    public static ClassifyData Fashion(LabeledImages train) => new(train, FashionMnist.ClassNames);
}
