namespace Recur.Data.Scenes;

/// <summary>Scenes drawn from one image split, with that split (scenes refer to its images by index).</summary>
public sealed record SceneSplit(string Name, LabeledImages Images, IReadOnlyList<Scene> Scenes);

/// <summary>How many scenes of each split to draw, and from which seed.</summary>
public sealed record SceneOptions
{
    /// <summary>Training scenes (from the Fashion-MNIST training images).</summary>
    public int Train { get; init; } = 20_000;

    /// <summary>Test scenes of seen compositions (from the test images).</summary>
    public int TestSeen { get; init; } = 1_000;

    /// <summary>Test scenes of held-out compositions (from the test images).</summary>
    public int TestHeldOut { get; init; } = 1_000;

    /// <summary>Unordered class pairs never shown together in training.</summary>
    public int HeldOutPairs { get; init; } = 8;

    /// <summary>Everything drawn follows from it.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>Checks the counts.</summary>
    public void Validate()
    {
        if (Train < 0 || TestSeen < 0 || TestHeldOut < 0) throw new ArgumentException("scene counts must be non-negative.");
        if (HeldOutPairs is < 1 or > 20) throw new ArgumentException($"held-out pairs must be in [1, 20], got {HeldOutPairs}.");
    }
}

/// <summary>
/// The captioned scenes of issue 13, drawn deterministically from a seed: 1 to 4 Fashion-MNIST images at distinct
/// random cells of a 3 x 3 grid (one object 15% of the time, two 45%, three 20%, four 20%; classes uniform; each
/// image drawn from its class in the split), captioned by <see cref="CaptionGrammar"/>.
/// <para>
/// Composition is held out: <see cref="SceneOptions.HeldOutPairs"/> unordered pairs of classes are chosen from the
/// seed and never appear together in a training scene (nor in the seen test split); the held-out test split holds
/// two-object scenes of exactly those pairs, each captioned by a relation, so its figures measure whether a model
/// composes what it learnt of each class and each relation rather than recalling pairs it saw.
/// </para>
/// <para>
/// Validation mirrors the test splits (<see cref="Validation"/>): scenes of seen compositions and of the held-out pairs,
/// drawn from the training images that no training scene uses (<see cref="SceneImages"/>), each split from its own
/// stream of the seed.
/// </para>
/// </summary>
public static class SceneGenerator
{
    /// <summary>The most objects a scene holds (<see cref="ItemCount"/>).</summary>
    public const int MaxObjects = 4;

    private const ulong ValidationSeenStream = 0x56414C5345454E00UL; // "VALSEEN": seeds below 2^32 never meet another stream
    private const ulong ValidationHeldOutStream = 0x56414C48454C4400UL; // "VALHELD"

    /// <summary>The held-out class pairs <c>(a, b)</c>, <c>a &lt; b</c>, for <paramref name="seed"/>.</summary>
    public static IReadOnlyList<(int A, int B)> HeldOutPairs(ulong seed, int count, int classes = 10)
    {
        var all = new List<(int, int)>();
        for (int a = 0; a < classes; a++) for (int b = a + 1; b < classes; b++) all.Add((a, b));
        var rng = new Rng(seed ^ 0x48454C444F5554UL);
        for (int i = all.Count - 1; i > 0; i--) { int j = rng.NextInt(i + 1); (all[i], all[j]) = (all[j], all[i]); }
        return [.. all.Take(count).OrderBy(p => p)];
    }

    /// <summary>True when the scene shows both classes of a held-out pair.</summary>
    public static bool HasHeldOutPair(Scene scene, IReadOnlyList<(int A, int B)> pairs)
    {
        ArgumentNullException.ThrowIfNull(scene);
        ArgumentNullException.ThrowIfNull(pairs);
        foreach (var (a, b) in pairs)
            if (scene.Items.Any(i => i.Class == a) && scene.Items.Any(i => i.Class == b)) return true;
        return false;
    }

