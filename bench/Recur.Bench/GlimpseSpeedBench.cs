using System.Diagnostics;
using Recur.Models.Glimpse;
using Recur.Training;

namespace Recur.Bench;

/// <summary>
/// Training speed of the recurrent attention model (issue 29) against the same model in PyTorch 1.13 (bench/glimpse_ref.py):
/// <see cref="GlimpseConfig"/>'s defaults (60x60 images, 6 glimpses, 3 scales of 12x12, glimpse network 128 + 128 -> 256, LSTM
/// core 256, 10 classes, σ 0.17), batch 64 of random images in [0, 1] with random labels and first locations, fresh location
/// noise each step, the whole step timed (forward, the hybrid loss, backward, norm clipping at 5, Adam at <c>--lr</c>, 1e-3
/// until a glimpse task fixes its recipe): images/s. Each run times <c>--iters</c> steps after 3 warm-up steps; rounds
/// alternate Recur (at <c>--threads</c>) and PyTorch at 1 thread and, unless <c>--torch2 false</c>, at 2 threads.
/// </summary>
internal static class GlimpseSpeedBench
{
    public static int Run(string[] args)
    {
        int iters = int.Parse(TorchRef.Option(args, "--iters", "50")), rounds = int.Parse(TorchRef.Option(args, "--rounds", "3")),
            threads = int.Parse(TorchRef.Option(args, "--threads", "1")), B = int.Parse(TorchRef.Option(args, "--batch", "64"));
        string lr = TorchRef.Option(args, "--lr", "1e-3");
        bool torch2 = TorchRef.Option(args, "--torch2", "true") == "true";
        string root = MinCharBench.FindRepoRoot();
        var config = new GlimpseConfig();
        Console.WriteLine($"recurrent attention model training, {config.Width}x{config.Height}, T {config.Steps}, {config.Scales} scales of "
            + $"{config.Patch}x{config.Patch}, core {config.CoreHidden}, batch {B}, Adam {lr}, {iters} steps per run after 3 warm-up steps, "
            + $"{rounds} round(s); Recur {threads} thread(s)");
        Time(config, B, threads, 0, double.Parse(lr, System.Globalization.CultureInfo.InvariantCulture)); // JIT warm-up
        Console.WriteLine("| round | Recur img/s | PyTorch 1 thread img/s | PyTorch 2 threads img/s | ratio, 1 thread each | ratio to PyTorch's faster |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|");
        var ratios1 = new List<double>();
        var ratiosBest = new List<double>();
        (long Params, double FirstLoss) recurCheck = default, torchCheck = default;
        string[] torchArgs(int th) => ["--threads", th.ToString(), "--iters", iters.ToString(), "--batch", B.ToString(), "--lr", lr];
        for (int r = 0; r < rounds; r++)
        {
            var (recur, recurFirst) = Time(config, B, threads, iters, double.Parse(lr, System.Globalization.CultureInfo.InvariantCulture));
            var j1 = TorchRef.Run(root, "glimpse_ref.py", torchArgs(1));
            double t1 = j1.GetProperty("images_per_s").GetDouble();
            double t2 = torch2 ? TorchRef.Run(root, "glimpse_ref.py", torchArgs(2)).GetProperty("images_per_s").GetDouble() : double.NaN;
            if (r == 0)
            {
                recurCheck = (new RecurrentAttentionModel(config).Store.Count, recurFirst);
                torchCheck = (j1.GetProperty("params").GetInt64(), j1.GetProperty("first_loss").GetDouble());
            }
            double best = torch2 ? Math.Max(t1, t2) : t1;
            ratios1.Add(recur / t1);
            ratiosBest.Add(recur / best);
            Console.WriteLine($"| {r + 1} | {recur:F0} | {t1:F0} | {(torch2 ? t2.ToString("F0") : "-")} | {recur / t1:F2}x | {recur / best:F2}x |");
        }
        DrawSpeedBench.Summary(ratios1, ratiosBest);
        Console.WriteLine($"parameters: Recur {recurCheck.Params:N0} (GlimpseConfig.ParameterCount {config.ParameterCount():N0}), "
            + $"PyTorch {torchCheck.Params:N0}" + (recurCheck.Params == torchCheck.Params ? " (same)" : " (DIFFERENT)"));
        Console.WriteLine($"first loss (at initialisation): Recur {recurCheck.FirstLoss:F3}, PyTorch {torchCheck.FirstLoss:F3}");
        return 0;
    }

    /// <summary>
    /// Images/s of Recur's training step (noise, forward, loss, backward, clip, Adam) over 8 random batches, timed for
    /// <paramref name="iters"/> steps after 3 warm-up steps, and the loss of the first step.
    /// </summary>
    private static (double ImagesPerS, double FirstLoss) Time(GlimpseConfig config, int B, int threads, int iters, double lr)
    {
        var m = new RecurrentAttentionModel(config) { Threads = threads };
        var rng = new Rng(1);
        m.Reset(rng);
        var adam = new Adam(m.Store, lr) { Threads = threads };
        var batches = Enumerable.Range(0, 8).Select(_ =>
        {
            var x = new Tensor(B, config.Height, config.Width);
            for (int i = 0; i < x.Data.Length; i++) x.Data[i] = rng.NextFloat();
            return (x, Enumerable.Range(0, B).Select(_ => rng.NextInt(config.Classes)).ToArray());
        }).ToArray();
        var first = new Tensor(B, 2);
        var eps = new Tensor(config.Steps - 1, B, 2);
        double Step(int i)
        {
            var (x, labels) = batches[i % batches.Length];
            for (int k = 0; k < first.Data.Length; k++) first.Data[k] = 2f * rng.NextFloat() - 1f;
            for (int k = 0; k < eps.Data.Length; k++) eps.Data[k] = rng.NextGaussian();
            m.Store.ZeroGrad();
            m.Forward(x, first, eps);
            double loss = m.Loss(labels).Total;
            m.Backward();
            GradClip.ClipByNorm(m.Store.Grads, 5f, threads);
            adam.Step();
            return loss;
        }
        double firstLoss = Step(0);
        for (int i = 1; i < 3; i++) Step(i);
        long t0 = Stopwatch.GetTimestamp();
        for (int i = 0; i < iters; i++) Step(i);
        return (iters * B / Stopwatch.GetElapsedTime(t0).TotalSeconds, firstLoss);
    }
}
