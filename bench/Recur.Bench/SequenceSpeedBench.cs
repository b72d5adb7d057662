using System.Diagnostics;
using System.Text.Json;
using Recur.Models.Seq2Seq;
using Recur.Models.Tagging;
using Recur.Training;

namespace Recur.Bench;

/// <summary>
/// Training tokens/s of the tagger and of the pronunciation model against the same models in PyTorch 1.13
/// (bench/seq_ref.py), same shapes and batch (random data of the same length distributions), Adam and clipping
/// included; PyTorch at 1 and 2 threads (OPENBLAS_CORETYPE=Haswell), the faster is the round's reference.
/// Tagger tokens are sentence tokens; pronunciation tokens are output phonemes with the end symbol.
/// </summary>
internal static class SequenceSpeedBench
{
    public static int Run(string[] args)
    {
        string model = Option(args, "--model", "tag");
        int iters = int.Parse(Option(args, "--iters", "20")), rounds = int.Parse(Option(args, "--rounds", "3")),
            threads = int.Parse(Option(args, "--threads", "2")), B = int.Parse(Option(args, "--batch", "32"));
        bool torch = Option(args, "--torch", "true") != "false";
        // --recipe true: the g2p command's own model (2 x 256 encoder, decoder 512, dropout 0.3), Recur alone (seq_ref.py has the small shapes).
        bool recipe = Option(args, "--recipe", "false") == "true";
        if (recipe) torch = false;
        string root = MinCharBench.FindRepoRoot();
        Console.WriteLine($"{model} training, batch {B}, {iters} steps per run, {rounds} round(s); Recur {threads} thread(s)");
        Console.WriteLine("| round | Recur tok/s | PyTorch 1 thread | PyTorch 2 threads | ratio to the faster |");
        Console.WriteLine("|---|---:|---:|---:|---:|");
        Time(model, B, threads, 3, recipe);
        var ratios = new List<double>();
        for (int r = 0; r < rounds; r++)
        {
            double recur = Time(model, B, threads, iters, recipe);
            if (!torch) { Console.WriteLine($"| {r + 1} | {recur:F0} | - | - | - |"); ratios.Add(recur); continue; }
            double t1 = Torch(root, model, 1, iters, B), t2 = Torch(root, model, 2, iters, B);
            ratios.Add(recur / Math.Max(t1, t2));
            Console.WriteLine($"| {r + 1} | {recur:F0} | {t1:F0} | {t2:F0} | {ratios[^1]:F2}x |");
        }
        ratios.Sort();
        string unit = torch ? "x" : " tok/s";
        Console.WriteLine($"median {(torch ? "ratio" : "Recur")} {ratios[ratios.Count / 2]:F2}{unit} (min {ratios[0]:F2}{unit}, max {ratios[^1]:F2}{unit})");
        return 0;
    }

    private static string Option(string[] args, string name, string fallback)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
    }

    private static double Time(string model, int B, int threads, int iters, bool recipe)
    {
        var rng = new Rng(1);
        long tokens = 0;
        Action<int> step;
        if (model == "tag")
        {
            var m = new Tagger(new TaggerConfig { Words = 5000, Chars = 80, Tags = 12, WordEmbed = 64, CharEmbed = 16, CharHidden = 32,
                Hidden = 128 }) { Threads = threads };
            m.Reset(rng);
            var adam = new Adam(m.Store, 2e-3) { Threads = threads };
            var batches = Enumerable.Range(0, 8).Select(_ => TagBatch(rng, B)).ToArray();
            step = i =>
            {
                var b = batches[i % 8]; m.TrainStep(b, rng); GradClip.ClipByNorm(m.Store.Grads, 5f, threads); adam.Step(); tokens += b.Lengths.Sum();
            };
        }
        else
        {
            var config = recipe
                ? new Seq2SeqConfig { SourceVocab = 30, TargetVocab = 72, Embed = 64, Hidden = 256, Layers = 2, DecoderHidden = 512, AttentionDim = 128,
                    MaxTarget = 24, Dropout = 0.3f }
                : new Seq2SeqConfig { SourceVocab = 30, TargetVocab = 72, Embed = 64, Hidden = 128, DecoderHidden = 256, AttentionDim = 128, MaxTarget = 24 };
            var m = new Seq2SeqModel(config) { Threads = threads };
            m.Reset(rng);
            var adam = new Adam(m.Store, 2e-3) { Threads = threads };
            var batches = Enumerable.Range(0, 8).Select(_ => G2pBatch(rng, B)).ToArray();
            step = i => { var (b, n) = batches[i % 8]; m.TrainStep(b, rng); GradClip.ClipByNorm(m.Store.Grads, 5f, threads); adam.Step(); tokens += n; };
        }
        long t0 = Stopwatch.GetTimestamp();
        for (int i = 0; i < iters; i++) step(i);
        return tokens / Stopwatch.GetElapsedTime(t0).TotalSeconds;
    }

    private static TagBatch TagBatch(Rng rng, int B)
    {
        var lengths = Enumerable.Range(0, B).Select(_ => 8 + rng.NextInt(33)).ToArray();
        int T = lengths.Max();
        var words = new int[T * B];
        var targets = new int[T * B];
        Array.Fill(targets, -100);
        var chars = new List<int[]>();
        for (int t = 0; t < T; t++)
            for (int b = 0; b < B; b++)
            {
                if (t >= lengths[b]) continue;
                words[t * B + b] = 2 + rng.NextInt(4998);
                targets[t * B + b] = rng.NextInt(12);
                chars.Add([.. Enumerable.Range(0, 3 + rng.NextInt(8)).Select(_ => 2 + rng.NextInt(78))]);
            }
        return new TagBatch(words, lengths, chars, targets);
    }

    private static (Seq2SeqBatch, int) G2pBatch(Rng rng, int B)
    {
        var lengths = Enumerable.Range(0, B).Select(_ => 3 + rng.NextInt(10)).ToArray();
        int Ts = lengths.Max();
        var src = new int[Ts * B];
        for (int b = 0; b < B; b++) for (int t = 0; t < lengths[b]; t++) src[t * B + b] = 2 + rng.NextInt(28);
        var targets = new int[B * 26];
        int n = 0;
        for (int b = 0; b < B; b++)
        {
            int len = 3 + rng.NextInt(10);
            targets[b * 26] = Seq2SeqModel.Start;
            for (int k = 1; k <= len; k++) targets[b * 26 + k] = 3 + rng.NextInt(69);
            targets[b * 26 + len + 1] = Seq2SeqModel.End;
            n += len + 1;
        }
        return (new Seq2SeqBatch(src, lengths, targets), n);
    }

    private static double Torch(string root, string model, int threads, int iters, int B)
    {
        var psi = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in new[] { Path.Combine(root, "bench", "seq_ref.py"), "--model", model, "--threads", threads.ToString(), "--iters", iters.ToString(),
            "--batch", B.ToString() }) psi.ArgumentList.Add(a);
        psi.Environment["OPENBLAS_CORETYPE"] = "Haswell";
        using var p = Process.Start(psi)!;
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return JsonDocument.Parse(output.Trim().Split('\n')[^1]).RootElement.GetProperty("tokens_per_s").GetDouble();
    }
}
