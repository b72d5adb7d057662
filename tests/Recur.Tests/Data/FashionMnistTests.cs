using System.IO.Compression;
using Recur.Data;
using Xunit;

namespace Recur.Tests.Data;

public sealed class FashionMnistTests
{
    private static string SampleDir => Path.Combine(AppContext.BaseDirectory, "Data", "Samples", "fashion-mnist");

    /// <summary>The decompressed bytes of a sample file, read without the IDX reader.</summary>
    private static byte[] Gunzip(string file)
    {
        using var z = new GZipStream(File.OpenRead(Path.Combine(SampleDir, file)), CompressionMode.Decompress);
        using var ms = new MemoryStream();
        z.CopyTo(ms);
        return ms.ToArray();
    }

    private static string TempDir()
    {
        string d = Path.Combine(Path.GetTempPath(), "recur-fmnist-" + Guid.NewGuid());
        Directory.CreateDirectory(d);
        return d;
    }

    /// <summary>Writes the four files of a tiny set into <paramref name="dir"/> (uncompressed).</summary>
    private static void WriteSet(string dir, int rows, int cols, byte[] trainLabels, byte[] testLabels, int? trainImages = null)
    {
        int nTrain = trainImages ?? trainLabels.Length;
        Idx.Write(Path.Combine(dir, FashionMnist.TrainImagesFile), Enumerable.Range(0, nTrain * rows * cols).Select(i => (byte)i).ToArray(), nTrain, rows, cols);
        Idx.Write(Path.Combine(dir, FashionMnist.TrainLabelsFile), trainLabels, trainLabels.Length);
        Idx.Write(Path.Combine(dir, FashionMnist.TestImagesFile), new byte[testLabels.Length * rows * cols], testLabels.Length, rows, cols);
        Idx.Write(Path.Combine(dir, FashionMnist.TestLabelsFile), testLabels, testLabels.Length);
    }

    [Fact]
    public void CommittedSampleLoadsWith600TrainAnd200TestImages()
    {
        var (train, test) = FashionMnist.Load(SampleDir);
        Assert.Equal((600, 28, 28), (train.Count, train.Rows, train.Cols));
        Assert.Equal((200, 28, 28), (test.Count, test.Rows, test.Cols));
        Assert.Equal(600 * 784, train.Images.Length);
        Assert.Equal(200 * 784, test.Images.Length);
        Assert.EndsWith("train-images-idx3-ubyte.gz", train.Source);
        foreach (var set in new[] { train, test })
        {
            Assert.All(set.Labels, l => Assert.InRange(l, 0, 9));
            Assert.True(set.Labels.Distinct().Count() > 1, "the sample should hold more than one class");
        }
        // The pixels are the bytes after the 16-byte idx3 header, decompressed independently.
        Assert.Equal(Gunzip("train-images-idx3-ubyte.gz")[16..], train.Images);
        Assert.Equal(Gunzip("t10k-images-idx3-ubyte.gz")[16..], test.Images);
    }

    [Fact]
    public void SampleClassCountsMatchAnIndependentCount()
    {
        var (train, test) = FashionMnist.Load(SampleDir);
        foreach (var (set, file) in new[] { (train, "train-labels-idx1-ubyte.gz"), (test, "t10k-labels-idx1-ubyte.gz") })
        {
            byte[] raw = Gunzip(file);
            Assert.Equal(new byte[] { 0, 0, 8, 1 }, raw[..4]);
            var counts = new int[10];
            for (int i = 8; i < raw.Length; i++) counts[raw[i]]++;
            Assert.Equal(counts, set.ClassCounts());
        }
        // Counted with Python's collections.Counter when the sample was cut from the full set.
        Assert.Equal(new[] { 62, 66, 57, 58, 59, 58, 66, 61, 58, 55 }, train.ClassCounts());
        Assert.Equal(new[] { 20, 27, 27, 17, 21, 16, 16, 20, 18, 18 }, test.ClassCounts());
    }

    [Fact]
    public void ClassNamesAreTheTenFashionMnistClasses()
    {
        Assert.Equal(10, FashionMnist.ClassNames.Count);
        Assert.Equal("T-shirt/top", FashionMnist.ClassNames[0]);
        Assert.Equal("Shirt", FashionMnist.ClassNames[6]);
        Assert.Equal("Ankle boot", FashionMnist.ClassNames[9]);
        Assert.Equal("/usr/share/datasets/fashion-mnist", FashionMnist.DefaultDirectory);
    }

