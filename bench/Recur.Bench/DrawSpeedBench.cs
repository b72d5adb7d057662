using Recur.Models.Draw;
using Recur.Tasks.Draw;
using Recur.Training;

namespace Recur.Bench;

/// <summary>
/// Training speed of DRAW (issue 29) against the same model in PyTorch 1.13 (bench/draw_ref.py): the plain `recur draw train` run's model (28x28,
/// T 32, encoder and decoder LSTMs of 256, latent 100, read 12x12 and write 12x12 with attention), batch 64, random binary
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
        // the plain recur draw train run's model (read and write 12x12 with attention), or --attention false's
        var config = new DrawSettings { Attention = attention }.ToConfig(DrawDefinition.Instance.Defaults.Hidden, 28, 28);
        Console.WriteLine($"\nDRAW training, attention {(attention ? "on" : "off")}, {config.Width}x{config.Height}, T {config.Steps}, "
            + $"H {config.EncoderHidden}/{config.DecoderHidden}, Z {config.Latent}, batch {B}, {iters} steps per run after 3 warm-up steps, "
            + $"{rounds} round(s); Recur {threads} thread(s)");
        Time(config, B, threads, 0); // JIT warm-up
        string variant = attention ? "true" : "false";
        SpeedRace.Run(root, "draw_ref.py", "images_per_s", "img/s", rounds, torch2, () => Time(config, B, threads, iters),
            th => ["--threads", th.ToString(), "--iters", iters.ToString(), "--batch", B.ToString(), "--attention", variant,
                "--read-n", config.ReadN.ToString(), "--write-n", config.WriteN.ToString()],
            new DrawModel(config).Store.Count, "nats per image", "F1", GemmFlopsPerImage(config));
        Console.WriteLine($"(DrawConfig.ParameterCount {config.ParameterCount():N0})");
    }

    /// <summary>
    /// The nominal FLOPs of the dense products of one image's training step, forward, for the data and for the weights, over
    /// the T steps: the encoder LSTM over [read, h_dec], the latent's mean and log-sigma, the decoder LSTM over z, and the
    /// write (the whole canvas without attention; with it, the patch and the two windows' parameters). The filterbank
    /// products of attention are left out (a few per cent of the rest at 5x5).
    /// </summary>
    private static double GemmFlopsPerImage(DrawConfig c)
    {
        int He = c.EncoderHidden, Hd = c.DecoderHidden, Z = c.Latent;
        double perStep = 2.0 * (c.EncoderInput + He) * 4 * He + 2.0 * He * 2 * Z + 2.0 * (Z + Hd) * 4 * Hd
            + 2.0 * Hd * (c.Attention ? c.WriteN * c.WriteN + 5 + 5 : c.Pixels);
        return 3 * perStep * c.Steps;
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
        return SpeedRace.Time(Step, iters, B);
    }
}
