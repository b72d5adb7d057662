using System.Globalization;
using Recur.Models.Glimpse;
using Recur.Nn;

namespace Recur.Tasks.Glimpse;

/// <summary>
/// The recurrent attention model as the glimpse task runs it (<see cref="RecurrentAttentionModel"/>). The first glimpse is at the
/// centre of the canvas, <c>l_1 = (0, 0)</c>, in training and evaluation alike. Training draws each next location from the policy,
/// <c>s_t = μ_t + σ ε_t</c> with <c>ε</c> from the trainer's random stream, and minimises the hybrid loss
/// <c>L_CE + L_b + L_R</c>. Evaluation and pictures follow the policy's mean, <c>l_{t+1} = clamp(μ_t)</c>, so a score and a path
/// are the same every time.
/// </summary>
public sealed class RamClassifier : IClutterClassifier
{
    /// <summary>The <c>--model</c> word.</summary>
    public const string Name = "ram";

    private Tensor _centre = new(1, 2); // (B, 2) zeros: l_1 at the centre

    /// <summary>Wraps <paramref name="model"/> (its canvas must be square).</summary>
    public RamClassifier(RecurrentAttentionModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.Config.Width != model.Config.Height)
            throw new ArgumentException($"the glimpse task's canvases are square, the model reads {model.Config.Height}x{model.Config.Width}.");
        Model = model;
    }

    /// <summary>The model.</summary>
    public RecurrentAttentionModel Model { get; }

    /// <inheritdoc/>
    public string Architecture => Name;

    /// <inheritdoc/>
    public ParameterStore Store => Model.Store;

    /// <inheritdoc/>
    public int Threads { get => Model.Threads; set => Model.Threads = value; }

    /// <inheritdoc/>
    public int Side => Model.Config.Width;

    /// <inheritdoc/>
    public object Config => Model.Config;

    /// <inheritdoc/>
    public long ValuesRead => (long)Model.Config.Steps * Model.Config.GlimpseSize;

    /// <inheritdoc/>
    public string Summary
    {
        get
        {
            var c = Model.Config;
            string into = (c.LocatorHidden > 0 ? $", locator hidden {c.LocatorHidden}" : "") + (c.ReinforceIntoCore ? ", REINFORCE into the core" : "");
            return string.Create(CultureInfo.InvariantCulture,
                $"RAM: {c.Steps} glimpses of {c.Scales} scale(s) of {c.Patch}x{c.Patch} (widest {c.WidestPatch} px), glimpse network "
                + $"{c.GlimpseHidden} + {c.LocationHidden} -> {c.GlimpseOut}, LSTM core {c.CoreHidden}, σ {c.Sigma}{into}");
        }
    }

    /// <inheritdoc/>
    public void Reset(Rng rng) => Model.Reset(rng);

    /// <summary><c>l_1 = (0, 0)</c> for <paramref name="batch"/> images.</summary>
    public Tensor Centre(int batch)
    {
        if (_centre.Shape[0] != batch) _centre = new Tensor(batch, 2);
        return _centre;
    }

    /// <inheritdoc/>
    public double TrainStep(Tensor images, ReadOnlySpan<int> labels, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(rng);
        int B = images.Shape[0];
        Model.Forward(images, Centre(B), Model.Noise(rng, B));
        var loss = Model.Loss(labels);
        Store.ZeroGrad();
        Model.Backward();
        return loss.Total;
    }

    /// <inheritdoc/>
    public Tensor Classify(Tensor images) => Trace(images).Logits;

    /// <summary>The deterministic glimpse path (the policy's mean from the centre) and the classes of <paramref name="images"/>.</summary>
    public GlimpseTrace Trace(Tensor images)
    {
        ArgumentNullException.ThrowIfNull(images);
        return Model.Infer(images, Centre(images.Shape[0]));
    }
}
