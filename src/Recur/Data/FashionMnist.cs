using System.Globalization;

namespace Recur.Data;

/// <summary>
/// A set of labelled grey images of equal size: <see cref="Images"/> holds <see cref="Count"/>
/// images of <see cref="Rows"/> x <see cref="Cols"/> bytes (0 = black, 255 = white), each row-major,
/// one after another; <see cref="Labels"/> holds one class index in <c>[0, ClassCount)</c> per image.
/// For sequence models an image is read as <see cref="Rows"/> time steps of <see cref="Cols"/> pixels.
/// </summary>
public sealed class LabeledImages
{
    private static readonly float[] Scale = BuildScale();

    /// <summary>
    /// A set over <paramref name="images"/> (<c>N * rows * cols</c> bytes) and <paramref name="labels"/>
    /// (<c>N</c> bytes, each below <paramref name="classCount"/>), without copying.
    /// <paramref name="source"/> names where it came from in messages.
    /// </summary>
    public LabeledImages(byte[] images, byte[] labels, int rows, int cols, int classCount, string source)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(source);
        Guard.Positive(rows, nameof(rows));
        Guard.Positive(cols, nameof(cols));
        if (classCount is < 1 or > 256)
            throw new ArgumentOutOfRangeException(nameof(classCount), classCount, $"class count must be in 1..256, got {classCount}.");
        if ((long)labels.Length * rows * cols != images.Length)
            throw new ArgumentException(
                $"{source}: {labels.Length} labels need {(long)labels.Length * rows * cols} image bytes of {rows}x{cols} images, got {images.Length}.",
                nameof(images));
        int bad = FirstLabelOutOfRange(labels, classCount);
        if (bad >= 0)
            throw new ArgumentException(
                $"{source}: label {labels[bad]} at index {bad} is outside 0..{classCount - 1}; this set has {classCount} classes.", nameof(labels));
        Images = images;
        Labels = labels;
        Rows = rows;
        Cols = cols;
        ClassCount = classCount;
        Source = source;
    }

    /// <summary>All pixels, <c>(Count, Rows, Cols)</c> row-major.</summary>
    public byte[] Images { get; }

    /// <summary>The class of each image, <c>(Count)</c>.</summary>
    public byte[] Labels { get; }

    /// <summary>Number of images.</summary>
    public int Count => Labels.Length;

    /// <summary>Rows per image (time steps when read as a sequence).</summary>
    public int Rows { get; }

    /// <summary>Pixels per row (inputs per time step).</summary>
    public int Cols { get; }

    /// <summary>Pixels per image, <c>Rows * Cols</c>.</summary>
    public int PixelsPerImage => Rows * Cols;

    /// <summary>Number of classes; every label is below it.</summary>
    public int ClassCount { get; }

    /// <summary>Where the images came from (the image file path, or a description).</summary>
    public string Source { get; }

    /// <summary>The pixels of image <paramref name="index"/>, <c>(Rows, Cols)</c> row-major.</summary>
    public ReadOnlySpan<byte> Image(int index)
    {
        CheckIndex(index, nameof(index));
        return Images.AsSpan(index * PixelsPerImage, PixelsPerImage);
    }

    /// <summary>How many images of each class: <c>(ClassCount)</c>.</summary>
    public int[] ClassCounts()
    {
        var counts = new int[ClassCount];
        foreach (byte l in Labels) counts[l]++;
        return counts;
    }

    /// <summary>The indices in <paramref name="range"/> of the images of each class, in order: <c>(ClassCount)</c> arrays.</summary>
    public int[][] IndicesByClass(Range range)
    {
        var (start, length) = range.GetOffsetAndLength(Count);
        var lists = Enumerable.Range(0, ClassCount).Select(_ => new List<int>()).ToArray();
        for (int i = start; i < start + length; i++) lists[Labels[i]].Add(i);
        return [.. lists.Select(l => l.ToArray())];
    }

    /// <summary>A copy of images <c>[start, start + count)</c> as a new set (e.g. to hold out a validation split).</summary>
    public LabeledImages Slice(int start, int count)
    {
        if (start < 0 || count < 0 || start > Count - count)
            throw new ArgumentOutOfRangeException(nameof(start), $"slice [{start}, {start}+{count}) is outside the {Count} images of {Source}.");
        return new LabeledImages(
            Images.AsSpan(start * PixelsPerImage, count * PixelsPerImage).ToArray(),
            Labels.AsSpan(start, count).ToArray(), Rows, Cols, ClassCount,
            $"{Source}[{start}..{start + count})");
    }

    /// <summary>
    /// Writes the images at <paramref name="indices"/> (batch size <c>B = indices.Length</c>) into
    /// <paramref name="x"/> time-major, <c>(T = Rows, B, Cols)</c>: <c>x[t, b, c] = pixel[indices[b], t, c] / 255f</c>,
    /// so time step <c>t</c> is row <c>t</c> of every image, in [0, 1].
    /// </summary>
    public void FillBatch(ReadOnlySpan<int> indices, Span<float> x)
    {
        int b = indices.Length;
        CheckBatch(indices, x.Length, nameof(x));
        for (int j = 0; j < b; j++)
        {
            var img = Images.AsSpan(indices[j] * PixelsPerImage, PixelsPerImage);
            for (int t = 0; t < Rows; t++)
            {
                var src = img.Slice(t * Cols, Cols);
                var dst = x.Slice((t * b + j) * Cols, Cols);
                for (int c = 0; c < Cols; c++) dst[c] = Scale[src[c]];
            }
        }
    }

    /// <summary>
    /// Writes the images at <paramref name="indices"/> into <paramref name="x"/> batch-major,
    /// <c>(B, Rows, Cols)</c>: <c>x[b, r, c] = pixel[indices[b], r, c] / 255f</c>.
    /// </summary>
    public void FillBatchMajor(ReadOnlySpan<int> indices, Span<float> x)
    {
        CheckBatch(indices, x.Length, nameof(x));
        for (int j = 0; j < indices.Length; j++)
        {
            var src = Images.AsSpan(indices[j] * PixelsPerImage, PixelsPerImage);
            var dst = x.Slice(j * PixelsPerImage, PixelsPerImage);
            for (int i = 0; i < src.Length; i++) dst[i] = Scale[src[i]];
        }
    }

    /// <summary>Writes the labels of the images at <paramref name="indices"/> into <paramref name="y"/>, <c>(B)</c>.</summary>
    public void FillLabels(ReadOnlySpan<int> indices, Span<int> y)
    {
        Guard.Length(y.Length, indices.Length, nameof(y));
        for (int j = 0; j < indices.Length; j++)
        {
            CheckIndex(indices[j], nameof(indices));
            y[j] = Labels[indices[j]];
        }
    }

    private void CheckBatch(ReadOnlySpan<int> indices, int length, string name)
    {
        long need = (long)indices.Length * PixelsPerImage;
        if (length != need)
            throw new ArgumentException(
                $"{name} has length {length}, expected {need} = {indices.Length} images x {Rows} rows x {Cols} columns.", name);
        foreach (int i in indices) CheckIndex(i, nameof(indices));
    }

    private void CheckIndex(int index, string name)
    {
        if ((uint)index >= (uint)Count)
            throw new ArgumentOutOfRangeException(name, index, $"image index {index} is outside 0..{Count - 1} of {Source}.");
    }

    /// <summary>Index of the first label &gt;= <paramref name="classCount"/>, or -1.</summary>
    internal static int FirstLabelOutOfRange(ReadOnlySpan<byte> labels, int classCount)
        => classCount >= 256 ? -1 : labels.IndexOfAnyInRange((byte)classCount, (byte)255);

    private static float[] BuildScale()
    {
        var s = new float[256];
        for (int i = 0; i < 256; i++) s[i] = i / 255f;
        return s;
    }
}

