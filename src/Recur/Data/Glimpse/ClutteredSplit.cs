using Recur.Data.Scenes;

namespace Recur.Data.Glimpse;

/// <summary>
/// The cluttered canvases of one split: item <c>i</c> is the <c>i</c>-th image of the split's pool as the object, cluttered with
/// pieces of the pool's other images (<see cref="ClutterGenerator"/>). The training split draws new positions and clutter every
/// epoch (each epoch shows every training object once, on a fresh canvas); validation and test are one fixed set (epoch 0).
/// </summary>
public sealed class ClutteredSplit
{
    private const ulong TrainStream = 0x474C4D5054524E00UL;      // "GLMPTRN"
    private const ulong ValidationStream = 0x474C4D5056414C00UL; // "GLMPVAL"
    private const ulong TestStream = 0x474C4D5054535400UL;       // "GLMPTST"

    private readonly ulong _stream;
    private readonly int _start;

    private ClutteredSplit(string name, LabeledImages images, Range pool, ClutterOptions options, ulong stream, bool fresh)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        (Name, Images, Options, _stream, FreshEachEpoch) = (name, images, options, stream, fresh);
        (_start, Count) = pool.GetOffsetAndLength(images.Count);
    }

    /// <summary>The training canvases: objects and clutter from the first 11/12 of <paramref name="train"/>, fresh each epoch.</summary>
    public static ClutteredSplit Training(LabeledImages train, ClutterOptions options)
        => new("train", train, SceneImages.Training(train), options, TrainStream, fresh: true);

    /// <summary>The validation canvases: objects and clutter from the last 1/12 of <paramref name="train"/>, one fixed set.</summary>
    public static ClutteredSplit Validation(LabeledImages train, ClutterOptions options)
        => new("validation", train, SceneImages.Validation(train), options, ValidationStream, fresh: false);

    /// <summary>The test canvases: objects and clutter from <paramref name="test"/> (Fashion-MNIST's test images), one fixed set.</summary>
    public static ClutteredSplit Test(LabeledImages test, ClutterOptions options)
        => new("test", test, .., options, TestStream, fresh: false);

    /// <summary>The split <paramref name="name"/> (<c>validation</c> or <c>test</c>) an evaluation scores.</summary>
    public static ClutteredSplit Scored(string name, LabeledImages train, LabeledImages test, ClutterOptions options) => name switch
    {
        "validation" => Validation(train, options),
        "test" => Test(test, options),
        _ => throw new ArgumentException($"the split is validation or test, not '{name}'.", nameof(name)),
    };

    /// <summary><c>train</c>, <c>validation</c> or <c>test</c>.</summary>
    public string Name { get; }

    /// <summary>The images the pool indexes into.</summary>
    public LabeledImages Images { get; }

    /// <summary>The draw.</summary>
    public ClutterOptions Options { get; }

    /// <summary>Canvases per epoch: the pool's images.</summary>
    public int Count { get; }

    /// <summary>The pool: the indices of <see cref="Images"/> this split's objects and clutter come from.</summary>
    public Range Pool => _start..(_start + Count);

    /// <summary>True for training: positions and clutter change from epoch to epoch.</summary>
    public bool FreshEachEpoch { get; }

    /// <summary>Pixels per canvas, <c>S²</c>.</summary>
    public int Pixels => Options.Size * Options.Size;

    /// <summary>Item <paramref name="item"/> of epoch <paramref name="epoch"/> (the epoch is ignored by validation and test).</summary>
    public ClutteredExample Example(int item, int epoch = 0)
    {
        if ((uint)item >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(item), item, $"the {Name} split has {Count} canvases an epoch.");
        var rng = new Rng(ClutterGenerator.CanvasSeed(Options.Seed, _stream, FreshEachEpoch ? epoch : 0, item));
        return ClutterGenerator.Draw(Images, Pool, _start + item, Options, rng);
    }

    /// <summary>
    /// Renders the canvases of <paramref name="items"/> (epoch <paramref name="epoch"/>) into <paramref name="x"/> <c>(B, S, S)</c>
    /// and their classes into <paramref name="labels"/> <c>(B)</c>.
    /// </summary>
    public void Fill(ReadOnlySpan<int> items, int epoch, Span<float> x, Span<int> labels)
    {
        int P = Pixels;
        Guard.Length(x.Length, items.Length * P, nameof(x));
        Guard.Length(labels.Length, items.Length, nameof(labels));
        for (int b = 0; b < items.Length; b++)
        {
            var e = Example(items[b], epoch);
            ClutterGenerator.Render(e, Images, Options.Size, x.Slice(b * P, P));
            labels[b] = e.Label;
        }
    }
}
