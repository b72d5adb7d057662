using Recur.Nn;

namespace Recur.Training;

/// <summary>Makes an optimizer over <paramref name="store"/>'s parameters with the run's learning rate and weight decay.</summary>
/// <param name="store">The parameters to optimize (all of them registered).</param>
/// <param name="learningRate">The initial learning rate (<c>--lr</c>).</param>
/// <param name="weightDecay">The weight decay (<c>--weight-decay</c>): L2, or decoupled where the optimizer says so.</param>
public delegate Optimizer OptimizerFactory(ParameterStore store, double learningRate, double weightDecay);

/// <summary>One registered optimizer: its <c>--optimizer</c> name, a one-line description and its factory.</summary>
/// <param name="Name">The name <c>--optimizer</c> accepts and <c>config.json</c> records.</param>
/// <param name="Description">One line for usage text.</param>
/// <param name="Create">Makes the optimizer; every hyperparameter besides the learning rate and weight decay is fixed here.</param>
public sealed record OptimizerEntry(string Name, string Description, OptimizerFactory Create);

/// <summary>
/// Every optimizer by name: what <c>--optimizer</c> accepts and <c>config.json</c> records. Adding an
/// optimizer is one file under <c>Training/</c> (an <see cref="Optimizer"/>) and one line here; the option's
/// choices and <see cref="Trainer.CreateOptimizer"/> come from this list.
/// <para>
/// The factories fix the hyperparameters a run cannot set (RMSprop's alpha 0.95 and eps 1e-8, char-rnn's
/// setting), so a run folder resumes with the optimizer, and the state buffers, it was saved with.
/// </para>
/// </summary>
public static class OptimizerRegistry
{
    private static readonly OptimizerEntry[] Entries =
    [
        new("adam", "Adam; --weight-decay is L2 added to the gradient", (s, lr, wd) => new Adam(s, lr, weightDecay: wd)),
        new("adamw", "AdamW: Adam with decoupled weight decay", (s, lr, wd) => new AdamW(s, lr, weightDecay: wd)),
        new("rmsprop", "RMSprop with char-rnn's alpha 0.95 and eps 1e-8", (s, lr, wd) => new RmsProp(s, lr, alpha: 0.95, eps: 1e-8, weightDecay: wd)),
        new("adagrad", "Adagrad (PyTorch's defaults)", (s, lr, wd) => new Adagrad(s, lr, weightDecay: wd)),
        new("sgd", "plain stochastic gradient descent, no momentum", (s, lr, wd) => new Sgd(s, lr, weightDecay: wd)),
    ];

    /// <summary>All optimizers, in the order usage text lists them.</summary>
    public static IReadOnlyList<OptimizerEntry> All => Entries;

    /// <summary>The registered names, in order.</summary>
    public static IReadOnlyList<string> Names { get; } = Entries.Select(e => e.Name).ToArray();

    /// <summary>The accepted names in words, for messages.</summary>
    public static string NamesText => string.Join(", ", Names);

    /// <summary>The entry named <paramref name="name"/>, or null.</summary>
    public static OptimizerEntry? Find(string? name) => Entries.FirstOrDefault(e => e.Name == name);

    /// <summary>Whether <paramref name="name"/> is a registered optimizer.</summary>
    public static bool Contains(string? name) => Find(name) is not null;

    /// <summary>
    /// The optimizer named <paramref name="name"/> over <paramref name="store"/>'s parameters; throws with the
    /// accepted names for an unknown one.
    /// </summary>
    public static Optimizer Create(string name, ParameterStore store, double learningRate, double weightDecay)
    {
        ArgumentNullException.ThrowIfNull(store);
        var entry = Find(name) ?? throw new ArgumentException($"unknown optimizer '{name}'; the optimizers are {NamesText}.", nameof(name));
        return entry.Create(store, learningRate, weightDecay);
    }

    /// <summary>One line per optimizer, <c>name  description</c>, for usage text.</summary>
    public static string Usage(string indent = "  ")
    {
        int w = Names.Max(n => n.Length) + 2;
        return string.Join("\n", Entries.Select(e => indent + e.Name.PadRight(w) + e.Description));
    }
}
