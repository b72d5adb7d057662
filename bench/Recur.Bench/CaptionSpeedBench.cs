using System.Diagnostics;
using System.Text.Json;
using Recur.Models.Captioning;
using Recur.Training;

namespace Recur.Bench;

/// <summary>
/// Training speed of the attention captioner against the same model in PyTorch 1.13 (bench/caption_ref.py), same
/// sizes (batch 64, 7x7 locations of 64 features, H 256, E 64, attention 128, 36 words, captions of 2 to 11 words),
/// Adam and norm clipping included: images/s. Rounds alternate Recur and PyTorch; PyTorch runs at 1 and 2 threads
/// (OPENBLAS_CORETYPE=Haswell) and its faster setting is the reference of the round.
/// </summary>
internal static class CaptionSpeedBench
{
    public static int Run(string[] args)
    {
        int iters = Option(args, "--iters", 20), rounds = Option(args, "--rounds", 3), threads = Option(args, "--threads", 2), B = Option(args, "--batch", 64),
            H = Option(args, "--hidden", 256);
        string root = MinCharBench.FindRepoRoot();
        Console.WriteLine($"attention captioner training, batch {B}, H {H}, {iters} steps per run, {rounds} round(s); Recur {threads} thread(s)");
        var ratios = new List<double>();
        Console.WriteLine("| round | Recur img/s | PyTorch 1 thread img/s | PyTorch 2 threads img/s | ratio to the faster |");
        Console.WriteLine("|---|---:|---:|---:|---:|");
        Time(B, H, threads, 3); // JIT warm-up
        for (int r = 0; r < rounds; r++)
        {
            double recur = Time(B, H, threads, iters);
            double t1 = Torch(root, 1, iters, B, H), t2 = Torch(root, 2, iters, B, H);
            double best = Math.Max(t1, t2);
            ratios.Add(recur / best);
            Console.WriteLine($"| {r + 1} | {recur:F1} | {t1:F1} | {t2:F1} | {recur / best:F2}x |");
        }
        ratios.Sort();
        Console.WriteLine($"median ratio {ratios[ratios.Count / 2]:F2}x (min {ratios[0]:F2}x, max {ratios[^1]:F2}x)");
        return 0;
    }

    private static int Option(string[] args, string name, int fallback)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1]) : fallback;
    }

    /// <summary>Images/s of Recur's training step (forward, backward, clip, Adam) over 8 random batches.</summary>
    private static double Time(int B, int H, int threads, int iters)
    {
        var vocab = CaptionVocabulary.Grammar();
        var m = new AttentionCaptioner(new CaptionerConfig { Kind = "attention", Vocab = vocab.Count, Hidden = H, Embed = 64, AttentionDim = 128,
            FeatureDim = 64 }) { Threads = threads };
        var rng = new Rng(1);
        m.Reset(rng);
        var adam = new Adam(m.Store, 2e-3) { Threads = threads };
        var batches = Enumerable.Range(0, 8).Select(_ => Batch(rng, B, vocab.Count)).ToArray();
        long t0 = Stopwatch.GetTimestamp();
        for (int i = 0; i < iters; i++)
        {
            var (f, c) = batches[i % batches.Length];
            m.TrainStep(f, c, rng);
            GradClip.ClipByNorm(m.Store.Grads, 5f, threads);
            adam.Step();
        }
        return iters * B / Stopwatch.GetElapsedTime(t0).TotalSeconds;
    }

    private static (Tensor, int[]) Batch(Rng rng, int B, int V)
    {
        var f = Tensor.Randn(rng, 1f, B, 49, 64);
        var caps = new int[B * 14];
        for (int b = 0; b < B; b++)
        {
            int n = 2 + rng.NextInt(10);
            caps[b * 14] = CaptionVocabulary.Start;
            for (int k = 1; k <= n; k++) caps[b * 14 + k] = 4 + rng.NextInt(V - 4);
            caps[b * 14 + n + 1] = CaptionVocabulary.End;
        }
        return (f, caps);
    }

    private static double Torch(string root, int threads, int iters, int B, int H)
    {
        var psi = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in new[] { Path.Combine(root, "bench", "caption_ref.py"), "--threads", threads.ToString(), "--iters", iters.ToString(), "--batch",
            B.ToString(), "--hidden", H.ToString() }) psi.ArgumentList.Add(a);
        psi.Environment["OPENBLAS_CORETYPE"] = "Haswell";
        using var p = Process.Start(psi)!;
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return JsonDocument.Parse(output.Trim().Split('\n')[^1]).RootElement.GetProperty("images_per_s").GetDouble();
    }
}
