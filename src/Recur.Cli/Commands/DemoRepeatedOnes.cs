using System.Globalization;
using Recur.Demos;
using Recur.Models;
using Recur.Training;

namespace Recur.Cli.Commands;

/// <summary><c>recur demo repeated-ones [--learn]</c>: the hand-built network as the slide's table, or its weights learned from data.</summary>
internal static class DemoRepeatedOnes
{
    public const string Usage = """
        repeated-ones: the lectures' hand-built ReLU RNN: h_t = ReLU(W_hh h_{t-1} + W_xh x_t), y_t = ReLU(W_hy h_t),
        h = (current, previous, 1), h_0 = (0, 0, 1). Prints the weights and, for each input, the hidden
        state and the output (1 exactly when the current and previous inputs are both 1).
          --input BITS       0s and 1s separated by commas (default 0,1,0,1,1,1,0,1,1)
          --learn            learn W_xh, W_hh, W_hy (same shapes, same ReLUs, no biases) from random sequences
                             with Adam instead; prints them beside the slide's and both accuracies on fresh sequences
          --iterations N     with --learn: Adam steps per attempt (default 1000)
          --lr X             with --learn: learning rate (default 0.03)
          --seed N           with --learn: seed of the initialisations and sequences (default 1)
        """;

    public static int Run(Args args)
    {
        string input = args.String("input", "0,1,0,1,1,1,0,1,1")!;
        bool learn = args.Flag("learn");
        var d = new RepeatedOnesLearnOptions();
        var options = new RepeatedOnesLearnOptions
        {
            Iterations = args.Int("iterations", d.Iterations, 1, 1_000_000),
            LearningRate = args.Double("lr", d.LearningRate),
            Seed = (ulong)args.Int("seed", (int)d.Seed, 0),
        };
        if (!learn && (args.Has("iterations") || args.Has("lr") || args.Has("seed")))
            throw new CliException("--iterations, --lr and --seed set the training of --learn; add --learn.");
        if (!(options.LearningRate > 0) || double.IsInfinity(options.LearningRate))
            throw new CliException($"--lr must be a positive number, got {options.LearningRate.ToString(CultureInfo.InvariantCulture)}.");
        args.ThrowOnUnused(1);
        var xs = ParseBits(input);
        return learn ? Learn(options, xs) : Show(xs);
    }

    private static List<int> ParseBits(string input)
    {
        var xs = new List<int>();
        foreach (var part in input.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (part is not ("0" or "1")) throw new CliException($"--input takes 0s and 1s separated by commas, got '{part}'.");
            xs.Add(part[0] - '0');
        }
        if (xs.Count == 0) throw new CliException("--input is empty.");
        return xs;
    }

    private static int Show(List<int> xs)
    {
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

    private static int Learn(RepeatedOnesLearnOptions options, List<int> xs)
    {
        var learner = new RepeatedOnesLearner(options);
        Console.WriteLine("learning the slide's network from data: h_t = ReLU(W_hh h_{t-1} + W_xh x_t), y_t = ReLU(W_hy h_t), h_0 = (0, 0, 1)");
        Console.WriteLine($"random 0/1 sequences (T = {options.SeqLength}, B = {options.Batch}), target 1 when x_t = x_(t-1) = 1;");
        Console.WriteLine($"loss: squared error of y_t (kept alive where the target is 1 and y_t is 0); Adam, lr {F(options.LearningRate)}, "
            + $"{options.Iterations} iterations per attempt, seed {options.Seed}");
        Console.WriteLine();
        var learned = learner.Learn();
        for (int i = 0; i < learned.Attempts.Count; i++)
        {
            var a = learned.Attempts[i];
            bool last = i == learned.Attempts.Count - 1;
            string note = a.ValidationAccuracy == 1.0 ? "" : last ? "  (out of attempts)" : "  (stuck: restarting from a fresh initialisation)";
            if (i == learned.Kept && learned.Attempts.Count > 1) note += "  <- kept";
            Console.WriteLine($"attempt {a.Attempt}: loss {a.Loss.ToString("F4", CultureInfo.InvariantCulture)}, validation accuracy "
                + $"{Pct(a.ValidationAccuracy)}{note}");
        }
        Console.WriteLine();

        var slide = Rows(RepeatedOnes.WeightXh, RepeatedOnes.WeightHh, RepeatedOnes.WeightHy);
        var mine = Rows(learned.WeightXh, learned.WeightHh, learned.WeightHy);
        Console.WriteLine($"{"",-6}{"hand-built (slide)",-26}learned");
        string[] names = ["W_xh", "", "", "W_hh", "", "", "W_hy"];
        for (int i = 0; i < slide.Count; i++)
            Console.WriteLine($"{names[i],-6}{slide[i],-26}{mine[i]}".TrimEnd());
        Console.WriteLine();

        var (handAcc, learnedAcc) = learner.Evaluate(learned);
        Console.WriteLine($"accuracy on 100 fresh sequences of 100 steps (y > 0.5 read as 1): hand-built {Pct(handAcc)}, learned {Pct(learnedAcc)}");
        Console.WriteLine("The learned weights differ from the slide's: any order of the hidden units and any positive rescaling");
        Console.WriteLine("of a unit (undone in the next layer's weights) compute the same function, and other circuits work too.");
        Console.WriteLine();
        var (_, yHand) = new RepeatedOnes().Run(xs);
        var (_, yLearned) = learned.Network().Run(xs);
        Console.WriteLine($"input:      {string.Join(",", xs)}");
        Console.WriteLine($"hand-built: {string.Join(",", yHand)}");
        Console.WriteLine($"learned:    {string.Join(",", yLearned.Select(v => v > 0.5f ? 1 : 0))}   (y: "
            + $"{string.Join(" ", yLearned.Select(v => v.ToString("F2", CultureInfo.InvariantCulture)))})");
        return 0;
    }

    /// <summary>The three matrices as printed rows: W_xh (3, 1) as a column, W_hh (3, 3), W_hy (1, 3).</summary>
    private static List<string> Rows(ReadOnlySpan<float> xh, ReadOnlySpan<float> hh, ReadOnlySpan<float> hy)
    {
        var rows = new List<string>();
        for (int r = 0; r < 3; r++) rows.Add($"[{N(xh[r])}]");
        for (int r = 0; r < 3; r++) rows.Add($"[{N(hh[r * 3])} {N(hh[r * 3 + 1])} {N(hh[r * 3 + 2])}]");
        rows.Add($"[{N(hy[0])} {N(hy[1])} {N(hy[2])}]");
        return rows;
    }

    /// <summary>Two decimals, without "-0.00".</summary>
    private static string N(float v)
    {
        float r = MathF.Round(v, 2);
        return (r == 0f ? 0f : r).ToString("F2", CultureInfo.InvariantCulture).PadLeft(6);
    }

    private static string Pct(double v) => (100 * v).ToString("F2", CultureInfo.InvariantCulture) + "%";

    private static string F(double v) => v.ToString("G4", CultureInfo.InvariantCulture);
}