    [Fact]
    public void FillBatchWritesRowsAsTimeStepsScaledTo01()
    {
        var (train, _) = FashionMnist.Load(SampleDir);
        int[] idx = [5, 2, 599, 2];
        int b = idx.Length, t = train.Rows, c = train.Cols;
        var x = new float[t * b * c];
        train.FillBatch(idx, x);
        var xb = new float[b * t * c];
        train.FillBatchMajor(idx, xb);
        for (int j = 0; j < b; j++)
        {
            var img = train.Image(idx[j]);
            for (int r = 0; r < t; r++)
                for (int k = 0; k < c; k++)
                {
                    float want = img[r * c + k] / 255f;
                    Assert.Equal(want, x[(r * b + j) * c + k]);
                    Assert.Equal(want, xb[(j * t + r) * c + k]);
                }
        }
        Assert.All(x, v => Assert.InRange(v, 0f, 1f));
        Assert.Contains(1f, x);
        var y = new int[b];
        train.FillLabels(idx, y);
        Assert.Equal(idx.Select(i => (int)train.Labels[i]), y);

        var ex = Assert.Throws<ArgumentException>(() => train.FillBatch(idx, new float[10]));
        Assert.Contains("expected 3136 = 4 images x 28 rows x 28 columns", ex.Message);
        var oob = Assert.Throws<ArgumentOutOfRangeException>(() => train.FillBatch([600], new float[784]));
        Assert.Contains("image index 600 is outside 0..599", oob.Message);
    }

    [Fact]
    public void SliceCopiesARange()
    {
        var (train, _) = FashionMnist.Load(SampleDir);
        var val = train.Slice(500, 100);
        Assert.Equal(100, val.Count);
        Assert.Equal(train.Image(500).ToArray(), val.Image(0).ToArray());
        Assert.Equal(train.Labels[599], val.Labels[99]);
        Assert.Throws<ArgumentOutOfRangeException>(() => train.Slice(550, 100));
    }

    [Fact]
    public void AMissingFolderSaysHowToInstallTheData()
    {
        string missing = Path.Combine(Path.GetTempPath(), "recur-no-such-folder-" + Guid.NewGuid());
        var ex = Assert.Throws<DirectoryNotFoundException>(() => FashionMnist.Load(missing));
        Assert.Contains(missing, ex.Message);
        Assert.Contains("apt-get install dataset-fashion-mnist", ex.Message);
        Assert.Contains("or pass the folder", ex.Message);
    }

    [Fact]
    public void AMissingFileIsNamed()
    {
        string dir = TempDir();
        try
        {
            WriteSet(dir, 2, 3, [1, 2], [3]);
            File.Delete(Path.Combine(dir, FashionMnist.TestLabelsFile));
            var ex = Assert.Throws<FileNotFoundException>(() => FashionMnist.Load(dir));
            Assert.Contains("neither t10k-labels-idx1-ubyte nor t10k-labels-idx1-ubyte.gz", ex.Message);
            Assert.Contains("it holds t10k-images-idx3-ubyte", ex.Message);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void UncompressedFilesOfAnyImageSizeLoad()
    {
        string dir = TempDir();
        try
        {
            WriteSet(dir, 5, 7, [0, 9, 4], [1, 1]);
            var (train, test) = FashionMnist.Load(dir);
            Assert.Equal((3, 5, 7), (train.Count, train.Rows, train.Cols));
            Assert.Equal((2, 5, 7), (test.Count, test.Rows, test.Cols));
            Assert.Equal(new byte[] { 0, 9, 4 }, train.Labels);
            Assert.Equal((byte)35, train.Image(1)[0]);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void ImageAndLabelCountsMustAgree()
    {
        string dir = TempDir();
        try
        {
            WriteSet(dir, 4, 4, [1, 2], [3], trainImages: 3);
            var ex = Assert.Throws<IdxFormatException>(() => FashionMnist.Load(dir));
            Assert.Contains("holds 3 images but", ex.Message);
            Assert.Contains("train-labels-idx1-ubyte holds 2 labels", ex.Message);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void LabelsOfTenOrMoreAreRefused()
    {
        string dir = TempDir();
        try
        {
            WriteSet(dir, 4, 4, [0, 12, 3], [3]);
            var ex = Assert.Throws<IdxFormatException>(() => FashionMnist.Load(dir));
            Assert.Contains("train-labels-idx1-ubyte: label 12 at index 1 is outside 0..9", ex.Message);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void WrongRanksAndMismatchedImageSizesAreRefused()
    {
        string dir = TempDir();
        try
        {
            WriteSet(dir, 4, 4, [0, 1], [3]);
            // Swap images and labels of the training split.
            string images = Path.Combine(dir, FashionMnist.TrainImagesFile), labels = Path.Combine(dir, FashionMnist.TrainLabelsFile);
            var ex = Assert.Throws<IdxFormatException>(() => FashionMnist.LoadPair(labels, images));
            Assert.Contains("shape [2], expected images (N, rows, columns)", ex.Message);
            ex = Assert.Throws<IdxFormatException>(() => FashionMnist.LoadPair(images, images));
            Assert.Contains("shape [2, 4, 4], expected labels (N)", ex.Message);

            Idx.Write(Path.Combine(dir, FashionMnist.TestImagesFile), new byte[5 * 4], 1, 5, 4);
            ex = Assert.Throws<IdxFormatException>(() => FashionMnist.Load(dir));
            Assert.Contains("training images are 4x4 but test images are 5x4", ex.Message);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
