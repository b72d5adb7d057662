using Recur.Data;
using Recur.IO;
using Recur.Models;
using Recur.Nn.Vision;
using Recur.Training;

namespace Recur.Tasks.Classify;

/// <summary>
/// <c>recur classify</c>: a <see cref="SequenceClassifier"/> or, for <c>--model cnn</c>, a <see cref="ConvNet"/>, on
/// <see cref="ClassifyTask"/>. The last <see cref="TrainOptions.ValFrac"/> of the training images are held out for validation.
/// </summary>
public sealed class ClassifyDefinition : TaskDefinition<ClassifyData, ClassifySettings, LoadedClassifier>
{
    /// <summary>The definition.</summary>
    public static ClassifyDefinition Instance { get; } = new();

    /// <inheritdoc/>
    public override CheckpointFormat<LoadedClassifier> Checkpoint => ClassifierCheckpoint.Instance;

    /// <inheritdoc/>
    public override TrainOptions Defaults { get; } = new()
    {
        // The model of the 0.91 figure (docs/CLASSIFY.md), annealed over 12 epochs instead of a time budget.
        Model = "gru", Hidden = 256, Layers = 2, Dropout = 0.3, BatchSize = 128, Optimizer = "adam", LearningRate = 2e-3,
        LrSchedule = "cosine", LrMin = 1e-5, Ema = 0.999, GradClip = 5, MaxEpochs = 12, ValFrac = FashionMnist.ValidationFraction, EvalEvery = 1000,
    };

    /// <inheritdoc/>
    public override IReadOnlyList<OptionSpec> SharedOptions { get; } = TrainOptionSpecs.All
        .Where(s => s.Flag is not ("embed" or "weight-drop" or "highway" or "seq-length" or "test-frac" or "sample-every")).ToArray();

    /// <inheritdoc/>
    public override IReadOnlyList<OptionSpec<ClassifySettings>> Options => ClassifySettings.Specs;

    /// <inheritdoc/>
    public override string DefaultData => FashionMnist.DefaultDirectory;

    /// <summary>Fashion-MNIST's training images (the test files are read too, so that a bad one is found before training).</summary>
    public override ClassifyData LoadData(string path)
    {
        try { return ClassifyData.Fashion(FashionMnist.Load(path).Train); }
        catch (IdxFormatException e) { throw new InvalidDataException(e.Message, e); }
    }

    /// <summary>Without <c>--eval-every</c>, a new run evaluates once an epoch.</summary>
    protected override int? TrainingExamples(TrainOptions options, ClassifySettings settings, ClassifyData data)
        => HeldOutRest(data.Images.Count, options.ValFrac);

    /// <summary>
    /// The model the options describe for <paramref name="rows"/> x <paramref name="cols"/> grey images. <c>--model cnn</c>:
    /// <c>--layers</c> stages of 3x3 convolutions with 32, 64, 128, ... channels, each with ReLU and 2x2 max pooling, a fully
    /// connected layer of <c>--hidden</c> units, <c>--dropout</c> before and after it, the training images flipped and shifted
    /// as <paramref name="augmentation"/> says. Otherwise a recurrent classifier reading the images row by row.
    /// </summary>
    private static IImageClassifier NewModel(TrainOptions o, int rows, int cols, int classes, ImageAugmentation augmentation)
    {
        if (o.Model == ConvNetConfig.Name)
        {
            return new ConvNet(new ConvNetConfig
            {
                Flip = augmentation.Flip, Shift = augmentation.Shift, Rows = rows, Cols = cols, Fc = o.Hidden, Classes = classes,
                Channels = [.. Enumerable.Range(0, o.Layers).Select(k => 32 << Math.Min(k, 7))], Dropout = (float)o.Dropout,
            });
        }
        if (augmentation.Any)
            throw new ArgumentException("--flip and --shift augment the images of --model cnn; a recurrent classifier reads them as rows unchanged.");
        return new SequenceClassifier(new SequenceClassifierConfig
        {
            Cell = o.Model == "rnn" && o.Nonlinearity == "relu" ? "rnn-relu" : o.Model, InputSize = cols, Hidden = o.Hidden, Layers = o.Layers,
            Classes = classes, Dropout = (float)o.Dropout,
        });
    }

    /// <summary>The model <paramref name="options"/> describe, its training images augmented as <paramref name="settings"/> say (a CNN only).</summary>
    protected override LoadedClassifier NewRun(TrainOptions options, ClassifySettings settings, ClassifyData data)
    {
        ArgumentNullException.ThrowIfNull(data);
        var images = data.Images;
        var model = NewModel(options, images.Rows, images.Cols, data.ClassNames.Count, new ImageAugmentation(settings.Flip, settings.Shift));
        return new LoadedClassifier(model, data.ClassNames);
    }

    /// <inheritdoc/>
    protected override LoadedClassifier Rebuild(LoadedClassifier saved) => new(saved.Model switch
    {
        ConvNet net => new ConvNet(net.Config),
        SequenceClassifier rnn => new SequenceClassifier(rnn.Config),
        _ => throw new ArgumentException($"no checkpoint format for a {saved.Model.GetType().Name}."),
    }, saved.ClassNames);

    /// <inheritdoc/>
    protected override void Initialize(LoadedClassifier run, TrainOptions options, Rng rng) => run.Model.Reset(rng, options.InitialForgetBias);

    /// <summary>The record of the images a run used: their number and a checksum of their labels.</summary>
    public override DataInfo DataOf(ClassifyData data, string source)
    {
        ArgumentNullException.ThrowIfNull(data);
        return new(source, data.Images.Count, CheckpointFiles.TokenChecksum([.. data.Images.Labels.Select(b => (int)b)]));
    }

    /// <inheritdoc/>
    protected override ITrainingTask NewTask(LoadedClassifier run, ClassifyData data, TrainOptions options, DataInfo info,
        Action<string, CheckpointProgress> write)
    {
        var (train, validation) = Split(data.Images, options.ValFrac);
        return new ClassifyTask(options, train, validation, run.ClassNames, run.Model, info, write);
    }

    /// <summary>The training and the validation images of <paramref name="images"/>: the last <paramref name="valFrac"/> are held out.</summary>
    public static (LabeledImages Train, LabeledImages Validation) Split(LabeledImages images, double valFrac)
    {
        ArgumentNullException.ThrowIfNull(images);
        int nTrain = HeldOutRest(images.Count, valFrac);
        return (images.Slice(0, nTrain), images.Slice(nTrain, images.Count - nTrain));
    }
}
