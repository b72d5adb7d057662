using System.Text.Json;
using Recur.Data.Dialog;
using Recur.Data.Scenes;
using Recur.Models.Dialog;
using Recur.Training;

namespace Recur.Bench;

/// <summary>
/// Training speed of the visual dialog model (issue 30) against the same model in PyTorch 1.13 (bench/dialog_ref.py): the
/// default dialog run's sizes (questions of 7 tokens over 48 words, LSTM 256, embeddings 64, the HRE history, or
/// <c>--history memory|none</c>, two hops of attention 128 over 3x3 locations of 258 features, fusion 256, 27 answers, the
/// ten class answers read from the image), batches of 32 dialogs of 6 rounds, random features; the questions and answers of
/// real dialogs (<c>--questions real</c>, the default: <see cref="DialogGenerator"/>'s dialogs about random layouts, the same
/// batches given to PyTorch through a file; many rounds of a batch ask the same question, which Recur encodes once) or random
/// tokens (<c>--questions random</c>: every question distinct); the whole step timed (forward, loss, backward, norm clipping
/// at 5, Adam 2e-3): dialogs/s. Rounds alternate Recur (at <c>--threads</c>) and PyTorch at 1 thread (the issue's race: 1
/// thread each) and, unless <c>--torch2 false</c>, at 2 threads.
/// </summary>
internal static class DialogSpeedBench
{
    public static int Run(string[] args)
    {
        int iters = int.Parse(TorchRef.Option(args, "--iters", "20")), rounds = int.Parse(TorchRef.Option(args, "--rounds", "3")),
            threads = int.Parse(TorchRef.Option(args, "--threads", "1")), B = int.Parse(TorchRef.Option(args, "--batch", "32")),
            R = int.Parse(TorchRef.Option(args, "--dialog-rounds", "6")), hops = int.Parse(TorchRef.Option(args, "--hops", "2"));
        string history = TorchRef.Option(args, "--history", "hre"), questions = TorchRef.Option(args, "--questions", "real");
        if (questions is not ("real" or "random")) throw new ArgumentException($"--questions must be real or random, got '{questions}'.");
        bool torch2 = TorchRef.Option(args, "--torch2", "true") == "true";
        string root = MinCharBench.FindRepoRoot();
        int vocab = 4 + DialogWords.Words.Count, answers = DialogWords.Answers.Count;
        var config = new DialogConfig
        {
            Vocab = vocab, Answers = answers, Embed = 64, Hidden = 256, GridRows = 3, GridCols = 3, FeatureDim = 258, AttentionDim = 128, Fusion = 256,
            History = history, Hops = hops, MaxWords = DialogWords.MaxWords, VisualAnswers = [.. Enumerable.Range(8, 10)],
        };
        config.Validate();
        Console.WriteLine($"visual dialog training, history {history}, {hops} hop(s), batch {B} dialogs of {R} rounds, {questions} questions, {iters} steps "
            + $"per run after 3 warm-up steps, {rounds} round(s); Recur {threads} thread(s)");
        var batches = Batches(config, B, R, questions == "real");
        string file = Path.Combine(Path.GetTempPath(), $"recur-dialog-race-{Environment.ProcessId}.json");
        File.WriteAllText(file, JsonSerializer.Serialize(batches.Select(x => new { questions = x.Q, answers = x.A }).ToArray()));
        try
        {
            Time(config, batches, threads, 0); // JIT warm-up
            SpeedRace.Run(root, "dialog_ref.py", "dialogs_per_s", "dialogs/s", rounds, torch2, () => Time(config, batches, threads, iters),
                th => ["--threads", th.ToString(), "--iters", iters.ToString(), "--batch", B.ToString(), "--rounds", R.ToString(), "--history", history,
                    "--hops", hops.ToString(), "--vocab", vocab.ToString(), "--answers", answers.ToString(), "--data", file],
                new DialogModel(config).Store.Count, "nats per round");
        }
        finally { File.Delete(file); }
        return 0;
    }

    /// <summary>
    /// 8 batches of <paramref name="B"/> dialogs of <paramref name="R"/> rounds: random features <c>(B, L, D)</c>; questions
    /// <c>(B, R, T)</c> and answers <c>(B, R)</c> of real dialogs about random layouts, or random tokens and answers.
    /// </summary>
    private static (Tensor F, int[] Q, int[] A)[] Batches(DialogConfig config, int B, int R, bool real)
    {
        var rng = new Rng(1);
        DialogDataset? set = null;
        if (real)
        {
            var scenes = Enumerable.Range(0, 8 * B).Select(_ =>
            {
                int n = 1 + rng.NextInt(4);
                var cells = Enumerable.Range(0, 9).OrderBy(_ => rng.NextInt(1 << 30)).Take(n).Order();
                return new Scene([.. cells.Select(c => new SceneItem(c, rng.NextInt(10), 0))]);
            }).ToArray();
            set = new DialogDataset(new Tensor(scenes.Length, 1, 1), scenes, DialogGenerator.ForScenes(scenes, R, 1, seed: 1));
        }
        return [.. Enumerable.Range(0, 8).Select(k =>
        {
            var f = Tensor.Randn(rng, 1f, B, config.Locations, config.FeatureDim);
            int[] q = new int[B * R * config.MaxWords], a = new int[B * R];
            if (set is not null) set.Fill([.. Enumerable.Range(k * B, B)], new Tensor(B, 1, 1), q, a);
            else
            {
                for (int i = 0; i < q.Length; i++) q[i] = rng.NextInt(config.Vocab);
                for (int i = 0; i < a.Length; i++) a[i] = rng.NextInt(config.Answers);
            }
            return (f, q, a);
        })];
    }

    /// <summary>
    /// Dialogs/s of Recur's training step (forward, loss, backward, clip, Adam) over the batches, timed for
    /// <paramref name="iters"/> steps after 3 warm-up steps, and the loss of the first step.
    /// </summary>
    private static (double DialogsPerS, double FirstLoss) Time(DialogConfig config, (Tensor F, int[] Q, int[] A)[] batches, int threads, int iters)
    {
        var m = new DialogModel(config) { Threads = threads };
        m.Reset(new Rng(1));
        var adam = new Adam(m.Store, 2e-3) { Threads = threads };
        double Step(int i)
        {
            var (f, q, a) = batches[i % batches.Length];
            double loss = m.TrainStep(f, q, a).Loss;
            GradClip.ClipByNorm(m.Store.Grads, 5f, threads);
            adam.Step();
            return loss;
        }
        return SpeedRace.Time(Step, iters, batches[0].F.Shape[0]);
    }
}
