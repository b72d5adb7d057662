using Recur.IO;
using Recur.Nn;

namespace Recur.Training;

/// <summary>
/// A task's model as a checkpoint holds it, with what every checkpoint of every task records besides: the folder it
/// was read from, its run folder, the run's options, its progress and its data. A task's own record derives from this
/// one and adds its model and the tables the model needs (a vocabulary, a split seed, a frozen encoder).
/// </summary>
public abstract record SavedRun
{
    /// <summary>Every parameter store the checkpoint holds, each with the prefix of its names in <c>model.safetensors</c>.</summary>
    public abstract IReadOnlyList<(string Prefix, ParameterStore Store)> Stores { get; }

    /// <summary>The store the optimizer trains (the first of <see cref="Stores"/>): what a resume continues.</summary>
    public ParameterStore Trained => Stores[0].Store;

    /// <summary>The checkpoint folder this was read from (empty for a run being trained).</summary>
    public string Directory { get; init; } = "";

    /// <summary>The run folder holding <see cref="Directory"/>, or null for a lone checkpoint folder.</summary>
    public string? RunDirectory { get; init; }

    /// <summary>The run's training options, when recorded (needed to resume).</summary>
    public TrainOptions? Training { get; init; }

    /// <summary>Where the checkpoint stands in its run, when recorded.</summary>
    public CheckpointProgress? Progress { get; init; }

    /// <summary>What the run was trained on, when recorded (checked on resume).</summary>
    public DataInfo? Data { get; init; }

    /// <summary>Path of the checkpoint's <c>state.safetensors</c>.</summary>
    public string StatePath => Path.Combine(Directory, CheckpointFiles.StateFile);
}
