using Recur.Nn;

namespace Recur.Training;

/// <summary>
/// Base class of the optimizers: one update loop over the whole parameter arena
/// (<see cref="ParameterStore.Values"/>) and gradient arena (<see cref="ParameterStore.Grads"/>),
/// with per-element state buffers of the same length (e.g. Adam's <c>exp_avg</c>), named as in
/// PyTorch's <c>optimizer.state_dict()</c>. The buffers are allocated once, in the constructor; a
/// step allocates nothing.
/// <para>
/// Designed for inheritance: a derived optimizer registers its buffers with
/// <see cref="AddState"/> in its constructor and implements <see cref="StepCore"/>. The base
/// counts steps and handles state save/load for checkpoints.
/// </para>
/// The optimizer does not zero the gradients; call <see cref="ParameterStore.ZeroGrad"/> (or
/// overwrite them) before the next backward pass.
/// </summary>
public abstract class Optimizer
{
    private readonly Dictionary<string, float[]> _state = new(StringComparer.Ordinal);
    private double _learningRate;

    /// <summary>Creates an optimizer over all parameters registered in <paramref name="store"/> so far.</summary>
    protected Optimizer(ParameterStore store, double learningRate)
    {
        ArgumentNullException.ThrowIfNull(store);
        Store = store;
        Length = store.Count;
        LearningRate = learningRate;
    }

    /// <summary>The parameters being optimized.</summary>
    public ParameterStore Store { get; }

    /// <summary>Number of scalars optimized (the store's size when the optimizer was created).</summary>
    public int Length { get; }

    /// <summary>
    /// The learning rate used by the next <see cref="Step"/> (PyTorch's <c>param_group["lr"]</c>);
    /// schedules set it between steps. Held in double like PyTorch's Python float; each update
    /// rounds the derived scalars to float where PyTorch does.
    /// </summary>
    public double LearningRate
    {
        get => _learningRate;
        set
        {
            if (!(value >= 0) || double.IsInfinity(value))
                throw new ArgumentOutOfRangeException(nameof(value), value, $"learning rate must be finite and non-negative, got {value}.");
            _learningRate = value;
        }
    }

    /// <summary>
    /// Threads for the update loop (0 = every core; default 1). Each element's arithmetic is the same
    /// whatever the split, so the result does not depend on it.
    /// </summary>
    public int Threads
    {
        get => _threads;
        set
        {
            if (value < 0) throw new ArgumentOutOfRangeException(nameof(value), value, $"threads must be non-negative (0 = every core), got {value}.");
            _threads = value;
        }
    }

    private int _threads = 1;

    /// <summary>Number of steps taken (PyTorch's <c>state["step"]</c>); the first step sees 1 inside <see cref="StepCore"/>.</summary>
    public long StepCount { get; private set; }

    /// <summary>
    /// The state buffers by PyTorch name (e.g. <c>exp_avg</c>, <c>exp_avg_sq</c>,
    /// <c>momentum_buffer</c>, <c>sum</c>), each aligned with <see cref="ParameterStore.Values"/>.
    /// These are the live arrays (not copies): a checkpoint writer reads them directly; use
    /// <see cref="LoadState"/> to restore.
    /// </summary>
    public IReadOnlyDictionary<string, float[]> State => _state;

    /// <summary>
    /// The slice of state buffer <paramref name="name"/> that belongs to <paramref name="parameter"/>
    /// (the per-parameter tensor PyTorch keeps in <c>optimizer.state[p][name]</c>).
    /// </summary>
    public Span<float> StateOf(string name, Parameter parameter)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        if (!ReferenceEquals(parameter.Store, Store))
            throw new ArgumentException($"parameter '{parameter.Name}' belongs to another ParameterStore.", nameof(parameter));
        if (!_state.TryGetValue(name, out var buf))
            throw new KeyNotFoundException($"no optimizer state named '{name}'; have: {string.Join(", ", _state.Keys)}.");
        return buf.AsSpan(parameter.Offset, parameter.Length);
    }

    /// <summary>
    /// Restores the step count and every state buffer (copied in). <paramref name="state"/> must
    /// hold exactly the names in <see cref="State"/>, each of length <see cref="Length"/>. After
    /// loading, the next <see cref="Step"/> gives bit for bit what the saved optimizer's next step
    /// would have given (hyperparameters and learning rate are the caller's to restore).
    /// </summary>
    public void LoadState(IReadOnlyDictionary<string, float[]> state, long stepCount)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (stepCount < 0) throw new ArgumentOutOfRangeException(nameof(stepCount), stepCount, $"stepCount must be non-negative, got {stepCount}.");
        foreach (var key in state.Keys)
            if (!_state.ContainsKey(key))
                throw new ArgumentException(
                    $"unexpected optimizer state '{key}' for {GetType().Name}; expected: {string.Join(", ", _state.Keys)}.", nameof(state));
        foreach (var (name, buf) in _state)
        {
            if (!state.TryGetValue(name, out var src) || src is null)
                throw new ArgumentException($"optimizer state '{name}' is missing for {GetType().Name}.", nameof(state));
            if (src.Length != buf.Length)
                throw new ArgumentException($"optimizer state '{name}' has length {src.Length}, expected {buf.Length}.", nameof(state));
        }
        foreach (var (name, buf) in _state) state[name].AsSpan().CopyTo(buf);
        StepCount = stepCount;
    }

    /// <summary>Applies one update to <see cref="ParameterStore.Values"/> from <see cref="ParameterStore.Grads"/>.</summary>
    public void Step()
    {
        if (Store.Count != Length)
            throw new InvalidOperationException(
                $"the parameter store has {Store.Count} scalars but the optimizer was created for {Length}; create the optimizer after all layers.");
        StepCount++;
        StepCore(Store.Values, Store.Grads, StepCount);
    }

    /// <summary>
    /// The update. <paramref name="values"/> and <paramref name="grads"/> are the whole arenas;
    /// <paramref name="step"/> is the 1-based index of this step (already counted).
    /// </summary>
    protected abstract void StepCore(Span<float> values, ReadOnlySpan<float> grads, long step);

    /// <summary>Registers (in a derived constructor) a state buffer of length <see cref="Length"/> filled with <paramref name="initialValue"/>.</summary>
    protected float[] AddState(string name, float initialValue = 0f)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var buf = new float[Length];
        if (initialValue != 0f) Array.Fill(buf, initialValue);
        _state.Add(name, buf);
        return buf;
    }

    /// <summary>Checks a hyperparameter is finite and non-negative.</summary>
    protected static void CheckNonNegative(double value, string name)
    {
        if (!(value >= 0) || double.IsInfinity(value))
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be finite and non-negative, got {value}.");
    }

    /// <summary>Checks a hyperparameter lies in [0, 1).</summary>
    protected static void CheckUnitInterval(double value, string name)
    {
        if (!(value >= 0 && value < 1))
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be in [0, 1), got {value}.");
    }
}
