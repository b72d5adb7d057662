using System.Globalization;
using Recur.Demos;
using Recur.Models;
using Recur.Training;

namespace Recur.Cli.Commands;

/// <summary><c>recur demo hello</c>: trains <see cref="HelloDemo"/> and prints the lecture's table and samples.</summary>
internal static class DemoHello
{
    public const string Usage = """
        hello: the RNN lecture's "hello" example. A vanilla tanh RNN over the one-hot vocabulary [h, e, l, o]
        learns to predict "ello" from "hell" (softmax cross-entropy, Adam). Prints the loss during training,
        the softmax over the next character at each input step, then greedy and sampled words from "h".
          --hidden N         hidden units (default 8; the slide draws 3, which needs ~400 iterations)
          --iterations N     Adam steps (default 100)
          --lr X             learning rate (default 0.01)
          --seed N           initialisation seed; the samples use seed + 1 (default 1)
          --temperature X    softmax temperature of the samples (default 1; higher wanders more)
          --samples N        how many sampled words (default 8)
        """;

    public static int Run(Args args)
    {
        var d = new HelloOptions();
        var options = new HelloOptions
        {
            Hidden = args.Int("hidden", d.Hidden, 1, 1024),
            Iterations = args.Int("iterations", d.Iterations, 1, 1_000_000),
            LearningRate = Positive(args, "lr", d.LearningRate),
            Seed = (ulong)args.Int("seed", (int)d.Seed, 0),
            Temperature = (float)Positive(args, "temperature", d.Temperature),
            SampleCount = args.Int("samples", d.SampleCount, 0, 100),
        };
        args.ThrowOnUnused(1);
        var demo = new HelloDemo(options);

        Console.WriteLine($"hello: a vanilla tanh RNN (H = {options.Hidden}) over one-hot [h, e, l, o] learns \"hell\" -> \"ello\"");
        Console.WriteLine($"Adam, lr {F(options.LearningRate)}, {options.Iterations} iterations, seed {options.Seed}; loss = mean cross-entropy over "
            + "the 4 steps (nats)");
        Console.WriteLine();
        var losses = demo.Train();
        Console.WriteLine(" iteration |   loss");
        Console.WriteLine("-----------+--------");
        foreach (int it in ReportedIterations(losses.Length))
            Console.WriteLine($" {it,9} | {losses[it - 1].ToString("F4", CultureInfo.InvariantCulture)}");
        Console.WriteLine();

        Console.WriteLine("reading \"hell\" from h_0 = 0; each row: softmax over the next character");
        Console.WriteLine();
        Console.WriteLine(" input |      h      e      l      o | target | argmax");
        Console.WriteLine("-------+-----------------------------+--------+-------");
        foreach (var row in demo.Table())
        {
            string probs = string.Concat(row.Probabilities.Select(p => p.ToString("F3", CultureInfo.InvariantCulture).PadLeft(7)));
            string mark = row.Predicted == row.Target ? "" : "  (wrong)";
            Console.WriteLine($"   {row.Input}   |{probs} |   {row.Target}    |   {row.Predicted}{mark}");
        }
        Console.WriteLine();

        Console.WriteLine("generating from \"h\", each chosen character fed back in:");
        Console.WriteLine($"  greedy (argmax):          {demo.Greedy()}");
        if (options.SampleCount > 0)
            Console.WriteLine($"  sampled at temperature {F(options.Temperature)}: {string.Join(" ", demo.Samples())}");
        Console.WriteLine("argmax always takes the most likely next character, so it spells \"hello\"; sampling draws from the softmax, so it can wander (more "
            + "at higher temperature).");
        return 0;
    }

    /// <summary>1, then five evenly spaced iterations ending at the last.</summary>
    private static IEnumerable<int> ReportedIterations(int n) =>
        new[] { 1 }.Concat(Enumerable.Range(1, 5).Select(k => (int)((long)n * k / 5))).Where(i => i >= 1).Distinct();

    private static double Positive(Args args, string name, double fallback)
    {
        double v = args.Double(name, fallback);
        if (!(v > 0) || double.IsInfinity(v)) throw new CliException($"--{name} must be a positive number, got {F(v)}.");
        return v;
    }

    private static string F(double v) => v.ToString("G4", CultureInfo.InvariantCulture);
}
