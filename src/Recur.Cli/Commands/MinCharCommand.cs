using System.Globalization;
using Recur.Data;
using Recur.Models;
using Recur.Training;

namespace Recur.Cli.Commands;

/// <summary><c>recur minchar [FILE]</c>: Karpathy's min-char-rnn, same defaults and printout.</summary>
internal sealed class MinCharCommand : ICommand
{
    public string Name => "minchar";
    public string Summary => "min-char-rnn: the lectures' 112-line vanilla RNN language model (Adagrad), as a port";
    public string Usage => """
        usage: recur minchar [FILE] [--max-iters N] [--seed S] [--hidden 100] [--seq-length 25] [--lr 0.1]

        A faithful port of Karpathy's min-char-rnn: a vanilla tanh RNN over one-hot characters, trained
        with truncated backpropagation through --seq-length steps, gradients clipped to [-5, 5] and
        Adagrad. Every 100 iterations it prints a 200-character sample and 'iter N, loss: L', where L is
        the smoothed loss summed over a sequence (smooth = 0.999 smooth + 0.001 loss). FILE is UTF-8 text;
        without it, the bundled tiny-shakespeare. Runs until --max-iters (default: forever, as the original).

          --max-iters N     stop after N iterations (default: no limit)
          --seed S          weights and samples (default 0)
          --hidden H        hidden units (default 100)
          --seq-length T    steps to unroll (default 25)
          --lr RATE         Adagrad learning rate (default 0.1)
        """;

    public int Run(Args args)
    {
        int maxIters = args.Int("max-iters", int.MaxValue, min: 0);
        ulong seed = (ulong)args.Int("seed", 0, min: 0);
        int hidden = args.Int("hidden", 100, min: 1, max: 8192);
        int seqLength = args.Int("seq-length", 25, min: 1, max: 100_000);
        double lr = args.Double("lr", 0.1, min: double.Epsilon, max: 1e6);
        args.ThrowOnUnused(1);

        var corpus = args.Positional.Count == 1 ? Corpus.Load(args.Positional[0]) : Corpus.TinyShakespeare();
        var vocab = Vocabulary.FromText(corpus.Text);
        var data = vocab.Encode(corpus.Text);
        if (data.Length < seqLength + 1)
            throw new CliException($"{corpus.Source}: the text has {data.Length} characters; --seq-length {seqLength} needs at least {seqLength + 1}.");
        var options = new MinCharOptions { Hidden = hidden, SeqLength = seqLength, LearningRate = (float)lr };
        var model = new MinCharRnn(data, vocab.Count, options, new Rng(seed));

        var stdout = new StreamWriter(Console.OpenStandardOutput(), new System.Text.UTF8Encoding(false)) { AutoFlush = false };
        stdout.WriteLine($"data has {data.Length} characters, {vocab.Count} unique.");
        stdout.Flush();
        for (int n = 0; n < maxIters; n++)
        {
            var step = model.Iterate();
            if (!double.IsFinite(step.Loss))
            {
                stdout.Flush();
                throw new CliException($"the loss became {step.Loss} at iteration {step.Iteration}; try a smaller --lr.", 1);
            }
            if (step.Sample is null) continue;
            stdout.WriteLine("----");
            stdout.WriteLine($" {vocab.Decode(step.Sample)} ");
            stdout.WriteLine("----");
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"iter {step.Iteration}, loss: {step.SmoothLoss:F6}"));
            stdout.Flush();
        }
        stdout.Flush();
        return 0;
    }
}
