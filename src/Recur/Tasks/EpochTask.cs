using Recur.Data;
using Recur.IO;
using Recur.Nn;
using Recur.Training;

namespace Recur.Tasks;

/// <summary>
/// What the tasks over a fixed set of examples share (captioning, VQA, tagging, pronunciation): shuffled batches
/// (<see cref="EpochOrder"/>) whose position is the checkpoint's task state, the run's options and data record, and the
/// model's files written by a delegate. A task adds its model, its step, its evaluation and its description.
/// </summary>
public abstract class EpochTask : ITrainingTask
{
    private readonly Action<string, CheckpointProgress> _writeModel;

    /// <summary>
    /// Batches of <see cref="TrainOptions.BatchSize"/> over <paramref name="examples"/> training examples; a task whose
    /// examples differ in length gives <paramref name="lengths"/>, which <see cref="TrainOptions.Bucket"/> batches by.
    /// </summary>
    protected EpochTask(TrainOptions options, int examples, Action<string, CheckpointProgress> writeModel, DataInfo data, IReadOnlyList<int>? lengths = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(writeModel);
        Options = options;
        Data = data;
        _writeModel = writeModel;
        if (options.Bucket > 0 && lengths is null)
            throw new ArgumentException($"--bucket applies to tasks whose examples differ in length (tag, g2p), not {GetType().Name}.");
        Batches = new EpochOrder(examples, options.BatchSize, options.Seed, lengths, options.Bucket);
        Lengths = lengths;
    }

    /// <summary>Each training example's length, which <see cref="TrainOptions.Bucket"/> batches by (null: a task of fixed-size examples).</summary>
    public IReadOnlyList<int>? Lengths { get; }

    /// <summary>The batch order.</summary>
    protected EpochOrder Batches { get; }

    /// <summary>The run's options.</summary>
    public TrainOptions Options { get; }

    /// <summary>Where the examples came from (recorded in checkpoints).</summary>
    public DataInfo Data { get; }

    /// <summary>The next batch: (epoch, batch within the epoch).</summary>
    public StreamPosition Position { get => Batches.Position; set => Batches.Position = value; }

    public abstract string Name { get; }
    public abstract ParameterStore Store { get; }
    public abstract int Threads { get; set; }
    public int BatchesPerEpoch => Batches.BatchesPerEpoch;
    public double EpochProgress => Batches.EpochProgress;
    public virtual long ItemsPerStep => Options.BatchSize;
    public abstract string ItemName { get; }
    public abstract string LossUnit { get; }
    public abstract bool HasValidation { get; }
    public abstract double TrainStep(Rng rng);
    public abstract TaskMetrics Evaluate();

    /// <summary>The validation figure that chooses (<see cref="ITrainingTask.BestBy"/>): the loss unless a task says otherwise.</summary>
    public virtual string BestBy => TaskMetrics.LossName;
    public abstract string Describe();
    public virtual string? Preview(ulong seed) => null;

    /// <summary>The batch position; a task that carries more training state (captioning's REINFORCE baseline) adds it.</summary>
    public virtual void SaveState(IDictionary<string, IntegerArray> integers, IDictionary<string, Tensor> tensors) => Batches.Save(integers);

    /// <summary>Restores what <see cref="SaveState"/> wrote.</summary>
    public virtual void LoadState(TrainingState state, string path) => Batches.Load(state, path);

    public void WriteModel(string directory, CheckpointProgress progress) => _writeModel(directory, progress);
}
