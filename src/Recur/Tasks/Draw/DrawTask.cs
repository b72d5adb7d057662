using System.Globalization;
using Recur.Data;
using Recur.IO;
using Recur.Models.Draw;
using Recur.Nn;
using Recur.Training;

namespace Recur.Tasks.Draw;

/// <summary>
/// A DRAW model's negative variational lower bound on a set of images, nats per image: <c>L = L^x + L^z</c>
/// (<see cref="DrawLoss"/>), the mean over the images.
/// </summary>
/// <param name="Bound"><c>L^x + L^z</c>, the mean over the images: an upper bound on <c>-log p(x)</c>, so lower is better.</param>
/// <param name="Reconstruction"><c>L^x</c>, the Bernoulli negative log-likelihood of the binarised image under <c>σ(c_T)</c>.</param>
/// <param name="Latent"><c>L^z</c>, the KL of the posteriors from the prior summed over the steps.</param>
/// <param name="Images">Images scored.</param>
public sealed record DrawBound(double Bound, double Reconstruction, double Latent, int Images)
{
    /// <summary>The seed of the noise every evaluation draws (<see cref="Of"/>), so that a score is the same each time.</summary>
    public const ulong NoiseSeed = 20150216;

    /// <summary>Images per forward pass of an evaluation; fixed, since the noise each image gets follows from it.</summary>
    public const int Chunk = 200;

    /// <summary>
    /// Scores <paramref name="model"/> on every image of <paramref name="set"/>, binarised (<see cref="DrawData.Binarize"/>), in
    /// chunks of <see cref="Chunk"/> images in set order, one sample of <c>z</c> per image: the noise <c>ε (T, B, Z)</c> of each
    /// chunk is drawn in turn from one stream seeded with <see cref="NoiseSeed"/>. The result does not depend on the threads.
    /// After each chunk's forward pass, <paramref name="chunk"/> (when given) sees its first image's index, its binarised images
    /// <c>(b, P)</c> and the model, whose <see cref="DrawModel.ImageBound"/>, <see cref="DrawModel.Canvases"/> and windows are the chunk's.
    /// </summary>
    public static DrawBound Of(DrawModel model, LabeledImages set, Action<int, Tensor, DrawModel>? chunk = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(set);
        DrawTask.CheckSize(model.Config, set);
        var rng = new Rng(NoiseSeed);
        int P = model.Config.Pixels, N = set.Count;
        double lx = 0, lz = 0;
        var idx = new int[Math.Min(Chunk, Math.Max(1, N))];
        var x = new Tensor(idx.Length, P);
        for (int start = 0; start < N; start += Chunk)
        {
            int b = Math.Min(Chunk, N - start);
            if (b != idx.Length) { idx = new int[b]; x = new Tensor(b, P); }
            for (int i = 0; i < b; i++) idx[i] = start + i;
            DrawData.Binarize(set, idx, x.Data);
            var loss = model.Forward(x, model.Noise(rng, b));
            chunk?.Invoke(start, x, model);
            lx += loss.Reconstruction * b;
            lz += loss.Latent * b;
        }
        return N == 0 ? new DrawBound(double.NaN, double.NaN, double.NaN, 0) : new DrawBound((lx + lz) / N, lx / N, lz / N, N);
    }
}

/// <summary>
/// DRAW on the trainer (<c>recur draw train</c>): batches of binarised training images (<see cref="EpochTask"/>: an order
/// shuffled from the seed and the epoch, the last partial batch skipped), the noise <c>ε</c> of each step drawn from the
/// trainer's random stream (so a resumed run draws the same), the loss the batch mean of <c>L^x + L^z</c>. Evaluation is the
/// bound on the validation images (<see cref="DrawBound.Of"/>) with its two terms as the metrics <c>reconstruction</c> and
/// <c>kl</c>.
/// </summary>
public sealed class DrawTask : EpochTask
{
    /// <summary>The task's name: the command word, the run folder's suffix and config.json's <c>"task"</c>.</summary>
    public const string TaskName = "draw";

    private readonly Tensor _x;   // (B, P) the binarised batch
    private readonly Tensor _eps; // (T, B, Z) its noise

    /// <summary>
    /// The task: <paramref name="model"/> trained on <paramref name="train"/>, evaluated on <paramref name="validation"/> (the test
    /// images for a test score); <paramref name="writeModel"/> writes the model's checkpoint files.
    /// </summary>
    public DrawTask(TrainOptions options, DrawModel model, LabeledImages train, LabeledImages validation, DataInfo data,
        Action<string, CheckpointProgress> writeModel)
        : base(options, Checked(options, model, train, validation), writeModel, data)
    {
        Model = model; Train = train; Validation = validation;
        _x = new Tensor(options.BatchSize, model.Config.Pixels);
        _eps = new Tensor(model.Config.Steps, options.BatchSize, model.Config.Latent);
    }

    private static int Checked(TrainOptions options, DrawModel model, LabeledImages train, LabeledImages validation)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(validation);
        CheckSize(model.Config, train);
        CheckSize(model.Config, validation);
        if (train.Count < options.BatchSize)
            throw new ArgumentException($"the training split has {train.Count} image(s), fewer than --batch-size {options.BatchSize}.");
        return train.Count;
    }

    /// <summary>Refuses images of another size than the model's.</summary>
    internal static void CheckSize(DrawConfig config, LabeledImages set)
    {
        if (set.Count > 0 && (set.Rows != config.Height || set.Cols != config.Width))
            throw new ArgumentException($"{set.Source}: the images are {set.Rows}x{set.Cols}, the model draws {config.Height}x{config.Width}.");
    }

    /// <inheritdoc/>
    public override string Name => TaskName;

    /// <summary>The model.</summary>
    public DrawModel Model { get; }

    /// <summary>Training images.</summary>
    public LabeledImages Train { get; }

    /// <summary>The images <see cref="Evaluate"/> scores.</summary>
    public LabeledImages Validation { get; }

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

    /// <inheritdoc/>
    public override double TrainStep(Rng rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        var batch = Batches.Next();
        DrawData.Binarize(Train, batch, _x.Data);
        var eps = _eps.Data;
        for (int i = 0; i < eps.Length; i++) eps[i] = rng.NextGaussian();
        Store.ZeroGrad();
        var loss = Model.Forward(_x, _eps);
        Model.Backward();
        return loss.Total;
    }

    /// <inheritdoc/>
    public override TaskMetrics Evaluate()
    {
        var s = DrawBound.Of(Model, Validation);
        return new TaskMetrics(s.Bound, new Dictionary<string, double> { ["reconstruction"] = s.Reconstruction, ["kl"] = s.Latent });
    }

    /// <inheritdoc/>
    public override string Describe()
    {
        var c = Model.Config;
        string rw = c.Attention ? $"attention read {c.ReadN}x{c.ReadN}, write {c.WriteN}x{c.WriteN}" : "no attention";
        return string.Create(CultureInfo.InvariantCulture,
            $"DRAW {c.Height}x{c.Width}, {c.Steps} steps, {rw}, encoder {c.EncoderHidden}, decoder {c.DecoderHidden}, latent {c.Latent}; "
            + $"{Store.Count:N0} parameters; train {Train.Count:N0} / val {Validation.Count:N0} images (binarised at p >= {DrawData.Threshold}); "
            + $"batch {Options.BatchSize}");
    }
}
