using System.Diagnostics;

namespace Recur.Bench;

/// <summary>
/// The race of one training step against its PyTorch 1.13 reference script (<see cref="TorchRef"/>), as the issue 29
/// races run it: rounds alternate Recur and PyTorch at 1 thread (the race: 1 thread each) and, with <c>torch2</c>, at 2
/// threads; a markdown table, the median ratios, and both sides' parameter counts and first losses, so that a reader sees
/// they train the same model.
/// </summary>
internal static class SpeedRace
{
    /// <summary>
    /// Items/s of <paramref name="step"/> (one training step on batch <c>i</c>, returning its loss) over
    /// <paramref name="iters"/> steps after 3 warm-up steps, and the loss of the first step.
    /// </summary>
    public static (double PerSecond, double FirstLoss) Time(Func<int, double> step, int iters, int batch)
    {
        double first = step(0);
        for (int i = 1; i < 3; i++) step(i);
        long t0 = Stopwatch.GetTimestamp();
        for (int i = 0; i < iters; i++) step(i);
        return (iters * batch / Stopwatch.GetElapsedTime(t0).TotalSeconds, first);
    }

    /// <summary>
    /// <paramref name="rounds"/> rounds of <paramref name="recur"/> against <paramref name="script"/> (its JSON's
    /// <paramref name="rateKey"/>), the script's arguments for a thread count from <paramref name="torchArgs"/>. With
    /// <paramref name="gemmFlopsPerItem"/> (the model's nominal GEMM FLOPs per item and training step: forward, backward
    /// data and backward weights), also both sides' model GFLOP/s against this core's SGEMM reference rate measured in the
    /// same run (<see cref="GemmReference"/>), and the largest ratio that rate leaves any implementation of those GEMMs.
    /// </summary>
    public static void Run(string root, string script, string rateKey, string unit, int rounds, bool torch2, Func<(double PerSecond, double FirstLoss)> recur,
        Func<int, string[]> torchArgs, long recurParams, string lossUnit, string format = "F0", double gemmFlopsPerItem = 0)
    {
        var recurRates = new List<double>();
        var torchRates = new List<double>();
        Console.WriteLine($"| round | Recur {unit} | PyTorch 1 thread {unit} | PyTorch 2 threads {unit} | ratio, 1 thread each | ratio to PyTorch's faster |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|");
        var ratios1 = new List<double>();
        var ratiosBest = new List<double>();
        double recurFirst = double.NaN, torchFirst = double.NaN;
        long torchParams = -1;
        for (int r = 0; r < rounds; r++)
        {
            var (rate, first) = recur();
            var j1 = TorchRef.Run(root, script, torchArgs(1));
            double t1 = j1.GetProperty(rateKey).GetDouble();
            double t2 = torch2 ? TorchRef.Run(root, script, torchArgs(2)).GetProperty(rateKey).GetDouble() : double.NaN;
            if (r == 0)
            {
                recurFirst = first;
                torchParams = j1.GetProperty("params").GetInt64();
                torchFirst = j1.GetProperty("first_loss").GetDouble();
            }
            double best = torch2 ? Math.Max(t1, t2) : t1;
            recurRates.Add(rate);
            torchRates.Add(t1);
            ratios1.Add(rate / t1);
            ratiosBest.Add(rate / best);
            Console.WriteLine($"| {r + 1} | {rate.ToString(format)} | {t1.ToString(format)} | {(torch2 ? t2.ToString(format) : "-")} "
                + $"| {rate / t1:F2}x | {rate / best:F2}x |");
        }
        ratios1.Sort();
        ratiosBest.Sort();
        Console.WriteLine($"median ratio, 1 thread each: {ratios1[ratios1.Count / 2]:F2}x (min {ratios1[0]:F2}x, max {ratios1[^1]:F2}x); "
            + $"to PyTorch's faster setting: {ratiosBest[ratiosBest.Count / 2]:F2}x (min {ratiosBest[0]:F2}x, max {ratiosBest[^1]:F2}x)");
        Console.WriteLine($"parameters: Recur {recurParams:N0}, PyTorch {torchParams:N0}" + (recurParams == torchParams ? " (same)" : " (DIFFERENT)"));
        Console.WriteLine($"first loss ({lossUnit}, at initialisation): Recur {recurFirst:F3}, PyTorch {torchFirst:F3}");
        if (gemmFlopsPerItem > 0) PrintCeiling(gemmFlopsPerItem, recurRates, torchRates);
    }

    /// <summary>
    /// Both sides' best model GFLOP/s (nominal GEMM FLOPs per item times items/s) against the 1-thread SGEMM reference
    /// rate: when PyTorch already runs at a fraction f of it, no implementation of the same GEMMs is more than 1/f ahead.
    /// </summary>
    private static void PrintCeiling(double flopsPerItem, List<double> recurRates, List<double> torchRates)
    {
        var (rate, who) = GemmReference.Measure(1, reps: 40);   // the best of many: a moment's interference lowers it
        double recurG = recurRates.Max() * flopsPerItem / 1e9, torchG = torchRates.Max() * flopsPerItem / 1e9;
        Console.WriteLine($"model GEMM work {flopsPerItem / 1e6:F1} MFLOP per item; best model GFLOP/s: Recur {recurG:F1}, PyTorch 1 thread {torchG:F1}; "
            + $"SGEMM reference rate ({who}, 1 thread, 2048x512 by 512x2048): {rate:F1} GFLOP/s");
        Console.WriteLine($"PyTorch runs at {torchG / rate:P0} of the reference rate, Recur at {recurG / rate:P0}: the GEMMs alone cap any implementation "
            + $"at {rate / torchG:F2}x PyTorch here");
    }
}
