using Recur.Data;
using Recur.IO;
using Recur.Models;
using Recur.Nn.Vision;
using Recur.Tasks;

namespace Recur.Training;

/// <summary>
/// <c>recur classify</c>: a <see cref="SequenceClassifier"/> or, for <c>--model cnn</c>, a <see cref="ConvNet"/>, on
/// <see cref="ClassifyTask"/> on the one <see cref="Trainer"/>.
/// The last <see cref="TrainOptions.ValFrac"/> of the training images are held out for validation.
/// </summary>
public static class ClassifyTrainer
{
    /// <summary>The classifier architecture the options describe for images of <paramref name="columns"/> pixels per row.</summary>
    public static SequenceClassifierConfig ModelConfig(TrainOptions o, int columns, int classes) => new()
    {
        Cell = o.Model == "rnn" && o.Nonlinearity == "relu" ? "rnn-relu" : o.Model,
        InputSize = columns,
        Hidden = o.Hidden,
        Layers = o.Layers,
        Classes = classes,
        Dropout = (float)o.Dropout,
    };

    /// <summary>
    /// The convolutional classifier <c>--model cnn</c> describes for <paramref name="rows"/> x <paramref name="cols"/> grey
    /// images: <c>--layers</c> stages of 3x3 convolutions with 32, 64, 128, ... channels, each with ReLU and 2x2 max
    /// pooling; a fully connected layer of <c>--hidden</c> units; <c>--dropout</c> before and after it; the training
    /// images flipped and shifted as <paramref name="augmentation"/> says (<c>--flip</c>, <c>--shift</c>).
    /// </summary>
    public static ConvNetConfig ConvConfig(TrainOptions o, int rows, int cols, int classes, ImageAugmentation? augmentation = null) => new()
    {
        Flip = augmentation?.Flip ?? false,
        Shift = augmentation?.Shift ?? 0,
        Rows = rows,
        Cols = cols,
        Channels = [.. Enumerable.Range(0, o.Layers).Select(k => 32 << Math.Min(k, 7))],
        Fc = o.Hidden,
        Classes = classes,
        Dropout = (float)o.Dropout,
    };

    /// <summary>The model the options describe: a <see cref="ConvNet"/> for <c>--model cnn</c>, else a <see cref="SequenceClassifier"/>.</summary>
    public static IImageClassifier NewModel(TrainOptions o, int rows, int cols, int classes, ImageAugmentation? augmentation = null)
    {
        ArgumentNullException.ThrowIfNull(o);
        if (o.Model == ConvNetConfig.Name) return new ConvNet(ConvConfig(o, rows, cols, classes, augmentation));
        if (augmentation is { Any: true }) throw new ArgumentException("--flip and --shift augment the images of --model cnn; a recurrent classifier reads them as rows unchanged.");
        return new SequenceClassifier(ModelConfig(o, cols, classes));
    }

    /// <summary>Splits <paramref name="images"/> into training and validation images (the last <c>valFrac</c>).</summary>
    public static (LabeledImages Train, LabeledImages Validation) Split(LabeledImages images, double valFrac)
    {
        ArgumentNullException.ThrowIfNull(images);
        int nVal = (int)Math.Round(images.Count * valFrac);
        return (images.Slice(0, images.Count - nVal), images.Slice(images.Count - nVal, nVal));
    }

    /// <summary>
    /// A new run: the model initialised from <see cref="TrainOptions.Seed"/> (PyTorch's initialisation), its training
    /// images augmented as <paramref name="augmentation"/> says (a CNN only; kept by its checkpoints).
    /// </summary>
    public static Trainer Create(TrainOptions options, LabeledImages images, IReadOnlyList<string> classNames, string source, ImageAugmentation? augmentation = null)
        => Build(options, images, classNames, source, null, null, null, augmentation);

    /// <summary>Continues the run saved in <paramref name="checkpoint"/> (its <c>latest/</c>) over the same images.</summary>
    public static Trainer Resume(LoadedClassifier checkpoint, LabeledImages images, TrainOptions options)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        ArgumentNullException.ThrowIfNull(options);
        var state = TaskRuns.ResumeState(checkpoint.Training, options, checkpoint.Directory, checkpoint.StatePath, checkpoint.Model.Store.Count);
        var augmentation = checkpoint.Model is ConvNet net ? new ImageAugmentation(net.Config.Flip, net.Config.Shift) : null;
        var trainer = Build(options, images, checkpoint.ClassNames, checkpoint.Data?.Source ?? "", state, checkpoint, checkpoint.StatePath, augmentation);
        if (checkpoint.RunDirectory is not null) trainer.OutputDirectory = checkpoint.RunDirectory;
        return trainer;
    }

    private static Trainer Build(TrainOptions options, LabeledImages images, IReadOnlyList<string> classNames, string source,
        TrainingState? state, LoadedClassifier? saved, string? statePath, ImageAugmentation? augmentation)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(images);
        options.Validate();
        var model = NewModel(options, images.Rows, images.Cols, classNames.Count, augmentation);
        var rng = new Rng(options.Seed);
        model.Reset(rng, options.InitialForgetBias);
        var data = new DataInfo(source, images.Count, CheckpointFiles.TokenChecksum(images.Labels.Select(b => (int)b).ToArray()));
        if (saved is not null)
        {
            if (saved.Data is { } d && (d.Characters != data.Characters || d.Checksum != data.Checksum))
                throw new ArgumentException($"the images ({images.Count}) are not the ones this run was trained on ({d.Source}, {d.Characters}); resume with the same data.");
            saved.Model.Store.Values.AsSpan(0, model.Store.Count).CopyTo(model.Store.Values);
        }
        var (train, val) = Split(images, options.ValFrac);
        var task = new ClassifyTask(options, train, val, classNames, model, data);
        return TaskRuns.Start(task, options, rng, state, saved?.Model.Store.Values, statePath);
    }
}
