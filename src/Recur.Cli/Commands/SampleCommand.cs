using System.Text;
using Recur.Data;
using Recur.IO;
using Recur.Models;
using Recur.Tasks.CharLm;

namespace Recur.Cli.Commands;

/// <summary><c>recur sample RUN_OR_CKPT</c>: generate text from a trained character model, streamed as it is drawn.</summary>
internal sealed class SampleCommand : ICommand
{
    public string Name => "sample";
    public string Summary => "generate text from a trained character model (streams to stdout)";
    public string Usage => """
        usage: recur sample RUN_OR_CKPT [--length 2000] [--temperature 1] [--top-k 0] [--argmax] [--prime TEXT]
                                        [--seed 123] [--latest] [--threads N]

        Runs the model one character at a time (batch 1, no training caches) and writes each character to
        stdout as soon as it is drawn. RUN_OR_CKPT is a 'recur train' run folder (its best/ checkpoint, or
        latest/ with --latest) or a checkpoint folder.

          --length N         characters to generate after the prime text (default 2000)
          --temperature T    divide the logits by T > 0 before the softmax: below 1 is more conservative,
                             above 1 more surprising (default 1)
          --top-k K          draw only among the K most likely characters (default 0: all)
          --argmax           always take the most likely character (deterministic; ignores the seed)
          --prime TEXT       run TEXT through the model first and print it; every character must be in the
                             model's vocabulary (default: none, the first character is drawn uniformly)
          --seed S           random seed for the draws (default 123)
          --latest           use the run's latest checkpoint instead of its best
          --threads N        threads for the recurrent products when hidden >= 256 (default 1; 2 is about twice
                             as fast on an idle machine, slower when the other cores are busy; 0 = one per core)
        """;

    public int Run(Args args)
    {
        int length = args.Int("length", 2000, min: 0);
        double temperature = args.Double("temperature", 1.0);
        int topK = args.Int("top-k", 0, min: 0);
        bool argmax = args.Flag("argmax");
        string prime = args.String("prime", "")!;
        int seed = args.Int("seed", 123, min: 0);
        bool latest = args.Flag("latest");
        int threads = args.Int("threads", 1, min: 0, max: 1024);
        args.ThrowOnUnused(1);
        if (args.Positional.Count == 0) throw new CliException("name a run or checkpoint folder: recur sample RUN_OR_CKPT");
        if (!(temperature > 0) || double.IsInfinity(temperature) || (float)temperature == 0f)
            throw new CliException($"--temperature must be a positive number, got {temperature}; use --argmax for the most likely character.");

        var ck = CharCheckpoint.Read(args.Positional[0], latest ? CheckpointKind.Latest : CheckpointKind.Best);
        var vocab = ck.Vocabulary;
        UnseenInput.CheckText("--prime", prime, vocab.Contains, $"the model's vocabulary of {vocab.Count} characters");
        int[] primeIds = vocab.Encode(prime);

        var sampler = new CharSampler(ck.Model, threads);
        var rng = new Rng((ulong)seed);
        bool perChar = !Console.IsOutputRedirected;
        using var stdout = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false), bufferSize: 4096) { AutoFlush = false };
        if (primeIds.Length > 0)
        {
            sampler.Prime(primeIds);
            stdout.Write(prime);
            stdout.Flush();
        }
        Span<char> buf = stackalloc char[2];
        foreach (var r in sampler.Sample(vocab, length, (float)temperature, topK, argmax, rng))
        {
            int n = r.EncodeToUtf16(buf);
            stdout.Write(buf[..n]);
            if (perChar || r.Value == '\n') stdout.Flush();
        }
        if (length > 0) stdout.WriteLine();
        stdout.Flush();
        return 0;
    }
}
