using System.Diagnostics;
using Recur.Nn;

namespace Recur.Bench;

/// <summary>Where a cell's training step spends its time: the recurrent stack's forward and backward alone.</summary>
internal static class CellProfile
{
    public static int Run(string[] args)
    {
        string name = args.Length > 0 ? args[0] : "mingru";
        int T = 256, B = 32, I = 512, H = 512, reps = 5;
        var store = new ParameterStore();
        var rnn = new Recurrent(store, "rnn", name, I, H) { Threads = 2 };
        rnn.Reset(new Rng(1));
        var x = Tensor.Randn(new Rng(2), 1f, T, B, I);
        var dy = Tensor.Randn(new Rng(3), 1f, T, B, H);
        rnn.Forward(x); rnn.Backward(dy);
        double f = 0, b = 0;
        for (int r = 0; r < reps; r++)
        {
            var sw = Stopwatch.StartNew();
            rnn.Forward(x);
            f += sw.Elapsed.TotalMilliseconds;
            sw.Restart();
            rnn.Backward(dy);
            b += sw.Elapsed.TotalMilliseconds;
        }
        Console.WriteLine($"{name}: one layer {I}->{H}, T {T}, B {B}: forward {f / reps:F1} ms, backward {b / reps:F1} ms, per token "
            + $"{(f + b) / reps / (T * B) * 1000:F2} us");
        return 0;
    }
}
