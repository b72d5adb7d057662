using Recur.Models.Glimpse;
using Recur.Tasks.Glimpse;
using Recur.Training;

namespace Recur.Bench;

/// <summary>
/// Training speed of the recurrent attention model (issue 29) against the same model in PyTorch 1.13 (bench/glimpse_ref.py):
/// the plain <c>recur glimpse train</c> run's model (100x100 canvases, 5 glimpses, 5 scales of 6x6, glimpse network 128 + 128
/// -> 256, LSTM core 256, 10 classes, σ 0.17, REINFORCE into the core), batch 64 of random images in [0, 1] with random labels and first locations,
/// fresh location noise each step, the whole step timed (forward, the hybrid loss, backward, norm clipping at 5, Adam at
/// <c>--lr</c>, the task's 1e-3): images/s. Each run times <c>--iters</c> steps after 3 warm-up steps; rounds
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
        var config = new GlimpseSettings().ToRam(GlimpseDefinition.Instance.Defaults.Hidden); // the plain glimpse run's model
        Console.WriteLine($"recurrent attention model training, {config.Width}x{config.Height}, T {config.Steps}, {config.Scales} scales of "
            + $"{config.Patch}x{config.Patch}, core {config.CoreHidden}, batch {B}, Adam {lr}, {iters} steps per run after 3 warm-up steps, "
            + $"{rounds} round(s); Recur {threads} thread(s)");
        Time(config, B, threads, 0, double.Parse(lr, System.Globalization.CultureInfo.InvariantCulture)); // JIT warm-up
        SpeedRace.Run(root, "glimpse_ref.py", "images_per_s", "img/s", rounds, torch2,
            () => Time(config, B, threads, iters, double.Parse(lr, System.Globalization.CultureInfo.InvariantCulture)),
            th => ["--threads", th.ToString(), "--iters", iters.ToString(), "--batch", B.ToString(), "--lr", lr, "--size", config.Width.ToString(),
                "--glimpses", config.Steps.ToString(), "--scales", config.Scales.ToString(), "--patch", config.Patch.ToString(),
                "--reinforce-into-core", config.ReinforceIntoCore ? "true" : "false"],
            new RecurrentAttentionModel(config).Store.Count, "nats per image, with the REINFORCE and baseline terms");
        Console.WriteLine($"(GlimpseConfig.ParameterCount {config.ParameterCount():N0})");
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
        return SpeedRace.Time(Step, iters, B);
    }
}
