using Recur.Nn.Cells;

namespace Recur.Nn;

/// <summary>Long short-term memory stack, PyTorch's <c>nn.LSTM</c>. See <see cref="LstmCell"/>.</summary>
public sealed class Lstm(ParameterStore store, string prefix, int inputSize, int hiddenSize,
    int numLayers = 1, bool bias = true, bool batchFirst = false, float dropout = 0f)
    : Recurrent(store, prefix, CellRegistry.Lstm, inputSize, hiddenSize, numLayers, bias, batchFirst, dropout);

/// <summary>
/// Gated recurrent unit stack, PyTorch's <c>nn.GRU</c>; with <paramref name="resetAfter"/> false the
/// reset gate is applied before the recurrent product (Cho et al. 2014). See <see cref="GruCell"/>, <see cref="GruChoCell"/>.
/// </summary>
public sealed class Gru(ParameterStore store, string prefix, int inputSize, int hiddenSize,
    int numLayers = 1, bool bias = true, bool batchFirst = false, float dropout = 0f, bool resetAfter = true)
    : Recurrent(store, prefix, resetAfter ? CellRegistry.Gru : CellRegistry.GruCho, inputSize, hiddenSize, numLayers, bias, batchFirst, dropout);

/// <summary>Elman RNN stack, PyTorch's <c>nn.RNN</c>; <paramref name="nonlinearity"/> is "tanh" or "relu". See <see cref="RnnCell"/>.</summary>
public sealed class Rnn(ParameterStore store, string prefix, int inputSize, int hiddenSize,
    int numLayers = 1, string nonlinearity = "tanh", bool bias = true, bool batchFirst = false, float dropout = 0f)
    : Recurrent(store, prefix, ParseNonlinearity(nonlinearity), inputSize, hiddenSize, numLayers, bias, batchFirst, dropout)
{
    private static RecurrentCell ParseNonlinearity(string s) => s switch
    {
        "tanh" => CellRegistry.RnnTanh,
        "relu" => CellRegistry.RnnRelu,
        _ => throw new ArgumentException($"nonlinearity must be \"tanh\" or \"relu\", got \"{s}\".", nameof(nonlinearity)),
    };
}