/// <summary>
/// Zalando's Fashion-MNIST: 28x28 grey images of clothing in 10 classes, 60,000 for training and
/// 10,000 for testing, in four IDX files (raw or <c>.gz</c>). Debian and Ubuntu ship it as the
/// package <c>dataset-fashion-mnist</c>, which installs the files in <see cref="DefaultDirectory"/>.
/// </summary>
public static class FashionMnist
{
    /// <summary>Where <c>apt-get install dataset-fashion-mnist</c> puts the files.</summary>
    public const string DefaultDirectory = "/usr/share/datasets/fashion-mnist";

    /// <summary>Base name of the training images file (<c>(60000, 28, 28)</c>).</summary>
    public const string TrainImagesFile = "train-images-idx3-ubyte";

    /// <summary>Base name of the training labels file (<c>(60000)</c>).</summary>
    public const string TrainLabelsFile = "train-labels-idx1-ubyte";

    /// <summary>Base name of the test images file (<c>(10000, 28, 28)</c>).</summary>
    public const string TestImagesFile = "t10k-images-idx3-ubyte";

    /// <summary>Base name of the test labels file (<c>(10000)</c>).</summary>
    public const string TestLabelsFile = "t10k-labels-idx1-ubyte";

    /// <summary>Number of classes.</summary>
    public const int ClassCount = 10;

    /// <summary>
    /// The share of the training images held back for validation: the last 1/12 (5,000 of 60,000). <c>recur classify</c>
    /// holds them out by default (its <c>--val-frac</c>), and no training scene of captioning or VQA uses them
    /// (<see cref="Scenes.SceneImages"/>), so the scenes' validation images are new to the encoder and to the model.
    /// </summary>
    public const double ValidationFraction = 1.0 / 12;

