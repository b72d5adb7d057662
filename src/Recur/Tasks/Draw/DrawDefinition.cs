using Recur.Data;
using Recur.IO;
using Recur.Models.Draw;
using Recur.Training;

namespace Recur.Tasks.Draw;

/// <summary>
/// <c>recur draw</c>: DRAW (Gregor et al. 2015) on binarised Fashion-MNIST, a <see cref="DrawModel"/> (<c>--hidden</c> the encoder,
/// <see cref="DrawSettings"/> the rest) on <see cref="DrawTask"/>. The last <see cref="TrainOptions.ValFrac"/> of the training
/// images (1/12, 5,000 of 60,000, as <c>recur classify</c>) validate; the 10,000 test images are the test split
/// (<c>--split test</c>).
/// </summary>
public sealed class DrawDefinition : TaskDefinition<DrawData, DrawSettings, LoadedDraw>
{
    /// <summary>The definition.</summary>
    public static DrawDefinition Instance { get; } = new();

    /// <inheritdoc/>
    public override CheckpointFormat<LoadedDraw> Checkpoint => DrawCheckpoint.Instance;

    /// <inheritdoc/>
    public override string Summary => "DRAW, a recurrent VAE that draws Fashion-MNIST on a canvas step by step (Gregor et al. 2015); train, eval, sample";

    /// <summary>
    /// The recipe: the paper's Adam at 1e-3, batches of 64, encoder and decoder LSTMs of 256 (<see cref="DrawConfig"/>), the
    /// gradient clipped to norm 5, a cosine schedule over the 15-minute budget with no cap on epochs (chosen on validation,
    /// session 26: 128.08 nats against 128.52 at a constant rate, read 5x5 and write 12x12 both; docs/VISION.md).
    /// </summary>
    public override TrainOptions Defaults { get; } = new()
    {
        Model = "lstm", Hidden = 256, Layers = 1, BatchSize = 64, Optimizer = "adam", LearningRate = 1e-3, LrSchedule = "cosine",
        GradClip = 5, ClipMode = "norm",
        MaxEpochs = 0, Minutes = 15, ValFrac = FashionMnist.ValidationFraction, EvalEvery = 1000,
    };

    /// <summary>The shared options without those of other models (cells, layers, embeddings, dropout, sequence lengths, text splits).</summary>
    public override IReadOnlyList<OptionSpec> SharedOptions { get; } = TrainOptionSpecs.All
        .Where(s => s.Flag is not ("model" or "nonlinearity" or "layers" or "embed" or "dropout" or "weight-drop" or "state-size" or "expand"
            or "conv-width" or "heads" or "context" or "highway" or "forget-bias" or "seq-length" or "test-frac" or "sample-every")).ToArray();

    /// <inheritdoc/>
    public override IReadOnlyList<OptionSpec<DrawSettings>> Options => DrawSettings.Specs;

    /// <inheritdoc/>
    public override string DefaultData => FashionMnist.DefaultDirectory;

    /// <summary>Fashion-MNIST's training and test images.</summary>
    public override DrawData LoadData(string path)
    {
        try
        {
            var (train, test) = FashionMnist.Load(path);
            return new DrawData(train, test);
        }
        catch (IdxFormatException e) { throw new InvalidDataException(e.Message, e); }
    }

    /// <summary>Without <c>--eval-every</c>, a new run evaluates once an epoch.</summary>
    protected override int? TrainingExamples(TrainOptions options, DrawSettings settings, DrawData data)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(data);
        return HeldOutRest(data.Train.Count, options.ValFrac);
    }

    /// <inheritdoc/>
    protected override LoadedDraw NewRun(TrainOptions options, DrawSettings settings, DrawData data)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(data);
        return new LoadedDraw(new DrawModel(settings.ToConfig(options.Hidden, data.Train.Rows, data.Train.Cols)));
    }

    /// <inheritdoc/>
    protected override LoadedDraw Rebuild(LoadedDraw saved)
    {
        ArgumentNullException.ThrowIfNull(saved);
        return new LoadedDraw(new DrawModel(saved.Model.Config));
    }

    /// <inheritdoc/>
    protected override void Initialize(LoadedDraw run, TrainOptions options, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(run);
        run.Model.Reset(rng);
    }

    /// <summary>The record of the training images a run used: their number and a checksum of each one's ink (its binarised pixels).</summary>
    public override DataInfo DataOf(DrawData data, string source)
    {
        ArgumentNullException.ThrowIfNull(data);
        return new(source, data.Train.Count, CheckpointFiles.TokenChecksum(DrawData.InkCounts(data.Train)));
    }

    /// <inheritdoc/>
    protected override ITrainingTask NewTask(LoadedDraw run, DrawData data, TrainOptions options, DataInfo info, Action<string, CheckpointProgress> write)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(data);
        var (train, validation) = Split(data.Train, options.ValFrac);
        return new DrawTask(options, run.Model, train, validation, info, write);
    }

    /// <summary>The task whose evaluation scores the 10,000 test images (<c>--split test</c>).</summary>
    protected override ITrainingTask? NewTestTask(LoadedDraw run, DrawData data, TrainOptions options, DataInfo info)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(data);
        var (train, _) = Split(data.Train, options.ValFrac);
        return new DrawTask(options, run.Model, train, data.Test, info, (_, _) => { });
    }

    /// <summary>The training and the validation images of <paramref name="images"/>: the last <paramref name="valFrac"/> are held out.</summary>
    public static (LabeledImages Train, LabeledImages Validation) Split(LabeledImages images, double valFrac)
    {
        ArgumentNullException.ThrowIfNull(images);
        int nTrain = HeldOutRest(images.Count, valFrac);
        return (images.Slice(0, nTrain), images.Slice(nTrain, images.Count - nTrain));
    }

    /// <summary>The images of <paramref name="split"/> as a run holds them: <c>validation</c> (by its <c>--val-frac</c>) or <c>test</c>.</summary>
    public LabeledImages SplitImages(LoadedDraw run, DrawData data, string split)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(data);
        return split switch
        {
            "test" => data.Test,
            "validation" => Split(data.Train, RecordedOptions(run).ValFrac).Validation,
            _ => throw new ArgumentException($"split must be validation or test, got '{split}'.", nameof(split)),
        };
    }
}
