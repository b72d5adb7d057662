using Recur.Models.Video;
using Recur.Training;

namespace Recur.Bench;

/// <summary>
/// Training speed of the video classifier (issue 29) against the same model in PyTorch 1.13 (bench/video_ref.py): the
/// default video run's sizes (16 frames of 1,010 features: 10x10 windows x 10 class scores and each class's maximum; projection 256, LSTM 256, 6 actions,
/// 10 classes), or a baseline (<c>--model average|middle</c>), batch 64, random features and labels, the whole step timed
/// (forward, both losses, backward, norm clipping at 5, Adam 2e-3): clips/s. Each run times <c>--iters</c> steps after 3
/// warm-up steps; rounds alternate Recur (at <c>--threads</c>) and PyTorch at 1 thread (the race: 1 thread each)
/// and, unless <c>--torch2 false</c>, at 2 threads.
/// </summary>
internal static class VideoSpeedBench
{
    public static int Run(string[] args)
    {
        int iters = int.Parse(TorchRef.Option(args, "--iters", "50")), rounds = int.Parse(TorchRef.Option(args, "--rounds", "3")),
            threads = int.Parse(TorchRef.Option(args, "--threads", "1")), B = int.Parse(TorchRef.Option(args, "--batch", "64")),
            T = int.Parse(TorchRef.Option(args, "--frames", "16")), F = int.Parse(TorchRef.Option(args, "--features", "1010"));
        string model = TorchRef.Option(args, "--model", "lstm");
        if (model is not ("lstm" or VideoClassifierConfig.Average or VideoClassifierConfig.Middle))
            throw new ArgumentException($"--model must be lstm, average or middle, got '{model}'.");
        bool torch2 = TorchRef.Option(args, "--torch2", "true") == "true";
        string root = MinCharBench.FindRepoRoot();
        var config = new VideoClassifierConfig { Model = model, FeatureDim = F, Projection = 256, Hidden = 256, Actions = 6, Classes = 10 };
        Console.WriteLine($"video training, {model}, {T} frames of {F} features, projection {config.Projection}"
            + (config.IsBaseline ? "" : $", {model} {config.Hidden}") + $", batch {B}, {iters} steps per run after 3 warm-up steps, {rounds} round(s); "
            + $"Recur {threads} thread(s)");
        Time(config, T, B, threads, 0); // JIT warm-up
        SpeedRace.Run(root, "video_ref.py", "clips_per_s", "clips/s", rounds, torch2, () => Time(config, T, B, threads, iters),
            th => ["--threads", th.ToString(), "--iters", iters.ToString(), "--batch", B.ToString(), "--frames", T.ToString(), "--features", F.ToString(),
                "--model", model],
            new VideoClassifier(config).Store.Count, "nats per clip", gemmFlopsPerItem: GemmFlopsPerClip(config, T));
        return 0;
    }

    /// <summary>
    /// The nominal GEMM FLOPs of one clip's training step: the projection forward and its weight gradient (its input needs
    /// no gradient), each LSTM layer's input and recurrent products forward, for the data and for the weights, and the two
    /// heads the same way (their small products included for completeness).
    /// </summary>
    private static double GemmFlopsPerClip(VideoClassifierConfig c, int T)
    {
        double flops = 2.0 * 2 * T * c.FeatureDim * c.Projection;
        if (!c.IsBaseline)
            for (int l = 0; l < c.Layers; l++)
                flops += 3 * 2.0 * T * ((l == 0 ? c.Projection : c.Hidden) + c.Hidden) * 4 * c.Hidden;
        return flops + 3 * 2.0 * (T * c.HeadInput * c.Classes + c.HeadInput * c.Actions);
    }

    /// <summary>
    /// Clips/s of Recur's training step (forward, losses, backward, clip, Adam) over 8 random batches, timed for
    /// <paramref name="iters"/> steps after 3 warm-up steps, and the loss of the first step.
    /// </summary>
    private static (double ClipsPerS, double FirstLoss) Time(VideoClassifierConfig config, int T, int B, int threads, int iters)
    {
        var m = new VideoClassifier(config) { Threads = threads };
        var rng = new Rng(1);
        m.Reset(rng);
        var adam = new Adam(m.Store, 2e-3) { Threads = threads };
        var batches = Enumerable.Range(0, 8).Select(_ =>
        {
            var x = Tensor.Randn(rng, 1f, T, B, config.FeatureDim);
            var actions = Enumerable.Range(0, B).Select(_ => rng.NextInt(config.Actions)).ToArray();
            var visible = Enumerable.Range(0, T * B * config.Classes).Select(_ => rng.NextFloat() < 0.5f ? 1f : 0f).ToArray();
            return (x, actions, visible);
        }).ToArray();
        double Step(int i)
        {
            var (x, actions, visible) = batches[i % batches.Length];
            double loss = m.TrainStep(x, actions, visible, rng).Loss;
            GradClip.ClipByNorm(m.Store.Grads, 5f, threads);
            adam.Step();
            return loss;
        }
        return SpeedRace.Time(Step, iters, B);
    }
}
