using System.Diagnostics;
using Recur.Models.Draw;
using Recur.Training;

namespace Recur.Bench;

/// <summary>
/// Training speed of DRAW (issue 29) against the same model in PyTorch 1.13 (bench/draw_ref.py): Recur's defaults (28x28,
/// T 32, encoder and decoder LSTMs of 256, latent 100, read 2x2 and write 5x5 with attention), batch 64, random binary
/// images with fresh noise each step, the whole step timed (forward, backward, norm clipping at 5, Adam 1e-3): images/s.
/// Each run times <c>--iters</c> steps after 3 warm-up steps; rounds alternate Recur (at <c>--threads</c>) and PyTorch at
/// 1 thread (the issue's race: 1 thread each) and, unless <c>--torch2 false</c>, at 2 threads.
/// </summary>
internal static class DrawSpeedBench
{
    public static int Run(string[] args)
    {
        int iters = int.Parse(TorchRef.Option(args, "--iters", "10")), rounds = int.Parse(TorchRef.Option(args, "--rounds", "3")),
            threads = int.Parse(TorchRef.Option(args, "--threads", "1")), B = int.Parse(TorchRef.Option(args, "--batch", "64"));
        string attention = TorchRef.Option(args, "--attention", "both");
        bool torch2 = TorchRef.Option(args, "--torch2", "true") == "true";
        bool[] variants = attention switch
        {
            "both" => [true, false],
            "true" => [true],
            "false" => [false],
            _ => throw new ArgumentException($"--attention must be true, false or both, got '{attention}'."),
        };
        string root = MinCharBench.FindRepoRoot();
        foreach (bool att in variants) Race(root, att, iters, rounds, threads, B, torch2);
        return 0;
    }

    private static void Race(string root, bool attention, int iters, int rounds, int threads, int B, bool torch2)
    {
        var config = new DrawConfig { Attention = attention };
        Console.WriteLine($"\nDRAW training, attention {(attention ? "on" : "off")}, {config.Width}x{config.Height}, T {config.Steps}, "
            + $"H {config.EncoderHidden}/{config.DecoderHidden}, Z {config.Latent}, batch {B}, {iters} steps per run after 3 warm-up steps, "
            + $"{rounds} round(s); Recur {threads} thread(s)");
        Time(config, B, threads, 0); // JIT warm-up
        Console.WriteLine("| round | Recur img/s | PyTorch 1 thread img/s | PyTorch 2 threads img/s | ratio, 1 thread each | ratio to PyTorch's faster |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|");
        var ratios1 = new List<double>();
        var ratiosBest = new List<double>();
        (long Params, double FirstLoss) recurCheck = default, torchCheck = default;
        string torchArgs = attention ? "true" : "false";
        for (int r = 0; r < rounds; r++)
        {
            var (recur, recurFirst) = Time(config, B, threads, iters);
            var j1 = TorchRef.Run(root, "draw_ref.py", "--threads", "1", "--iters", iters.ToString(), "--batch", B.ToString(), "--attention", torchArgs);
            double t1 = j1.GetProperty("images_per_s").GetDouble();
            double t2 = torch2
                ? TorchRef.Run(root, "draw_ref.py", "--threads", "2", "--iters", iters.ToString(), "--batch", B.ToString(), "--attention", torchArgs)
                    .GetProperty("images_per_s").GetDouble()
                : double.NaN;
            if (r == 0)
            {
                recurCheck = (new DrawModel(config).Store.Count, recurFirst);
                torchCheck = (j1.GetProperty("params").GetInt64(), j1.GetProperty("first_loss").GetDouble());
            }
            double best = torch2 ? Math.Max(t1, t2) : t1;
            ratios1.Add(recur / t1);
            ratiosBest.Add(recur / best);
            Console.WriteLine($"| {r + 1} | {recur:F1} | {t1:F1} | {(torch2 ? t2.ToString("F1") : "-")} | {recur / t1:F2}x | {recur / best:F2}x |");
        }
        Summary(ratios1, ratiosBest);
        Console.WriteLine($"parameters: Recur {recurCheck.Params:N0} (DrawConfig.ParameterCount {config.ParameterCount():N0}), PyTorch {torchCheck.Params:N0}"
            + (recurCheck.Params == torchCheck.Params ? " (same)" : " (DIFFERENT)"));
        Console.WriteLine($"first loss (nats per image, at initialisation): Recur {recurCheck.FirstLoss:F1}, PyTorch {torchCheck.FirstLoss:F1}");
    }

    /// <summary>The medians (with their ranges) of the ratios to PyTorch at 1 thread and to its faster setting.</summary>
    internal static void Summary(List<double> ratios1, List<double> ratiosBest)
    {
        ratios1.Sort();
        ratiosBest.Sort();
        Console.WriteLine($"median ratio, 1 thread each: {ratios1[ratios1.Count / 2]:F2}x (min {ratios1[0]:F2}x, max {ratios1[^1]:F2}x); "
            + $"to PyTorch's faster setting: {ratiosBest[ratiosBest.Count / 2]:F2}x (min {ratiosBest[0]:F2}x, max {ratiosBest[^1]:F2}x)");
    }

    /// <summary>
    /// Images/s of Recur's training step (noise, forward, backward, clip, Adam) over 8 random binary batches, timed for
    /// <paramref name="iters"/> steps after 3 warm-up steps, and the loss of the first step.
    /// </summary>
    private static (double ImagesPerS, double FirstLoss) Time(DrawConfig config, int B, int threads, int iters)
    {
        var m = new DrawModel(config) { Threads = threads };
        var rng = new Rng(1);
        m.Reset(rng);
        var adam = new Adam(m.Store, 1e-3) { Threads = threads };
        var batches = Enumerable.Range(0, 8).Select(_ =>
        {
            var x = new Tensor(B, config.Pixels);
            for (int i = 0; i < x.Data.Length; i++) x.Data[i] = rng.NextFloat() < 0.5f ? 1f : 0f;
            return x;
        }).ToArray();
        var eps = new Tensor(config.Steps, B, config.Latent);
        double Step(int i)
        {
            for (int k = 0; k < eps.Data.Length; k++) eps.Data[k] = rng.NextGaussian();
            m.Store.ZeroGrad();
            var loss = m.Forward(batches[i % batches.Length], eps);
            m.Backward();
            GradClip.ClipByNorm(m.Store.Grads, 5f, threads);
            adam.Step();
            return loss.Total;
        }
        double first = Step(0);
        for (int i = 1; i < 3; i++) Step(i);
        long t0 = Stopwatch.GetTimestamp();
        for (int i = 0; i < iters; i++) Step(i);
        return (iters * B / Stopwatch.GetElapsedTime(t0).TotalSeconds, first);
    }
}
