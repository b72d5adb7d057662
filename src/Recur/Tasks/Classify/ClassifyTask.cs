using System.Globalization;
using Recur.Data;
using Recur.IO;
using Recur.Models;
using Recur.Nn;
using Recur.Training;

namespace Recur.Tasks.Classify;

/// <summary>
/// Classification of labelled images (<c>recur classify</c>), pixels scaled to [0, 1]: by a
/// <see cref="SequenceClassifier"/>, which reads each <c>R x C</c> image as <c>R</c> time steps of <c>C</c> pixels and
/// predicts the class from its last hidden state (many-to-one), or by a <see cref="ConvNet"/>, which reads the grid.
/// An epoch (<see cref="EpochTask"/>) visits the training images in an order shuffled from the run's seed and the epoch
/// number (so a resumed run draws the same batches), in batches of <see cref="TrainOptions.BatchSize"/> (the last partial
/// batch is skipped, as PyTorch's <c>drop_last</c>).
/// Evaluation reports the mean cross-entropy and the accuracy on the validation images.
/// </summary>
public sealed class ClassifyTask : EpochTask
{
    /// <summary>The task's name: the command word, the run folder's suffix and config.json's <c>"task"</c>.</summary>
    public const string TaskName = "classify";

    private readonly int[] _labels;
    private readonly Tensor _x;

    /// <summary>
    /// The task: <paramref name="model"/> trained on <paramref name="train"/>, evaluated on <paramref name="validation"/>;
    /// <paramref name="writeModel"/> writes the model's checkpoint files.
    /// </summary>
    public ClassifyTask(TrainOptions options, LabeledImages train, LabeledImages validation, IReadOnlyList<string> classNames, IImageClassifier model,
        DataInfo data, Action<string, CheckpointProgress> writeModel)
        : base(options, Checked(options, train, validation, classNames, model), writeModel, data)
    {
        Train = train; Validation = validation; ClassNames = classNames; Model = model;
        _labels = new int[options.BatchSize];
        _x = model.NewInput(train, options.BatchSize);
    }

    private static int Checked(TrainOptions options, LabeledImages train, LabeledImages validation, IReadOnlyList<string> classNames, IImageClassifier model)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(validation);
        ArgumentNullException.ThrowIfNull(classNames);
        ArgumentNullException.ThrowIfNull(model);
        model.CheckImageSize(train.Rows, train.Cols);
        if (train.Count < options.BatchSize)
            throw new ArgumentException($"the training split has {train.Count} image(s), fewer than --batch-size {options.BatchSize}.");
        if (classNames.Count != model.Classes)
            throw new ArgumentException($"{classNames.Count} class names for a model of {model.Classes} classes.");
        return train.Count;
    }

    /// <inheritdoc/>
    public override string Name => TaskName;

    /// <summary>Training images.</summary>
    public LabeledImages Train { get; }

    /// <summary>Validation images.</summary>
    public LabeledImages Validation { get; }

    /// <summary>Class names, by id.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>The model.</summary>
    public IImageClassifier Model { get; }

    /// <inheritdoc/>
    public override ParameterStore Store => Model.Store;

    /// <inheritdoc/>
    public override int Threads { get => Model.Threads; set => Model.Threads = value; }

    /// <inheritdoc/>
    public override string ItemName => "img";

    /// <inheritdoc/>
    public override string LossUnit => "nats";

    /// <inheritdoc/>
    public override bool HasValidation => Validation.Count > 0;

    /// <summary>The order of epoch <paramref name="epoch"/> (<see cref="EpochOrder.Order"/>).</summary>
    public static int[] Order(int count, ulong seed, int epoch) => EpochOrder.Order(count, seed, epoch);

    /// <inheritdoc/>
    public override double TrainStep(Rng rng)
    {
        var batch = Batches.Next();
        Model.FillInput(Train, batch, _x);
        Train.FillLabels(batch, _labels);
        return Model.TrainStep(_x, _labels, rng);
    }

    /// <inheritdoc/>
    public override TaskMetrics Evaluate()
    {
        var s = Score(Model, Validation);
        return new TaskMetrics(s.Loss, new Dictionary<string, double> { ["accuracy"] = s.Accuracy });
    }

    /// <summary>
    /// Scores <paramref name="model"/> on every image of <paramref name="set"/> (in batches of up to 500): mean
    /// cross-entropy, accuracy, the confusion matrix <c>[true, predicted]</c> and each image's prediction.
    /// </summary>
    public static ClassifierScore Score(IImageClassifier model, LabeledImages set)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(set);
        int K = model.Classes, N = set.Count;
        var confusion = new long[K, K];
        var predicted = new int[N];
        double loss = 0;
        long correct = 0;
        const int chunk = 500;
        int full = Math.Min(chunk, N);
        Tensor x = model.NewInput(set, Math.Max(1, full)); // reused while chunks are whole
        var idx = new int[full];
        var y = new int[full];
        for (int start = 0; start < N; start += chunk)
        {
            int b = Math.Min(chunk, N - start);
            if (b != idx.Length) { x = model.NewInput(set, b); idx = new int[b]; y = new int[b]; }
            for (int i = 0; i < b; i++) idx[i] = start + i;
            model.FillInput(set, idx, x);
            set.FillLabels(idx, y);
            var logits = model.Forward(x);
            loss += SoftmaxCrossEntropy.Loss<float>(logits.Data, b, K, y) * b;
            for (int i = 0; i < b; i++)
            {
                int p = System.Numerics.Tensors.TensorPrimitives.IndexOfMax(logits.Span.Slice(i * K, K));
                predicted[start + i] = p;
                confusion[y[i], p]++;
                if (p == y[i]) correct++;
            }
        }
        return new ClassifierScore(N == 0 ? double.NaN : loss / N, N == 0 ? double.NaN : (double)correct / N, confusion, predicted);
    }

    /// <inheritdoc/>
    public override string Describe()
    {
        return string.Create(CultureInfo.InvariantCulture,
            $"{Model.Summary}, {Train.Rows}x{Train.Cols} images, {Model.Classes} classes, {Store.Count:N0} parameters; "
            + $"train {Train.Count:N0} / val {Validation.Count:N0} images; batch {Options.BatchSize}");
    }
}

/// <summary>What <see cref="ClassifyTask.Score"/> measured.</summary>
/// <param name="Loss">Mean cross-entropy, nats.</param>
/// <param name="Accuracy">Fraction classified correctly.</param>
/// <param name="Confusion">Counts <c>[true class, predicted class]</c>.</param>
/// <param name="Predicted">Each image's predicted class.</param>
public sealed record ClassifierScore(double Loss, double Accuracy, long[,] Confusion, int[] Predicted);
