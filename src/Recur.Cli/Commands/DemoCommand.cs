using Recur.Models;

namespace Recur.Cli.Commands;

/// <summary><c>recur demo repeated-ones</c>: the lectures' hand-built RNN, as the slide's table.</summary>
internal sealed class DemoCommand : ICommand
{
    public string Name => "demo";
    public string Summary => "lecture demos: repeated-ones (hand-built ReLU RNN that detects repeated 1s)";
    public string Usage => """
        usage: recur demo repeated-ones [--input 0,1,0,1,1,1,0,1,1]

        Runs the lectures' hand-built ReLU RNN: h_t = ReLU(W_hh h_{t-1} + W_xh x_t), y_t = ReLU(W_hy h_t),
        h = (current, previous, 1), h_0 = (0, 0, 1). Prints the weights and, for each input, the hidden
        state and the output (1 exactly when the current and previous inputs are both 1).
        """;

    public int Run(Args args)
    {
        string input = args.String("input", "0,1,0,1,1,1,0,1,1")!;
        args.ThrowOnUnused(1);
        if (args.Positional.Count != 1 || args.Positional[0] != "repeated-ones")
            throw new CliException("name a demo: recur demo repeated-ones");
        var xs = new List<int>();
        foreach (var part in input.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (part is not ("0" or "1")) throw new CliException($"--input takes 0s and 1s separated by commas, got '{part}'.");
            xs.Add(part[0] - '0');
        }
        if (xs.Count == 0) throw new CliException("--input is empty.");
        var net = new RepeatedOnes();
        Console.WriteLine("h_t = ReLU(W_hh h_{t-1} + W_xh x_t),  y_t = ReLU(W_hy h_t),  h_0 = (0, 0, 1)");
        Console.WriteLine($"W_xh = [{string.Join(", ", RepeatedOnes.WeightXh.ToArray())}]^T");
        var whh = RepeatedOnes.WeightHh.ToArray();
        Console.WriteLine($"W_hh = [[{string.Join(", ", whh[0..3])}], [{string.Join(", ", whh[3..6])}], [{string.Join(", ", whh[6..9])}]]");
        Console.WriteLine($"W_hy = [{string.Join(", ", RepeatedOnes.WeightHy.ToArray())}]");
        Console.WriteLine();
        var (h, y) = net.Run(xs);
        Console.WriteLine(" t | x_t | h_t (current, previous, 1) | y_t");
        Console.WriteLine("---+-----+----------------------------+----");
        for (int t = 0; t < xs.Count; t++)
            Console.WriteLine($"{t,2} |  {xs[t]}  | ({h[t][0],3}, {h[t][1],3}, {h[t][2],3})            |  {y[t]}");
        Console.WriteLine();
        Console.WriteLine($"input:  {string.Join(",", xs)}");
        Console.WriteLine($"output: {string.Join(",", y)}");
        return 0;
    }
}
