using Recur.Data.Dialog;
using Recur.Models.Dialog;
using Recur.Training;

namespace Recur.Bench;

/// <summary>
/// Training speed of the visual dialog model (issue 30) against the same model in PyTorch 1.13 (bench/dialog_ref.py): the
/// default dialog run's sizes (questions of 7 tokens over 48 words, LSTM 256, embeddings 64, the HRE history, or
/// <c>--history memory|none</c>, two hops of attention 128 over 3x3 locations of 258 features, fusion 256, 27 answers, the
/// ten class answers read from the image), batches of 32 dialogs of 6 rounds, random features, questions and answers, the
/// whole step timed (forward, loss, backward, norm clipping at 5, Adam 2e-3): dialogs/s. Rounds alternate Recur (at
/// <c>--threads</c>) and PyTorch at 1 thread (the race: 1 thread each) and, unless <c>--torch2 false</c>, at 2 threads.
/// </summary>
internal static class DialogSpeedBench
{
    public static int Run(string[] args)
    {
        int iters = int.Parse(TorchRef.Option(args, "--iters", "20")), rounds = int.Parse(TorchRef.Option(args, "--rounds", "3")),
            threads = int.Parse(TorchRef.Option(args, "--threads", "1")), B = int.Parse(TorchRef.Option(args, "--batch", "32")),
            R = int.Parse(TorchRef.Option(args, "--dialog-rounds", "6")), hops = int.Parse(TorchRef.Option(args, "--hops", "2"));
        string history = TorchRef.Option(args, "--history", "hre");
        bool torch2 = TorchRef.Option(args, "--torch2", "true") == "true";
        string root = MinCharBench.FindRepoRoot();
        int vocab = 4 + DialogWords.Words.Count, answers = DialogWords.Answers.Count;
        var config = new DialogConfig
        {
            Vocab = vocab, Answers = answers, Embed = 64, Hidden = 256, GridRows = 3, GridCols = 3, FeatureDim = 258, AttentionDim = 128, Fusion = 256,
            History = history, Hops = hops, MaxWords = DialogWords.MaxWords, VisualAnswers = [.. Enumerable.Range(8, 10)],
        };
        config.Validate();
        Console.WriteLine($"visual dialog training, history {history}, {hops} hop(s), batch {B} dialogs of {R} rounds, {iters} steps per run after 3 warm-up "
            + $"steps, {rounds} round(s); Recur {threads} thread(s)");
        Time(config, B, R, threads, 0); // JIT warm-up
        SpeedRace.Run(root, "dialog_ref.py", "dialogs_per_s", "dialogs/s", rounds, torch2, () => Time(config, B, R, threads, iters),
            th => ["--threads", th.ToString(), "--iters", iters.ToString(), "--batch", B.ToString(), "--rounds", R.ToString(), "--history", history,
                "--hops", hops.ToString(), "--vocab", vocab.ToString(), "--answers", answers.ToString()],
            new DialogModel(config).Store.Count, "nats per round");
        return 0;
    }

    /// <summary>
    /// Dialogs/s of Recur's training step (forward, loss, backward, clip, Adam) over 8 random batches, timed for
    /// <paramref name="iters"/> steps after 3 warm-up steps, and the loss of the first step.
    /// </summary>
    private static (double DialogsPerS, double FirstLoss) Time(DialogConfig config, int B, int R, int threads, int iters)
    {
        var m = new DialogModel(config) { Threads = threads };
        var rng = new Rng(1);
        m.Reset(rng);
        var adam = new Adam(m.Store, 2e-3) { Threads = threads };
        var batches = Enumerable.Range(0, 8).Select(_ =>
        {
            var f = Tensor.Randn(rng, 1f, B, config.Locations, config.FeatureDim);
            var q = Enumerable.Range(0, B * R * config.MaxWords).Select(_ => rng.NextInt(config.Vocab)).ToArray();
            var a = Enumerable.Range(0, B * R).Select(_ => rng.NextInt(config.Answers)).ToArray();
            return (f, q, a);
        }).ToArray();
        double Step(int i)
        {
            var (f, q, a) = batches[i % batches.Length];
            double loss = m.TrainStep(f, q, a).Loss;
            GradClip.ClipByNorm(m.Store.Grads, 5f, threads);
            adam.Step();
            return loss;
        }
        return SpeedRace.Time(Step, iters, B);
    }
}
