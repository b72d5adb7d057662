using Recur.Nn;

namespace Recur.Models;

/// <summary>
/// The lectures' hand-built ReLU RNN that outputs 1 exactly when the current and the previous
/// input are both 1: <c>h_t = ReLU(W_hh h_{t-1} + W_xh x_t)</c>, <c>y_t = ReLU(W_hy h_t)</c>, with
/// <c>h_t = (current, previous, 1)</c> and <c>h_0 = (0, 0, 1)</c>.
/// <code>
/// W_xh = [1, 0, 0]^T    W_hh = [[0,0,0],[1,0,0],[0,0,1]]    W_hy = [1, 1, -1]
/// </code>
/// It runs on the library's own <see cref="Rnn"/> (ReLU, no bias) and <see cref="Linear"/> layers.
/// </summary>
public sealed class RepeatedOnes
{
    private readonly Rnn _rnn;
    private readonly Linear _head;

    /// <summary>The slide's network, with the hand-built weights.</summary>
    public RepeatedOnes() : this(WeightXh, WeightHh, WeightHy)
    {
    }

    /// <summary>
    /// The same architecture with other weights (e.g. learned ones, <c>Demos.RepeatedOnesLearner</c>):
    /// <paramref name="weightXh"/> <c>(3, 1)</c>, <paramref name="weightHh"/> <c>(3, 3)</c> row-major,
    /// <paramref name="weightHy"/> <c>(1, 3)</c>.
    /// </summary>
    public RepeatedOnes(ReadOnlySpan<float> weightXh, ReadOnlySpan<float> weightHh, ReadOnlySpan<float> weightHy)
    {
        Guard.Length(weightXh.Length, 3, nameof(weightXh));
        Guard.Length(weightHh.Length, 9, nameof(weightHh));
        Guard.Length(weightHy.Length, 3, nameof(weightHy));
        var store = new ParameterStore();
        _rnn = new Rnn(store, "rnn", inputSize: 1, hiddenSize: 3, nonlinearity: "relu", bias: false);
        _head = new Linear(store, "head", 3, 1, bias: false);
        weightXh.CopyTo(store["rnn.weight_ih_l0"].Value);
        weightHh.CopyTo(store["rnn.weight_hh_l0"].Value);
        weightHy.CopyTo(store["head.weight"].Value);
    }

    /// <summary>W_xh as (3, 1).</summary>
    public static ReadOnlySpan<float> WeightXh => [1f, 0f, 0f];

    /// <summary>W_hh as (3, 3), row-major.</summary>
    public static ReadOnlySpan<float> WeightHh => [0f, 0f, 0f, 1f, 0f, 0f, 0f, 0f, 1f];

    /// <summary>W_hy as (1, 3).</summary>
    public static ReadOnlySpan<float> WeightHy => [1f, 1f, -1f];

    /// <summary>Runs the network; returns the hidden state (T, 3) and the output (T) for each input.</summary>
    public (float[][] Hidden, float[] Output) Run(IReadOnlyList<int> inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.Count == 0) throw new ArgumentException("inputs is empty; give at least one 0/1 value.", nameof(inputs));
        int T = inputs.Count;
        var x = new Tensor(T, 1, 1);
        for (int t = 0; t < T; t++)
        {
            if (inputs[t] is not (0 or 1)) throw new ArgumentException($"inputs[{t}] = {inputs[t]}; the network reads 0 or 1.", nameof(inputs));
            x.Data[t] = inputs[t];
        }
        var h0 = new Tensor([0f, 0f, 1f], 1, 1, 3);
        var h = _rnn.Forward(x, h0).Output; // (T, 1, 3)
        var y = _head.Forward(h.Reshape(T, 3));
        var hidden = new float[T][];
        var output = new float[T];
        for (int t = 0; t < T; t++)
        {
            hidden[t] = h.Data.AsSpan(t * 3, 3).ToArray();
            output[t] = MathF.Max(0f, y.Data[t]);
        }
        return (hidden, output);
    }
}