    /// <summary>The class names, indexed by label.</summary>
    public static IReadOnlyList<string> ClassNames { get; } =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    /// <summary>
    /// Loads the training and test sets from <paramref name="directory"/>, which must hold the four
    /// standard files, each either raw or with a <c>.gz</c> suffix (the raw one is used when both
    /// exist). Images may be any <c>(N, R, C)</c>, the same R and C in both sets; labels must number
    /// N and lie in 0..9. A missing folder is a <see cref="DirectoryNotFoundException"/> and a missing
    /// file a <see cref="FileNotFoundException"/>, each saying how to get the data; bad content is an
    /// <see cref="IdxFormatException"/>.
    /// </summary>
    public static (LabeledImages Train, LabeledImages Test) Load(string directory = DefaultDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        if (!Directory.Exists(directory))
            throw new DirectoryNotFoundException(
                $"Fashion-MNIST folder {directory} not found. Install the data set with 'sudo apt-get install dataset-fashion-mnist' " +
                $"(it goes to {DefaultDirectory}), or pass the folder that holds {FileList()}.");
        var train = LoadPair(Find(directory, TrainImagesFile), Find(directory, TrainLabelsFile), ClassCount);
        var test = LoadPair(Find(directory, TestImagesFile), Find(directory, TestLabelsFile), ClassCount);
        if (train.Rows != test.Rows || train.Cols != test.Cols)
            throw new IdxFormatException(
                $"{directory}: training images are {train.Rows}x{train.Cols} but test images are {test.Rows}x{test.Cols}; " +
                "both sets must come from the same data set.");
        return (train, test);
    }

    /// <summary>
    /// Loads one labelled set from an images file of shape <c>(N, R, C)</c> and a labels file of shape
    /// <c>(N)</c> with labels below <paramref name="classCount"/>; any shape, count or label problem
    /// is an <see cref="IdxFormatException"/> naming the file.
    /// </summary>
    public static LabeledImages LoadPair(string imagesPath, string labelsPath, int classCount = ClassCount)
    {
        ArgumentException.ThrowIfNullOrEmpty(imagesPath);
        ArgumentException.ThrowIfNullOrEmpty(labelsPath);
        var images = Idx.Read(imagesPath);
        if (images.Rank != 3)
            throw new IdxFormatException(
                $"{imagesPath}: shape {images.ShapeString}, expected images (N, rows, columns) with 3 dimensions; " +
                "is this a labels file (idx1) passed as images?");
        if (images.Shape[1] == 0 || images.Shape[2] == 0)
            throw new IdxFormatException(
                $"{imagesPath}: shape {images.ShapeString} has images with no pixels; expected (N, rows, columns) with rows and columns >= 1.");
        var labels = Idx.Read(labelsPath);
        if (labels.Rank != 1)
            throw new IdxFormatException(
                $"{labelsPath}: shape {labels.ShapeString}, expected labels (N) with 1 dimension; is this an images file (idx3) passed as labels?");
        if (labels.Shape[0] != images.Shape[0])
            throw new IdxFormatException(
                $"{imagesPath} holds {images.Shape[0]} images but {labelsPath} holds {labels.Shape[0]} labels; " +
                "the two files must be the same split of the same data set.");
        int bad = LabeledImages.FirstLabelOutOfRange(labels.Data, classCount);
        if (bad >= 0)
            throw new IdxFormatException(
                $"{labelsPath}: label {labels.Data[bad]} at index {bad} is outside 0..{classCount - 1}; this data set has {classCount} classes. " +
                "The labels file is corrupt or belongs to another data set.");
        return new LabeledImages(images.Data, labels.Data, images.Shape[1], images.Shape[2], classCount, imagesPath);
    }

    private static string Find(string directory, string baseName)
    {
        string raw = Path.Combine(directory, baseName);
        if (File.Exists(raw)) return raw;
        string gz = raw + ".gz";
        if (File.Exists(gz)) return gz;
        string[] present = Directory.GetFiles(directory).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToArray();
        string seen = present.Length == 0 ? "the folder is empty"
            : "it holds " + string.Join(", ", present.Take(8))
                + (present.Length > 8 ? string.Create(CultureInfo.InvariantCulture, $" and {present.Length - 8} more") : "");
        throw new FileNotFoundException(
            $"Fashion-MNIST folder {directory} has neither {baseName} nor {baseName}.gz ({seen}). It needs {FileList()}; " +
            $"'sudo apt-get install dataset-fashion-mnist' installs them in {DefaultDirectory}.", gz);
    }

    private static string FileList() =>
        string.Join(", ", new[] { TrainImagesFile, TrainLabelsFile, TestImagesFile, TestLabelsFile }.Select(f => f + "[.gz]"));
}
