using Recur.Nn;

namespace Recur.Models.Dialog;

/// <summary>
/// The hierarchical recurrent encoder of the history (HRE, Das et al. 2017): an LSTM <c>history</c> (<c>H + E</c> to
/// <c>H</c>) reads the facts of rounds <c>0 .. R-2</c> in order, one step a round, from a zero state; round <c>r</c>'s
/// history is its output after fact <c>r - 1</c>, round 0's is zero.
/// </summary>
internal sealed class HierarchicalHistory : IDialogHistory
{
    private readonly Recurrent _rnn;
    private readonly int _hidden, _factDim;
    private Tensor? _x, _dOut;  // (R-1, B, H+E) facts of the rounds before the last; (R-1, B, H) their outputs' gradients
    private int _b, _r;

    public HierarchicalHistory(ParameterStore store, int factDim, int hidden)
    {
        _rnn = new Recurrent(store, "history", "lstm", factDim, hidden, 1);
        _hidden = hidden; _factDim = factDim;
    }

    public int Threads { get => _rnn.Threads; set => _rnn.Threads = value; }

    public void Reset(Rng rng) => _rnn.Reset(rng);

    public void Forward(float[] q, float[] facts, int batch, int rounds, float[] history)
    {
        _b = batch; _r = rounds;
        int B = batch, H = _hidden;
        history.AsSpan(0, B * H).Clear();
        if (rounds == 1) return;
        _x = Buffers.Ensure(_x, rounds - 1, B, _factDim);
        facts.AsSpan(0, _x.Length).CopyTo(_x.Data);
        var o = _rnn.Forward(_x);
        o.Output.Data.AsSpan(0, (rounds - 1) * B * H).CopyTo(history.AsSpan(B * H));
    }

    public void Backward(float[] q, float[] facts, float[] dHistory, float[] dq, float[] dFacts)
    {
        int B = _b, H = _hidden, n = _r * B;
        Array.Clear(dFacts, 0, n * _factDim);
        if (_r == 1) return;
        _dOut = Buffers.Ensure(_dOut, _r - 1, B, H);
        dHistory.AsSpan(B * H, (_r - 1) * B * H).CopyTo(_dOut.Data);
        var g = _rnn.Backward(_dOut);
        g.DInput.Data.AsSpan(0, (_r - 1) * B * _factDim).CopyTo(dFacts);
    }
}