    /// <summary>
    /// The three splits: training scenes from the training part of <paramref name="train"/> (<see cref="SceneImages.Training"/>),
    /// both test splits from <paramref name="test"/>.
    /// </summary>
    public static (SceneSplit Train, SceneSplit TestSeen, SceneSplit TestHeldOut, IReadOnlyList<(int A, int B)> HeldOut) Build(
        LabeledImages train, LabeledImages test, SceneOptions options)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(test);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var pairs = HeldOutPairs(options.Seed, options.HeldOutPairs, train.ClassCount);
        var all = ByClass(test, ..);
        return (
            Training(train, options),
            new SceneSplit("test-seen", test, Seen(all, options.TestSeen, new Rng(options.Seed * 3 + 2), pairs)),
            new SceneSplit("test-heldout", test, HeldOut(all, options.TestHeldOut, new Rng(options.Seed * 3 + 3), pairs)),
            pairs);
    }

    /// <summary>
    /// The training scenes (<c>"train"</c>, <see cref="SceneOptions.Train"/> of them): images of <paramref name="train"/>
    /// before <see cref="SceneImages.ValidationStart"/> only, no held-out pair.
    /// </summary>
    public static SceneSplit Training(LabeledImages train, SceneOptions options)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var pairs = HeldOutPairs(options.Seed, options.HeldOutPairs, train.ClassCount);
        return new SceneSplit("train", train, Seen(ByClass(train, SceneImages.Training(train)), options.Train, new Rng(options.Seed * 3 + 1), pairs));
    }

    /// <summary>
    /// The validation splits of a run with validation fraction <paramref name="valFrac"/>, mirroring the test splits:
    /// <c>"validation-seen"</c> (seen compositions) and <c>"validation-heldout"</c> (two-object scenes of the held-out
    /// pairs), <see cref="SceneImages.ValidationCounts"/> scenes of <see cref="SceneOptions.Train"/>, drawn only from the
    /// images of <paramref name="train"/> that no training scene uses (<see cref="SceneImages.Validation"/>), each from its
    /// own stream of the seed. Their scenes index <paramref name="train"/> as a whole.
    /// </summary>
    public static (SceneSplit Seen, SceneSplit HeldOut) Validation(LabeledImages train, SceneOptions options, double valFrac)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var (nSeen, nHeld) = SceneImages.ValidationCounts(options.Train, valFrac);
        var pairs = HeldOutPairs(options.Seed, options.HeldOutPairs, train.ClassCount);
        var byClass = ByClass(train, SceneImages.Validation(train));
        return (
            new SceneSplit("validation-seen", train, Seen(byClass, nSeen, new Rng(options.Seed ^ ValidationSeenStream), pairs)),
            new SceneSplit("validation-heldout", train, HeldOut(byClass, nHeld, new Rng(options.Seed ^ ValidationHeldOutStream), pairs)));
    }

    /// <summary><paramref name="count"/> scenes of <paramref name="images"/> with no held-out pair.</summary>
    public static IReadOnlyList<Scene> Seen(LabeledImages images, int count, Rng rng, IReadOnlyList<(int A, int B)> pairs)
        => Seen(ByClass(images, ..), count, rng, pairs);

    /// <summary><paramref name="count"/> two-object scenes of <paramref name="images"/>, each of a held-out pair in random cells and order.</summary>
    public static IReadOnlyList<Scene> HeldOut(LabeledImages images, int count, Rng rng, IReadOnlyList<(int A, int B)> pairs)
        => HeldOut(ByClass(images, ..), count, rng, pairs);

    private static List<Scene> Seen(int[][] byClass, int count, Rng rng, IReadOnlyList<(int A, int B)> pairs)
    {
        ArgumentNullException.ThrowIfNull(rng);
        ArgumentNullException.ThrowIfNull(pairs);
        var scenes = new List<Scene>(count);
        while (scenes.Count < count)
        {
            int n = ItemCount(rng);
            var cells = Cells(rng, n);
            var classes = new int[n];
            for (int i = 0; i < n; i++) classes[i] = rng.NextInt(byClass.Length);
            var scene = Make(cells, classes, byClass, rng);
            if (!HasHeldOutPair(scene, pairs)) scenes.Add(scene);
        }
        return scenes;
    }

    private static List<Scene> HeldOut(int[][] byClass, int count, Rng rng, IReadOnlyList<(int A, int B)> pairs)
    {
        ArgumentNullException.ThrowIfNull(rng);
        ArgumentNullException.ThrowIfNull(pairs);
        var scenes = new List<Scene>(count);
        for (int s = 0; s < count; s++)
        {
            var (a, b) = pairs[rng.NextInt(pairs.Count)];
            if (rng.NextInt(2) == 1) (a, b) = (b, a);
            scenes.Add(Make(Cells(rng, 2), [a, b], byClass, rng));
        }
        return scenes;
    }

    private static int ItemCount(Rng rng)
    {
        int u = rng.NextInt(100);
        return u < 15 ? 1 : u < 60 ? 2 : u < 80 ? 3 : MaxObjects;
    }

    private static int[] Cells(Rng rng, int n)
    {
        var all = Enumerable.Range(0, Scene.DefaultGridSide * Scene.DefaultGridSide).ToArray();
        for (int i = 0; i < n; i++) { int j = i + rng.NextInt(all.Length - i); (all[i], all[j]) = (all[j], all[i]); }
        return all[..n];
    }

    private static Scene Make(int[] cells, int[] classes, int[][] byClass, Rng rng)
    {
        var items = new SceneItem[cells.Length];
        for (int i = 0; i < cells.Length; i++)
        {
            var pool = byClass[classes[i]];
            if (pool.Length == 0) throw new ArgumentException($"the images hold no example of class {classes[i]}.");
            items[i] = new SceneItem(cells[i], classes[i], pool[rng.NextInt(pool.Length)]);
        }
        Array.Sort(items, (x, y) => x.Cell.CompareTo(y.Cell));
        return new Scene(items);
    }

    /// <summary>The indices in <paramref name="range"/> of <paramref name="images"/>, by class.</summary>
    private static int[][] ByClass(LabeledImages images, Range range)
    {
        ArgumentNullException.ThrowIfNull(images);
        return images.IndicesByClass(range);
    }
}
