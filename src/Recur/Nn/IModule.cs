namespace Recur.Nn;

/// <summary>
/// The module contract (PyTorch's <c>nn.Module</c>, TorchSharp's <c>Module&lt;T, TResult&gt;</c>): a module registers
/// its parameters in the model's one arena (<see cref="ParameterStore"/>) under its path, so state-dict names come
/// from the path as PyTorch's do (<c>encoder.rnn.weight_ih_l0</c>); it has a mode (training or evaluation: dropout
/// and weight drop act only in training); and it has a typed <c>Forward</c> over a whole batch or sequence and an
/// explicit <c>Backward</c> that accumulates its parameters' gradients into the arena and returns the input's
/// gradient. Forward and Backward are typed per module (a <see cref="Linear"/> maps rows to rows, a
/// <see cref="Recurrent"/> a sequence and states to outputs and states), so they are not part of this interface.
/// </summary>
public interface IModule
{
    /// <summary>The path its parameters are registered under (<c>rnn</c>, <c>encoder.rnn</c>); empty for the root.</summary>
    string Path { get; }

    /// <summary>Its parameters, in registration order (views into the arena).</summary>
    IReadOnlyList<Parameter> Parameters { get; }

    /// <summary>Training mode (true) or evaluation mode; the default for forwards that do not say.</summary>
    bool Training { get; set; }
}
